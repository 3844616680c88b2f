"""Plan an application's follow-up actions, and tell an action's status at a moment.

``plan`` is pure and does not read the clock: the same application and policy always
give the same actions, keys and windows. What changes with time is only the status,
which ``status`` (or ``status_of``, for stored rows) derives from the window, the user's
latest mark and ``as_of``.

Obsolete actions are not represented in the plan: an action that no rule calls for any
more simply has no key in it. That covers a cancelled interview, a rescheduled one's
old windows (the keys stay, the windows move), and a pending check-in made obsolete by
a reply, a later interview or an outcome: the reply re-keys the check-ins (or ends
them), a later interview anchors them to that interview, and an outcome ends them. The
storage layer marks every key that vanished as obsolete and keeps it for history.

Key formats (ids with ``:`` or ``%`` are percent-escaped; a key over 200 characters
becomes ``{rule}:sha256:{hex digest}``):

- ``E1:{interview_id}`` and ``E2:{interview_id}``
- ``E3:{interview_id}:{contact_id}``
- ``E4:{interview_id}:{n}``, or ``E4:{interview_id}:reply:{reply_id}:{n}`` once a reply
  has named a new date (``n`` counts check-ins from 1)
- ``E5:{contact_id}``
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

from app.domain.model import ActionStatus, Application, Mark, MarkKind, PlannedAction, Policy
from app.domain.rules import (
    ask_closing_questions,
    check_in,
    confirm_interviewers,
    connect_on_network,
    latest_mark,
    rule_context,
    send_thank_you,
)


def plan(
    application: Application, policy: Policy, *, language: str | None = None
) -> list[PlannedAction]:
    """Every action the application calls for, sorted by due time, then opening, then key.

    The actions write their texts in ``language`` (by default the candidate's) when asked;
    what they say does not depend on it."""
    context = rule_context(application, policy, language or application.candidate.language)
    actions: list[PlannedAction] = []
    for round_ in context.rounds:
        actions.append(confirm_interviewers(context, round_))
        actions.append(ask_closing_questions(context, round_))
        actions.extend(send_thank_you(context, round_))
    actions.extend(check_in(context))
    actions.extend(connect_on_network(context))
    actions.sort(key=_PLAN_ORDER)
    return actions


_PLAN_ORDER = attrgetter("due_by", "available_from", "key")


def status(
    planned: PlannedAction, marks: Sequence[Mark], as_of: datetime, *, obsolete: bool = False
) -> ActionStatus:
    """The status of a planned action at ``as_of``, given the marks on its key."""
    mark = latest_mark(marks)
    return status_of(
        available_from=planned.available_from,
        due_by=planned.due_by,
        satisfied=planned.satisfied,
        mark_kind=mark.kind if mark else None,
        snoozed_until=mark.snoozed_until if mark else None,
        obsolete=obsolete,
        as_of=as_of,
    )


def status_of(
    *,
    available_from: datetime,
    due_by: datetime,
    satisfied: bool,
    mark_kind: MarkKind | None,
    snoozed_until: datetime | None,
    obsolete: bool,
    as_of: datetime,
) -> ActionStatus:
    """The status from stored fields, first match wins.

    1. the latest mark is done or dismissed: ``done`` / ``dismissed`` (what the user did
       stays true even after the rule stops calling for the action);
    2. ``obsolete``;
    3. ``satisfied`` (E1/E2 met by the data): ``done``;
    4. the latest mark is a snooze still running at ``as_of``: ``snoozed``;
    5. the window: ``upcoming`` before ``available_from``, ``due`` until ``due_by``,
       ``overdue`` from then on.

    Satisfied comes before a snooze because a snooze hides work still to do, and there is
    none left. The latest mark counts whatever ``as_of`` is, so storage needs to keep only
    that one mark per action to answer any query.
    """
    if mark_kind is MarkKind.DONE:
        return ActionStatus.DONE
    if mark_kind is MarkKind.DISMISSED:
        return ActionStatus.DISMISSED
    if obsolete:
        return ActionStatus.OBSOLETE
    if satisfied:
        return ActionStatus.DONE
    if mark_kind is MarkKind.SNOOZED and snoozed_until is not None and as_of < snoozed_until:
        return ActionStatus.SNOOZED
    if as_of < available_from:
        return ActionStatus.UPCOMING
    if as_of < due_by:
        return ActionStatus.DUE
    return ActionStatus.OVERDUE
