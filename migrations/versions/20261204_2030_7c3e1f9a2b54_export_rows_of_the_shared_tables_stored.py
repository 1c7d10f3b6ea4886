"""Export rows of the shared tables stored

The rows of an export that depend on the shared tables alone (checklist.csv's, and the project's
own timeline in milestones.csv), keyed by what they were written on (the stamp of the shared
tables and the code): a new worker copies them instead of reading and formatting every
provision. Nothing is back-filled: the first download after this revision writes the rows and
stores them.

Revision ID: 7c3e1f9a2b54
Revises: 5d1e9b7c2a40
Create Date: 2026-12-04 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7c3e1f9a2b54'
down_revision: str | None = '5d1e9b7c2a40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shared_pieces',
    sa.Column('export', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('export', 'basis', name=op.f('pk_shared_pieces'))
    )


def downgrade() -> None:
    op.drop_table('shared_pieces')
