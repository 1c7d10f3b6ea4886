"""Import receipts: a previewed file is applied at most once

One row per confirmed import, with a unique key made from its confirmation token, inserted in
the import's own transaction: a confirmation sent twice at once cannot be applied twice.

Revision ID: d38c44e818d8
Revises: 5d42a04a340c
Create Date: 2026-12-01 10:21:36.321247
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd38c44e818d8'
down_revision: str | None = '5d42a04a340c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('country_id', sa.Integer(), nullable=True),
    sa.Column('table_name', sa.String(length=20), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_import_receipt_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_receipt')),
    sa.UniqueConstraint('token_key', name=op.f('uq_import_receipt_token_key'))
    )
    with op.batch_alter_table('import_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_receipt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_receipt_country_id'), ['country_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_receipt_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('import_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_receipt_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_receipt_country_id'))
        batch_op.drop_index(batch_op.f('ix_import_receipt_at'))

    op.drop_table('import_receipt')
