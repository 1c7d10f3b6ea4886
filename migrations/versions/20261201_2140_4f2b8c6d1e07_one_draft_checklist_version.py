"""One draft checklist version at a time

Two administrators creating a draft at the same moment each made one. A partial unique index
now allows one draft. Drafts doubled before this revision: the oldest stays the draft, the
others are kept, read only, as versions that were never used.

Revision ID: 4f2b8c6d1e07
Revises: 9d4e7a1c3b20
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '4f2b8c6d1e07'
down_revision: str | None = '9d4e7a1c3b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE checklist_version SET is_draft = :no WHERE is_draft AND id > "
            "(SELECT min(d.id) FROM checklist_version d WHERE d.is_draft)"
        ).bindparams(no=False)
    )
    with op.batch_alter_table('checklist_version', schema=None) as batch_op:
        batch_op.create_index(
            'uq_checklist_version_one_draft',
            ['is_draft'],
            unique=True,
            sqlite_where=sa.text('is_draft'),
            postgresql_where=sa.text('is_draft'),
        )


def downgrade() -> None:
    with op.batch_alter_table('checklist_version', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_checklist_version_one_draft',
            sqlite_where=sa.text('is_draft'),
            postgresql_where=sa.text('is_draft'),
        )
