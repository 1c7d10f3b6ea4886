"""One review in progress per country

Two submits at the same moment each opened a review of the same working copy; publishing closed
only one of them, so the country kept showing "Submitted for review" after its publication. A
partial unique index now allows one open review (no publication yet) per country. Reviews
doubled before this revision are merged first: the newest open one keeps every entry of the
others, which go.

Revision ID: 9d4e7a1c3b20
Revises: b3f1c2d4e5a6
Create Date: 2026-12-01 21:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9d4e7a1c3b20'
down_revision: str | None = 'b3f1c2d4e5a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEWEST_OPEN = (
    "SELECT max(n.id) FROM review n WHERE n.publication_id IS NULL AND n.country_id = {country}"
)
OLDER_OPEN = (
    "SELECT o.id FROM review o WHERE o.publication_id IS NULL AND o.id < ("
    + NEWEST_OPEN.format(country="o.country_id")
    + ")"
)


def upgrade() -> None:
    op.execute(
        "UPDATE review_comment SET review_id = ("
        + NEWEST_OPEN.format(
            country="(SELECT r.country_id FROM review r WHERE r.id = review_comment.review_id)"
        )
        + f") WHERE review_id IN ({OLDER_OPEN})"
    )
    op.execute(f"DELETE FROM review WHERE id IN ({OLDER_OPEN})")
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(
            'uq_review_one_open_per_country',
            ['country_id'],
            unique=True,
            sqlite_where=sa.text('publication_id IS NULL'),
            postgresql_where=sa.text('publication_id IS NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_review_one_open_per_country',
            sqlite_where=sa.text('publication_id IS NULL'),
            postgresql_where=sa.text('publication_id IS NULL'),
        )
