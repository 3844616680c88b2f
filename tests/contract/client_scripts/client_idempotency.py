"""Idempotency-Key as the generated client's own parameter (needs the header declared in
the contract: until then this script does not type-check, which is what it is for)."""

from __future__ import annotations

import datetime

from followup_client import AuthenticatedClient
from followup_client.api.actions import complete_action
from followup_client.models import ActionRead, CompleteAction, Problem
from followup_client.types import Response


def complete_twice(
    client: AuthenticatedClient, action_id: str, idempotency_key: str, at: datetime.datetime
) -> tuple[Response[ActionRead | Problem], Response[ActionRead | Problem]]:
    """Complete an action, then retry the same call under the same key."""
    body = CompleteAction(at=at)
    first = complete_action.sync_detailed(
        action_id, client=client, body=body, idempotency_key=idempotency_key
    )
    replay = complete_action.sync_detailed(
        action_id, client=client, body=body, idempotency_key=idempotency_key
    )
    return first, replay
