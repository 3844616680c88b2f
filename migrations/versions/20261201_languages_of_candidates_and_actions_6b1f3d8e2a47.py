"""Languages of candidates and actions

Revision ID: 6b1f3d8e2a47
Revises: 4c7a2e9d1f38
Create Date: 2026-12-01 10:00:00.000000

A candidate has a language (a BCP 47 tag, `en` for every candidate stored so far). An
action records the language its stored texts are written in (all English so far) and
what those texts say in no language (`wording`), from which any other language is
written at read time. Rows stored so far have no wording: they are shown with their
stored English texts until their application is next re-planned, which fills it in.

Stored action events show the action as `ActionRead` does, which now says the language
of its texts: `en` for every event stored so far.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '6b1f3d8e2a47'
down_revision: str | None = '4c7a2e9d1f38'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each stored action event's action gains (or loses) `"language": "en"`, in one statement
# the database runs: nothing is read into this process, however long the log.
_EVENT_LANGUAGE = {
    "postgresql": (
        "UPDATE events SET data = jsonb_set(data::jsonb, '{action,language}', '\"en\"')::json "
        "WHERE type LIKE 'action.%' AND json_typeof(data->'action') = 'object' "
        "AND data->'action'->'language' IS NULL",
        "UPDATE events SET data = (data::jsonb #- '{action,language}')::json "
        "WHERE type LIKE 'action.%' AND json_typeof(data->'action') = 'object' "
        "AND data->'action'->'language' IS NOT NULL",
    ),
    "sqlite": (
        "UPDATE events SET data = json_insert(data, '$.action.language', 'en') "
        "WHERE type LIKE 'action.%' AND json_type(data, '$.action') = 'object'",
        "UPDATE events SET data = json_remove(data, '$.action.language') "
        "WHERE type LIKE 'action.%' AND json_type(data, '$.action') = 'object'",
    ),
}


def _set_event_languages(upgrade: bool) -> None:
    """Every stored action event's action with ``"language": "en"`` (upgrade) or without
    (downgrade); erased events (no action) are left alone."""
    connection = op.get_bind()
    adding, removing = _EVENT_LANGUAGE[connection.dialect.name]
    connection.execute(sa.text(adding if upgrade else removing))


# Candidate-token notifications, announced only for tokens still live: deleting long-expired
# tokens (as minting prunes them) must not wake every process. Revision 4c7a2e9d1f38
# created them announcing every deletion; they are made again here, on PostgreSQL.
_TOKEN_TRIGGERS = {
    'candidate_access_tokens_notify_revoked': (
        'AFTER UPDATE OF revoked_at ON candidate_access_tokens FOR EACH ROW '
        'WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL{live})'
    ),
    'candidate_access_tokens_notify_deleted': (
        'AFTER DELETE ON candidate_access_tokens FOR EACH ROW '
        'WHEN (OLD.revoked_at IS NULL{live})'
    ),
}


def _token_triggers(only_live: bool) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    live = ' AND OLD.expires_at > now()' if only_live else ''
    for name, timing in _TOKEN_TRIGGERS.items():
        op.execute(f'DROP TRIGGER {name} ON candidate_access_tokens')
        op.execute(
            f'CREATE TRIGGER {name} {timing.format(live=live)} '
            'EXECUTE FUNCTION followup_notify_credential_revoked()'
        )


def upgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=35), server_default='en', nullable=False)
        )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=35), server_default='en', nullable=False)
        )
        batch_op.add_column(sa.Column('wording', sa.Text(), nullable=True))
    _set_event_languages(upgrade=True)
    _token_triggers(only_live=True)


def downgrade() -> None:
    _token_triggers(only_live=False)
    _set_event_languages(upgrade=False)
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_column('wording')
        batch_op.drop_column('language')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('language')
