"""Source links with a kind; evidence excerpts on coverage links

Instruments and judgements get lists of source links (url, kind, note); a milestone's source gets
a kind; each coverage link may carry a quoted excerpt with its language, a translation marked
official or unofficial, and a link to the exact article.

Revision ID: cc821f2ae4fb
Revises: 4bdb1d95515b
Create Date: 2026-12-01 13:47:52.854158
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'cc821f2ae4fb'
down_revision: str | None = '4bdb1d95515b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('instrument_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.CheckConstraint("kind IN ('official', 'legal_database', 'intergovernmental', 'secondary')", name=op.f('ck_instrument_source_kind_code')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], name=op.f('fk_instrument_source_instrument_id_instrument'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_source'))
    )
    with op.batch_alter_table('instrument_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_source_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('coverage_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coverage_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.CheckConstraint("kind IN ('official', 'legal_database', 'intergovernmental', 'secondary')", name=op.f('ck_coverage_source_kind_code')),
    sa.ForeignKeyConstraint(['coverage_id'], ['coverage.id'], name=op.f('fk_coverage_source_coverage_id_coverage'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_source'))
    )
    with op.batch_alter_table('coverage_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_source_coverage_id'), ['coverage_id'], unique=False)

    with op.batch_alter_table('coverage_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excerpt', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('excerpt_lang', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('translation', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('translation_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('article_url', sa.String(length=2000), nullable=True))
        batch_op.create_check_constraint(
            'translation_status_code',
            "translation_status IS NULL OR translation_status IN ('official', 'unofficial')",
        )

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_kind', sa.String(length=32), nullable=True))
        batch_op.create_check_constraint(
            'source_kind_code',
            "source_kind IS NULL OR source_kind IN "
            "('official', 'legal_database', 'intergovernmental', 'secondary')",
        )



def downgrade() -> None:
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_constraint('source_kind_code', type_='check')
        batch_op.drop_column('source_kind')

    with op.batch_alter_table('coverage_link', schema=None) as batch_op:
        batch_op.drop_constraint('translation_status_code', type_='check')
        batch_op.drop_column('article_url')
        batch_op.drop_column('translation_status')
        batch_op.drop_column('translation')
        batch_op.drop_column('excerpt_lang')
        batch_op.drop_column('excerpt')

    with op.batch_alter_table('coverage_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_source_coverage_id'))

    op.drop_table('coverage_source')
    with op.batch_alter_table('instrument_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_source_instrument_id'))

    op.drop_table('instrument_source')
