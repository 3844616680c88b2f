"""Texts version of actions

Revision ID: 5c1391662924
Revises: 6b1f3d8e2a47
Create Date: 2026-12-02 10:00:00.000000

An action records which catalogue its stored texts were written with
(`domain.catalogue_fingerprint` of its language). Rows stored so far have none (NULL),
which counts as written with an older catalogue: the worker writes their texts again from
their wording, a batch per pass, and records the fingerprint. Rows without a wording
(stored before languages) are left as they are until their application is re-planned.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5c1391662924'
down_revision: str | None = '6b1f3d8e2a47'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Adding a nullable column without a default is instant on PostgreSQL. IF NOT EXISTS,
    # both: on a large table, add the column and build the index first without blocking
    # writes (ALTER TABLE actions ADD COLUMN texts_version varchar(32); CREATE INDEX
    # CONCURRENTLY ix_actions_texts_version ON actions (language, texts_version) WHERE
    # wording IS NOT NULL), and this does nothing. (SQLite has no ADD COLUMN IF NOT EXISTS.)
    postgresql = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts_version', sa.String(length=32), nullable=True), if_not_exists=postgresql)
        batch_op.create_index('ix_actions_texts_version', ['language', 'texts_version'], unique=False, postgresql_where=sa.text('wording IS NOT NULL'), sqlite_where=sa.text('wording IS NOT NULL'), if_not_exists=True)


def downgrade() -> None:
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_texts_version', postgresql_where=sa.text('wording IS NOT NULL'), sqlite_where=sa.text('wording IS NOT NULL'))
        batch_op.drop_column('texts_version')
