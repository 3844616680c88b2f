"""Candidate access tokens: minted by a back end with its API key, held by a front end."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from app.api.contract_headers import location_header, secret_not_kept_conflict
from app.api.deps import ReaderDep, SessionDep, WriterDep
from app.api.errors import problem_responses
from app.api.etags import IfMatch
from app.api.params import PageDep
from app.schemas import access_tokens as schemas
from app.schemas.common import Page
from app.services import candidate_tokens as service


def _read(token: Any) -> schemas.AccessTokenRead:
    return schemas.AccessTokenRead(**service.token_fields(token))


router = APIRouter(prefix="/v1", tags=["access-tokens"])

REVOCATION_DOC = (
    "Revocation takes effect at once in the server process that answers, before the 204 "
    "is sent. Other server processes keep a verified credential for at most "
    "`FOLLOWUP_AUTH_CACHE_SECONDS` (10 s by default): on PostgreSQL the database announces "
    "each revoked token when the revocation commits, and every process drops it as soon as "
    "it hears (normally within milliseconds); when that cannot be heard (SQLite with "
    "several processes, the page cache turned off, the listening connection down), the "
    "token stops working everywhere within `FOLLOWUP_AUTH_CACHE_SECONDS`."
)


@router.post(
    "/candidates/{candidate_id}/access-tokens",
    summary="Mint a token limited to one candidate",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.AccessTokenCreated,
    responses={
        201: {"headers": location_header("the new token (without its secret)")},
        **problem_responses(401, 403, 404, 422),
        **secret_not_kept_conflict("the new token"),
    },
)
async def create_access_token(
    candidate_id: str,
    body: schemas.AccessTokenCreate,
    principal: WriterDep,
    session: SessionDep,
    request: Request,
    response: Response,
) -> schemas.AccessTokenCreated:
    """Mint a bearer token (`fu_cand_…`) that acts for this candidate alone, for a front end
    (a mobile app, a web page) to call the API with. Never ship an API key to a device:
    mint a token when the candidate signs in to your front end, and a new one when it
    expires.

    The token is shown only in this answer, and stored as a keyed hash. It reaches the
    candidate's own records (applications, contacts, interviews, replies, actions, drafts,
    events, calendar feed) with its scopes, which may not exceed the issuing key's; another
    candidate's IDs answer 404, and tenant-wide operations 403. Each operation's
    `x-credentials` says whether a candidate token may call it. A token lives an hour by
    default and a day at most; it is revoked with `DELETE`, dies with its candidate, and
    stops working once the key that minted it is revoked. A candidate holds at most 100
    tokens that still work (409 beyond)."""
    issued = await service.issue(
        session,
        principal,
        candidate_id,
        request.app.state.secret_key,
        scopes=body.scopes,
        lifetime_seconds=body.lifetime_seconds,
    )
    response.headers["Location"] = request.app.url_path_for(
        "get_access_token", candidate_id=candidate_id, token_id=issued.token.id
    )
    response.headers["Cache-Control"] = "no-store"  # it carries the secret
    return schemas.AccessTokenCreated(**service.token_fields(issued.token), token=issued.plaintext)


@router.get(
    "/candidates/{candidate_id}/access-tokens",
    summary="List a candidate's tokens",
    response_model=Page[schemas.AccessTokenRead],
    responses=problem_responses(401, 403, 404, 422),
)
async def list_access_tokens(
    candidate_id: str, principal: ReaderDep, session: SessionDep, page: PageDep
) -> Page[schemas.AccessTokenRead]:
    """The candidate's tokens, oldest first, never with their secrets: those that still
    work, and those that expired or were revoked within the last seven days (older ones are
    deleted when the candidate's next token is minted)."""
    result = await service.list_tokens(
        session, principal.tenant_id, candidate_id, cursor=page.cursor, limit=page.limit
    )
    return Page(
        data=[_read(token) for token in result.items],
        next_cursor=result.next_cursor,
    )


@router.get(
    "/candidates/{candidate_id}/access-tokens/{token_id}",
    summary="Get one of a candidate's tokens",
    response_model=schemas.AccessTokenRead,
    responses={
        200: {
            "headers": {
                "ETag": {
                    "description": "Changes when the token is revoked; send it back in "
                    "`If-None-Match` to get 304 until then.",
                    "schema": {"type": "string"},
                }
            }
        },
        **problem_responses(401, 403, 404, 422),
    },
)
async def get_access_token(
    candidate_id: str, token_id: str, principal: ReaderDep, session: SessionDep, response: Response
) -> schemas.AccessTokenRead:
    """One of the candidate's tokens, without its secret."""
    token = await service.get_token(session, principal.tenant_id, candidate_id, token_id)
    response.headers["ETag"] = service.token_etag(token)
    return _read(token)


@router.delete(
    "/candidates/{candidate_id}/access-tokens/{token_id}",
    summary="Revoke a candidate's token",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 412, 422),
    description="Revoke the token: it stops working, and stays listed with its "
    f"`revoked_at`. Revoking it again changes nothing.\n\n{REVOCATION_DOC}",
)
async def revoke_access_token(
    candidate_id: str,
    token_id: str,
    principal: WriterDep,
    session: SessionDep,
    if_match: IfMatch = None,
) -> None:
    await service.revoke(session, principal.tenant_id, candidate_id, token_id, if_match)
