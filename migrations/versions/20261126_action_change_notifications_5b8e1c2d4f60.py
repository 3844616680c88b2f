"""Tell listeners which tenants' actions changed, and index the next status change

Revision ID: 5b8e1c2d4f60
Revises: 53999555f26f
Create Date: 2026-11-26 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b8e1c2d4f60'
down_revision: str | None = '53999555f26f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On PostgreSQL every statement that inserts, updates or deletes actions (cascades from a
# deleted application or candidate included) sends one NOTIFY per tenant it touched, on
# the channel app/db/notifications.py listens to; a TRUNCATE sends '*'. Notifications are
# delivered only if the transaction commits. Statement-level triggers with transition
# tables: a bulk change of a million rows sends one notification per tenant, not one per
# row. (Loads run with session_replication_role = replica fire no triggers: run them with
# the API stopped, or restart it after.)
NOTIFY_FUNCTION = """
CREATE FUNCTION followup_notify_actions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed_tenant text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('followup_actions', '*');
    ELSIF TG_OP = 'INSERT' THEN
        FOR changed_tenant IN SELECT DISTINCT tenant_id FROM new_rows LOOP
            PERFORM pg_notify('followup_actions', changed_tenant);
        END LOOP;
    ELSIF TG_OP = 'UPDATE' THEN
        FOR changed_tenant IN
            SELECT tenant_id FROM old_rows UNION SELECT tenant_id FROM new_rows
        LOOP
            PERFORM pg_notify('followup_actions', changed_tenant);
        END LOOP;
    ELSE
        FOR changed_tenant IN SELECT DISTINCT tenant_id FROM old_rows LOOP
            PERFORM pg_notify('followup_actions', changed_tenant);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    'actions_notify_insert': 'AFTER INSERT ON actions REFERENCING NEW TABLE AS new_rows',
    'actions_notify_update': (
        'AFTER UPDATE ON actions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
    ),
    'actions_notify_delete': 'AFTER DELETE ON actions REFERENCING OLD TABLE AS old_rows',
    'actions_notify_truncate': 'AFTER TRUNCATE ON actions',
}


def upgrade() -> None:
    # IF NOT EXISTS: on a large table, build them first without blocking writes (CREATE
    # INDEX CONCURRENTLY ix_actions_open_available_from ON actions (tenant_id,
    # available_from) WHERE resolution IS NULL; likewise the other), and this does nothing.
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index('ix_actions_open_available_from', ['tenant_id', 'available_from'], unique=False, postgresql_where=sa.text('resolution IS NULL'), sqlite_where=sa.text('resolution IS NULL'), if_not_exists=True)
        batch_op.create_index('ix_actions_open_snoozed_until', ['tenant_id', 'snoozed_until'], unique=False, postgresql_where=sa.text('resolution IS NULL AND snoozed_until IS NOT NULL'), sqlite_where=sa.text('resolution IS NULL AND snoozed_until IS NOT NULL'), if_not_exists=True)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(NOTIFY_FUNCTION)
    for name, timing in TRIGGERS.items():
        op.execute(
            f'CREATE TRIGGER {name} {timing} '
            'FOR EACH STATEMENT EXECUTE FUNCTION followup_notify_actions_changed()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in TRIGGERS:
            op.execute(f'DROP TRIGGER {name} ON actions')
        op.execute('DROP FUNCTION followup_notify_actions_changed()')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_open_snoozed_until', postgresql_where=sa.text('resolution IS NULL AND snoozed_until IS NOT NULL'), sqlite_where=sa.text('resolution IS NULL AND snoozed_until IS NOT NULL'))
        batch_op.drop_index('ix_actions_open_available_from', postgresql_where=sa.text('resolution IS NULL'), sqlite_where=sa.text('resolution IS NULL'))
