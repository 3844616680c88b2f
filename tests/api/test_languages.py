"""Languages through the API: a candidate's own, and the one a request asks for.

Precedence: the `language` parameter, then `Accept-Language` (with q-values and `*`),
then the candidate's language, then English. Action titles, explanations and guidance and
drafts follow it; responses say `Content-Language` and vary on `Accept-Language`; the
feed's stored pages never answer one language's request with another's page.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.api.languages import accepted_language
from app.domain import languages, text_language, texts
from app.settings import Settings
from tests.api.builders import (
    Json,
    actions_of,
    assert_invalid,
    interview_round,
    new_application,
    new_candidate,
    new_contact,
    new_interview,
)
from tests.api.test_feed_pages import FEED, counting_statements, polling_one_round

SUPPORTED = ("de", "en", "es", "fr", "ja")
ALL_TYPES = {
    "confirm_interviewers",
    "ask_closing_questions",
    "send_thank_you",
    "check_in",
    "connect_on_network",
}


def test_the_supported_languages_are_the_language_folders() -> None:
    assert languages() == SUPPORTED


async def german_round(client: httpx.AsyncClient) -> tuple[Json, Json, Json]:
    """An application of a candidate whose language is German, with one interview round."""
    candidate = await new_candidate(client, language="de")
    application = await new_application(client, candidate["id"])
    return await interview_round(client, application["id"])


async def thank_you(client: httpx.AsyncClient, application_id: str, **params: str) -> Json:
    response = await client.get(
        "/v1/actions",
        params={"application_id": application_id, "type": "send_thank_you", **params},
    )
    assert response.status_code == 200, response.text
    (action,) = response.json()["data"]
    return dict(action)


# --- the candidate's language ---------------------------------------------------------------


async def test_a_candidate_s_language_defaults_to_english_and_is_kept_as_given(
    client: httpx.AsyncClient,
) -> None:
    assert (await new_candidate(client))["language"] == "en"
    swiss = await new_candidate(client, language="de-CH")
    assert swiss["language"] == "de-CH"
    changed = await client.patch(f"/v1/candidates/{swiss['id']}", json={"language": "fr"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["language"] == "fr"
    assert (await client.get(f"/v1/candidates/{swiss['id']}")).json()["language"] == "fr"


@pytest.mark.parametrize(
    "tag",
    # KELVIN SIGN lowers to an ASCII "k": the tag is still not ASCII, so not BCP 47.
    ["xx", "pt-BR", "english", "de_DE", "de-abcdefghi", "de--CH", "de-ÇH", "de-\u212aA", "d", ""],
)
async def test_an_unsupported_candidate_language_is_refused_naming_the_field(
    client: httpx.AsyncClient, tag: str
) -> None:
    body = {"name": "Ada", "time_zone": "Europe/Berlin", "country": "DE", "language": tag}
    error = assert_invalid(await client.post("/v1/candidates", json=body), "body.language")
    if len(tag) >= 2:
        assert "de, en, es, fr, ja" in error["message"]


async def test_a_candidate_s_language_cannot_be_set_to_null(client: httpx.AsyncClient) -> None:
    candidate = await new_candidate(client)
    response = await client.patch(f"/v1/candidates/{candidate['id']}", json={"language": None})
    assert_invalid(response, "body.language")


async def test_sync_takes_a_candidate_s_language(client: httpx.AsyncClient) -> None:
    record = {
        "external_id": "lang-c1",
        "name": "Yamada Hanako",
        "time_zone": "Asia/Tokyo",
        "country": "JP",
        "language": "ja",
    }
    response = await client.post("/v1/sync", json={"candidates": [record]})
    assert response.status_code == 200, response.text
    candidate_id = response.json()["results"][0]["id"]
    assert (await client.get(f"/v1/candidates/{candidate_id}")).json()["language"] == "ja"
    bad = await client.post("/v1/sync", json={"candidates": [{**record, "language": "tlh"}]})
    assert_invalid(bad, "body.candidates.0.language")


async def test_actions_are_written_in_the_candidate_s_language(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await german_round(client)
    actions = await actions_of(client, application["id"])
    assert {action["language"] for action in actions} == {"de"}
    action = await thank_you(client, application["id"])
    english = await thank_you(client, application["id"], language="en")
    assert action["title"] != english["title"]
    assert "Grace Hopper" in action["title"]


async def test_a_new_language_rewrites_the_stored_texts(client: httpx.AsyncClient) -> None:
    application, _, _ = await german_round(client)
    before = await thank_you(client, application["id"])
    # Written from the wording at read time, while German is what is stored.
    spanish = await thank_you(client, application["id"], language="es")
    candidate_id = application["candidate_id"]
    changed = await client.patch(f"/v1/candidates/{candidate_id}", json={"language": "es"})
    assert changed.status_code == 200, changed.text
    after = await thank_you(client, application["id"])
    assert after["language"] == "es"
    assert after["title"] == spanish["title"] != before["title"]


async def test_a_regional_candidate_language_reads_as_its_language(
    client: httpx.AsyncClient,
) -> None:
    titles = {}
    for tag in ("fr-CA", "fr"):
        candidate = await new_candidate(client, language=tag)
        application, _, _ = await interview_round(
            client, (await new_application(client, candidate["id"]))["id"]
        )
        action = await thank_you(client, application["id"])
        assert action["language"] == "fr"
        titles[tag] = action["title"]
    # Stored in French, as a French candidate's are.
    assert titles["fr-CA"] == titles["fr"]
    assert titles["fr"] != (await thank_you(client, application["id"], language="en"))["title"]


# --- what a request asks for --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "accept_language", "expected"),
    [
        ({}, None, "de"),  # the candidate's
        ({"language": "fr"}, None, "fr"),
        ({"language": "fr"}, "es", "fr"),  # the parameter wins over the header
        ({}, "es", "es"),  # the header wins over the candidate's
        ({}, "fr;q=0.5, ja;q=0.9", "ja"),  # by weight, not by order
        ({}, "xx, en-GB;q=0.2", "en"),  # what cannot be met is passed over
        ({}, "es-MX", "es"),  # a region reads as its language
        ({}, "ES", "es"),  # case does not matter
        ({}, "ja;q=0, *", "de"),  # `*`: any language, so the candidate's
        ({}, "fr;q=0.1, *;q=0.5", "de"),
        ({}, "es, fr", "es"),  # equal weights: in the order given
        ({"language": "ja-JP"}, None, "ja"),
    ],
)
async def test_the_language_asked_for_wins_in_order_of_precedence(
    client: httpx.AsyncClient,
    params: dict[str, str],
    accept_language: str | None,
    expected: str,
) -> None:
    application, _, _ = await german_round(client)
    headers = {"Accept-Language": accept_language} if accept_language is not None else {}
    response = await client.get(
        "/v1/actions",
        params={"application_id": application["id"], **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert {action["language"] for action in response.json()["data"]} == {expected}
    assert response.headers["Content-Language"] == expected
    assert "accept-language" in response.headers["Vary"].lower()


async def test_an_unsupported_language_parameter_answers_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await german_round(client)
    action = await thank_you(client, application["id"])
    for path in ("/v1/actions", f"/v1/actions/{action['id']}", f"/v1/actions/{action['id']}/draft"):
        error = assert_invalid(await client.get(path, params={"language": "tlh"}), "query.language")
        assert "de, en, es, fr, ja" in error["message"]


async def test_a_language_parameter_and_a_candidate_s_language_are_refused_alike(
    client: httpx.AsyncClient,
) -> None:
    body = {"name": "Ada", "time_zone": "Europe/Berlin", "country": "DE", "language": "tlh"}
    in_body = assert_invalid(await client.post("/v1/candidates", json=body), "body.language")
    in_query = assert_invalid(
        await client.get("/v1/actions", params={"language": "tlh"}), "query.language"
    )
    assert in_body["message"].endswith(in_query["message"])  # pydantic says "Value error, "


@pytest.mark.parametrize("header", ["tlh", "xx, yy;q=0.5", "de;q=0", "de;q=2", "de;level=1"])
async def test_an_accept_language_that_cannot_be_met_answers_422_naming_it(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.get("/v1/actions", headers={"Accept-Language": header})
    assert_invalid(response, "header.Accept-Language")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("de, " + "en;q=0.5, " * 110, "longer than 1024 characters"),
        ("fr;q=0.5, de-" + "a" * 40 + ", en", "longer than a language tag may be"),
    ],
)
async def test_an_accept_language_too_long_to_read_answers_422_naming_it(
    client: httpx.AsyncClient, header: str, message: str
) -> None:
    cached = accepted_language.cache_info().misses, text_language.cache_info().misses
    response = await client.get("/v1/actions", headers={"Accept-Language": header})
    error = assert_invalid(response, "header.Accept-Language")
    assert message in error["message"]
    # Refused before either cache took the header, or a range of it, as a key.
    assert (accepted_language.cache_info().misses, text_language.cache_info().misses) == cached


async def test_one_action_in_another_language_says_so_in_its_etag(
    client: httpx.AsyncClient,
) -> None:
    application, _, _ = await german_round(client)
    action_id = (await thank_you(client, application["id"]))["id"]
    german = await client.get(f"/v1/actions/{action_id}")
    french = await client.get(f"/v1/actions/{action_id}", headers={"Accept-Language": "fr"})
    assert german.headers["Content-Language"] == "de"
    assert french.headers["Content-Language"] == "fr"
    assert "accept-language" in french.headers["Vary"].lower()
    assert german.json()["title"] != french.json()["title"]
    assert german.headers["ETag"] != french.headers["ETag"]
    # A conditional request in French is answered 304 only by the French ETag.
    again = await client.get(
        f"/v1/actions/{action_id}",
        headers={"Accept-Language": "fr", "If-None-Match": german.headers["ETag"]},
    )
    assert again.status_code == 200
    # Marking answers in the language asked for too, and If-Match takes that ETag.
    done = await client.post(
        f"/v1/actions/{action_id}/complete", json={}, params={"language": "fr"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["language"] == "fr" and done.headers["Content-Language"] == "fr"
    undone = await client.delete(
        f"/v1/actions/{action_id}/mark",
        params={"language": "fr"},
        headers={"If-Match": done.headers["ETag"]},
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["language"] == "fr"


async def test_a_release_that_edits_a_catalogue_changes_the_etag_of_texts_written_in_it(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # French texts of a German candidate's action are written at read time: a new French
    # catalogue changes them with the row's version unchanged, so the ETag must change too.
    application, _, _ = await german_round(client)
    action_id = (await thank_you(client, application["id"]))["id"]
    french = await client.get(f"/v1/actions/{action_id}", headers={"Accept-Language": "fr"})
    german = await client.get(f"/v1/actions/{action_id}")
    edited = {**texts.catalogue("fr"), "E3.title": "Remerciez %(name)s (nouvelle version)"}
    real_catalogue = texts.catalogue
    monkeypatch.setattr(
        texts,
        "catalogue",
        lambda language="en": edited if language == "fr" else real_catalogue(language),
    )
    monkeypatch.setattr(texts, "CATALOGUE_EDITION", texts.CATALOGUE_EDITION + 1)
    texts.catalogue_fingerprint.cache_clear()
    try:
        again = await client.get(
            f"/v1/actions/{action_id}",
            headers={"Accept-Language": "fr", "If-None-Match": french.headers["ETag"]},
        )
        assert again.status_code == 200
        assert again.json()["title"] == "Remerciez Grace Hopper (nouvelle version)"
        assert again.headers["ETag"] != french.headers["ETag"]
        # The stored language's ETag follows the row's version alone.
        assert (await client.get(f"/v1/actions/{action_id}")).headers["ETag"] == german.headers[
            "ETag"
        ]
    finally:
        monkeypatch.undo()
        texts.catalogue_fingerprint.cache_clear()


async def test_the_draft_follows_the_same_precedence(client: httpx.AsyncClient) -> None:
    application, _, _ = await german_round(client)
    action_id = (await thank_you(client, application["id"]))["id"]
    path = f"/v1/actions/{action_id}/draft"
    cases: list[tuple[dict[str, str], dict[str, str], str]] = [
        ({}, {}, "de"),
        ({}, {"Accept-Language": "ja, en;q=0.5"}, "ja"),
        ({"language": "es"}, {"Accept-Language": "ja"}, "es"),
    ]
    bodies = set()
    for params, headers, expected in cases:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["language"] == expected
        assert response.headers["Content-Language"] == expected
        assert "accept-language" in response.headers["Vary"].lower()
        # The built-in template in its own language passes its own checker.
        assert response.json()["findings"] == []
        bodies.add(response.json()["body"])
    assert len(bodies) == len(cases)


# --- every action type in every language ----------------------------------------------------


async def every_action_type(client: httpx.AsyncClient) -> list[str]:
    """Applications whose plans hold every type of action, some blocked, with a recruiting
    firm's representative: ids of the applications."""
    active, _, _ = await interview_round(client)
    await new_contact(
        client,
        active["id"],
        name="Pat Doe",
        role="recruiting_firm_representative",
        email=None,
        phone=None,
    )
    ended = await new_application(client)
    person = await new_contact(client, ended["id"], email=None, name=None, title=None)
    await new_interview(client, ended["id"], panel=[person["id"]])
    outcome = {"status": "rejected", "outcome_at": "2027-01-20T16:30:00+01:00"}
    rejected = await client.patch(f"/v1/applications/{ended['id']}", json=outcome)
    assert rejected.status_code == 200, rejected.text
    return [active["id"], ended["id"]]


async def test_every_action_type_has_its_texts_in_every_language(
    client: httpx.AsyncClient,
) -> None:
    application_ids = await every_action_type(client)

    async def shown(language: str) -> dict[str, Json]:
        actions: dict[str, Json] = {}
        for application_id in application_ids:
            response = await client.get(
                "/v1/actions",
                params={"application_id": application_id, "language": language, "limit": 100},
            )
            assert response.status_code == 200, response.text
            actions.update({action["id"]: action for action in response.json()["data"]})
        return actions

    english = await shown("en")
    assert {action["type"] for action in english.values()} == ALL_TYPES
    for language in SUPPORTED:
        if language == "en":
            continue
        translated = await shown(language)
        assert translated.keys() == english.keys()
        for action_id, action in translated.items():
            assert action["language"] == language
            for field in ("title", "explanation", "guidance"):
                text, original = action[field], english[action_id][field]
                assert text.strip() and "%(" not in text, (language, field, text)
                assert text != original, (language, action["type"], field, text)


# --- the feed's stored pages, per language ------------------------------------------------------


async def test_a_stored_feed_page_answers_only_its_own_language(
    settings: Settings, engine: AsyncEngine
) -> None:
    async with polling_one_round(settings, engine) as (_, client):
        german = {"Accept-Language": "de"}
        first = await client.get(FEED, headers=german)
        with counting_statements(engine) as statements:
            again = await client.get(FEED, headers=german)
        assert not statements  # answered from the stored page
        french = await client.get(FEED, headers={"Accept-Language": "fr"})
        own = await client.get(FEED)
        by_parameter = await client.get(FEED, params={"language": "de"})
    assert first.status_code == again.status_code == french.status_code == 200
    assert again.headers["Content-Language"] == "de"
    assert "accept-language" in again.headers["Vary"].lower()
    assert _texts(again) == _texts(first)
    assert {item["language"] for item in french.json()["data"]} == {"fr"}
    assert french.headers["Content-Language"] == "fr"
    assert _texts(french) != _texts(first)
    assert french.headers["ETag"] != first.headers["ETag"]
    # Without a choice, each action in its candidate's language (English here).
    assert own.headers["Content-Language"] == "en"
    assert {item["language"] for item in own.json()["data"]} == {"en"}
    assert _texts(by_parameter) == _texts(first)


def _texts(response: httpx.Response) -> list[Any]:
    return [(item["id"], item["title"], item["explanation"]) for item in response.json()["data"]]
