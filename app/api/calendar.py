"""Calendar feeds: a candidate's open follow-ups in any calendar app, by a secret URL."""

from __future__ import annotations

from datetime import UTC
from email.utils import format_datetime

from fastapi import APIRouter, Request, Response, status

from app.api.contract_headers import location_header, secret_not_kept_conflict
from app.api.deps import (
    CandidateReaderDep,
    CandidateWriterDep,
    SessionDep,
    WorkDep,
    public_url,
)
from app.api.errors import problem_responses
from app.api.etags import IfMatch
from app.schemas.calendar import CalendarFeedCreated, CalendarFeedRead
from app.services import calendar_feeds as service

router = APIRouter(prefix="/v1", tags=["calendar"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


@router.post(
    "/candidates/{candidate_id}/calendar-feed",
    summary="Issue a candidate's calendar subscription URL",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarFeedCreated,
    responses={
        201: {"headers": location_header("the candidate's calendar feed")},
        **problem_responses(401, 403, 404, 409, 422),
        **secret_not_kept_conflict("the candidate's calendar feed"),
    },
)
async def create_calendar_feed(
    candidate_id: str,
    principal: CandidateWriterDep,
    session: SessionDep,
    request: Request,
    response: Response,
) -> CalendarFeedCreated:
    """Issue the candidate's calendar subscription URL, shown this once. It starts with the
    service's configured public base URL. Calling it again
    replaces the URL (the old one stops working): that is how a leaked URL is rotated.
    The feed holds one event per open action, ending at its due time, with a reminder an
    hour before; it needs no API key, since calendar apps cannot send one."""
    issued = await service.issue(session, principal.owner, candidate_id)
    url = public_url(request, "get_calendar_feed", token=issued.token)
    response.headers["Cache-Control"] = "no-store"  # the URL is the credential
    # Where the feed's metadata is read (get_calendar_feed_info), never the secret URL.
    response.headers["Location"] = request.app.url_path_for(
        "get_calendar_feed_info", candidate_id=candidate_id
    )
    return CalendarFeedCreated(
        candidate_id=candidate_id, url=url, token=issued.token, created_at=issued.feed.created_at
    )


@router.get(
    "/candidates/{candidate_id}/calendar-feed",
    summary="Get a candidate's calendar feed, without its URL",
    response_model=CalendarFeedRead,
    responses={
        200: {
            "headers": {
                "ETag": {
                    "description": "Changes when the URL is issued again; send it back in "
                    "`If-None-Match` to get 304 until then.",
                    "schema": {"type": "string"},
                }
            }
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def get_calendar_feed_info(
    candidate_id: str, principal: CandidateReaderDep, session: SessionDep, response: Response
) -> CalendarFeedRead:
    """Whether the candidate has a calendar feed, and since when its URL was issued. The
    URL itself is shown only when issued; issue it again to get a new one."""
    feed = await service.get_feed(session, principal.owner, candidate_id)
    # The metadata changes only when the URL is issued again, which sets a new created_at.
    response.headers["ETag"] = service.feed_etag(feed)
    return CalendarFeedRead(id=feed.id, candidate_id=feed.candidate_id, created_at=feed.created_at)


@router.delete(
    "/candidates/{candidate_id}/calendar-feed",
    summary="Revoke a candidate's calendar subscription URL",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def revoke_calendar_feed(
    candidate_id: str, principal: CandidateWriterDep, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Revoke the candidate's calendar URL; subscribed calendars stop updating (404)."""
    await service.revoke(session, principal.owner, candidate_id, if_match)


@router.get(
    "/calendar/{token}.ics",
    summary="Subscribe to a candidate's follow-ups as iCalendar",
    response_class=Response,
    responses={
        200: {
            "description": "An iCalendar (RFC 5545) document.",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
            "headers": {
                "ETag": {
                    "description": "A hash of the document; send it back in `If-None-Match` "
                    "to get 304 while it is unchanged.",
                    "schema": {"type": "string"},
                },
                "Last-Modified": {
                    "description": "The latest change to the candidate or their actions; "
                    "send it back in `If-Modified-Since` to get 304 until the next.",
                    "schema": {"type": "string"},
                },
            },
        },
        **problem_responses(404),
    },
)
async def get_calendar_feed(token: str, session: SessionDep, work: WorkDep) -> Response:
    """The candidate's open follow-ups as iCalendar, for calendar apps to subscribe to. The
    secret token in the path is the only credential; UIDs are stable (`<action id>@followup`)
    and SEQUENCE grows as an action changes, so events update in place."""
    feed = await service.render_feed(session, token, work)
    return Response(
        content=feed.body,
        media_type=ICS_MEDIA_TYPE,
        headers={
            "Cache-Control": "private, max-age=300",
            "Referrer-Policy": "no-referrer",
            "ETag": feed.etag,
            "Last-Modified": format_datetime(feed.last_modified.astimezone(UTC), usegmt=True),
        },
    )
