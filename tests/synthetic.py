"""Large synthetic data sets for the query-count tests, built with bulk inserts."""

import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel

from tracker.codes import (
    ChangeAction,
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneStatus,
    RelationKind,
    Role,
)
from tracker.models import (
    Category,
    CategoryName,
    ChangeRecord,
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
    User,
)


@contextmanager
def count_queries(engine):
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def build_dataset(
    session,
    countries: int,
    provisions: int,
    instruments: int = 4,
    users: int = 0,
    changes: int = 0,
    password_hash: str = "x",
) -> dict:
    """A synthetic data set with bulk inserts: every country judges every provision; ``users``
    editors spread over the countries and ``changes`` change records per country."""

    def insert_many(model, rows: list[dict]) -> list[int]:
        if not rows:
            return []
        table = model.__table__
        result = session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return [row[0] for row in result]

    checklist = ChecklistVersion(code="S.1", title="Synthetic checklist", is_current=True)
    session.add(checklist)
    session.flush()
    cat_codes = [f"C{i}" for i in range(min(9, provisions))]
    cat_ids = insert_many(
        Category,
        [{"checklist_id": checklist.id, "code": c, "position": i} for i, c in enumerate(cat_codes)],
    )
    insert_many(
        CategoryName,
        [{"category_id": cid, "locale": "en", "name": f"Category {cid}"} for cid in cat_ids],
    )
    gems = list(GemIndicator)
    prov_ids = insert_many(
        Provision,
        [
            {
                "checklist_id": checklist.id,
                "category_id": cat_ids[i % len(cat_ids)],
                "code": f"P-{i:03d}",
                "level": Level.CORE if i % 2 else Level.RECOMMENDED,
                "position": i,
                "gem_indicator": gems[i] if i < len(gems) else None,
            }
            for i in range(provisions)
        ],
    )
    insert_many(
        ProvisionText,
        [
            {"provision_id": pid, "locale": "en", "title": f"Provision {pid}", "guidance": "G."}
            for pid in prov_ids
        ],
    )
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    country_ids = insert_many(
        Country,
        [
            {
                "iso3": f"Q{letters[n // 26]}{letters[n % 26]}",
                "iso2": f"{letters[n // 26]}{letters[n % 26]}",
            }
            for n in range(countries)
        ],
    )
    statuses = [InstrumentStatus.IN_FORCE, InstrumentStatus.DRAFTING, InstrumentStatus.ADOPTED]
    inst_rows = [
        {
            "country_id": cid,
            "type": InstrumentType.REGULATION,
            "title": f"Instrument {k} of {cid}",
            "title_lang": "en",
            "status": statuses[k % len(statuses)],
            "year": 2000 + k,
            "in_force_on": date(2020, 1, 1 + k),
        }
        for cid in country_ids
        for k in range(instruments)
    ]
    inst_ids = insert_many(Instrument, inst_rows)
    by_country = {
        cid: inst_ids[i * instruments : (i + 1) * instruments] for i, cid in enumerate(country_ids)
    }
    insert_many(
        InstrumentTitle,
        [{"instrument_id": iid, "locale": "fr", "title": f"Instrument {iid}"} for iid in inst_ids],
    )
    insert_many(
        InstrumentRelation,
        [
            {"instrument_id": ids[k], "target_id": ids[0], "kind": RelationKind.MADE_UNDER}
            for ids in by_country.values()
            for k in range(1, len(ids))
        ],
    )
    cov_rows = [
        {
            "country_id": cid,
            "provision_id": pid,
            "applicable": j % 7 != 3,
            "not_applicable_reason": None if j % 7 != 3 else "Not relevant here.",
            "implementation": list(Implementation)[j % 4],
            "evidence": f"Evidence {j}",
            "is_example": j % 2 == 0,
        }
        for cid in country_ids
        for j, pid in enumerate(prov_ids)
    ]
    cov_ids = insert_many(Coverage, cov_rows)
    link_rows = []
    for cov_id, row in zip(cov_ids, cov_rows, strict=True):
        ids = by_country[row["country_id"]]
        for k in range(1 + cov_id % 2):
            link_rows.append(
                {
                    "coverage_id": cov_id,
                    "instrument_id": ids[(cov_id + k) % len(ids)],
                    "extent": Extent.FULL if (cov_id + k) % 3 == 0 else Extent.PARTIAL,
                    "articles": f"Art. {k + 1}",
                }
            )
    insert_many(CoverageLink, link_rows)
    insert_many(
        Milestone,
        [
            {
                "country_id": cid,
                "kind": MilestoneKind.VALIDATION_WORKSHOP,
                "title": f"Milestone {m}",
                "planned_on": date(2024, 1 + m, 1),
                "status": MilestoneStatus.DONE if m % 2 else MilestoneStatus.PLANNED,
            }
            for cid in country_ids
            for m in range(3)
        ],
    )
    insert_many(
        User,
        [
            {
                "email": f"editor{n}@example.org",
                "password_hash": password_hash,
                "role": Role.EDITOR,
                "country_id": country_ids[n % len(country_ids)],
            }
            for n in range(users)
        ],
    )
    session.commit()
    # The public pages serve publications (issue 12); published before the staff's changes
    # below, so the history's first page shows those whatever the number of countries.
    publish_all(session)
    now = datetime.now(UTC)
    insert_many(
        ChangeRecord,
        [
            {
                "at": now,
                "actor": f"editor{n}@example.org",
                "action": ChangeAction.UPDATE,
                "entity": "instrument",
                "entity_id": by_country[cid][n % instruments],
                "country_id": cid,
                "summary": f"Change {n}",
                "before": {"title": f"Before {n}", "year": 2000 + n},
                "after": {"title": f"After {n}", "year": 2001 + n},
            }
            for cid in country_ids
            for n in range(changes)
        ],
    )
    session.commit()
    first = country_ids[0]
    return {
        "iso3": session.get(Country, first).iso3,
        "instrument": by_country[first][0],
        "code": "P-001",
    }


def publish_all(session, *countries, message: str = "Published by the test") -> list:
    """Publish these countries' working copies (every country by default), as an administrator
    would: the public side serves publications only (issue 12)."""
    from sqlmodel import select

    from tracker import write
    from tracker.write import changes, review

    with write.transaction(session):
        targets = list(countries) or session.exec(select(Country).order_by(Country.id)).all()
        return [review.publish(session, c, changes.DEMO_DATA, message) for c in targets]


# Publications are final (no DELETE reaches them): their tables are dropped and made again.
FINAL = ("publication_figures", "publication_pieces", "review_comment", "review", "publication")


def wipe(session) -> None:
    """Delete every row but the data version's (which the commit bumps, as any change does);
    publications are final, so their tables are dropped and made again."""
    tables = SQLModel.metadata.tables
    for name in FINAL:
        tables[name].drop(session.connection())
    for name in reversed(FINAL):  # empty again first: no publication holds the checklist now
        tables[name].create(session.connection())
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name not in FINAL and table.name != "data_version":
            session.execute(table.delete())
    session.commit()




JOIN_SECONDS = 30.0


def run_together(*jobs):
    """Run ``(name, function)`` jobs in threads at once; their results by name."""
    results, errors = {}, []

    def wrap(name, job):
        try:
            results[name] = job()
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append((name, exc))

    threads = [threading.Thread(target=wrap, args=job, name=job[0]) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "a request did not finish"
    assert not errors, errors
    return results
