"""Every tool, resource and the prompt, called with the SDK's client over HTTP and stdio:
the whole flow of an interview, errors as problem documents, and isolation between
tenants and between candidates."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from app.mcp_server.server import RESOURCE_NOT_FOUND
from app.mcp_server.tools import TOOLS
from app.services import actions as action_service
from tests.api.builders import new_application, new_contact, new_interview
from tests.api.test_feed_pages import counting_statements
from tests.mcp.conftest import Connect, Live, over_http

Json = dict[str, Any]

TOOL_NAMES = {
    "list_actions",
    "get_action",
    "get_action_draft",
    "check_draft",
    "complete_action",
    "snooze_action",
    "dismiss_action",
    "undo_action_mark",
    "record_interview",
    "record_reply",
    "record_outcome",
    "list_applications",
}


async def call(client: Client, tool: str, /, **arguments: Any) -> Json:
    """A tool's structured result, which must not be an error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    structured: Json | None = result.structured_content
    assert structured is not None
    return structured


async def problem(client: Client, tool: str, status: int, /, **arguments: Any) -> Json:
    """A tool's error: the problem document the REST API would answer, with ``status``."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    document: Json | None = result.structured_content
    assert document is not None and document["status"] == status, document
    assert document["type"].startswith("https://followup.dev/problems/")
    return document


def _hours_ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


async def _application_with_interviewer(rest: httpx.AsyncClient) -> tuple[Json, Json]:
    application = await new_application(rest, company="Globex", role="Staff Engineer")
    contact = await new_contact(rest, application["id"], name="Grace Hopper")
    return application, contact


async def test_the_server_lists_every_tool_typed_and_its_resources_and_prompt(
    connect: Connect, live: Live
) -> None:
    tenant = await live.tenant()
    async with connect(tenant.key) as client:
        listed = (await client.list_tools()).tools
        assert {tool.name for tool in listed} == TOOL_NAMES == {tool.name for tool in TOOLS}
        for tool in listed:
            assert tool.description and tool.input_schema["type"] == "object"
            assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        by_name = {tool.name: tool for tool in listed}
        # The REST API's own models: the same fields, the same constraints.
        snooze = by_name["snooze_action"].input_schema
        assert set(snooze["required"]) == {"action_id", "until"}
        assert snooze["additionalProperties"] is False
        writes = {
            name: tool.annotations and tool.annotations.read_only_hint is False
            for name, tool in by_name.items()
        }
        assert {name for name, written in writes.items() if written} == {
            "complete_action",
            "snooze_action",
            "dismiss_action",
            "undo_action_mark",
            "record_interview",
            "record_reply",
            "record_outcome",
        }
        assert "explanation" in (by_name["get_action"].output_schema or {})["properties"]

        resources = (await client.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["followup://etiquette"]
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == [
            "followup://candidates/{candidate_id}/timeline"
        ]
        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == ["thank_you_notes"]


async def _interviewed_two_hours_ago(live: Live, key: str) -> Json:
    """An application whose video interview with Grace Hopper ended two hours ago (its
    thank-you is due), recorded through the REST API."""
    async with live.rest(key) as rest:
        application, grace = await _application_with_interviewer(rest)
        await new_interview(
            rest,
            application["id"],
            panel=[grace["id"]],
            panel_confirmed=True,
            start=_hours_ago(3),
            end=_hours_ago(2),
        )
    return application


async def test_an_interview_from_recording_it_to_the_thank_you_sent(
    connect: Connect, live: Live
) -> None:
    tenant = await live.tenant()
    async with live.rest(tenant.key) as rest:
        application, grace = await _application_with_interviewer(rest)
    async with connect(tenant.key) as client:
        interview = await call(
            client,
            "record_interview",
            application_id=application["id"],
            kind="video",
            start=_hours_ago(3),
            end=_hours_ago(2),
            panel=[grace["id"]],
            panel_confirmed=True,
        )
        assert interview["application_id"] == application["id"]
        assert interview["panel"] == [grace["id"]]

        due = await call(client, "list_actions", application_id=application["id"])
        thank_you = next(a for a in due["data"] if a["type"] == "send_thank_you")
        assert thank_you["status"] == "due" and thank_you["subject"]["contact_id"] == grace["id"]
        assert {a["status"] for a in due["data"]} <= {"due", "overdue"}

        shown = await call(client, "get_action", action_id=thank_you["id"])
        assert shown["rule"] == "E3" and "Grace Hopper" in shown["title"]
        assert "E3" in shown["explanation"] and shown["guidance"]

        draft = await call(client, "get_action_draft", action_id=thank_you["id"])
        assert draft["kind"] == "thank_you" and draft["recipient"]["name"] == "Grace Hopper"
        assert draft["subject"] and "Grace" in draft["body"]

        checked = await call(
            client,
            "check_draft",
            action_id=thank_you["id"],
            subject=draft["subject"],
            body=draft["body"],
            recipient="Grace Hopper",
        )
        assert checked["ok"] is True and checked["findings"] == []
        pressing = await call(
            client,
            "check_draft",
            action_id=thank_you["id"],
            body="Dear Grace,\n\nWhen will you decide? I need an answer by Friday.\n\nAda",
        )
        assert pressing["ok"] is False and pressing["findings"]

        done = await call(client, "complete_action", action_id=thank_you["id"])
        assert done["status"] == "done" and done["mark"]["kind"] == "done"
        left = await call(client, "list_actions", application_id=application["id"])
        assert thank_you["id"] not in {a["id"] for a in left["data"]}

        reopened = await call(client, "undo_action_mark", action_id=thank_you["id"])
        assert reopened["status"] == "due" and reopened["mark"] is None
        later = (datetime.now(UTC) + timedelta(hours=6)).isoformat()
        snoozed = await call(client, "snooze_action", action_id=thank_you["id"], until=later)
        assert snoozed["status"] == "snoozed"
        dismissed = await call(
            client, "dismiss_action", action_id=thank_you["id"], reason="Thanked in person."
        )
        assert dismissed["status"] == "dismissed"
        assert dismissed["mark"]["reason"] == "Thanked in person."

        reply = await call(
            client,
            "record_reply",
            application_id=application["id"],
            received_at=_hours_ago(1),
            contact_id=grace["id"],
            note="Decision next week.",
        )
        assert reply["application_id"] == application["id"]

        outcome = await call(
            client, "record_outcome", application_id=application["id"], status="rejected"
        )
        assert outcome["status"] == "rejected" and outcome["outcome_at"]
        listed = await call(client, "list_applications", candidate_id=application["candidate_id"])
        [entry] = listed["data"]
        assert entry["application"]["id"] == application["id"]
        # E2's closing questions were never recorded (overdue); E5 opened with the outcome.
        assert [a["type"] for a in entry["next_actions"]] == [
            "ask_closing_questions",
            "connect_on_network",
        ]

    # Every write was committed: the REST API sees what the tools did.
    async with live.rest(tenant.key) as rest:
        stored = (await rest.get(f"/v1/actions/{thank_you['id']}")).json()
        assert stored["status"] == "dismissed"
        assert (await rest.get(f"/v1/applications/{application['id']}")).json()[
            "status"
        ] == "rejected"


async def _applications_with_open_actions(rest: httpx.AsyncClient, count: int) -> None:
    """Applications whose open actions are overdue, due or upcoming, more of them each than
    `list_applications` shows, some due at the same moment (two interviewers to thank)."""
    for number in range(count):
        application = await new_application(rest)
        panel = [
            (await new_contact(rest, application["id"], name=name, email=email))["id"]
            for name, email in (("Grace Hopper", "grace@x.example"), ("Alan Turing", "a@x.example"))
        ]
        # Every other interview has been (its actions overdue or due), the others are to come.
        start = datetime.now(UTC) + timedelta(hours=(-3 if number % 2 else 30) + number)
        await new_interview(
            rest,
            application["id"],
            start=start.isoformat(),
            end=(start + timedelta(hours=1)).isoformat(),
            panel=panel,
        )


async def test_list_applications_reads_all_their_next_actions_in_one_query(live: Live) -> None:
    tenant = await live.tenant()
    engine = live.app.state.engine
    async with live.rest(tenant.key) as rest, over_http(live.url, tenant.key) as client:
        # The client lists the tools before its first call (to check results against their
        # schemas): done here, so that each count below is of the one call alone.
        await client.list_tools()
        counts = []
        for added in (1, 6):
            await _applications_with_open_actions(rest, added)
            with counting_statements(engine) as statements:
                listed = await call(client, "list_applications", next_actions=2, limit=20)
            counts.append(len(statements))
        assert len(listed["data"]) == 7
        # The same number of statements for one application as for seven.
        assert counts[0] == counts[1], counts

        # Each application's next actions are the feed's first open ones for it, as a
        # feed query per application answers (`as_of` aside: each call's own now).
        truncated = 0
        for entry in listed["data"]:
            feed = await call(
                client,
                "list_actions",
                application_id=entry["application"]["id"],
                status=["overdue", "due", "upcoming"],
                limit=2,
            )
            assert entry["next_actions"], entry["application"]["id"]
            shown = [{**action, "as_of": None} for action in entry["next_actions"]]
            assert shown == [{**action, "as_of": None} for action in feed["data"]]
            truncated += feed["next_cursor"] is not None
        assert truncated == 7  # each has more open actions than the two shown


async def test_resources_and_the_prompt(connect: Connect, live: Live) -> None:
    tenant = await live.tenant()
    async with live.rest(tenant.key) as rest:
        assert (await rest.put("/v1/policy", json={"thank_you_hours": 36})).status_code == 200
        application, grace = await _application_with_interviewer(rest)
    async with connect(tenant.key) as client:
        interview = await call(
            client,
            "record_interview",
            application_id=application["id"],
            kind="onsite",
            start=_hours_ago(3),
            end=_hours_ago(2),
            panel=[grace["id"]],
        )
        etiquette = (await client.read_resource("followup://etiquette")).contents[0]
        assert etiquette.mime_type == "text/markdown"
        text = getattr(etiquette, "text", "")
        assert "## E3: `send_thank_you`" in text
        assert "`thank_you_hours`: **36 hours** (default 24)" in text

        uri = f"followup://candidates/{application['candidate_id']}/timeline"
        timeline = (await client.read_resource(uri)).contents[0]
        assert timeline.mime_type == "application/json"
        assert '"interview.scheduled"' in getattr(timeline, "text", "")

        prompt = await client.get_prompt("thank_you_notes", {"interview_id": interview["id"]})
        [message] = prompt.messages
        words = getattr(message.content, "text", "")
        assert "onsite interview for Staff Engineer at Globex" in words
        assert "Send a thank-you email to Grace Hopper" in words
        assert "get_action_draft" in words and "complete_action" in words


async def test_the_prompt_lists_exactly_its_interviews_thank_you_notes(
    connect: Connect, live: Live
) -> None:
    tenant = await live.tenant()
    async with live.rest(tenant.key) as rest:
        application, grace = await _application_with_interviewer(rest)
        alan = await new_contact(rest, application["id"], name="Alan Turing", email="a@x.example")
        rounds = []
        # Two rounds of the same application, Grace on both panels: each prompt lists the
        # notes of its own round alone.
        for hours, panel in ((30, [grace["id"], alan["id"]]), (5, [grace["id"]])):
            start = datetime.now(UTC) - timedelta(hours=hours)
            end = start + timedelta(hours=1)
            interview = await new_interview(
                rest,
                application["id"],
                start=start.isoformat(),
                end=end.isoformat(),
                panel=panel,
            )
            rounds.append(interview["id"])
        # Alan taken off the first panel: his note stays, obsolete, and is listed as such.
        changed = await rest.patch(f"/v1/interviews/{rounds[0]}", json={"panel": [grace["id"]]})
        assert changed.status_code == 200, changed.text
        actions = (
            await rest.get(
                "/v1/actions",
                params={"application_id": application["id"], "type": "send_thank_you"},
            )
        ).json()["data"]
    texts = {}
    async with connect(tenant.key) as client:
        for interview_id, notes in zip(rounds, (2, 1), strict=True):
            prompt = await client.get_prompt("thank_you_notes", {"interview_id": interview_id})
            texts[interview_id] = getattr(prompt.messages[0].content, "text", "")
            listed = re.findall(r"^- `([^`]+)`", texts[interview_id], flags=re.MULTILINE)
            mine = [a for a in actions if a["subject"]["interview_id"] == interview_id]
            assert len(mine) == notes
            # Those still owed first, then the closed ones, each in the feed's order.
            in_order = sorted(mine, key=lambda a: (a["status"] == "obsolete", a["due_by"], a["id"]))
            assert listed == [a["id"] for a in in_order]
    owed, closed = texts[rounds[0]].split("Already done, dismissed, or no longer called for")
    assert "Grace Hopper" in owed and "(status obsolete," not in owed
    assert "Alan Turing" in closed and "(status obsolete," in closed
    assert "Alan Turing" not in owed.split("How to write them:")[1]
    assert "Already done" not in texts[rounds[1]]


async def test_actions_and_drafts_are_written_in_the_language_asked_for(
    connect: Connect, live: Live
) -> None:
    tenant = await live.tenant()
    application = await _interviewed_two_hours_ago(live, tenant.key)
    async with connect(tenant.key) as client:
        english = await call(client, "list_actions", application_id=application["id"])
        german = await call(
            client, "list_actions", application_id=application["id"], language="de-CH"
        )
        assert [a["id"] for a in german["data"]] == [a["id"] for a in english["data"]]
        assert {a["language"] for a in english["data"]} == {"en"}
        assert {a["language"] for a in german["data"]} == {"de"}
        thank_you = next(a for a in german["data"] if a["type"] == "send_thank_you")
        english_one = next(a for a in english["data"] if a["id"] == thank_you["id"])
        assert thank_you["title"] != english_one["title"] and "Grace Hopper" in thank_you["title"]
        french = await call(client, "get_action", action_id=thank_you["id"], language="fr")
        assert french["language"] == "fr" and french["title"] not in {
            thank_you["title"],
            english_one["title"],
        }
        draft = await call(client, "get_action_draft", action_id=thank_you["id"], language="es")
        assert draft["language"] == "es"
        for tool, arguments in (
            ("list_actions", {}),
            ("get_action", {"action_id": thank_you["id"]}),
            ("get_action_draft", {"action_id": thank_you["id"]}),
        ):
            refused = await problem(client, tool, 422, **arguments, language="pt-BR")
            assert [e["field"] for e in refused["errors"]] == ["language"], tool
            assert "de, en, es, fr, ja" in refused["errors"][0]["message"]


async def test_failures_are_problem_documents_naming_the_argument(
    connect: Connect, live: Live
) -> None:
    tenant = await live.tenant()
    async with connect(tenant.key) as client:
        missing = await problem(client, "get_action", 404, action_id="act_nothing_here")
        assert missing["title"] == "Not found"
        invalid = await problem(
            client, "snooze_action", 422, action_id="act_x", until="tomorrow morning"
        )
        assert [e["field"] for e in invalid["errors"]] == ["until"]
        assert invalid["errors"][0]["code"] == "datetime_format"
        unknown = await problem(client, "complete_action", 422, action_id="act_x", when="now")
        assert [e["field"] for e in unknown["errors"]] == ["when"]
        # A service's own check, named as the argument (the REST API says `body.action_id`).
        checked = await problem(client, "check_draft", 422, action_id="act_x", body="Hello.")
        assert [e["field"] for e in checked["errors"]] == ["action_id"]
        with pytest.raises(MCPError) as raised:
            await client.read_resource("followup://candidates/cand_nobody/timeline")
        assert raised.value.error.code == RESOURCE_NOT_FOUND
        data = raised.value.error.data
        assert isinstance(data, dict) and data["status"] == 404


async def test_another_tenant_and_another_candidate_see_nothing_of_theirs(
    connect: Connect, live: Live
) -> None:
    victim = await live.tenant("Victim")
    stranger = await live.tenant("Stranger")
    async with live.rest(victim.key) as rest:
        application, grace = await _application_with_interviewer(rest)
        interview = (
            await rest.post(
                f"/v1/applications/{application['id']}/interviews",
                json={
                    "kind": "video",
                    "start": _hours_ago(3),
                    "end": _hours_ago(2),
                    "panel": [grace["id"]],
                },
            )
        ).json()
        actions = (await rest.get("/v1/actions", params={"status": ["due", "overdue"]})).json()
        thank_you = next(a for a in actions["data"] if a["type"] == "send_thank_you")
        # A second candidate of the same tenant, with a token of its own.
        other = await new_application(rest)
        minted = await rest.post(
            f"/v1/candidates/{other['candidate_id']}/access-tokens",
            json={"scopes": ["read", "write"]},
        )
        other_token = minted.json()["token"]
        own = await rest.post(
            f"/v1/candidates/{application['candidate_id']}/access-tokens",
            json={"scopes": ["read", "write"]},
        )
        own_token = own.json()["token"]
    timeline = f"followup://candidates/{application['candidate_id']}/timeline"

    for credential in (stranger.key, other_token):
        async with connect(credential) as client:
            for tool, arguments in (
                ("get_action", {"action_id": thank_you["id"]}),
                ("get_action_draft", {"action_id": thank_you["id"]}),
                ("complete_action", {"action_id": thank_you["id"]}),
                (
                    "record_reply",
                    {"application_id": application["id"], "received_at": _hours_ago(1)},
                ),
                ("record_outcome", {"application_id": application["id"], "status": "withdrawn"}),
            ):
                refused = await problem(client, tool, 404, **arguments)
                assert "Grace" not in json.dumps(refused) and "Globex" not in json.dumps(refused)
            assert (await call(client, "list_actions", status=["due", "overdue"]))["data"] == []
            # Exactly what the credential may see: nothing for the other tenant's key, its
            # own candidate's application for the other candidate's token.
            listed = (await call(client, "list_applications"))["data"]
            expected = [] if credential == stranger.key else [other["id"]]
            assert [a["application"]["id"] for a in listed] == expected
            with pytest.raises(MCPError) as raised:
                await client.read_resource(timeline)
            assert raised.value.error.code == RESOURCE_NOT_FOUND
            with pytest.raises(MCPError):
                await client.get_prompt("thank_you_notes", {"interview_id": interview["id"]})

    # The candidate's own token reaches its records, and nothing tenant-wide.
    async with connect(own_token) as client:
        mine = await call(client, "list_actions")
        assert thank_you["id"] in {a["id"] for a in mine["data"]}
        resources = (await client.list_resources()).resources
        assert timeline in {str(r.uri) for r in resources}
        with pytest.raises(MCPError) as forbidden:
            await client.read_resource("followup://etiquette")
        data = forbidden.value.error.data
        assert isinstance(data, dict) and data["status"] == 403

    # Nothing was changed by the refused writes.
    async with live.rest(victim.key) as rest:
        stored = (await rest.get(f"/v1/actions/{thank_you['id']}")).json()
        assert stored["mark"] is None
        assert (await rest.get(f"/v1/applications/{application['id']}")).json()[
            "status"
        ] == "active"
        assert (await rest.get(f"/v1/applications/{application['id']}/replies")).json()[
            "data"
        ] == []


async def test_a_read_only_key_reads_but_may_not_write(connect: Connect, live: Live) -> None:
    reader = await live.tenant("Readers", scopes=["read"])
    async with connect(reader.key) as client:
        await call(client, "list_actions")
        refused = await problem(
            client, "record_outcome", 403, application_id="app_x", status="offer"
        )
        assert "`write` scope" in refused["detail"]


async def test_an_action_changed_between_the_two_reads_leaves_a_page_it_no_longer_meets(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The feed query lists the thank-you as due; by the time its row is read it is done
    # (simulated in the loader): list_actions, asked for due ones, leaves it out.
    tenant = await live.tenant()
    application = await _interviewed_two_hours_ago(live, tenant.key)
    real_loader = action_service.actions_by_ids

    async def loader_after_a_completion(*args: Any) -> list[Any]:
        rows = await real_loader(*args)
        done = datetime.now(UTC)
        return [
            SimpleNamespace(
                **{**row._mapping, "mark": "done", "marked_at": done, "resolution": "done"}
            )
            if row.type == "send_thank_you"
            else row
            for row in rows
        ]

    async with over_http(live.url, tenant.key) as client:
        due = await call(client, "list_actions", application_id=application["id"], status=["due"])
        assert "send_thank_you" in {a["type"] for a in due["data"]}
        monkeypatch.setattr(action_service, "actions_by_ids", loader_after_a_completion)
        after = await call(client, "list_actions", application_id=application["id"], status=["due"])
        assert "send_thank_you" not in {a["type"] for a in after["data"]}
        assert len(after["data"]) == len(due["data"]) - 1
