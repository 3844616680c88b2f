"""The public base URL: every absolute URL the API hands out starts with it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


@pytest.mark.parametrize(
    ("configured", "resolved"),
    [
        ("https://followup.example.com", "https://followup.example.com"),
        ("https://followup.example.com/", "https://followup.example.com"),
        ("https://example.com:8443/followup/", "https://example.com:8443/followup"),
        ("http://[2001:db8::1]:8000", "http://[2001:db8::1]:8000"),
    ],
)
def test_a_configured_public_base_url_is_used_as_given(configured: str, resolved: str) -> None:
    assert Settings(public_base_url=configured).resolved_public_base_url == resolved


@pytest.mark.parametrize(
    "configured",
    [
        "followup.example.com",
        "/v1",
        "ftp://followup.example.com",
        "https://",
        "https://user:pw@followup.example.com",
        "https://followup.example.com/?x=1",
        "https://followup.example.com/#top",
        "https://followup.example.com:99999",
        "https://followup.example.com/a b",
        "https://followup.example.com/\r\nX-Evil: 1",
    ],
)
def test_a_public_base_url_that_is_no_absolute_http_url_is_refused(configured: str) -> None:
    with pytest.raises(ValidationError, match="public_base_url"):
        Settings(public_base_url=configured)


@pytest.mark.parametrize(
    ("host", "port", "resolved"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 8000, "http://[::1]:8000"),
        ("api.internal", 80, "http://api.internal:80"),
    ],
)
def test_without_one_the_listening_address_is_used(host: str, port: int, resolved: str) -> None:
    assert Settings(host=host, port=port).resolved_public_base_url == resolved


def test_every_setting_is_described_and_every_number_bounded() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name
        if field.annotation in (int, float):
            bounds = {type(rule).__name__ for rule in field.metadata}
            assert bounds & {"Ge", "Gt"}, name
            assert "Le" in bounds, name


@pytest.mark.parametrize("value", ["often", "1/minute;2/second", "0/minute", "5/week"])
def test_a_rate_limit_setting_is_checked(value: str) -> None:
    with pytest.raises(ValidationError, match="rate_limit_expensive_per_tenant"):
        Settings(rate_limit_expensive_per_tenant=value)
