"""The `followup` command, run as a user would: in a subprocess with its own environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

KEY = re.compile(r"fu_live_[0-9a-f]{12}_[0-9a-f]{48}")


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_") and k != "DATABASE_URL"
    }
    environment.update({"FOLLOWUP_DATA_DIR": str(tmp_path), "FOLLOWUP_SECRET_KEY": "cli-test"})
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_invalid_setting_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate", FOLLOWUP_PORT="eighty")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "FOLLOWUP_PORT" in lines[0] and "Traceback" not in result.stderr


def test_unsupported_database_url_is_a_clear_line(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate", DATABASE_URL="mysql://root@localhost/x")
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    result = run(tmp_path, "tenants", "list")
    assert result.returncode == 1
    assert "followup migrate" in result.stderr and "Traceback" not in result.stderr


def test_tenant_and_key_lifecycle(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0

    created = run(tmp_path, "tenants", "create", "Northwind Recruiting")
    assert created.returncode == 0, created.stderr
    first_key = KEY.search(created.stdout)
    assert first_key is not None
    assert "curl -H 'Authorization: Bearer fu_live_" in created.stdout
    tenant_id = re.search(r"tenant (ten_[0-9a-f]+)", created.stdout)
    assert tenant_id is not None

    reader = run(tmp_path, "keys", "create", "--tenant", tenant_id[1], "--scope", "read")
    assert reader.returncode == 0, reader.stderr
    assert KEY.search(reader.stdout)

    listed = run(tmp_path, "keys", "list", "--tenant", tenant_id[1])
    rows = listed.stdout.strip().splitlines()
    assert len(rows) == 2
    assert not KEY.search(listed.stdout), "a key's secret must never be listed"
    key_id = rows[1].split("\t")[0]

    assert run(tmp_path, "keys", "revoke", key_id).returncode == 0
    assert "revoked" in run(tmp_path, "keys", "list").stdout
    assert run(tmp_path, "keys", "revoke", "key_missing").returncode == 1


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(data_dir: Path) -> dict[str, str]:
    """This environment without the run's Follow-Up settings, serving from ``data_dir``."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_") and k != "DATABASE_URL"
    }
    environment.update({"FOLLOWUP_DATA_DIR": str(data_dir), "FOLLOWUP_SECRET_KEY": "cli-test"})
    return environment


def test_two_workers_report_metrics_summed_over_both(tmp_path: Path) -> None:
    import time
    import urllib.request

    assert run(tmp_path, "migrate").returncode == 0
    port = free_port()
    environment = server_environment(tmp_path)
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--workers", "2", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        for _ in range(40):  # new connections, so both workers get some
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
        line = 'followup_http_requests_total{method="GET",route="/healthz",status="200"}'
        for _ in range(4):  # whichever worker answers, it reports both workers' counts
            text = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
            counted = [row for row in text.splitlines() if row.startswith(line)]
            assert counted and float(counted[0].rsplit(" ", 1)[1]) == 40.0, counted
    finally:
        server.terminate()
        server.wait(timeout=30)


async def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(tmp_path: Path) -> None:
    """A request still arriving when SIGTERM comes is answered in full before the exit."""
    import asyncio
    import json
    import signal
    from collections.abc import AsyncIterator

    import httpx

    assert run(tmp_path, "migrate").returncode == 0
    created = run(tmp_path, "tenants", "create", "Northwind Recruiting")
    key = KEY.search(created.stdout)
    assert key is not None, created.stderr
    port = free_port()
    environment = server_environment(tmp_path)
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "serve",
        "--port",
        str(port),
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    body = json.dumps({"name": "Ada Lovelace", "time_zone": "Europe/Berlin", "country": "DE"})
    half = len(body) // 2
    first_half_sent = asyncio.Event()
    terminated = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        # The request is in flight (its body half sent) when SIGTERM arrives; the rest
        # follows only after it.
        yield body[:half].encode()
        first_half_sent.set()
        await terminated.wait()
        await asyncio.sleep(0.5)
        yield body[half:].encode()

    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            deadline = asyncio.get_running_loop().time() + 30
            while True:
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, "the server did not start"
                await asyncio.sleep(0.2)
            request = asyncio.create_task(
                http.post(
                    "/v1/candidates",
                    content=slow_body(),
                    headers={
                        "Authorization": f"Bearer {key[0]}",
                        "Content-Type": "application/json",
                        "Content-Length": str(len(body)),
                    },
                )
            )
            await asyncio.wait_for(first_half_sent.wait(), 10)
            await asyncio.sleep(0.3)  # the server has read the first half
            server.send_signal(signal.SIGTERM)
            terminated.set()
            response = await asyncio.wait_for(request, 30)
        _, errors = await asyncio.wait_for(server.communicate(), 30)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Ada Lovelace"
    assert server.returncode == 0, errors.decode()
    import sqlite3

    with sqlite3.connect(tmp_path / "followup.db") as database:
        stored = database.execute("SELECT id FROM candidates").fetchall()
    assert stored == [(response.json()["id"],)]  # committed, not only answered
