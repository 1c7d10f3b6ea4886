"""Figures stored with publications

countries.csv's row of each publication, keyed by what it was computed on (the stamp of the
shared tables and the code): a worker reads the figures of every country in one query instead of
scoring every judgement. Nothing is back-filled: the first download after this revision computes
the rows of the publications in force and stores them.

Revision ID: a269a283e795
Revises: c89566c021f8
Create Date: 2026-12-03 15:09:24.114457
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a269a283e795'
down_revision: str | None = 'c89566c021f8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('publication_figures',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_figures_publication_id_publication')),
    sa.PrimaryKeyConstraint('publication_id', 'basis', name=op.f('pk_publication_figures'))
    )


def downgrade() -> None:
    op.drop_table('publication_figures')
