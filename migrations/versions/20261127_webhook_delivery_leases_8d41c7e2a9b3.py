"""Mark the deliveries being sent, so each endpoint gets only a few at a time

Revision ID: 8d41c7e2a9b3
Revises: 5b8e1c2d4f60
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = '8d41c7e2a9b3'
down_revision: str | None = '5b8e1c2d4f60'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries') as batch_op:
        batch_op.add_column(sa.Column('leased_until', app.db.base.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_webhook_deliveries_leased',
        'webhook_deliveries',
        ['endpoint_id', 'leased_until'],
        unique=False,
        postgresql_where=sa.text('leased_until IS NOT NULL'),
        sqlite_where=sa.text('leased_until IS NOT NULL'),
    )


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_leased', table_name='webhook_deliveries')
    with op.batch_alter_table('webhook_deliveries') as batch_op:
        batch_op.drop_column('leased_until')
