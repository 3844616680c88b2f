"""Logging with a request ID on every line, and the Prometheus metrics the app exports."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from pythonjsonlogger.json import JsonFormatter

from app.settings import LogFormat, Settings

# Set (to a directory) when several server processes share their metrics; see `followup serve`.
MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the ID of the request being served (or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(settings: Settings) -> None:
    """Route every logger (ours, uvicorn's, SQLAlchemy's) through one handler and format."""
    use_json = settings.log_format == LogFormat.JSON or (
        settings.log_format == LogFormat.AUTO and not sys.stderr.isatty()
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if use_json:
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{request_id}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Migration chatter at every start is noise; warnings still show.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The app writes its own access line with the request ID; uvicorn's would be a duplicate.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """The app's Prometheus instruments, on a registry of their own (one per app).

    With several server processes (``PROMETHEUS_MULTIPROC_DIR`` set) each process writes
    its instruments to that directory and :meth:`exposition` sums them; the runtime
    collectors, which only see the process they run in, are replaced there by one
    ``process_*`` series per live server process (labelled ``pid``).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_directory = os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE) or None
        if self.multiprocess_directory is None:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.requests = Counter(
            "followup_http_requests_total",
            "HTTP requests served, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.feed_pages_served = Counter(
            "followup_feed_pages_served_total",
            "Feed requests answered from a page the process kept, without a query.",
            registry=self.registry,
        )
        self.feed_pages_stored = Counter(
            "followup_feed_pages_stored_total",
            "Feed pages read from the database and kept to answer the same request again.",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "followup_rate_limited_total",
            "Requests refused with 429, by the rate-limit policy that refused them.",
            ["policy"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "followup_http_request_duration_seconds",
            "Time to serve an HTTP request, by method, route template and status class "
            "(2xx, 3xx, 4xx, 5xx).",
            ["method", "route", "status_class"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "followup_http_requests_in_progress",
            "HTTP requests being served right now, by method (summed over live processes).",
            ["method"],
            multiprocess_mode="livesum",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The text exposition format of every instrument, summed over server processes."""
        if self.multiprocess_directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        PlatformCollector(registry=registry)  # the same interpreter in every process
        ServerProcessesCollector(self.multiprocess_directory, registry)
        return generate_latest(registry)


class ServerProcessesCollector(Collector):
    """``process_*`` metrics (CPU, memory, file descriptors) of every live server process.

    prometheus_client's multiprocess mode cannot run collectors in other processes, but
    on Linux any process can read a sibling's ``/proc/<pid>``: the processes are the ones
    that wrote a file to the shared directory (``counter_<pid>.db`` and so on), and the
    ones that have exited are skipped (their ``/proc`` entry is gone).
    """

    def __init__(self, directory: str, registry: CollectorRegistry) -> None:
        self.directory = Path(directory)
        registry.register(self)

    def pids(self) -> list[int]:
        found = set()
        for path in self.directory.glob("*.db"):
            suffix = path.stem.rsplit("_", 1)[-1]
            if suffix.isdigit():
                found.add(int(suffix))
        return sorted(found)

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for pid in self.pids():
            reader = ProcessCollector(pid=lambda pid=pid: pid, registry=None)  # type: ignore[misc]
            for family in reader.collect():
                merged = families.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    merged.samples.append(
                        sample._replace(labels={**sample.labels, "pid": str(pid)})
                    )
        return list(families.values())


class WorkerMetrics:
    """The `followup worker` process's instruments, served by the worker itself."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.deliveries = Counter(
            "followup_webhook_deliveries_total",
            "Webhook attempts recorded, by what became of the delivery: delivered, retrying "
            "(failed, another attempt is scheduled) or failed (given up).",
            ["outcome"],
            registry=self.registry,
        )
        self.attempts = Counter(
            "followup_webhook_attempts_total",
            "HTTP attempts made to deliver webhooks, by the receiver's status class (2xx, "
            "3xx, 4xx, 5xx) or `error` when no answer came (refused, timed out).",
            ["result"],
            registry=self.registry,
        )
        self.attempt_duration = Histogram(
            "followup_webhook_attempt_duration_seconds",
            "Time a receiver took to answer a webhook attempt.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.pending = Gauge(
            "followup_webhook_deliveries_pending",
            "Deliveries not finished yet (due, waiting for a retry, or being sent): the queue.",
            registry=self.registry,
        )
        self.oldest_pending_age = Gauge(
            "followup_webhook_oldest_pending_delivery_age_seconds",
            "Age of the oldest delivery not finished yet; 0 when none is pending.",
            registry=self.registry,
        )
        self.due_event_lag = Gauge(
            "followup_worker_due_event_lag_seconds",
            "Now minus the due time of the oldest action whose `action.due` or "
            "`action.overdue` event is not emitted yet; 0 when none is late.",
            registry=self.registry,
        )
        self.time_events = Counter(
            "followup_worker_time_events_total",
            "`action.due` and `action.overdue` windows the worker handled.",
            registry=self.registry,
        )
        self.action_texts = Counter(
            "followup_worker_action_texts_total",
            "Stored actions whose texts were written with an older catalogue, by what the "
            "worker did: rewritten (new texts, new version), current (the texts come out "
            "the same; the catalogue is recorded), changed_meanwhile (left for the next "
            "pass) or unreadable (the wording cannot be written; kept as stored).",
            ["outcome"],
            registry=self.registry,
        )
        self.failed_passes = Counter(
            "followup_worker_failed_passes_total",
            "Worker passes that failed as a whole (the database was unreachable, say).",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def status_class(status_code: int | None) -> str:
    """``2xx``, ``4xx``…: the label that keeps a metric's series few."""
    return f"{status_code // 100}xx" if status_code is not None else "error"
