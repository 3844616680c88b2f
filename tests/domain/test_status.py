"""An action's status at a moment: the documented precedence, and the latest mark counting."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.domain import ActionStatus, Mark, MarkKind, RuleId, status, status_of
from tests.domain.builders import application, interview, of_rule, utc

OPENS = utc(2025, 9, 10, 9)
CLOSES = utc(2025, 9, 12, 9)
BEFORE, INSIDE, AFTER = OPENS - timedelta(hours=1), OPENS + timedelta(hours=1), CLOSES
LATER = utc(2025, 9, 30)


@pytest.mark.parametrize(
    ("mark_kind", "snoozed_until", "satisfied", "obsolete", "as_of", "expected"),
    [
        # the window alone
        (None, None, False, False, BEFORE, ActionStatus.UPCOMING),
        (None, None, False, False, OPENS, ActionStatus.DUE),
        (None, None, False, False, INSIDE, ActionStatus.DUE),
        (None, None, False, False, AFTER, ActionStatus.OVERDUE),
        # 1. done and dismissed marks win over everything, obsolete included
        (MarkKind.DONE, None, False, True, AFTER, ActionStatus.DONE),
        (MarkKind.DISMISSED, None, True, True, INSIDE, ActionStatus.DISMISSED),
        # 2. obsolete comes next
        (None, None, True, True, INSIDE, ActionStatus.OBSOLETE),
        (MarkKind.SNOOZED, LATER, False, True, INSIDE, ActionStatus.OBSOLETE),
        # 3. satisfied by the data: done, even under a snooze
        (None, None, True, False, AFTER, ActionStatus.DONE),
        (MarkKind.SNOOZED, LATER, True, False, INSIDE, ActionStatus.DONE),
        # 4. a running snooze hides the window
        (MarkKind.SNOOZED, LATER, False, False, AFTER, ActionStatus.SNOOZED),
        (MarkKind.SNOOZED, LATER, False, False, BEFORE, ActionStatus.SNOOZED),
        # ... and an expired one no longer does
        (MarkKind.SNOOZED, INSIDE, False, False, INSIDE, ActionStatus.DUE),
        (MarkKind.SNOOZED, INSIDE, False, False, AFTER, ActionStatus.OVERDUE),
    ],
)
def test_status_of_precedence(
    mark_kind: MarkKind | None,
    snoozed_until: datetime | None,
    satisfied: bool,
    obsolete: bool,
    as_of: datetime,
    expected: ActionStatus,
) -> None:
    assert (
        status_of(
            available_from=OPENS,
            due_by=CLOSES,
            satisfied=satisfied,
            mark_kind=mark_kind,
            snoozed_until=snoozed_until,
            obsolete=obsolete,
            as_of=as_of,
        )
        is expected
    )


def test_status_of_a_planned_action_follows_its_window() -> None:
    action = of_rule(application(interviews=[interview()]), RuleId.E3)[0]
    assert status(action, [], action.available_from - timedelta(seconds=1)) is ActionStatus.UPCOMING
    assert status(action, [], action.available_from) is ActionStatus.DUE
    assert status(action, [], action.due_by) is ActionStatus.OVERDUE
    assert status(action, [], action.due_by, obsolete=True) is ActionStatus.OBSOLETE


def test_the_latest_mark_counts() -> None:
    action = of_rule(application(interviews=[interview()]), RuleId.E3)[0]
    snoozed = Mark(action.key, MarkKind.SNOOZED, utc(2025, 9, 8, 10), snoozed_until=LATER)
    finished = Mark(action.key, MarkKind.DONE, utc(2025, 9, 8, 12))
    as_of = action.due_by
    assert status(action, [snoozed, finished], as_of) is ActionStatus.DONE
    assert status(action, [finished, snoozed], as_of) is ActionStatus.DONE
    later_snooze = Mark(action.key, MarkKind.SNOOZED, utc(2025, 9, 8, 13), snoozed_until=LATER)
    assert status(action, [finished, later_snooze], as_of) is ActionStatus.SNOOZED


def test_marks_at_the_same_moment_do_not_depend_on_their_order() -> None:
    action = of_rule(application(interviews=[interview()]), RuleId.E3)[0]
    moment = utc(2025, 9, 8, 12)
    marks = [
        Mark(action.key, MarkKind.SNOOZED, moment, snoozed_until=LATER),
        Mark(action.key, MarkKind.DISMISSED, moment, reason="sent by phone"),
        Mark(action.key, MarkKind.DONE, moment),
    ]
    assert status(action, marks, moment) is status(action, marks[::-1], moment)
    assert status(action, marks, moment) is ActionStatus.DONE


def test_satisfied_actions_are_done_by_themselves() -> None:
    confirmed = interview(confirmed=True)
    (action,) = of_rule(application(interviews=[confirmed]), RuleId.E1)
    assert action.satisfied
    assert status(action, [], action.due_by + timedelta(days=30)) is ActionStatus.DONE
