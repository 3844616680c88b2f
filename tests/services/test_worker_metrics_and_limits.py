"""The worker's own metrics, served on its port, and the per-endpoint delivery limit."""

# The worker tests' fixtures are imported, and pytest passes them in by name.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db import models
from app.services.worker import Worker, serve_metrics
from app.settings import Settings
from tests import conftest
from tests.api.builders import interview_round
from tests.api.test_metrics import values
from tests.services.test_worker import (  # noqa: F401 (fixtures)
    Clock,
    Receiver,
    _committed_tenant_client,
    committed_loopback_app,
    hooks_client,
    loopback_settings,
    new_endpoint,
    receiver,
)
from tests.test_cli import free_port


async def scrape(port: int) -> str:
    response = await asyncio.to_thread(httpx.get, f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    return response.text


async def test_the_worker_serves_its_own_metrics(
    hooks_client: httpx.AsyncClient,
    sessionmaker: Any,
    loopback_settings: Settings,
    receiver: Receiver,
) -> None:
    receiver.status = 503  # every attempt fails: the deliveries wait for their retries
    await new_endpoint(hooks_client, receiver.url)
    await interview_round(hooks_client)
    clock = Clock()
    clock.advance(seconds=600)
    port = free_port()
    async with Worker(sessionmaker, loopback_settings, clock=clock) as worker:
        stop_serving = serve_metrics(worker.metrics, "127.0.0.1", port)
        try:
            await worker.measure()  # before any pass: the due windows wait to be announced
            before = await scrape(port)
            await worker.run_once()
            clock.advance(seconds=60)
            await worker.measure()
            after = await scrape(port)
        finally:
            stop_serving()

    assert values(before, "followup_worker_due_event_lag_seconds")[0] >= 600
    assert values(after, "followup_worker_due_event_lag_seconds") == [0.0]
    sent = len(receiver.requests)
    assert sent > 0
    assert values(after, "followup_webhook_attempts_total", result="5xx") == [float(sent)]
    assert values(after, "followup_webhook_deliveries_total", outcome="retrying") == [float(sent)]
    # Sent, and the ones the endpoint's limit of 4 at a time kept waiting.
    assert values(after, "followup_webhook_deliveries_pending")[0] > sent
    assert values(after, "followup_webhook_oldest_pending_delivery_age_seconds")[0] >= 60
    assert values(after, "followup_worker_time_events_total")[0] >= 1
    assert values(after, "process_cpu_seconds_total") and values(after, "python_info")


class CountingReceiver:
    """A slow receiver that notes the most requests it was ever answering at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.current = self.peak = self.total = 0
        counter = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with counter.lock:
                    counter.current += 1
                    counter.peak = max(counter.peak, counter.current)
                time.sleep(counter.delay)
                with counter.lock:  # before answering: the worker cannot move on sooner
                    counter.current -= 1
                    counter.total += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def slow_receiver() -> Iterator[CountingReceiver]:
    receiver = CountingReceiver(delay=0.1)
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


async def test_an_endpoint_never_gets_more_deliveries_at_once_than_its_limit(
    committed_loopback_app: Any,
    loopback_settings: Settings,
    slow_receiver: CountingReceiver,
    test_database: conftest.TestDatabase,
) -> None:
    limit, queued = 3, 40
    settings = loopback_settings.model_copy(update={"webhook_max_concurrent_per_endpoint": limit})
    client, _ = await _committed_tenant_client(committed_loopback_app, settings)
    factory = committed_loopback_app.state.write_sessionmaker
    async with client:
        endpoint = await new_endpoint(client, slow_receiver.url)
        for _ in range(queued):
            assert (await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")).is_success
    # Two workers on PostgreSQL, each claiming a batch of 20; SQLite has one writer.
    worker_count = 2 if test_database.is_postgres else 1
    stop = asyncio.Event()
    workers = [Worker(factory, settings) for _ in range(worker_count)]
    for worker in workers:
        await worker.__aenter__()
    runs = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        deadline = time.monotonic() + 60
        while slow_receiver.total < queued:
            assert time.monotonic() < deadline, f"{slow_receiver.total} of {queued} arrived"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*runs)
        for worker in workers:
            await worker.__aexit__(None, None, None)
    async with factory() as session:
        delivered = await session.scalar(
            select(func.count())
            .select_from(models.WebhookDelivery)
            .where(
                models.WebhookDelivery.endpoint_id == endpoint["id"],
                models.WebhookDelivery.status == "delivered",
                models.WebhookDelivery.leased_until.is_(None),
            )
        )
    assert delivered == queued
    assert slow_receiver.total == queued
    assert slow_receiver.peak == limit  # reached, never passed
