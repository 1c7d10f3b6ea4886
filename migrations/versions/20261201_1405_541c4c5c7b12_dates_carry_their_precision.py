"""Dates carry their precision

Beside every date of a country, a checklist version, an instrument and a milestone, a precision
column: ``day``, ``month`` or ``year`` (the date holds the first day of the period, see
``tracker/dates.py``). Existing dates were entered as days and keep day precision.

Revision ID: 541c4c5c7b12
Revises: 0dde3257a937
Create Date: 2026-12-01 13:49:59.971330
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '541c4c5c7b12'
down_revision: str | None = '0dde3257a937'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATES = {
    'country': ('joined_on',),
    'checklist_version': ('published_on',),
    'instrument': (
        'consultation_on',
        'validated_on',
        'adopted_on',
        'published_on',
        'in_force_on',
        'amended_on',
        'repealed_on',
    ),
    'milestone': ('planned_on', 'actual_on'),
}


def upgrade() -> None:
    for table, dates in DATES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in dates:
                column = f'{name}_precision'
                batch_op.add_column(
                    sa.Column(column, sa.String(length=5), server_default='day', nullable=False)
                )
                batch_op.create_check_constraint(
                    op.f(f'ck_{table}_{column}_code'), f"{column} IN ('day', 'month', 'year')"
                )


def downgrade() -> None:
    for table, dates in reversed(DATES.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in reversed(dates):
                column = f'{name}_precision'
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}_code'), type_='check')
                batch_op.drop_column(column)
