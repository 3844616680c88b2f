"""Announce an update of actions only for the rows whose version changed

Revision ID: 9a4f2c6e8b13
Revises: 5c1391662924
Create Date: 2026-12-03 10:00:00.000000

Every change to what an action shows bumps its version (app/api/action_documents.py), so
an UPDATE that leaves every version as it was (the worker recording that a window was
announced, or that stored texts are current) changes nothing a feed page shows: its
tenants are no longer told to drop their pages. Inserts, deletes and truncates are
announced as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '9a4f2c6e8b13'
down_revision: str | None = '5c1391662924'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION followup_notify_actions_changed() RETURNS trigger
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
            {changed_tenants}
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
# Rows whose version (or, never in practice, tenant) changed: both tenants are told.
VERSIONED = """SELECT o.tenant_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE n.version IS DISTINCT FROM o.version OR n.tenant_id <> o.tenant_id
            UNION
            SELECT n.tenant_id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE n.version IS DISTINCT FROM o.version OR n.tenant_id <> o.tenant_id"""
# As revision 5b8e1c2d4f60 made it: every tenant the statement touched.
EVERY_ROW = "SELECT tenant_id FROM old_rows UNION SELECT tenant_id FROM new_rows"


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION.replace('{changed_tenants}', VERSIONED))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION.replace('{changed_tenants}', EVERY_ROW))
