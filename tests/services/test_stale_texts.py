"""The worker writes stored action texts again once a release edits a catalogue: in the
candidate's language, with a new version (so the ETag and cached documents change), a
batch per pass, never over a row a re-plan changed meanwhile, and never touching rows
already current or stored before languages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import domain
from app.db.models import Action
from app.domain import texts
from app.repositories import actions as actions_repo
from app.services import worker as worker_module
from app.services.worker import Worker
from app.settings import Settings
from tests.api.builders import all_pages, interview_round, new_application, new_candidate, one

OLD_GERMAN_TITLE = "Dankes-E-Mail an %(name)s schicken (alte Fassung)"


@pytest.fixture(autouse=True)
def fresh_fingerprints() -> Iterator[None]:
    """Fingerprints are cached per process; a test that edits a catalogue must not leave
    its edited one behind."""
    texts.catalogue_fingerprint.cache_clear()
    yield
    texts.catalogue_fingerprint.cache_clear()


async def german_round(client: httpx.AsyncClient) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A German candidate's interview round: its actions, and its thank-you action."""
    candidate = await new_candidate(client, language="de")
    application = await new_application(client, candidate["id"])
    _, interviewer, _ = await interview_round(client, application["id"])
    actions = await all_pages(client, f"/v1/applications/{application['id']}/actions")
    return actions, one(actions, "send_thank_you", interviewer["id"])


async def stored(
    sessionmaker: async_sessionmaker[AsyncSession], action_ids: list[str]
) -> dict[str, Any]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(*Action.__table__.columns).where(Action.id.in_(action_ids))
        )
        return {row.id: row for row in rows}


async def change(
    sessionmaker: async_sessionmaker[AsyncSession], action_ids: list[str], **values: Any
) -> None:
    """Change stored rows behind the ORM's back, version and updated_at left as they are."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Action)
            .where(Action.id.in_(action_ids))
            .values(updated_at=Action.updated_at, **values)
        )


async def get_action(client: httpx.AsyncClient, action_id: str) -> httpx.Response:
    response = await client.get(f"/v1/actions/{action_id}")
    assert response.status_code == 200, response.text
    return response


def outcomes(worker: Worker) -> dict[str, float]:
    registry = worker.metrics.registry
    return {
        outcome: registry.get_sample_value(
            "followup_worker_action_texts_total", {"outcome": outcome}
        )
        or 0.0
        for outcome in ("rewritten", "current", "changed_meanwhile", "unreadable")
    }


async def test_texts_of_an_edited_catalogue_reach_stored_rows_in_the_candidates_language(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Planned by the previous release, whose German catalogue said the title otherwise.
    real_catalogue = texts.catalogue

    def previous_release(language: str = domain.DEFAULT_LANGUAGE) -> Mapping[str, str]:
        resolved = real_catalogue(language)
        return {**resolved, "E3.title": OLD_GERMAN_TITLE} if language == "de" else resolved

    monkeypatch.setattr(texts, "catalogue", previous_release)
    monkeypatch.setattr(texts, "CATALOGUE_EDITION", texts.CATALOGUE_EDITION - 1)
    actions, thank_you = await german_round(client)
    old_fingerprint = domain.catalogue_fingerprint("de")
    monkeypatch.undo()
    texts.catalogue_fingerprint.cache_clear()  # this release's catalogues from here on
    assert old_fingerprint < domain.catalogue_fingerprint("de")

    before = await get_action(client, thank_you["id"])
    assert before.json()["title"] == OLD_GERMAN_TITLE % {"name": "Grace Hopper"}
    assert before.json()["language"] == "de"
    rows_before = await stored(sessionmaker, [a["id"] for a in actions])
    async with Worker(sessionmaker, settings) as worker:
        assert await worker.rewrite_stale_texts() == (len(actions), 1)  # read, rewritten
        assert (await worker.rewrite_stale_texts()).read == 0  # caught up: nothing left to read

    after = await get_action(client, thank_you["id"])
    new_title = texts.render_text("E3.title", "de", name="Grace Hopper")
    assert after.json()["title"] == new_title != before.json()["title"]
    assert after.headers["ETag"] != before.headers["ETag"]
    rows = await stored(sessionmaker, [a["id"] for a in actions])
    assert rows[thank_you["id"]].version == rows_before[thank_you["id"]].version + 1
    assert rows[thank_you["id"]].updated_at > rows_before[thank_you["id"]].updated_at
    # The other actions' German texts did not change: only the fingerprint is recorded.
    for action in actions:
        row = rows[action["id"]]
        assert row.texts_version == domain.catalogue_fingerprint("de")
        if action["id"] != thank_you["id"]:
            assert row.version == rows_before[action["id"]].version
            assert row.updated_at == rows_before[action["id"]].updated_at
    assert outcomes(worker) == {
        "rewritten": 1,
        "current": len(actions) - 1,
        "changed_meanwhile": 0,
        "unreadable": 0,
    }


async def test_rows_written_with_the_current_catalogues_are_not_touched(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    actions, thank_you = await german_round(client)
    before = await stored(sessionmaker, [a["id"] for a in actions])
    etag = (await get_action(client, thank_you["id"])).headers["ETag"]
    async with Worker(sessionmaker, settings) as worker:
        assert (await worker.rewrite_stale_texts()).read == 0
    assert await stored(sessionmaker, [a["id"] for a in actions]) == before
    assert {row.texts_version for row in before.values()} == {domain.catalogue_fingerprint("de")}
    assert (await get_action(client, thank_you["id"])).headers["ETag"] == etag


async def test_rows_stored_without_a_fingerprint_are_rewritten_through_a_whole_pass(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    # Stored before this column existed (NULL), with a text no catalogue writes any more.
    actions, thank_you = await german_round(client)
    ids = [a["id"] for a in actions]
    await change(sessionmaker, ids, texts_version=None)
    await change(sessionmaker, [thank_you["id"]], guidance="Veraltete Hinweise.")
    before = await get_action(client, thank_you["id"])
    assert before.json()["guidance"] == "Veraltete Hinweise."
    async with Worker(sessionmaker, settings) as worker:
        assert await worker.run_once() is False  # a batch not filled: nothing more waits
    after = await get_action(client, thank_you["id"])
    assert after.json()["guidance"] == thank_you["guidance"]
    assert after.headers["ETag"] != before.headers["ETag"]
    rows = await stored(sessionmaker, ids)
    assert {row.texts_version for row in rows.values()} == {domain.catalogue_fingerprint("de")}


async def test_a_pass_rewrites_at_most_a_batch(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actions, _ = await german_round(client)
    assert len(actions) > 2
    ids = [a["id"] for a in actions]
    await change(sessionmaker, ids, texts_version=None, title="Alt")
    monkeypatch.setattr(worker_module, "STALE_TEXTS_BATCH", 2)
    async with Worker(sessionmaker, settings) as worker:
        assert await worker.run_once() is True  # the batch was full: more may wait
        rows = await stored(sessionmaker, ids)
        assert sum(row.texts_version is None for row in rows.values()) == len(ids) - 2
        assert sum(row.title == "Alt" for row in rows.values()) == len(ids) - 2
        while (await worker.rewrite_stale_texts()).read:
            pass
    rows = await stored(sessionmaker, ids)
    assert not any(row.title == "Alt" or row.texts_version is None for row in rows.values())
    assert outcomes(worker)["rewritten"] == len(ids)


async def test_a_row_changed_meanwhile_is_left_for_the_next_pass(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actions, thank_you = await german_round(client)
    closing = one(actions, "ask_closing_questions")
    ids = [a["id"] for a in actions]
    await change(sessionmaker, ids, texts_version=None)
    await change(sessionmaker, [thank_you["id"]], title="Alt")
    # A re-plan commits new versions of two rows between the worker's read and its write:
    # one the worker would rewrite, one it would only record as current.
    read_stale = actions_repo.with_stale_texts

    async def read_then_replanned(session: AsyncSession, *args: Any) -> Any:
        found = await read_stale(session, *args)
        await session.execute(
            update(Action)
            .where(Action.id.in_([thank_you["id"], closing["id"]]))
            .values(version=Action.version + 1, title="Neu geplant")
        )
        return found

    monkeypatch.setattr(actions_repo, "with_stale_texts", read_then_replanned)
    async with Worker(sessionmaker, settings) as worker:
        await worker.rewrite_stale_texts()
    rows = await stored(sessionmaker, ids)
    for left in (thank_you["id"], closing["id"]):
        assert rows[left].title == "Neu geplant"  # the re-plan's, not overwritten
        assert rows[left].texts_version is None  # still stale: the next pass reads it again
    assert outcomes(worker)["changed_meanwhile"] == 2
    assert outcomes(worker)["current"] == len(ids) - 2

    monkeypatch.undo()
    async with Worker(sessionmaker, settings) as worker:
        await worker.rewrite_stale_texts()
    rows = await stored(sessionmaker, ids)
    assert rows[thank_you["id"]].title == thank_you["title"]
    assert rows[closing["id"]].title == closing["title"]


async def test_an_action_stored_before_languages_is_left_alone(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    _, thank_you = await german_round(client)
    await change(
        sessionmaker, [thank_you["id"]], wording=None, texts_version=None, title="Alter Titel"
    )
    before = await stored(sessionmaker, [thank_you["id"]])
    async with Worker(sessionmaker, settings) as worker:
        assert (await worker.rewrite_stale_texts()).read == 0
    assert await stored(sessionmaker, [thank_you["id"]]) == before
    assert (await get_action(client, thank_you["id"])).json()["title"] == "Alter Titel"


async def test_a_wording_this_release_cannot_write_is_kept_and_not_read_again(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    _, thank_you = await german_round(client)
    unknown_key = '{"title":[["E9.title"]],"explanation":[],"guidance":[]}'
    await change(sessionmaker, [thank_you["id"]], wording=unknown_key, texts_version=None)
    before = await stored(sessionmaker, [thank_you["id"]])
    async with Worker(sessionmaker, settings) as worker:
        assert (await worker.rewrite_stale_texts()).read == 1
        assert (await worker.rewrite_stale_texts()).read == 0
    row = (await stored(sessionmaker, [thank_you["id"]]))[thank_you["id"]]
    assert (row.title, row.version) == (
        before[thank_you["id"]].title,
        before[thank_you["id"]].version,
    )
    assert row.texts_version == domain.catalogue_fingerprint("de")
    assert outcomes(worker)["unreadable"] == 1


async def test_texts_a_newer_release_wrote_are_left_to_it(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    # During a rolling deploy this worker is the older release's: a row written with the
    # next edition's catalogue is not stale to it, or the two would write each other's back.
    actions, thank_you = await german_round(client)
    ids = [a["id"] for a in actions]
    newer = f"{texts.CATALOGUE_EDITION + 1:04d}-0000000000000000"
    older = f"{texts.CATALOGUE_EDITION - 1:04d}-ffffffffffffffff"
    await change(sessionmaker, [thank_you["id"]], texts_version=newer, title="Neuere Fassung")
    await change(sessionmaker, [i for i in ids if i != thank_you["id"]], texts_version=older)
    before = await stored(sessionmaker, ids)
    async with Worker(sessionmaker, settings) as worker:
        assert (await worker.rewrite_stale_texts()).read == len(ids) - 1
    rows = await stored(sessionmaker, ids)
    assert rows[thank_you["id"]] == before[thank_you["id"]]
    assert {rows[i].texts_version for i in ids if i != thank_you["id"]} == {
        domain.catalogue_fingerprint("de")
    }


async def test_a_replan_that_changes_no_text_keeps_the_version_and_leaves_the_record(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Rows stored before this release have no fingerprint; a re-plan that writes the same
    # texts must not give them a new version (and ETag) just to record one.
    actions, thank_you = await german_round(client)
    ids = [a["id"] for a in actions]
    await change(sessionmaker, ids, texts_version=None)
    await change(sessionmaker, [thank_you["id"]], title="Alt")
    before = await stored(sessionmaker, ids)
    # Any write to the application re-plans it.
    response = await client.patch(
        f"/v1/applications/{thank_you['application_id']}",
        json={"job_url": "https://globex.example/jobs/43"},
    )
    assert response.status_code == 200, response.text
    rows = await stored(sessionmaker, ids)
    unchanged = [i for i in ids if rows[i].title == before[i].title and i != thank_you["id"]]
    assert unchanged
    for action_id in unchanged:
        assert rows[action_id].texts_version is None
        assert rows[action_id].version == before[action_id].version
    rewritten = rows[thank_you["id"]]
    assert rewritten.title == thank_you["title"]
    assert rewritten.texts_version == domain.catalogue_fingerprint("de")
    assert rewritten.version > before[thank_you["id"]].version
