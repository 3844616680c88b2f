"""Benchmark: what the guards cost the feed: rate limits and request deadlines on against off.

Run with ``python -m tests.perf.bench_guards [--rounds N] [--duration S] ...``. It seeds a
fresh PostgreSQL database beside the admin URL's (one tenant, ``--actions`` actions),
then serves it from two servers at once, identical but for the guards:

- ``off``: rate limiting disabled, no request deadline;
- ``on``: rate limits kept in process memory (the embedded default) and, with
  ``--redis-url``, a third server keeping them in Redis, each with limits far above the
  load so that every request is counted and none refused; the default request deadline.

Only one server is under load at a time; the variants take turns, round after round, so
that the machine's drift touches each alike, and the report gives each variant's median
over the rounds and its ratio to ``off``. Target (issue 12): within 5%.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tests.perf import _seed
from tests.perf.bench_api import (
    DEFAULT_ADMIN_URL,
    PAGE_SIZE,
    UNCACHED,
    Measurement,
    Scenario,
    cpu_model,
    free_port,
    load_average,
    measure,
    prepare,
    start_server,
    stop_server,
    wait_until_ready,
)

TARGET = 0.05
# Far above what two cores can serve, so the limiter counts every request and refuses none.
UNREACHABLE_LIMIT = "100000000/minute"

GUARDS_OFF = {
    "FOLLOWUP_RATE_LIMIT_ENABLED": "false",
    "FOLLOWUP_REQUEST_DEADLINE_SECONDS": "0",
}
GUARDS_ON = {
    "FOLLOWUP_RATE_LIMIT_ENABLED": "true",
    "FOLLOWUP_RATE_LIMIT_PER_KEY": UNREACHABLE_LIMIT,
    "FOLLOWUP_RATE_LIMIT_PER_TENANT": UNREACHABLE_LIMIT,
}


# Six servers of two workers share one PostgreSQL (100 connections by default): each
# worker holds its pool and one listening connection.
POOL = {"FOLLOWUP_DB_POOL_SIZE": "6"}


def variants(redis_url: str | None) -> dict[str, dict[str, str]]:
    """Both guards off (twice, as a control), each on alone, both on; with a Redis URL,
    both on with Redis."""
    chosen = {
        "off": {**POOL, **GUARDS_OFF},
        # The same as "off", served by a server of its own: how far two identical servers
        # fall apart on this machine, the floor under which no difference means anything.
        "off again": {**POOL, **GUARDS_OFF},
        "deadline": {**POOL, **GUARDS_OFF, "FOLLOWUP_REQUEST_DEADLINE_SECONDS": "30"},
        "limits": {**POOL, **GUARDS_ON, "FOLLOWUP_REQUEST_DEADLINE_SECONDS": "0"},
        "both": {**POOL, **GUARDS_ON},
    }
    if redis_url:
        chosen["both, Redis"] = {**POOL, **GUARDS_ON, "FOLLOWUP_REDIS_URL": redis_url}
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_ADMIN_URL, help="admin URL of the server")
    parser.add_argument("--actions", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds a turn")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/14", help="'' to leave Redis out"
    )
    args = parser.parse_args(argv)

    print(f"date      {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"machine   {cpu_model()}; load average {load_average()}")
    secret_key = secrets.token_hex(32)
    database = asyncio.run(_seed.create_database(args.database_url))
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    errors = 0
    try:
        prepared = asyncio.run(prepare(database, secret_key, args.actions, 100))
        key = prepared.big.key
        feed = f"/v1/actions?status=due&limit={PAGE_SIZE}"
        scenarios = [
            Scenario("feed page 1 (as polled)", [feed], key),
            Scenario("feed page 1 (no-cache)", [feed], key, UNCACHED),
            Scenario("GET /v1/me", ["/v1/me"], key),
        ]
        results: dict[tuple[str, str], list[Measurement]] = {}
        with tempfile.TemporaryDirectory(prefix="followup-guards-") as scratch:
            for name, settings in variants(args.redis_url).items():
                port = free_port()
                log_path = Path(scratch) / f"{len(servers)}.log"
                server = start_server(
                    database.url, secret_key, port, args.workers, log_path, settings
                )
                wait_until_ready(server, f"http://127.0.0.1:{port}", log_path)
                servers[name] = (server, port)
            for round_number in range(1, args.rounds + 1):
                for scenario in scenarios:
                    for name, (server, port) in servers.items():
                        measured = measure(
                            scenario,
                            port,
                            server.pid,
                            database,
                            connections=args.connections,
                            processes=1,
                            duration=args.duration,
                            warmup=args.warmup,
                        )
                        errors += measured.errors + sum(
                            1 for f in measured.failure_sample if f.startswith("HTTP")
                        )
                        results.setdefault((scenario.name, name), []).append(measured)
                        print(
                            f"round {round_number}  {scenario.name:<26} {name:<12} "
                            f"{measured.rate:>7.0f} req/s  p50 {measured.p50:.1f} ms  "
                            f"p99 {measured.p99:.1f} ms  server "
                            f"{measured.server_cpu_ms * 1000:.0f} us/req",
                            flush=True,
                        )
        report(results, list(servers), [s.name for s in scenarios])
    finally:
        for server, _port in servers.values():
            stop_server(server)
        asyncio.run(_seed.drop_database(database))
    return 1 if errors else 0


def report(
    results: dict[tuple[str, str], list[Measurement]], names: list[str], scenarios: list[str]
) -> None:
    """Each variant's median rate and server CPU per request, and both as ratios to "off".

    The rate is what the target is about; the server's CPU per request is the steadier
    figure on a shared machine (it does not move with the load generator's share of the
    cores), so a MISS on the rate alone, with the CPU within 5%, points at the machine.
    """
    print()
    print(
        f"{'scenario':<26} {'guards':<12} {'median req/s':>12} {'p50 ms':>7} {'vs off':>7}  "
        f"{'server us/req':>13} {'vs off':>7}"
    )
    for scenario in scenarios:
        baseline = statistics.median(m.rate for m in results[(scenario, "off")])
        baseline_cpu = statistics.median(m.server_cpu_ms for m in results[(scenario, "off")])
        for name in names:
            runs = results[(scenario, name)]
            rate = statistics.median(m.rate for m in runs)
            p50 = statistics.median(m.p50 for m in runs)
            cpu = statistics.median(m.server_cpu_ms for m in runs)
            ratio = rate / baseline
            verdict = "" if name.startswith("off") else ("PASS" if ratio >= 1 - TARGET else "MISS")
            print(
                f"{scenario:<26} {name:<12} {rate:>12.0f} {p50:>7.1f} {ratio:>7.3f}  "
                f"{cpu * 1000:>13.0f} {cpu / baseline_cpu:>7.3f} {verdict}"
            )


if __name__ == "__main__":
    sys.exit(main())
