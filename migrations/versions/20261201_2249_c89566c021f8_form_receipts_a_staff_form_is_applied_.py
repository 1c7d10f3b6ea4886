"""Form receipts: a staff form is applied once

A double click or a resent request saved a comment, an answer or a new record twice. Each staff
form now carries a one-time key, and the transaction that applies it writes the key here first
(unique), so the second sending writes nothing.

Revision ID: c89566c021f8
Revises: 4f2b8c6d1e07
Create Date: 2026-12-01 22:49:36.361533
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c89566c021f8'
down_revision: str | None = '4f2b8c6d1e07'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('form_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_receipt')),
    sa.UniqueConstraint('key', name=op.f('uq_form_receipt_key'))
    )
    with op.batch_alter_table('form_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_receipt_at'), ['at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('form_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_receipt_at'))

    op.drop_table('form_receipt')
