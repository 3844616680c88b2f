"""The rules' outline (what the assistant's etiquette resource shows) says what the rules
themselves say: their order, their actions, and the guidance planned actions carry."""

from __future__ import annotations

from app.domain import ActionType, ApplicationStatus, Policy, RuleId, rules
from tests.domain import builders


def test_the_outline_lists_each_rule_once_in_order_with_its_action() -> None:
    outline = rules.outline(Policy())
    assert [each.rule for each in outline] == list(RuleId)
    assert {each.action_type for each in outline} == set(ActionType)
    assert all(each.summary and "\n" not in each.summary for each in outline)


def test_the_outline_carries_the_guidance_of_the_planned_actions() -> None:
    policy = Policy(connect_within_days=9)
    outline = {each.action_type: each.guidance for each in rules.outline(policy)}
    rejected = builders.application(
        interviews=[builders.interview()],
        status=ApplicationStatus.REJECTED,
        outcome_at=builders.utc(2025, 3, 20, 9),
    )
    # No organizer known and no profile URL: the guidance is the outline's exactly (E1
    # otherwise names the organizer, E5 adds the person's profile).
    planned = builders.planned(rejected, policy).values()
    assert {action.type for action in planned} == set(ActionType) - {ActionType.CHECK_IN}
    for action in planned:
        assert action.wording.guidance == outline[action.type], action.type
