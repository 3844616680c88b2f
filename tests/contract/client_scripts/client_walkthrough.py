"""The README walk-through, run through a client generated from openapi/openapi.json.

An integrator's script, not test code: it imports only the generated `followup_client`
package and the standard library, and is type-checked with `mypy --strict` beside that
package. Usage: `python client_walkthrough.py BASE_URL API_KEY`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import sys
import time
import uuid
from dataclasses import dataclass
from typing import TypeVar

from followup_client import AuthenticatedClient
from followup_client.api.actions import complete_action, list_actions, list_application_actions
from followup_client.api.applications import create_application
from followup_client.api.candidates import create_candidate, get_candidate, update_candidate
from followup_client.api.contacts import create_contact
from followup_client.api.drafts import get_action_draft
from followup_client.api.interviews import create_interview
from followup_client.api.webhooks import create_webhook_endpoint, ping_webhook_endpoint
from followup_client.models import (
    ActionRead,
    ActionType,
    ApplicationCreate,
    ApplicationRead,
    CandidateCreate,
    CandidateRead,
    CandidateUpdate,
    CompleteAction,
    ContactCreate,
    ContactRead,
    DraftRead,
    EventType,
    InterviewCreate,
    InterviewKind,
    InterviewRead,
    PageActionRead,
    Problem,
    WebhookEndpointCreate,
    WebhookEndpointWithSecret,
)
from followup_client.types import Response

Parsed = TypeVar("Parsed")

BERLIN = datetime.timezone(datetime.timedelta(hours=1))
INTERVIEW_START = datetime.datetime(2027, 1, 12, 10, 0, tzinfo=BERLIN)
AFTER_INTERVIEW = datetime.datetime(2027, 1, 12, 12, 0, tzinfo=BERLIN)


class ApiError(Exception):
    """The API answered with a problem (or nothing) where a resource was expected."""


def expect(parsed: Parsed | Problem | None, kind: type[Parsed]) -> Parsed:
    """The parsed resource, or an ApiError carrying the problem the API answered with."""
    if isinstance(parsed, kind):
        return parsed
    if isinstance(parsed, Problem):
        raise ApiError(f"{parsed.status} {parsed.title}: {parsed.detail}")
    raise ApiError(f"expected {kind.__name__}, got {parsed!r}")


def connect(base_url: str, api_key: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base_url, token=api_key, raise_on_unexpected_status=True)


@dataclass(frozen=True)
class Recorded:
    candidate: CandidateRead
    application: ApplicationRead
    panel: list[ContactRead]
    interview: InterviewRead


def record_application(client: AuthenticatedClient) -> Recorded:
    """A candidate, an application, two interviewers and a video interview with them."""
    candidate = expect(
        create_candidate.sync(
            client=client,
            body=CandidateCreate(name="Ada Lovelace", time_zone="Europe/Berlin", country="DE"),
        ),
        CandidateRead,
    )
    application = expect(
        create_application.sync(
            client=client,
            body=ApplicationCreate(candidate_id=candidate.id, company="Globex", role="Engineer"),
        ),
        ApplicationRead,
    )
    panel = [
        expect(
            create_contact.sync(
                application.id,
                client=client,
                body=ContactCreate(name=name, title=title, email=email),
            ),
            ContactRead,
        )
        for name, title, email in [
            ("Grace Hopper", "VP Engineering", "grace@globex.example"),
            ("Alan Turing", "Staff Engineer", "alan@globex.example"),
        ]
    ]
    interview = expect(
        create_interview.sync(
            application.id,
            client=client,
            body=InterviewCreate(
                kind=InterviewKind.VIDEO,
                start=INTERVIEW_START,
                end=INTERVIEW_START + datetime.timedelta(hours=1),
                panel=[contact.id for contact in panel],
                panel_confirmed=True,
            ),
        ),
        InterviewRead,
    )
    return Recorded(candidate, application, panel, interview)


def thank_yous(client: AuthenticatedClient, application_id: str) -> list[ActionRead]:
    """The application's thank-you notes owed just after the interview."""
    page = expect(
        list_application_actions.sync(application_id, client=client, as_of=AFTER_INTERVIEW),
        PageActionRead,
    )
    return [action for action in page.data if action.type_ is ActionType.SEND_THANK_YOU]


def draft_for(client: AuthenticatedClient, action_id: str) -> DraftRead:
    return expect(get_action_draft.sync(action_id, client=client), DraftRead)


def complete_twice(
    client: AuthenticatedClient, action_id: str, idempotency_key: str
) -> tuple[Response[ActionRead | Problem], Response[ActionRead | Problem]]:
    """Complete an action, then send the very same request again under the same key.

    The contract does not declare `Idempotency-Key` yet, so the header is set on a client
    derived for this one key (see client_idempotency.py for the generated parameter).
    """
    keyed = client.with_headers({"Idempotency-Key": idempotency_key})
    body = CompleteAction(at=AFTER_INTERVIEW + datetime.timedelta(hours=6))
    first = complete_action.sync_detailed(action_id, client=keyed, body=body)
    replay = complete_action.sync_detailed(action_id, client=keyed, body=body)
    return first, replay


@dataclass(frozen=True)
class StaleWrite:
    renamed: CandidateRead
    fresh_etag: str
    refused: Problem


def update_with_stale_etag(client: AuthenticatedClient, candidate_id: str) -> StaleWrite:
    """Rename a candidate under its ETag, then try again with the ETag the rename replaced."""
    read = get_candidate.sync_detailed(candidate_id, client=client)
    stale_etag = read.headers["ETag"]
    renamed = update_candidate.sync_detailed(
        candidate_id,
        client=client,
        body=CandidateUpdate(name="Ada King"),
        if_match=stale_etag,
    )
    refused = update_candidate.sync(
        candidate_id,
        client=client,
        body=CandidateUpdate(name="Ada Byron"),
        if_match=stale_etag,
    )
    if not isinstance(refused, Problem):
        raise ApiError(f"a write under a stale ETag was not refused: {refused!r}")
    return StaleWrite(
        renamed=expect(renamed.parsed, CandidateRead),
        fresh_etag=renamed.headers["ETag"],
        refused=refused,
    )


def whole_feed(client: AuthenticatedClient, page_size: int) -> list[ActionRead]:
    """Every action of the tenant, following `next_cursor` page by page."""
    actions: list[ActionRead] = []
    cursor: str | None = None
    while True:
        page = expect(
            list_actions.sync(client=client, as_of=AFTER_INTERVIEW, limit=page_size, cursor=cursor),
            PageActionRead,
        )
        actions.extend(page.data)
        if page.next_cursor is None:
            return actions
        cursor = page.next_cursor


def subscribe(client: AuthenticatedClient, url: str) -> WebhookEndpointWithSecret:
    """A webhook endpoint for every event type, pinged once."""
    endpoint = expect(
        create_webhook_endpoint.sync(
            client=client, body=WebhookEndpointCreate(url=url, event_types=list(EventType))
        ),
        WebhookEndpointWithSecret,
    )
    ping = ping_webhook_endpoint.sync_detailed(endpoint.id, client=client)
    if ping.status_code != 202:
        raise ApiError(f"ping answered {ping.status_code}")
    return endpoint


# The README's "Webhooks" section, verbatim but for the imports ruff wants on their own lines.
def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """Check Followup-Signature against the raw request body (before any JSON parsing)."""
    items = [item.split("=", 1) for item in header.split(",") if "=" in item]
    stamps = [value for key, value in items if key == "t"]
    if len(stamps) != 1 or not (stamps[0].isascii() and stamps[0].isdigit()):
        return False  # malformed header
    timestamp = int(stamps[0])
    if abs(time.time() - timestamp) > tolerance:  # refuse replays of old deliveries
        return False
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")


def main(base_url: str, api_key: str) -> None:
    client = connect(base_url, api_key)
    recorded = record_application(client)
    owed = thank_yous(client, recorded.application.id)
    print(f"{len(owed)} thank-you notes owed; first draft:")
    print(draft_for(client, owed[0].id).body)
    first, replay = complete_twice(client, owed[0].id, f"complete-{uuid.uuid4()}")
    print(first.status_code, replay.status_code, replay.headers.get("Idempotent-Replayed"))
    stale = update_with_stale_etag(client, recorded.candidate.id)
    print(stale.refused.status, stale.refused.title)
    print(len(whole_feed(client, page_size=2)), "actions in the feed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
