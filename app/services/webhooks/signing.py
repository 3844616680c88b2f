"""Signing a webhook delivery: each endpoint's secret, derived and never stored, and the
``Followup-Signature`` header a receiver checks against the raw body."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from app.db import models

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SIGNATURE_HEADER = "Followup-Signature"


def derive_secret(service_key: bytes, endpoint_id: str, salt: str) -> str:
    """The endpoint's signing secret: a keyed hash of its ID and salt, never stored."""
    digest = hmac.new(service_key, f"webhook:{endpoint_id}:{salt}".encode(), hashlib.sha256)
    return SECRET_PREFIX + digest.hexdigest()


def signing_secrets(
    endpoint: models.WebhookEndpoint, service_key: bytes, now: datetime
) -> list[str]:
    """The current secret, then the previous one while its overlap after a rotation lasts."""
    found = [derive_secret(service_key, endpoint.id, endpoint.secret_salt)]
    if (
        endpoint.previous_secret_salt
        and endpoint.previous_secret_expires_at
        and now < endpoint.previous_secret_expires_at
    ):
        found.append(derive_secret(service_key, endpoint.id, endpoint.previous_secret_salt))
    return found


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the whole secret string."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex>`` with one ``v1`` per secret in force."""
    parts = [f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets_)]
    return ",".join(parts)


def verify_signature(
    secret: str, header: str, body: bytes, *, now: int, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in fields if key == "t"]
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    if len(timestamps) != 1 or not timestamps[0].isascii() or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1")
