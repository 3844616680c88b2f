"""Logging with a request ID on every line, and the Prometheus metrics the app exports."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from pythonjsonlogger.json import JsonFormatter

from app.settings import LogFormat, Settings

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
    """The app's Prometheus instruments, on a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
            "Time to serve an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
