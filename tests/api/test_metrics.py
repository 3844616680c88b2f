"""What `/metrics` exports, read with Prometheus' own text parser."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.api.test_system import assert_problem
from tests.conftest import app_in_transaction, client_for


def samples(exposition: str) -> list[Sample]:
    return [
        sample for family in text_string_to_metric_families(exposition) for sample in family.samples
    ]


def values(exposition: str, name: str, **labels: str) -> list[float]:
    """The values of the samples called ``name`` whose labels include ``labels``."""
    return [
        s.value
        for s in samples(exposition)
        if s.name == name and labels.items() <= s.labels.items()
    ]


async def test_runtime_collectors_are_exported(anonymous: httpx.AsyncClient) -> None:
    exposition = (await anonymous.get("/metrics")).text
    names = {s.name for s in samples(exposition)}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= names
    assert "python_gc_collections_total" in names


async def test_durations_are_labelled_by_route_method_and_status_class(
    anonymous: httpx.AsyncClient,
) -> None:
    assert (await anonymous.get("/healthz")).status_code == 200
    assert (await anonymous.get("/v1/me")).status_code == 401
    exposition = (await anonymous.get("/metrics")).text
    duration = "followup_http_request_duration_seconds_count"
    assert values(exposition, duration, method="GET", route="/healthz", status_class="2xx")
    assert values(exposition, duration, method="GET", route="/v1/me", status_class="4xx")
    assert not values(exposition, duration, route="/healthz", status_class="4xx")


async def test_the_docs_and_their_assets_have_named_routes(anonymous: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs-assets/swagger-ui.css"):
        assert (await anonymous.get(path)).status_code == 200, path
    assert (await anonymous.get("/no-such-page")).status_code == 404
    exposition = (await anonymous.get("/metrics")).text
    routes = {
        s.labels["route"] for s in samples(exposition) if s.name == "followup_http_requests_total"
    }
    assert {"/docs", "/redoc", "/openapi.json", "/docs-assets/{path}"} <= routes
    assert "unmatched" in routes  # only the path no route serves


async def test_requests_in_progress_are_counted(app: FastAPI) -> None:
    held = asyncio.Event()
    release = asyncio.Event()

    @app.get("/slow")
    async def slow() -> None:
        held.set()
        await release.wait()

    async with client_for(app) as http:
        slow_request = asyncio.create_task(http.get("/slow"))
        await held.wait()
        during = (await http.get("/metrics")).text
        release.set()
        assert (await slow_request).status_code == 200
        after = (await http.get("/metrics")).text
    in_progress = "followup_http_requests_in_progress"
    assert values(during, in_progress, method="GET") == [2.0]  # the slow one and the scrape
    assert values(after, in_progress, method="GET") == [1.0]  # the scrape alone


async def test_a_metrics_token_is_required_once_set(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token = "metrics-token-0123456789"
    guarded = app_in_transaction(
        settings.model_copy(update={"metrics_token": SecretStr(token)}), engine, sessionmaker
    )
    async with client_for(guarded) as http:
        body = assert_problem(await http.get("/metrics"), 401)
        assert "Bearer" in str(body["detail"])
        wrong = await http.get("/metrics", headers={"Authorization": f"Bearer {token}x"})
        assert_problem(wrong, 401)
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200
        assert values(right.text, "followup_http_requests_total", route="/metrics", status="401")
