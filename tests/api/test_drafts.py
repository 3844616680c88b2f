"""Drafts for actions, the draft checker over HTTP, and tenants' own templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain import DEFAULT_LANGUAGE
from app.domain.messages import FindingCode, MessageKind
from app.services.drafting.languages import available_languages
from app.services.drafting.store import built_in_template
from app.services.drafting.validation import validate_template
from app.services.work import WorkBudget
from app.settings import Settings
from tests.api.test_system import assert_problem
from tests.conftest import client_for, make_tenant

Json = dict[str, Any]


def _problem(response: httpx.Response, status: int) -> Any:
    """The problem+json body, checked to be one, with its values typed loosely."""
    return assert_problem(response, status)


async def _create(client: httpx.AsyncClient, path: str, body: Json) -> Json:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _contact(client: httpx.AsyncClient, application_id: str, **fields: Any) -> Json:
    return await _create(client, f"/v1/applications/{application_id}/contacts", fields)


@dataclass
class World:
    """Three applications whose actions cover every action type and channel."""

    candidate: Json
    globex: Json  # active, through a recruiting firm; one on-site round already held
    initech: Json  # active; the only interviewer has a phone number but no email
    umbrella: Json  # rejected: connect on the network
    people: dict[str, Json]


async def _world(client: httpx.AsyncClient) -> World:
    candidate = await _create(
        client,
        "/v1/candidates",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "time_zone": "Europe/Berlin",
            "country": "DE",
        },
    )
    globex = await _create(
        client,
        "/v1/applications",
        {
            "candidate_id": candidate["id"],
            "company": "Globex",
            "role": "Staff Engineer",
            "source": "recruiting_firm",
            "recruiting_firm": "Hooli Talent",
        },
    )
    people = {
        "priya": await _contact(
            client,
            globex["id"],
            role="coordinator",
            made_first_contact=True,
            name="Priya Raman",
            title="Talent Coordinator",
            email="priya@globex.example",
        ),
        "grace": await _contact(
            client,
            globex["id"],
            name="Grace Hopper",
            title="VP Engineering",
            email="grace@globex.example",
            profile_url="https://www.linkedin.com/in/grace-hopper-example",
        ),
        "sam": await _contact(
            client,
            globex["id"],
            role="recruiting_firm_representative",
            name="Sam Okafor",
            title="Senior Recruiter",
            organization="Hooli Talent",
            email="sam@hooli.example",
        ),
        # No email address: the thank-you is blocked, but still drafted.
        "alan": await _contact(client, globex["id"], name="Alan Turing", title="Staff Engineer"),
    }
    await _create(
        client,
        f"/v1/applications/{globex['id']}/interviews",
        {
            "kind": "onsite",
            "start": "2026-03-03T14:00:00+01:00",
            "end": "2026-03-03T16:00:00+01:00",
            "status": "completed",
            "panel": [people["grace"]["id"], people["sam"]["id"], people["alan"]["id"]],
            "next_step": "A second interview with the CTO next week. HR will call to schedule it.",
            "expected_reply_date": "2026-03-10",
        },
    )
    initech = await _create(
        client,
        "/v1/applications",
        {"candidate_id": candidate["id"], "company": "Initech", "role": "Platform Engineer"},
    )
    people["bill"] = await _contact(
        client,
        initech["id"],
        name="Bill Lumbergh",
        title="Director of Engineering",
        phone="+1 512 555 0100",
    )
    await _create(
        client,
        f"/v1/applications/{initech['id']}/interviews",
        {
            "kind": "video",
            "start": "2026-03-04T17:00:00+01:00",
            "end": "2026-03-04T18:00:00+01:00",
            "status": "completed",
            "panel": [people["bill"]["id"]],
            "panel_confirmed": True,
        },
    )
    umbrella = await _create(
        client,
        "/v1/applications",
        {
            "candidate_id": candidate["id"],
            "company": "Umbrella Corporation",
            "role": "Site Reliability Engineer",
        },
    )
    people["jill"] = await _contact(
        client,
        umbrella["id"],
        name="Jill Valentine",
        title="Head of Infrastructure",
        email="jill@umbrella.example",
        profile_url="https://www.linkedin.com/in/jill-example",
    )
    await _create(
        client,
        f"/v1/applications/{umbrella['id']}/interviews",
        {
            "kind": "phone",
            "start": "2026-02-10T10:00:00+01:00",
            "end": "2026-02-10T10:45:00+01:00",
            "status": "completed",
            "panel": [people["jill"]["id"]],
            "panel_confirmed": True,
        },
    )
    response = await client.patch(
        f"/v1/applications/{umbrella['id']}",
        json={"status": "rejected", "outcome_at": "2026-02-20T12:00:00+01:00"},
    )
    assert response.status_code == 200, response.text
    return World(candidate, globex, initech, umbrella, people)


async def _actions(client: httpx.AsyncClient, application_id: str) -> list[Json]:
    response = await client.get(f"/v1/applications/{application_id}/actions", params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def _all_actions(client: httpx.AsyncClient, world: World) -> list[Json]:
    actions = []
    for application in (world.globex, world.initech, world.umbrella):
        actions.extend(await _actions(client, application["id"]))
    return actions


def _find(actions: list[Json], type_: str, contact_id: str | None = None) -> Json:
    matching = [
        a
        for a in actions
        if a["type"] == type_ and (contact_id is None or a["subject"]["contact_id"] == contact_id)
    ]
    assert matching, f"no {type_} action for {contact_id}"
    return matching[0]


async def _draft(
    client: httpx.AsyncClient, action_id: str, language: str = DEFAULT_LANGUAGE
) -> Json:
    response = await client.get(f"/v1/actions/{action_id}/draft", params={"language": language})
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- every generated draft passes its own checker ---------------------------------------


@pytest.mark.parametrize("language", available_languages())
async def test_every_action_type_gets_a_draft_that_passes_its_own_checker(
    client: httpx.AsyncClient, language: str
) -> None:
    world = await _world(client)
    actions = await _all_actions(client, world)
    kinds_seen = set()
    for action in actions:
        draft = await _draft(client, action["id"], language)
        assert draft["language"] == language
        assert draft["findings"] == [], (action["type"], draft["body"], draft["findings"])
        kinds_seen.add(draft["kind"])
        recipient = draft["recipient"]
        check = await client.post(
            "/v1/drafts/check",
            json={
                "action_id": action["id"],
                "kind": draft["kind"],
                "subject": draft["subject"],
                "body": draft["body"],
                "recipient": recipient["name"] if recipient else None,
                "language": language,
            },
        )
        assert check.status_code == 200, check.text
        assert check.json()["ok"] is True
        assert check.json()["findings"] == [], draft["body"]
    assert {a["type"] for a in actions} == {
        "confirm_interviewers",
        "ask_closing_questions",
        "send_thank_you",
        "check_in",
        "connect_on_network",
    }
    assert kinds_seen == {kind.value for kind in MessageKind}


async def test_the_thank_you_is_short_personal_and_does_not_press(
    client: httpx.AsyncClient,
) -> None:
    world = await _world(client)
    actions = await _actions(client, world.globex["id"])
    draft = await _draft(
        client, _find(actions, "send_thank_you", world.people["grace"]["id"])["id"]
    )
    assert draft["kind"] == "thank_you" and draft["format"] == "email"
    assert draft["subject"] == "Thank you – Staff Engineer interview"
    body = draft["body"]
    assert body.startswith(
        "Dear Grace,\n\nThank you for taking the time to speak with me on Tuesday"
    )
    assert "Globex" in body and "Staff Engineer" in body and body.endswith("Ada Lovelace")
    # The interviewer's next step, made to fit inside one sentence.
    assert "(A second interview with the CTO next week; HR will call to schedule it)" in body
    assert draft["sentence_count"] in (3, 4)
    assert draft["recipient"]["email"] == "grace@globex.example"
    assert draft["blocked_reason"] is None and draft["template_source"] == "built_in"


async def test_a_thank_you_to_a_recruiting_firm_representative_and_one_without_email(
    client: httpx.AsyncClient,
) -> None:
    world = await _world(client)
    actions = await _actions(client, world.globex["id"])
    sam = await _draft(client, _find(actions, "send_thank_you", world.people["sam"]["id"])["id"])
    assert sam["body"].startswith("Dear Sam,")
    assert "I appreciate your help with my application" in sam["body"]
    alan_action = _find(actions, "send_thank_you", world.people["alan"]["id"])
    alan = await _draft(client, alan_action["id"])
    assert alan["blocked_reason"] == "missing_contact"
    assert alan["recipient"]["email"] is None
    assert alan["body"].startswith("Dear Alan,") and alan["findings"] == []


async def test_check_in_email_and_phone_script_say_the_candidate_is_still_interested(
    client: httpx.AsyncClient,
) -> None:
    world = await _world(client)
    email = await _draft(
        client, _find(await _actions(client, world.globex["id"]), "check_in")["id"]
    )
    assert email["kind"] == "check_in" and email["recipient"]["name"] == "Sam Okafor"
    assert "I remain very interested in joining Globex" in email["body"]
    assert "on Tuesday, March 3, 2026" in email["body"]
    call = await _draft(
        client, _find(await _actions(client, world.initech["id"]), "check_in")["id"]
    )
    assert call["kind"] == "check_in_call" and call["format"] == "phone_script"
    assert call["channel"] == "phone" and call["subject"] is None
    assert call["body"].startswith("Hello Bill, this is Ada Lovelace.")
    assert "still very interested" in call["body"]


async def test_connection_note_panel_request_and_checklist(client: httpx.AsyncClient) -> None:
    world = await _world(client)
    note = await _draft(
        client, _find(await _actions(client, world.umbrella["id"]), "connect_on_network")["id"]
    )
    assert note["format"] == "network_note" and note["character_limit"] == 300
    assert note["character_count"] == len(note["body"]) <= 300
    assert note["body"].startswith("Hi Jill, thank you again")
    assert note["recipient"]["profile_url"] == "https://www.linkedin.com/in/jill-example"

    globex = await _actions(client, world.globex["id"])
    panel = await _draft(client, _find(globex, "confirm_interviewers")["id"])
    assert panel["kind"] == "panel_request" and panel["recipient"]["name"] == "Priya Raman"
    assert panel["body"].startswith("Dear Priya,")
    assert "names and titles" in panel["body"]
    assert "Grace Hopper, Sam Okafor, and Alan Turing" in panel["body"]

    checklist = await _draft(client, _find(globex, "ask_closing_questions")["id"])
    assert checklist["format"] == "checklist" and checklist["recipient"] is None
    assert checklist["sentence_count"] is None
    lines = checklist["body"].splitlines()
    assert [line for line in lines if line.startswith("- [ ] ")] == [
        "- [ ] What is the next step in the interview process?",
        "- [ ] When can I expect to hear back?",
        "- [ ] May I have your business card or contact details? (still missing for Alan Turing)",
    ]
    assert "representative of Hooli Talent" in checklist["body"]


async def test_drafts_of_another_tenant_are_not_found(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    world = await _world(client)
    action = _find(await _actions(client, world.globex["id"]), "send_thank_you")
    other = await make_tenant(sessionmaker, settings, "Other Co")
    async with client_for(app, other.key) as stranger:
        _problem(await stranger.get(f"/v1/actions/{action['id']}/draft"), 404)
        problem = _problem(
            await stranger.post(
                "/v1/drafts/check",
                json={"action_id": action["id"], "body": "Dear Grace,\n\nThank you."},
            ),
            422,
        )
        assert [e["field"] for e in problem["errors"]] == ["body.action_id"]
    _problem(await client.get("/v1/actions/act_missing/draft"), 404)


async def test_unknown_language_is_refused(client: httpx.AsyncClient) -> None:
    problem = _problem(await client.get("/v1/actions/act_x/draft", params={"language": "tlh"}), 422)
    assert problem["errors"][0]["field"] == "query.language"


# --- the checker over HTTP --------------------------------------------------------------


THANK_YOU = (
    "Dear Grace,\n\nThank you for taking the time to meet with me today. I enjoyed our "
    "conversation and believe my experience fits the role well. I look forward to hearing "
    "from you.\n\nBest regards,\nAda Lovelace"
)


async def test_check_reports_codes_severities_spans_and_suggestions(
    client: httpx.AsyncClient,
) -> None:
    body = THANK_YOU.replace("I look forward", "Please reply ASAP. I look forward")
    response = await client.post(
        "/v1/drafts/check",
        json={"action_type": "send_thank_you", "subject": "Thank you", "body": body},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["kind"] == "thank_you" and report["ok"] is False
    assert report["sentence_count"] == 4
    (finding,) = report["findings"]
    assert finding["code"] == "pushy_phrase" and finding["severity"] == "error"
    assert finding["part"] == "body" and finding["text"] == "ASAP"
    assert body[finding["span"]["start"] : finding["span"]["end"]] == "ASAP"
    assert finding["suggestion"]


async def test_check_against_an_action_compares_recipient_and_due_time(
    client: httpx.AsyncClient,
) -> None:
    world = await _world(client)
    action = _find(
        await _actions(client, world.globex["id"]), "send_thank_you", world.people["grace"]["id"]
    )
    on_time = await client.post(
        "/v1/drafts/check",
        json={
            "action_id": action["id"],
            "subject": "Thank you",
            "body": THANK_YOU,
            "recipient": "Grace Hopper",
            "send_at": "2026-03-03T19:00:00+01:00",
        },
    )
    assert on_time.json()["findings"] == [], on_time.text
    late_and_wrong = await client.post(
        "/v1/drafts/check",
        json={
            "action_id": action["id"],
            "subject": "Thank you",
            "body": THANK_YOU.replace("Dear Grace", "Dear Alan"),
            "recipient": "Alan Turing",
            "send_at": "2026-03-05T09:00:00+01:00",
        },
    )
    codes = sorted(f["code"] for f in late_and_wrong.json()["findings"])
    assert codes == ["recipient_mismatch", "recipient_mismatch", "sent_after_due"]


async def test_check_refuses_a_draft_that_does_not_say_what_it_is(
    client: httpx.AsyncClient,
) -> None:
    problem = _problem(await client.post("/v1/drafts/check", json={"body": "Hi"}), 422)
    assert problem["errors"][0]["field"] == "body"
    mismatch = _problem(
        await client.post(
            "/v1/drafts/check",
            json={"action_type": "send_thank_you", "kind": "connection_note", "body": "Hi"},
        ),
        422,
    )
    assert mismatch["errors"][0]["field"] == "body.kind"


# --- tenants' templates -----------------------------------------------------------------


GOOD_NOTE = (
    "Hello{% if recipient.first_name %} {{ recipient.first_name }}{% endif %}, it was a "
    "pleasure to speak with you about the {{ application.role }} role. I would be glad to "
    "stay in touch. Best, {{ candidate.first_name }}"
)


async def test_templates_list_every_kind_built_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/templates")
    assert response.status_code == 200
    templates = response.json()["data"]
    assert [t["kind"] for t in templates] == [kind.value for kind in MessageKind]
    assert {t["source"] for t in templates} == {"built_in"}
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize("language", available_languages())
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_built_in_template_passes_validation(kind: MessageKind, language: str) -> None:
    template = built_in_template(kind, language)
    # The default per-request budget (units only: wall time is not what is asserted).
    units = Settings.model_fields["work_budget_units"].default
    budget = WorkBudget(units=units, seconds=3600, field="body.body", what="the template")
    validate_template(kind, language, template.subject, template.body, budget)
    assert 0 < budget.spent < units // 10


async def test_a_tenant_template_replaces_the_built_in_one_for_that_tenant_only(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    saved = await client.put("/v1/templates/connection_note", json={"body": GOOD_NOTE})
    assert saved.status_code == 200, saved.text
    assert saved.json()["source"] == "tenant" and saved.json()["updated_at"]
    world = await _world(client)
    action = _find(await _actions(client, world.umbrella["id"]), "connect_on_network")
    draft = await _draft(client, action["id"])
    assert draft["template_source"] == "tenant"
    assert draft["body"] == (
        "Hello Jill, it was a pleasure to speak with you about the Site Reliability Engineer "
        "role. I would be glad to stay in touch. Best, Ada"
    )
    other = await make_tenant(sessionmaker, settings, "Other Co")
    async with client_for(app, other.key) as stranger:
        theirs = await stranger.get("/v1/templates/connection_note")
        assert theirs.json()["source"] == "built_in"
        _problem(await stranger.delete("/v1/templates/connection_note"), 404)
    assert (await client.delete("/v1/templates/connection_note")).status_code == 204
    assert (await client.get("/v1/templates/connection_note")).json()["source"] == "built_in"
    _problem(await client.delete("/v1/templates/connection_note"), 404)


async def test_a_regional_language_reads_as_its_language_in_checks_and_templates(
    client: httpx.AsyncClient,
) -> None:
    """As for a candidate and an action's draft: `de-CH` reads `de`."""
    draft = {"action_type": "send_thank_you", "subject": "Danke", "body": THANK_YOU}
    reports = [
        await client.post("/v1/drafts/check", json={**draft, "language": language})
        for language in ("de-CH", "de")
    ]
    assert [r.status_code for r in reports] == [200, 200], reports[0].text
    assert reports[0].json() == reports[1].json()
    swiss = {"language": "de-CH"}
    listed = await client.get("/v1/templates", params=swiss)
    assert listed.status_code == 200, listed.text
    assert {t["language"] for t in listed.json()["data"]} == {"de"}
    german = (await client.get("/v1/templates/connection_note", params={"language": "de"})).json()
    saved = await client.put(
        "/v1/templates/connection_note", json={"body": german["body"], **swiss}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["language"] == "de" and saved.json()["source"] == "tenant"
    mine = await client.get("/v1/templates/connection_note", params={"language": "de"})
    assert mine.json()["source"] == "tenant"
    deleted = await client.delete("/v1/templates/connection_note", params=swiss)
    assert deleted.status_code == 204
    problem = _problem(await client.get("/v1/templates", params={"language": "pt-BR"}), 422)
    assert problem["errors"][0]["field"] == "query.language"


async def test_a_tenant_template_that_fails_on_real_data_falls_back_to_the_built_in(
    client: httpx.AsyncClient,
) -> None:
    # Passes every sample (no sample recipient is a director), fails on Bill.
    trap = "{% if recipient.title == 'Director of Engineering' %}{{ 1 / 0 }}{% endif %}"
    body = (await client.get("/v1/templates/check_in_call")).json()["body"] + trap
    assert (await client.put("/v1/templates/check_in_call", json={"body": body})).status_code == 200
    world = await _world(client)
    draft = await _draft(
        client, _find(await _actions(client, world.initech["id"]), "check_in")["id"]
    )
    assert draft["template_source"] == "built_in"
    assert "ZeroDivisionError" in draft["template_error"]
    assert draft["findings"] == []


@pytest.mark.parametrize(
    ("name", "body", "field", "code"),
    [
        (
            "reaches for a class",
            "Hi, {{ ''.__class__ }} thanks. Best, Ada",
            "body.body",
            "template_forbidden",
        ),
        (
            "reaches into the context's attributes",
            "Hi {{ candidate.__dict__ }}. Best, Ada",
            "body.body",
            "template_forbidden",
        ),
        (
            "filters its way to a dunder",
            "Hi {{ candidate | attr('__class__') }}. Best, Ada",
            "body.body",
            "template_forbidden",
        ),
        (
            "calls a method",
            "Hi {{ recipient.name.upper() }}, thanks. Best, Ada",
            "body.body",
            "template_forbidden",
        ),
        (
            "uses an undefined variable",
            "Hi {{ interviewer_name }}, thanks. Best, Ada",
            "body.body",
            "template_unknown_variable",
        ),
        (
            "uses a field the context lacks",
            "Hi {{ candidate.salary }}, thanks. Best, Ada",
            "body.body",
            "template_unknown_variable",
        ),
        (
            "raises",
            "Hi, thanks again. I would be glad to stay in touch {{ 1 / 0 }}. Best, Ada",
            "body.body",
            "template_render_failed",
        ),
        (
            "prints a value that can be missing",
            "Hi {{ recipient.name }}, thanks again for our "
            "chat. I would be glad to stay in touch. Best, Ada",
            "body.body",
            "template_missing_value",
        ),
        ("does not parse", "Hi {{ recipient.first_name , thanks", "body.body", "template_syntax"),
        (
            "is longer than the network allows",
            GOOD_NOTE + " P.S. " + "Thanks again! " * 20,
            "body.body",
            "etiquette_over_length_limit",
        ),
        (
            "presses",
            GOOD_NOTE.replace("I would be glad", "Please reply ASAP; I would be glad"),
            "body.body",
            "etiquette_pushy_phrase",
        ),
    ],
)
async def test_a_bad_connection_note_template_is_refused(
    client: httpx.AsyncClient, name: str, body: str, field: str, code: str
) -> None:
    problem = _problem(await client.put("/v1/templates/connection_note", json={"body": body}), 422)
    assert (field, code) in {(e["field"], e["code"]) for e in problem["errors"]}, problem
    assert (await client.get("/v1/templates/connection_note")).json()["source"] == "built_in"


async def test_a_thank_you_template_that_breaks_the_etiquette_is_refused(
    client: httpx.AsyncClient,
) -> None:
    rambling = (
        "Dear {{ recipient.first_name | default('there', true) }},\n\nThank you for the "
        "interview. I enjoyed it. The office is lovely. The team seems great. I have many "
        "skills. I look forward to hearing from you.\n\nBest,\n{{ candidate.name }}"
    )
    problem = _problem(
        await client.put(
            "/v1/templates/thank_you", json={"subject": "Thank you", "body": rambling}
        ),
        422,
    )
    assert {e["code"] for e in problem["errors"]} == {"etiquette_too_many_sentences"}
    no_subject = _problem(await client.put("/v1/templates/thank_you", json={"body": rambling}), 422)
    assert no_subject["errors"][0]["field"] == "body.subject"


async def test_writing_templates_needs_the_write_scope(
    app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reader = await make_tenant(sessionmaker, settings, "Reader", scopes=["read"])
    async with client_for(app, reader.key) as http:
        assert (await http.get("/v1/templates")).status_code == 200
        checked = await http.post(
            "/v1/drafts/check", json={"kind": "thank_you", "subject": "Hi", "body": THANK_YOU}
        )
        assert checked.status_code == 200
        _problem(await http.put("/v1/templates/connection_note", json={"body": GOOD_NOTE}), 403)


async def test_openapi_describes_every_finding_code(anonymous: httpx.AsyncClient) -> None:
    document = (await anonymous.get("/openapi.json")).json()
    finding_code = document["components"]["schemas"]["FindingCode"]
    assert finding_code["enum"] == [code.value for code in FindingCode]
    for code in FindingCode:
        assert f"`{code.value}`" in finding_code["description"]
    paths = document["paths"]
    assert "/v1/actions/{action_id}/draft" in paths and "/v1/drafts/check" in paths
    assert "422" in paths["/v1/templates/{kind}"]["put"]["responses"]


async def test_the_documented_examples_are_accepted(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    (template,) = schemas["TemplateWrite"]["examples"]
    saved = await client.put("/v1/templates/thank_you", json=template)
    assert saved.status_code == 200, saved.text
    (draft,) = schemas["DraftCheck"]["examples"]
    checked = await client.post("/v1/drafts/check", json=draft)
    assert checked.status_code == 200, checked.text
    assert checked.json()["findings"] == []
