"""A front end calling the API from a real browser: a static page served on another
origin lists the candidate's due follow-ups with the credential it is handed, and marks
one done with a click. Asserted on the page's DOM, on the stored mark, and on the CORS
preflight the browser sent first."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from app.settings import Settings
from tests.api.builders import new_application, new_candidate, new_contact, new_interview
from tests.conftest import client_for, committing_app, make_tenant
from tests.live_server import serving

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

FRONT_END = Path(__file__).parent / "front_end"
INTERVIEWERS = {"Grace Hopper": "grace@globex.example", "Alan Turing": "alan@globex.example"}
# The panel of another candidate of the same tenant, whose thank-yous are due too: the page,
# holding the first candidate's token, must never show them.
OTHER_INTERVIEWERS = {"Ada Lovelace": "ada@initech.example"}


async def mint_front_end_token(client: httpx.AsyncClient, candidate_id: str) -> str:
    """The credential the tenant's back end (``client``, holding the API key) hands the
    page for ``candidate_id``: a candidate token, as a real front end gets (it must never
    hold an API key)."""
    minted = await client.post(f"/v1/candidates/{candidate_id}/access-tokens", json={})
    assert minted.status_code == 201, minted.text
    return str(minted.json()["token"])


@dataclass
class Seen:
    """The requests the API received: method, path, and the headers that tell CORS."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def wrap(self, app: Any) -> Any:
        async def recording(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                headers = {name.decode(): value.decode() for name, value in scope["headers"]}
                self.requests.append((scope["method"], scope["path"], headers))
            await app(scope, receive, send)

        return recording


@dataclass
class FrontEnd:
    page_origin: str
    api: str
    client: httpx.AsyncClient  # the tenant's back end, in process
    candidate_id: str
    seen: Seen


@pytest.fixture
async def front_end(settings: Settings, engine: AsyncEngine) -> AsyncIterator[FrontEnd]:
    """The page on its own origin, and the API, really committing, allowing that origin."""
    seen = Seen()
    static_site = Starlette(routes=[Mount("/", StaticFiles(directory=FRONT_END))])
    async with serving(static_site) as page_origin:
        allowing = settings.model_copy(update={"cors_origins": [page_origin]})
        async with (
            committing_app(allowing, engine) as app,
            serving(seen.wrap(app)) as api,
        ):
            tenant = await make_tenant(app.state.write_sessionmaker, allowing, name="Front End")
            app.state.created_tenants.append(tenant.id)
            async with client_for(app, tenant.key) as client:
                candidate_id = await _interviewed_an_hour_ago(client, INTERVIEWERS)
                await _interviewed_an_hour_ago(client, OTHER_INTERVIEWERS)
                yield FrontEnd(page_origin, api, client, candidate_id, seen)


@pytest.fixture
async def front_end_credential(front_end: FrontEnd) -> str:
    """What the page is given to call the API with, for the seeded candidate."""
    return await mint_front_end_token(front_end.client, front_end.candidate_id)


async def _interviewed_an_hour_ago(client: httpx.AsyncClient, interviewers: dict[str, str]) -> str:
    """A candidate whose interview with ``interviewers`` ended an hour ago, so a thank-you
    to each is due now; returns the candidate's ID."""
    candidate = await new_candidate(client)
    application = await new_application(client, candidate["id"])
    panel = [
        (await new_contact(client, application["id"], name=name, email=email))["id"]
        for name, email in interviewers.items()
    ]
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    await new_interview(
        client,
        application["id"],
        start=(ended - timedelta(hours=1)).isoformat(),
        end=ended.isoformat(),
        panel=panel,
    )
    return str(candidate["id"])


async def _due_titles(client: httpx.AsyncClient, candidate_id: str) -> list[str]:
    """The candidate's due actions' titles, as the tenant's back end reads them."""
    response = await client.get(
        "/v1/actions", params={"status": "due", "candidate_id": candidate_id}
    )
    assert response.status_code == 200, response.text
    return [action["title"] for action in response.json()["data"]]


async def _open(browser: Browser, front_end: FrontEnd, token: str) -> Page:
    page = await browser.new_page()
    fragment = urlencode({"api": front_end.api, "token": token})
    await page.goto(f"{front_end.page_origin}/index.html#{fragment}")
    return page


async def test_the_page_lists_the_due_follow_ups_and_marks_one_done(
    browser: Browser, front_end: FrontEnd, front_end_credential: str
) -> None:
    from playwright.async_api import expect

    client = front_end.client
    titles = await _due_titles(client, front_end.candidate_id)
    # A thank-you to each interviewer, and nothing else.
    assert len(titles) == 2
    assert all(any(name in title for title in titles) for name in INTERVIEWERS)
    tenant_wide = await client.get("/v1/actions", params={"status": "due"})
    assert len(tenant_wide.json()["data"]) == 3  # the other candidate's thank-you too
    page = await _open(browser, front_end, front_end_credential)

    await expect(page.locator("body")).to_have_attribute("data-state", "ready")
    due = page.locator("#due li")
    await expect(due.locator(".title")).to_have_text(titles)
    await expect(page.locator('#due li[data-status="due"]')).to_have_count(len(titles))
    first_id = await due.first.get_attribute("data-action-id")
    assert first_id is not None

    await due.first.get_by_role("button", name="Done").click()

    done = page.locator("#done li")
    await expect(done).to_have_count(1)
    await expect(done).to_have_attribute("data-action-id", first_id)
    await expect(done).to_have_attribute("data-status", "done")
    await expect(done).to_have_text(titles[0])
    for name in OTHER_INTERVIEWERS:  # the other candidate's follow-ups never reach the page
        await expect(page.get_by_text(name)).to_have_count(0)
    await expect(page.locator("body")).to_have_attribute("data-state", "ready")
    await expect(due.locator(".title")).to_have_text(titles[1:])
    await expect(page.locator("#error")).to_be_hidden()
    await page.close()

    stored = await client.get(f"/v1/actions/{first_id}")
    assert stored.status_code == 200, stored.text
    action = stored.json()
    assert action["status"] == "done"
    assert action["mark"]["kind"] == "done"
    marked_at = datetime.fromisoformat(action["mark"]["at"])
    assert timedelta(0) <= datetime.now(UTC) - marked_at < timedelta(minutes=1)
    assert await _due_titles(client, front_end.candidate_id) == titles[1:]

    # The browser asked first, from the page's origin, for the headers the write carries.
    complete_path = f"/v1/actions/{first_id}/complete"
    preflights = [h for m, p, h in front_end.seen.requests if (m, p) == ("OPTIONS", complete_path)]
    assert len(preflights) == 1
    assert preflights[0]["origin"] == front_end.page_origin
    assert preflights[0]["access-control-request-method"] == "POST"
    asked = {h.strip() for h in preflights[0]["access-control-request-headers"].split(",")}
    assert asked == {"authorization", "content-type", "idempotency-key"}
    writes = [h for m, p, h in front_end.seen.requests if (m, p) == ("POST", complete_path)]
    assert [h["origin"] for h in writes] == [front_end.page_origin]


async def test_the_page_can_read_why_the_api_refused_it(
    browser: Browser, front_end: FrontEnd
) -> None:
    from playwright.async_api import expect

    page = await _open(browser, front_end, "fu_live_not_a_key")
    await expect(page.locator("body")).to_have_attribute("data-state", "error")
    error = page.locator("#error")
    await expect(error).to_be_visible()
    # The status, the problem's title and the request ID: all hidden from a script on
    # another origin unless the API names that origin, on errors too.
    await expect(error).to_contain_text("401 Unauthorized")
    await expect(error).to_have_text(re.compile(r"\(request [0-9a-f]{16}\)$"))
    await page.close()
