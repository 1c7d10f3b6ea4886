"""Global E-waste Monitor values and country facts

monitor_value: the Monitor's own published value of an indicator per country and edition, with
its source. country_fact: e-waste generated and formally collected per country and year (kg and
kg per capita), with its source.

Revision ID: 4bdb1d95515b
Revises: 541c4c5c7b12
Create Date: 2026-12-01 13:48:33.864547
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4bdb1d95515b'
down_revision: str | None = '541c4c5c7b12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('country_fact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('generated_kg', sa.Float(), nullable=True),
    sa.Column('generated_kg_per_capita', sa.Float(), nullable=True),
    sa.Column('collected_kg', sa.Float(), nullable=True),
    sa.Column('collected_kg_per_capita', sa.Float(), nullable=True),
    sa.Column('source_url', sa.String(length=2000), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(generated_kg IS NULL OR generated_kg >= 0) AND (generated_kg_per_capita IS NULL OR generated_kg_per_capita >= 0) AND (collected_kg IS NULL OR collected_kg >= 0) AND (collected_kg_per_capita IS NULL OR collected_kg_per_capita >= 0)', name=op.f('ck_country_fact_not_negative')),
    sa.ForeignKeyConstraint(['country_id'], ['country.id'], name=op.f('fk_country_fact_country_id_country')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_country_fact')),
    sa.UniqueConstraint('country_id', 'year', name=op.f('uq_country_fact_country_id_year'))
    )
    with op.batch_alter_table('country_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_country_fact_country_id'), ['country_id'], unique=False)

    op.create_table('monitor_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country_id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Boolean(), nullable=False),
    sa.Column('source_url', sa.String(length=2000), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("indicator IN ('national_legislation', 'epr', 'collection_target', 'recycling_target')", name=op.f('ck_monitor_value_indicator_code')),
    sa.ForeignKeyConstraint(['country_id'], ['country.id'], name=op.f('fk_monitor_value_country_id_country')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_value')),
    sa.UniqueConstraint('country_id', 'edition', 'indicator', name=op.f('uq_monitor_value_country_id_edition_indicator'))
    )
    with op.batch_alter_table('monitor_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_value_country_id'), ['country_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('monitor_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitor_value_country_id'))

    op.drop_table('monitor_value')
    with op.batch_alter_table('country_fact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_country_fact_country_id'))

    op.drop_table('country_fact')
