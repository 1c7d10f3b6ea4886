"""Checklist versions can be drafts: prepared as a copy of the current version, then made current

A version used by a publication is frozen; changes go into a draft (``is_draft``), which an
administrator makes current. Existing versions are not drafts. A draft is never current.

Revision ID: b3f1c2d4e5a6
Revises: 5e1a7c9d2b40
Create Date: 2026-12-01 17:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b3f1c2d4e5a6'
down_revision: str | None = '5e1a7c9d2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('checklist_version', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_draft', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_check_constraint(
            op.f('ck_checklist_version_draft_not_current'), 'NOT (is_draft AND is_current)'
        )


def downgrade() -> None:
    with op.batch_alter_table('checklist_version', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_checklist_version_draft_not_current'), type_='check')
        batch_op.drop_column('is_draft')
