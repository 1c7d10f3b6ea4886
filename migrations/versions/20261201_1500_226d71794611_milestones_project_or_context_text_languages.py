"""Milestones: project step or context event, and a project timeline; texts' languages and translations

A milestone is a step of the ITU-CST project or a context event (``nature``, existing rows are
project steps until staff say otherwise); a milestone without a country is on the project's own
timeline. Summaries, evidence, milestone titles and notes record their language (empty for
existing rows: not recorded), and ``text_translation`` holds their translations, keyed by record,
field and locale.

Revision ID: 226d71794611
Revises: 7e891d5d274f
Create Date: 2026-12-01 13:48:56.424838
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '226d71794611'
down_revision: str | None = '7e891d5d274f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('text_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('locale', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_text_translation')),
    sa.UniqueConstraint('entity', 'entity_id', 'field', 'locale', name=op.f('uq_text_translation_entity_entity_id_field_locale'))
    )
    with op.batch_alter_table('coverage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_lang', sa.String(length=12), nullable=True))

    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_lang', sa.String(length=12), nullable=True))

    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('nature', sa.String(length=32), nullable=False, server_default='project')
        )
        batch_op.add_column(sa.Column('title_lang', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('notes_lang', sa.String(length=12), nullable=True))
        batch_op.alter_column('country_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_milestone_nature_code'), "nature IN ('project', 'context')"
        )

    # The default only filled the existing rows; the model gives every new row its nature.
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.alter_column('nature', existing_type=sa.String(length=32), server_default=None)



def downgrade() -> None:
    # Project milestones have no country and cannot be kept in the old model.
    op.execute("DELETE FROM milestone WHERE country_id IS NULL")
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_milestone_nature_code'), type_='check')
        batch_op.alter_column('country_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('notes_lang')
        batch_op.drop_column('title_lang')
        batch_op.drop_column('nature')

    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_column('summary_lang')

    with op.batch_alter_table('coverage', schema=None) as batch_op:
        batch_op.drop_column('evidence_lang')

    op.drop_table('text_translation')
