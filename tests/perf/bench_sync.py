"""Benchmark: one 1,000-record `POST /v1/sync` on PostgreSQL, new records and unchanged.

Run with ``python -m tests.perf.bench_sync [--database-url URL] [--runs N]``. It creates a
fresh database beside the admin URL's, migrates it, and posts batches of 100 candidates,
200 applications, 400 contacts and 300 interviews (each with a two-person panel) through
the app in-process (validation, the sync, the re-plan of 200 applications and the
commit all count). "new" uses fresh external IDs each run; "unchanged" re-sends the batch
just written. A baseline of `GET /healthz` through the same client is timed alongside, so
the figures can be read against the machine's noise. Targets (issue 5): under 2 s for new
records and under 1 s when nothing changed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import migrations
from app.db.engine import create_engine
from app.main import attach_database, create_app
from app.services.api_keys import create_tenant_with_key
from app.settings import Settings

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_NEW_SECONDS = 2.0
TARGET_UNCHANGED_SECONDS = 1.0
ZONES = [
    ("Europe/Berlin", "DE"),
    ("America/New_York", "US"),
    ("Asia/Tokyo", "JP"),
    ("Europe/London", "GB"),
]


def make_batch(prefix: str) -> dict[str, Any]:
    """1,000 records: 100 candidates x 2 applications x (2 contacts + 1.5 interviews)."""
    base = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    batch: dict[str, list[Any]] = {
        "candidates": [],
        "applications": [],
        "contacts": [],
        "interviews": [],
    }
    for c in range(100):
        zone, country = ZONES[c % len(ZONES)]
        batch["candidates"].append(
            {
                "external_id": f"{prefix}c{c}",
                "name": f"Candidate {c}",
                "time_zone": zone,
                "country": country,
            }
        )
        for a in range(2):
            app_id = f"{prefix}a{c}-{a}"
            batch["applications"].append(
                {
                    "external_id": app_id,
                    "candidate_external_id": f"{prefix}c{c}",
                    "company": f"Company {a}",
                    "role": "Engineer",
                }
            )
            for p in range(2):
                batch["contacts"].append(
                    {
                        "external_id": f"{app_id}-p{p}",
                        "application_external_id": app_id,
                        "name": f"Interviewer {p}",
                        "title": "Engineer",
                        "email": f"p{p}.{c}.{a}@example.com",
                    }
                )
            rounds = 2 if (c + a) % 2 else 1
            for r in range(rounds):
                start = base + timedelta(days=c % 20 + 7 * r, hours=a)
                batch["interviews"].append(
                    {
                        "external_id": f"{app_id}-i{r}",
                        "application_external_id": app_id,
                        "kind": "video",
                        "start": start.isoformat(),
                        "end": (start + timedelta(hours=1)).isoformat(),
                        "panel_external_ids": [f"{app_id}-p0", f"{app_id}-p1"],
                        "panel_confirmed": True,
                    }
                )
    total = sum(len(v) for v in batch.values())
    assert total == 1000, total
    return batch


async def _timed(client: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> float:
    started = time.perf_counter()
    response = await client.request(method, path, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def run(admin_url: str, runs: int) -> None:
    name = f"followup_bench_{secrets.token_hex(4)}"
    admin = create_engine(Settings(database_url=admin_url), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(Settings(database_url=admin_url).resolved_database_url).set(database=name)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        secret_key="bench",
        max_body_bytes=8 * 1024 * 1024,
        log_level="WARNING",
    )
    engine = create_engine(settings)
    try:
        await migrations.upgrade(engine)
        app = create_app(settings)
        attach_database(app, engine)
        async with app.state.write_sessionmaker() as session, session.begin():
            _tenant, issued = await create_tenant_with_key(session, "Bench", b"bench")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {issued.plaintext}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, timeout=60
        ) as client:
            await _timed(client, "POST", "/v1/sync", json=make_batch("warm-"))  # warm-up
            new, unchanged, baseline = [], [], []
            for index in range(runs):
                batch = make_batch(f"r{index}-")
                new.append(await _timed(client, "POST", "/v1/sync", json=batch))
                unchanged.append(await _timed(client, "POST", "/v1/sync", json=batch))
                baseline.append(await _timed(client, "GET", "/healthz"))
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    def line(label: str, values: list[float], target: float | None) -> str:
        median = statistics.median(values)
        verdict = "" if target is None else ("PASS" if median < target else "MISS")
        return (
            f"{label:<28} median {median * 1000:8.1f} ms   min {min(values) * 1000:8.1f}"
            f"   max {max(values) * 1000:8.1f}   {verdict}"
        )

    print(f"1,000-record sync on PostgreSQL, {runs} runs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(line("sync, all new", new, TARGET_NEW_SECONDS))
    print(line("sync, all unchanged", unchanged, TARGET_UNCHANGED_SECONDS))
    print(line("baseline GET /healthz", baseline, None))
    ratio = statistics.median(new) / statistics.median(unchanged)
    print(
        json.dumps(
            {
                "new_ms": round(statistics.median(new) * 1000, 1),
                "unchanged_ms": round(statistics.median(unchanged) * 1000, 1),
                "new_over_unchanged": round(ratio, 2),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.database_url, args.runs))


if __name__ == "__main__":
    main()
