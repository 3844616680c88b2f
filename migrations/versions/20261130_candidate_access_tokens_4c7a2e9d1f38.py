"""Candidate access tokens; idempotency keys scoped by credential

Revision ID: 4c7a2e9d1f38
Revises: 8d4e6a1c2b7f
Create Date: 2026-11-30 10:00:00.000000

Short-lived bearer tokens limited to one candidate, for front ends. On PostgreSQL, triggers
announce every token that stops working by revocation or deletion (a candidate's erasure
cascades to their tokens) on the channel `followup_credentials`, with the token's ID as
payload, so that each server process drops it from its cache of verified credentials as
soon as the transaction commits (app/db/notifications.py).

Idempotency keys gain the scope of the credential that may replay them: `''` for the
tenant's API keys (the keys stored so far), a candidate token's ID for that token alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = '4c7a2e9d1f38'
down_revision: str | None = '8d4e6a1c2b7f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY_FUNCTION = """
CREATE FUNCTION followup_notify_credential_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('followup_credentials', OLD.id);
    RETURN NULL;
END
$$
"""
# Row-level: a candidate holds few live tokens, and only those still live are announced.
TRIGGERS = {
    'candidate_access_tokens_notify_revoked': (
        'AFTER UPDATE OF revoked_at ON candidate_access_tokens FOR EACH ROW '
        'WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)'
    ),
    'candidate_access_tokens_notify_deleted': (
        'AFTER DELETE ON candidate_access_tokens FOR EACH ROW WHEN (OLD.revoked_at IS NULL)'
    ),
}


def upgrade() -> None:
    op.create_table('candidate_access_tokens',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('candidate_id', sa.String(length=40), nullable=False),
    sa.Column('issued_by_key_id', sa.String(length=40), nullable=False),
    sa.Column('lookup', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_candidate_access_tokens_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_key_id'], ['api_keys.id'], name=op.f('fk_candidate_access_tokens_issued_by_key_id_api_keys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_candidate_access_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_access_tokens')),
    sa.UniqueConstraint('lookup', name=op.f('uq_candidate_access_tokens_lookup'))
    )
    with op.batch_alter_table('candidate_access_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_access_tokens_candidate_id_created_at_id', ['candidate_id', 'created_at', 'id'], unique=False)

    postgresql = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_scope', sa.String(length=40), nullable=False, server_default=''))
        batch_op.drop_constraint('pk_idempotency_records', type_='primary')
        batch_op.create_primary_key('pk_idempotency_records', ['tenant_id', 'credential_scope', 'key'])
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.alter_column('credential_scope', server_default=None)

    if postgresql:
        op.execute(NOTIFY_FUNCTION)
        for name, timing in TRIGGERS.items():
            op.execute(
                f'CREATE TRIGGER {name} {timing} '
                'EXECUTE FUNCTION followup_notify_credential_revoked()'
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        for name in TRIGGERS:
            op.execute(f'DROP TRIGGER {name} ON candidate_access_tokens')
        op.execute('DROP FUNCTION followup_notify_credential_revoked()')
    # Keys stored for candidate tokens cannot live under (tenant, key) beside the tenant's.
    op.execute("DELETE FROM idempotency_records WHERE credential_scope <> ''")
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_constraint('pk_idempotency_records', type_='primary')
        batch_op.create_primary_key('pk_idempotency_records', ['tenant_id', 'key'])
        batch_op.drop_column('credential_scope')

    with op.batch_alter_table('candidate_access_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_candidate_access_tokens_candidate_id_created_at_id')

    op.drop_table('candidate_access_tokens')
