"""History of translations under their country: change records of text translations get the country

Change records of a record's translation (``entity = 'text_translation'``) were written without a
country, so they did not show in the country's history (nor to its editors). From now on the
write path records the country of the translated record; this revision fills it in for the
records written before, from the translation's record (its ``entity`` and ``entity_id`` in the
change record's values). A record whose translated record no longer exists keeps no country. Data
only: no schema change.

Revision ID: 5e1a7c9d2b40
Revises: 226d71794611
Create Date: 2026-12-01 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5e1a7c9d2b40'
down_revision: str | None = '226d71794611'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables of the records whose texts carry translations (tracker.fields.TRANSLATABLE).
TRANSLATED = {"instrument": "instrument", "coverage": "coverage", "milestone": "milestone"}


def upgrade() -> None:
    bind = op.get_bind()
    change = sa.table(
        "change_record",
        sa.column("id", sa.Integer),
        sa.column("entity", sa.String),
        sa.column("entity_id", sa.Integer),
        sa.column("country_id", sa.Integer),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    translation = sa.table(
        "text_translation",
        sa.column("id", sa.Integer),
        sa.column("entity", sa.String),
        sa.column("entity_id", sa.Integer),
    )
    rows = bind.execute(
        sa.select(change.c.id, change.c.entity_id, change.c.before, change.c.after).where(
            change.c.entity == "text_translation", change.c.country_id.is_(None)
        )
    ).all()
    for record_id, translation_id, before, after in rows:
        # a creation or deletion holds the whole record; a change may hold only what changed
        values = {**(before or {}), **(after or {})}
        if values.get("entity") is None:
            found = bind.execute(
                sa.select(translation.c.entity, translation.c.entity_id).where(
                    translation.c.id == translation_id
                )
            ).first()
            values = {"entity": found[0], "entity_id": found[1]} if found else {}
        table = TRANSLATED.get(values.get("entity"))
        if table is None or values.get("entity_id") is None:
            continue
        parent = sa.table(table, sa.column("id", sa.Integer), sa.column("country_id", sa.Integer))
        country_id = bind.execute(
            sa.select(parent.c.country_id).where(parent.c.id == values["entity_id"])
        ).scalar()
        if country_id is not None:
            bind.execute(
                sa.update(change).where(change.c.id == record_id).values(country_id=country_id)
            )


def downgrade() -> None:
    # The countries filled in are right for the records they describe: nothing to undo.
    pass
