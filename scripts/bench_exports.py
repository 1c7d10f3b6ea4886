#!/usr/bin/env python3
"""Measure the coverage.csv export: rows per second and memory while streaming.

Builds a throwaway SQLite database with synthetic data (COUNTRIES x PROVISIONS coverage rows,
half of them judged, each judged row linked to an instrument), then downloads
/exports/coverage.csv through the WSGI app chunk by chunk, as a server would, and prints the
throughput, the number of chunks and the resident memory before, during and after streaming.

    .venv/bin/python scripts/bench_exports.py                 # 200 countries x 1000 provisions
    .venv/bin/python scripts/bench_exports.py --countries 50 --provisions 400
    .venv/bin/python scripts/bench_exports.py --countries 500 --provisions 2000 --keep /tmp/big.db
        # build 1,000,000 rows into /tmp/big.db and keep it, to serve with gunicorn:
        # DATABASE_URL=sqlite:////tmp/big.db .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app

Not a unit test: figures depend on the machine. Memory is flat when the peak during streaming
stays close to the level before it, whatever the row count.
"""

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    """Current resident set size in MB (Linux), else the peak so far."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(engine, countries: int, provisions: int) -> int:
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    from tracker.models import (
        Category,
        ChecklistVersion,
        Country,
        Coverage,
        CoverageLink,
        Instrument,
        Provision,
        ProvisionText,
    )

    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ChecklistVersion),
            [{"id": 1, "code": "B.1", "title": "Bench", "is_current": True, "version": 1}],
        )
        conn.execute(
            sa.insert(Category), [{"id": 1, "checklist_id": 1, "code": "CAT", "position": 1}]
        )
        conn.execute(
            sa.insert(Provision),
            [
                {
                    "id": p,
                    "checklist_id": 1,
                    "category_id": 1,
                    "code": f"P-{p:05d}",
                    "level": "core" if p % 2 else "recommended",
                    "position": p,
                    "retired": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in range(1, provisions + 1)
            ],
        )
        conn.execute(
            sa.insert(ProvisionText),
            [
                {"provision_id": p, "locale": "en", "title": f"Provision {p}", "guidance": "G."}
                for p in range(1, provisions + 1)
            ],
        )
        for c in range(1, countries + 1):
            iso3 = "Q" + chr(65 + (c // 26) % 26) + chr(65 + c % 26)
            conn.execute(
                sa.insert(Country),
                [
                    {
                        "id": c,
                        "iso3": iso3,
                        "iso2": iso3[1:],
                        "languages": "en",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            conn.execute(
                sa.insert(Instrument),
                [
                    {
                        "id": c,
                        "country_id": c,
                        "type": "act",
                        "title": f"Act {c}",
                        "title_lang": "en",
                        "status": "in_force",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            judged = range(1, provisions + 1, 2)
            conn.execute(
                sa.insert(Coverage),
                [
                    {
                        "id": (c - 1) * provisions + p,
                        "country_id": c,
                        "provision_id": p,
                        "applicable": True,
                        "implementation": "initiated",
                        "evidence": "=Evidence, with a comma and a formula-looking start",
                        "is_example": False,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in judged
                ],
            )
            conn.execute(
                sa.insert(CoverageLink),
                [
                    {
                        "coverage_id": (c - 1) * provisions + p,
                        "instrument_id": c,
                        "extent": "partial",
                        "articles": "s. 1; s. 2",
                    }
                    for p in judged
                ],
            )
    # The exports serve each country's latest publication (issue 12): publish every country.
    from sqlmodel import Session, select

    from tracker import write
    from tracker.write import changes, review

    with Session(engine) as session, write.transaction(session):
        for country in session.exec(select(Country).order_by(Country.id)).all():
            review.publish(session, country, changes.DEMO_DATA, "Published by the benchmark")
    return countries * provisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--provisions", type=int, default=1000)
    parser.add_argument(
        "--keep",
        metavar="FILE",
        help="build the data into this new SQLite file, keep it and stop (no measurement)",
    )
    args = parser.parse_args()

    from tracker import create_app

    if args.keep:
        target = Path(args.keep).resolve()
        if target.exists():
            parser.error(f"{target} exists; give a new file")
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{target}"}
        )
        t0 = time.perf_counter()
        rows = build(app.extensions["engine"], args.countries, args.provisions)
        app.extensions["engine"].dispose()
        print(f"built {rows:,} coverage rows into {target} in {time.perf_counter() - t0:.1f} s")
        return

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        )
        t0 = time.perf_counter()
        rows = build(app.extensions["engine"], args.countries, args.provisions)
        print(f"built {rows:,} coverage rows in {time.perf_counter() - t0:.1f} s")

        client = app.test_client()
        before = rss_mb()
        peak = before
        size = chunks = 0
        t0 = time.perf_counter()
        response = client.get("/exports/coverage.csv", buffered=False)
        for chunk in response.response:
            size += len(chunk)
            chunks += 1
            if chunks % 20 == 0:
                peak = max(peak, rss_mb())
        response.close()
        elapsed = time.perf_counter() - t0
        after = rss_mb()
        print(
            f"coverage.csv: {rows:,} rows, {size / 1e6:.1f} MB in {chunks:,} chunks, {elapsed:.2f} s"
        )
        print(f"throughput: {rows / elapsed:,.0f} rows/s")
        print(
            f"RSS: {before:.0f} MB before, peak {max(peak, after):.0f} MB while streaming, "
            f"{after:.0f} MB after (process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
        )
        app.extensions["engine"].dispose()


if __name__ == "__main__":
    main()
