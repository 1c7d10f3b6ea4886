"""Data version: one row the write layer bumps with every public change

Public pages and their ETags read this one row instead of scanning every table
(tracker.web.caching); tracker.write.transaction adds one to it with each change.

Revision ID: 0dde3257a937
Revises: b275a4c4ccf5
Create Date: 2026-12-01 13:53:19.328162
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '0dde3257a937'
down_revision: str | None = 'b275a4c4ccf5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.bulk_insert(table, [{'id': 1, 'value': 1, 'changed_at': datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table('data_version')
