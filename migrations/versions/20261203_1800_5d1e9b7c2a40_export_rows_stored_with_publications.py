"""Export rows stored with publications

Each country's rows of the exports written a country at a time (instruments, coverage,
milestones, coverage_links), as its publication gives them, keyed by what they were written on
(the stamp of the shared tables and the code): a worker that has kept nothing copies them instead
of building a replica of every publication. Nothing is back-filled: the first download after this
revision writes the rows and stores them.

Revision ID: 5d1e9b7c2a40
Revises: a269a283e795
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d1e9b7c2a40'
down_revision: str | None = 'a269a283e795'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('publication_pieces',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('export', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_publication_pieces_publication_id_publication')),
    sa.PrimaryKeyConstraint('publication_id', 'export', 'basis', name=op.f('pk_publication_pieces'))
    )


def downgrade() -> None:
    op.drop_table('publication_pieces')
