"""The tenant policy: SPEC defaults, validation naming the field, and its description."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from app.domain import Policy, PolicyError, policy_fields


def test_defaults_are_those_of_the_spec() -> None:
    assert Policy() == Policy(
        confirm_lead_hours=24,
        thank_you_hours=24,
        default_reply_wait_business_days=5,
        check_in_window_business_days=2,
        check_in_repeat_business_days=5,
        max_check_ins=2,
        connect_within_days=7,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("confirm_lead_hours", -1),
        ("thank_you_hours", -24),
        ("thank_you_hours", 0),
        ("default_reply_wait_business_days", -1),
        ("check_in_window_business_days", 0),
        ("check_in_repeat_business_days", 0),
        ("max_check_ins", -1),
        ("max_check_ins", 6),
        ("connect_within_days", 0),
        ("connect_within_days", 10_000),
        ("thank_you_hours", 1.5),
        ("max_check_ins", True),
        ("max_check_ins", "2"),
    ],
)
def test_invalid_values_name_their_field(field: str, value: Any) -> None:
    with pytest.raises(PolicyError) as raised:
        Policy(**{field: value})
    assert raised.value.field == field
    assert field in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("field", "value"),
    [("confirm_lead_hours", 0), ("max_check_ins", 0), ("max_check_ins", 5)],
)
def test_boundary_values_are_accepted(field: str, value: int) -> None:
    assert getattr(Policy(**{field: value}), field) == value


def test_replace_validates_too() -> None:
    with pytest.raises(PolicyError):
        replace(Policy(), max_check_ins=9)


def test_fields_describe_every_value_for_the_api() -> None:
    described = policy_fields()
    assert described == Policy.fields()
    assert [f.name for f in described] == [
        "confirm_lead_hours",
        "thank_you_hours",
        "default_reply_wait_business_days",
        "check_in_window_business_days",
        "check_in_repeat_business_days",
        "max_check_ins",
        "connect_within_days",
    ]
    for spec in described:
        assert spec.minimum <= spec.default <= spec.maximum
        assert getattr(Policy(), spec.name) == spec.default
        assert spec.description
        assert spec.unit in {"hours", "business_days", "days", "count"}


def test_policies_are_hashable_values() -> None:
    assert hash(Policy()) == hash(Policy())
    assert Policy(max_check_ins=3) != Policy()
