"""Instruments record whether they are specific to e-waste

A country's stage and the Global E-waste Monitor's "national legislation" rest on its
e-waste-specific instruments only, not on a general act that touches e-waste. Existing
instruments start as not specific (false) until staff say otherwise.

Revision ID: b275a4c4ccf5
Revises: 614f33ee9211
Create Date: 2026-12-01 13:47:18.170243
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b275a4c4ccf5'
down_revision: str | None = '614f33ee9211'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ewaste_specific', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_column('ewaste_specific')
