"""Strict parsing at the edge: JSON bodies only, bounded parsing, RFC 3339 times, real time
zones, and cursors that page through every time the API accepts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.api.json_body import is_json_media_type
from app.repositories.pagination import encode_cursor
from tests.api.builders import (
    Json,
    all_pages,
    assert_invalid,
    assert_problem,
    at,
    interview_round,
    new_application,
    new_candidate,
)

CANDIDATE = {"name": "Ada Lovelace", "time_zone": "Europe/Berlin", "country": "DE"}


async def _candidate_count(client: httpx.AsyncClient) -> int:
    return len(await all_pages(client, "/v1/candidates"))


# --- content type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/json; version=2",
        "application/jsonx",
        "json",
        "",
    ],
)
async def test_a_body_not_declared_json_is_refused_with_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    before = await _candidate_count(client)
    response = await client.post(
        "/v1/candidates",
        content=json.dumps(CANDIDATE).encode(),
        headers={"Content-Type": content_type},
    )
    problem = assert_problem(response, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    assert "application/json" in problem["detail"]
    assert await _candidate_count(client) == before


async def test_a_body_without_content_type_is_refused_with_415(
    client: httpx.AsyncClient,
) -> None:
    request = client.build_request("POST", "/v1/candidates", content=json.dumps(CANDIDATE))
    request.headers.pop("Content-Type", None)
    problem = assert_problem(await client.send(request), 415)
    assert "no Content-Type" in problem["detail"]


async def test_a_streamed_body_is_checked_too(client: httpx.AsyncClient) -> None:
    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        yield data[:10]
        yield data[10:]

    data = json.dumps(CANDIDATE).encode()
    refused = await client.post(
        "/v1/candidates", content=chunks(data), headers={"Content-Type": "text/plain"}
    )
    assert_problem(refused, 415)
    accepted = await client.post(
        "/v1/candidates", content=chunks(data), headers={"Content-Type": "application/json"}
    )
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        'Application/JSON; Charset="UTF-8"',
        "application/merge-patch+json",
    ],
)
async def test_json_media_types_are_accepted(client: httpx.AsyncClient, content_type: str) -> None:
    candidate = await new_candidate(client)
    response = await client.patch(
        f"/v1/candidates/{candidate['id']}",
        content=json.dumps({"name": "Grace Hopper"}).encode(),
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Grace Hopper"


def test_media_type_rule() -> None:
    assert is_json_media_type("application/vnd.followup+json")
    assert is_json_media_type("application/json;charset=utf8")
    assert not is_json_media_type(None)
    assert not is_json_media_type("text/json")
    assert not is_json_media_type("application/json; charset=utf-8; q=1")


async def test_a_request_without_body_needs_no_content_type(client: httpx.AsyncClient) -> None:
    candidate = await new_candidate(client)
    response = await client.delete(f"/v1/candidates/{candidate['id']}")
    assert response.status_code == 204, response.text


async def test_a_refused_body_does_not_use_up_its_idempotency_key(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "strict-parsing-1"}
    refused = await client.post(
        "/v1/candidates",
        content=json.dumps(CANDIDATE),
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert_problem(refused, 415)
    created = await client.post("/v1/candidates", json=CANDIDATE, headers=headers)
    assert created.status_code == 201, created.text
    assert "idempotent-replayed" not in created.headers


def test_every_operation_with_a_body_declares_415(app: Any) -> None:
    document = app.openapi()
    with_body = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = "415" in operation["responses"]
            assert declared == ("requestBody" in operation), (method, path)
            with_body += declared
    assert with_body > 10


# --- bounded parsing ----------------------------------------------------------------------


def _json_error(response: httpx.Response) -> Json:
    problem = assert_problem(response, 422)
    errors: list[Json] = problem["errors"]
    [error] = errors
    assert error["field"] == "body"
    assert error["code"] == "json_invalid"
    return error


async def test_an_integer_of_5000_digits_is_refused_where_it_stands(
    client: httpx.AsyncClient,
) -> None:
    prefix = '{"thank_you_hours": '
    body = prefix + "1" * 5000 + "}"
    error = _json_error(
        await client.put("/v1/policy", content=body, headers={"Content-Type": "application/json"})
    )
    assert "number out of range" in error["message"]
    column = int(error["message"].rsplit("column ", 1)[1])
    assert len(prefix) < column <= len(prefix) + 5000, error


async def test_a_long_integer_the_parser_takes_is_refused_by_its_fields_bounds(
    client: httpx.AsyncClient,
) -> None:
    body = '{"thank_you_hours": ' + "9" * 4000 + "}"
    response = await client.put(
        "/v1/policy", content=body, headers={"Content-Type": "application/json"}
    )
    error = assert_invalid(response, "body.thank_you_hours")
    assert error["code"] == "less_than_equal"


async def test_json_nested_10000_deep_is_refused_with_its_position(
    client: httpx.AsyncClient,
) -> None:
    for body in ("[" * 10_000 + "]" * 10_000, '{"name": ' + '{"a": ' * 10_000 + "1" + "}" * 10_001):
        response = await client.post(
            "/v1/candidates", content=body, headers={"Content-Type": "application/json"}
        )
        error = _json_error(response)
        assert "recursion limit exceeded at line 1 column" in error["message"], error


async def test_nesting_within_the_parsers_limit_is_refused_by_the_schema(
    client: httpx.AsyncClient,
) -> None:
    body = {**CANDIDATE, "name": json.loads("[" * 150 + "]" * 150)}
    response = await client.post("/v1/candidates", json=body)
    assert_invalid(response, "body.name")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"name": "Ada",', "EOF while parsing a value at line 1 column 15"),
        (b'{"name": NaN}', "line 1 column 10"),
        (b'{"name": "\xff"}', "line 1 column"),
        (b'{"a": 1}\n{"b": 2}', "trailing characters at line 2 column 1"),
    ],
)
async def test_malformed_json_says_where_it_stopped(
    client: httpx.AsyncClient, body: bytes, where: str
) -> None:
    response = await client.post(
        "/v1/candidates", content=body, headers={"Content-Type": "application/json"}
    )
    assert where in _json_error(response)["message"]


async def test_a_utf16_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/candidates",
        content=json.dumps(CANDIDATE).encode("utf-16"),
        headers={"Content-Type": "application/json"},
    )
    _json_error(response)


# --- date-times ---------------------------------------------------------------------------

NOT_RFC3339 = [
    0,
    1_700_000_000,
    1.5,
    True,
    "0",
    "1700000000",
    "2027-01-20 15:00:00+01:00",
    "2027-01-20_15:00:00+01:00",
    "2027-01-20T15:00+01:00",
    "2027-01-20T15:00:00+0100",
    "2027-01-20T15:00:00+01",
    "20270120T150000Z",
    "2027-01-20",
    "2027-W03-3T15:00:00Z",
    "2027-01-20T15:00:00.1234567890Z",
    " 2027-01-20T15:00:00Z",
    ["2027-01-20T15:00:00Z"],
]


@pytest.mark.parametrize("value", NOT_RFC3339, ids=repr)
async def test_a_time_that_is_not_an_rfc3339_string_is_refused(
    client: httpx.AsyncClient, value: Any
) -> None:
    application = await new_application(client)
    response = await client.post(
        f"/v1/applications/{application['id']}/replies", json={"received_at": value}
    )
    error = assert_invalid(response, "body.received_at")
    assert error["code"] == "datetime_format", error
    assert "RFC 3339" in error["message"]


async def test_a_time_without_offset_keeps_its_own_error(client: httpx.AsyncClient) -> None:
    application = await new_application(client)
    response = await client.post(
        f"/v1/applications/{application['id']}/replies",
        json={"received_at": "2027-01-20T15:00:00"},
    )
    assert assert_invalid(response, "body.received_at")["code"] == "timezone_aware"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2027-01-20T15:00:00+01:00", "2027-01-20T14:00:00Z"),
        ("2027-01-20t14:00:00z", "2027-01-20T14:00:00Z"),
        ("2027-01-20T14:00:00.5-00:00", "2027-01-20T14:00:00.500000Z"),
        ("2027-01-20T14:00:00.123456789Z", "2027-01-20T14:00:00.123456Z"),
    ],
)
async def test_rfc3339_times_are_accepted(
    client: httpx.AsyncClient, value: str, stored: str
) -> None:
    application = await new_application(client)
    response = await client.post(
        f"/v1/applications/{application['id']}/replies", json={"received_at": value}
    )
    assert response.status_code == 201, response.text
    assert response.json()["received_at"] == stored


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/v1/actions", "as_of"),
        ("/v1/actions", "due_after"),
        ("/v1/actions", "due_before"),
        ("/v1/events", "occurred_after"),
        ("/v1/events", "occurred_before"),
    ],
)
@pytest.mark.parametrize("value", ["0", "1700000000", "2027-01-20 15:00:00Z", "2027-01-20"])
async def test_query_times_must_be_rfc3339(
    client: httpx.AsyncClient, path: str, parameter: str, value: str
) -> None:
    response = await client.get(path, params={parameter: value})
    assert assert_invalid(response, f"query.{parameter}")["code"] == "datetime_format"


async def test_a_time_in_a_synced_record_must_be_rfc3339(client: httpx.AsyncClient) -> None:
    batch = {
        "candidates": [{"external_id": "c-1", **CANDIDATE}],
        "applications": [
            {
                "external_id": "a-1",
                "candidate_external_id": "c-1",
                "company": "Globex",
                "role": "Engineer",
            }
        ],
        "interviews": [
            {
                "external_id": "i-1",
                "application_external_id": "a-1",
                "kind": "video",
                "start": 1_800_000_000,
                "end": "2027-01-12T11:00:00+01:00",
            }
        ],
    }
    response = await client.post("/v1/sync", json=batch)
    assert assert_invalid(response, "body.interviews.0.start")["code"] == "datetime_format"


@pytest.mark.parametrize("value", [0, "20270120", "2027-1-20", "2027-01-20T00:00:00Z"], ids=repr)
async def test_a_date_must_be_an_rfc3339_full_date(client: httpx.AsyncClient, value: Any) -> None:
    application = await new_application(client)
    response = await client.post(
        f"/v1/applications/{application['id']}/replies",
        json={"received_at": "2027-01-20T15:00:00Z", "new_expected_date": value},
    )
    assert assert_invalid(response, "body.new_expected_date")["code"] == "date_format"


@pytest.mark.parametrize(
    "value", ["1899-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "2199-12-31T23:00:00-01:00"]
)
async def test_times_outside_the_accepted_range_are_refused(
    client: httpx.AsyncClient, value: str
) -> None:
    application = await new_application(client)
    response = await client.post(
        f"/v1/applications/{application['id']}/replies", json={"received_at": value}
    )
    assert assert_invalid(response, "body.received_at")["code"] == "timestamp_range"
    assert_invalid(await client.get("/v1/actions", params={"as_of": value}), "query.as_of")


# --- time zones ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC", "Mars/Base"]
)
async def test_names_that_are_not_time_zones_are_refused(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.post("/v1/candidates", json={**CANDIDATE, "time_zone": name})
    assert_invalid(response, "body.time_zone")
    candidate = await new_candidate(client)
    response = await client.patch(f"/v1/candidates/{candidate['id']}", json={"time_zone": name})
    assert_invalid(response, "body.time_zone")


@pytest.mark.parametrize("name", ["UTC", "America/New_York", "US/Eastern", "EST5EDT"])
async def test_real_zones_and_their_legacy_aliases_are_accepted(
    client: httpx.AsyncClient, name: str
) -> None:
    candidate = await new_candidate(client, time_zone=name)
    assert candidate["time_zone"] == name


# --- paging through every accepted time ---------------------------------------------------


async def test_actions_at_the_edges_of_the_accepted_range_page_through(
    client: httpx.AsyncClient,
) -> None:
    # The latest interview the API accepts: its follow-ups fall due after 2200-01-01.
    latest, _, _ = await interview_round(
        client, start="2199-12-31T20:00:00Z", end="2199-12-31T21:00:00Z"
    )
    earliest, _, _ = await interview_round(
        client, start="1900-01-01T00:00:00Z", end="1900-01-01T01:00:00Z"
    )
    as_of = {"as_of": "1900-01-01T00:00:00Z"}
    everything = await all_pages(client, "/v1/actions", as_of)
    assert any(at(action["due_by"]).year >= 2200 for action in everything), everything
    assert any(at(action["due_by"]).year == 1900 for action in everything), everything

    one_by_one = await all_pages(client, "/v1/actions", as_of, limit=1)
    assert [action["id"] for action in one_by_one] == [action["id"] for action in everything]
    for application in (latest, earliest):
        path = f"/v1/applications/{application['id']}/actions"
        expected = [a["id"] for a in everything if a["application_id"] == application["id"]]
        assert expected
        assert [a["id"] for a in await all_pages(client, path, as_of, limit=1)] == expected


@pytest.mark.parametrize("year", [1, 1899, 2200, 2500, 9999])
async def test_a_utc_cursor_of_any_year_is_taken(client: httpx.AsyncClient, year: int) -> None:
    cursor = encode_cursor([f"{year:04d}-12-31T23:59:59.999999+00:00", "act_x"])
    response = await client.get("/v1/actions", params={"cursor": cursor})
    assert response.status_code == 200, response.text
    cursor = encode_cursor([f"{year:04d}-01-01T00:00:00+00:00", "cand_x"])
    response = await client.get("/v1/candidates", params={"cursor": cursor})
    assert response.status_code == 200, response.text
