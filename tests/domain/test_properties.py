"""Property-based tests of the invariants every plan keeps, whatever the input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import (
    MAX_KEY_LENGTH,
    ActionType,
    Application,
    ApplicationStatus,
    Candidate,
    Contact,
    Interview,
    InterviewKind,
    InterviewStatus,
    Mark,
    MarkKind,
    Policy,
    Reply,
    RuleId,
    business_day_after,
    is_business_day,
    latest_mark,
    local_date,
    plan,
)
from app.domain.model import policy_fields

LOCALES = [
    ("DE", "Europe/Berlin"),
    ("US", "America/New_York"),
    ("US", "America/Los_Angeles"),
    ("JP", "Asia/Tokyo"),
    ("IN", "Asia/Kolkata"),
    ("AU", "Australia/Sydney"),
    ("BR", "America/Sao_Paulo"),
    ("ZZ", "UTC"),  # not covered by the holidays package
]
# Offsets the interview times are written in, independent of the candidate's zone.
INPUT_ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]
CONTACT_IDS = ["c1", "c2", "c3", "c4", "c:5"]
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=100, deadline=None)


def _moments(days: int = 400) -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda minutes, zone: (EPOCH + timedelta(minutes=minutes)).astimezone(zone),
        st.integers(0, days * 24 * 60),
        st.sampled_from(INPUT_ZONES),
    )


policies = st.builds(
    Policy,
    **{
        spec.name: st.integers(spec.minimum, min(spec.maximum, spec.default * 4 + 2))
        for spec in policy_fields()
    },
)

contacts = st.builds(
    Contact,
    id=st.sampled_from(CONTACT_IDS),
    name=st.one_of(st.none(), st.just("Ann Example")),
    title=st.one_of(st.none(), st.just("Lead")),
    email=st.one_of(st.none(), st.just("a@example.com")),
    phone=st.one_of(st.none(), st.just("+1 555 0100")),
    profile_url=st.one_of(st.none(), st.just("https://network.example/a")),
    is_recruiting_firm_rep=st.booleans(),
    made_first_contact=st.booleans(),
)


@st.composite
def interviews(draw: st.DrawFn, interview_id: str) -> Interview:
    start = draw(_moments())
    end = start + timedelta(minutes=draw(st.integers(0, 240)))
    return Interview(
        id=interview_id,
        kind=draw(st.sampled_from(InterviewKind)),
        start=start,
        end=end,
        status=draw(st.sampled_from(InterviewStatus)),
        panel=tuple(draw(st.lists(st.sampled_from([*CONTACT_IDS, "ghost"]), max_size=4))),
        panel_confirmed=draw(st.booleans()),
        next_step=draw(st.one_of(st.none(), st.just("second round"))),
        expected_reply_date=draw(
            st.one_of(st.none(), st.integers(-3, 25).map(lambda d: end.date() + timedelta(d)))
        ),
        recorded_at=draw(
            st.one_of(
                st.none(), st.integers(-30 * 24, 48).map(lambda h: start + timedelta(hours=h))
            )
        ),
    )


@st.composite
def applications(draw: st.DrawFn) -> Application:
    country, time_zone = draw(st.sampled_from(LOCALES))
    people = draw(st.lists(contacts, max_size=5, unique_by=lambda c: c.id))
    rounds = [draw(interviews(f"i{n}")) for n in range(draw(st.integers(0, 4)))]
    replies = [
        Reply(
            id=f"r{n}",
            received_at=draw(_moments()),
            contact_id=draw(st.one_of(st.none(), st.sampled_from(CONTACT_IDS))),
            new_expected_date=draw(st.one_of(st.none(), _moments().map(lambda m: m.date()))),
        )
        for n in range(draw(st.integers(0, 3)))
    ]
    # Marks on keys the plan may produce, so check-in chains actually grow.
    keys = [f"E4:{i.id}:{n}" for i in rounds for n in (1, 2, 3)] * 2
    keys += [f"E4:{i.id}:reply:{r.id}:1" for i in rounds for r in replies]
    keys += [f"E3:{i.id}:{c}" for i in rounds for c in i.panel]
    marks = []
    if keys:
        for _ in range(draw(st.integers(0, 5))):
            # Mostly "done", so that check-in chains grow often enough to be tested.
            kind = draw(st.sampled_from([*[MarkKind.DONE] * 3, *MarkKind]))
            at = draw(_moments())
            marks.append(
                Mark(
                    action_key=draw(st.sampled_from(keys)),
                    kind=kind,
                    at=at,
                    snoozed_until=at + timedelta(days=2) if kind is MarkKind.SNOOZED else None,
                )
            )
    # Active half of the time: that is when check-ins are planned.
    status = draw(st.one_of(st.just(ApplicationStatus.ACTIVE), st.sampled_from(ApplicationStatus)))
    outcome_at = (
        draw(st.one_of(st.none(), _moments())) if status is not ApplicationStatus.ACTIVE else None
    )
    return Application(
        id="app",
        candidate=Candidate(id="cand", time_zone=time_zone, country=country),
        status=status,
        outcome_at=outcome_at,
        contacts=tuple(people),
        interviews=tuple(rounds),
        replies=tuple(replies),
        marks=tuple(marks),
    )


@st.composite
def followed_up(draw: st.DrawFn) -> tuple[Application, Policy]:
    """An application whose candidate marks each check-in done as it comes, and a policy."""
    app = draw(applications())
    policy = draw(policies)
    marked: set[str] = set()
    for _ in range(policy.max_check_ins + 1):
        pending = [a for a in plan(app, policy) if a.rule is RuleId.E4 and a.key not in marked]
        if not pending:
            break
        action = pending[0]
        at = action.available_from + timedelta(hours=draw(st.integers(0, 96)))
        marked.add(action.key)
        app = replace(app, marks=(*app.marks, Mark(action.key, MarkKind.DONE, at)))
    return app, policy


@SETTINGS
@given(applications(), policies)
def test_windows_open_no_later_than_they_close_in_utc(app: Application, policy: Policy) -> None:
    for action in plan(app, policy):
        assert action.available_from <= action.due_by, action.key
        assert action.available_from.tzinfo is UTC and action.due_by.tzinfo is UTC


@SETTINGS
@given(applications(), policies)
def test_thank_you_is_due_exactly_the_policy_hours_after_the_end(
    app: Application, policy: Policy
) -> None:
    ends = {interview.id: interview.end for interview in app.interviews}
    for action in plan(app, policy):
        if action.type is ActionType.SEND_THANK_YOU:
            assert action.interview_id is not None
            assert action.available_from == ends[action.interview_id]
            assert action.due_by - ends[action.interview_id] == timedelta(
                hours=policy.thank_you_hours
            )


@SETTINGS
@given(followed_up())
def test_check_ins_open_at_nine_on_a_business_day_after_their_deadline(
    case: tuple[Application, Policy],
) -> None:
    app, policy = case
    zone = ZoneInfo(app.candidate.time_zone)
    country = app.candidate.country
    interviews_by_id = {interview.id: interview for interview in app.interviews}
    replies_by_id = {reply.id: reply for reply in app.replies}
    for action in plan(app, policy):
        if action.rule is not RuleId.E4:
            continue
        opens = action.available_from.astimezone(zone)
        assert opens.time() == time(9) and is_business_day(opens.date(), country), action.key
        closes = action.due_by.astimezone(zone)
        assert closes.time() == time(9) and is_business_day(closes.date(), country)

        parts = action.key.split(":")
        latest = interviews_by_id[parts[1]]
        number = int(parts[-1])
        if number > 1:
            continue  # counted from the previous check-in, checked below
        end_day = local_date(latest.end, app.candidate.time_zone)
        if len(parts) == 5:  # anchored at a reply with a new date
            reply = replies_by_id[parts[3]]
            assert reply.new_expected_date is not None
            deadline = max(
                reply.new_expected_date, local_date(reply.received_at, app.candidate.time_zone)
            )
        elif latest.expected_reply_date is not None:
            deadline = max(latest.expected_reply_date, end_day)
        else:
            deadline = business_day_after(end_day, policy.default_reply_wait_business_days, country)
        assert opens.date() > deadline
        assert opens.date() == business_day_after(deadline, 1, country)


@SETTINGS
@given(followed_up())
def test_a_repeat_check_in_follows_a_done_one(case: tuple[Application, Policy]) -> None:
    app, policy = case
    actions = {action.key: action for action in plan(app, policy)}
    # The latest mark on a key is the one that counts, as in the domain.
    marks_by_key: dict[str, list[Mark]] = {}
    for mark in app.marks:
        marks_by_key.setdefault(mark.action_key, []).append(mark)
    latest = {key: latest_mark(marks) for key, marks in marks_by_key.items()}
    done_marks = {
        key: mark for key, mark in latest.items() if mark is not None and mark.kind is MarkKind.DONE
    }
    for key, action in actions.items():
        if action.rule is RuleId.E4 and not key.endswith(":1"):
            previous = key.rsplit(":", 1)[0] + f":{int(key.rsplit(':', 1)[1]) - 1}"
            assert previous in actions
            assert previous in done_marks
            done_day = local_date(done_marks[previous].at, app.candidate.time_zone)
            opens_day = local_date(action.available_from, app.candidate.time_zone)
            assert opens_day == business_day_after(
                done_day, policy.check_in_repeat_business_days, app.candidate.country
            )


@SETTINGS
@given(followed_up())
def test_never_more_check_ins_than_the_policy_allows(case: tuple[Application, Policy]) -> None:
    app, policy = case
    check_ins = [a for a in plan(app, policy) if a.type is ActionType.CHECK_IN]
    assert len(check_ins) <= policy.max_check_ins


@SETTINGS
@given(applications(), policies)
def test_no_check_in_once_an_outcome_is_set(app: Application, policy: Policy) -> None:
    decided = replace(app, status=ApplicationStatus.REJECTED, outcome_at=EPOCH)
    assert not [a for a in plan(decided, policy) if a.type is ActionType.CHECK_IN]
    if app.status is not ApplicationStatus.ACTIVE:
        assert not [a for a in plan(app, policy) if a.type is ActionType.CHECK_IN]


@SETTINGS
@given(applications(), policies, st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_its_inputs(
    app: Application, policy: Policy, random: object
) -> None:
    def shuffled(items: tuple[object, ...]) -> tuple[object, ...]:
        copy = list(items)
        random.shuffle(copy)  # type: ignore[attr-defined]
        return tuple(copy)

    reordered = replace(
        app,
        contacts=shuffled(app.contacts),  # type: ignore[arg-type]
        interviews=shuffled(app.interviews),  # type: ignore[arg-type]
        replies=shuffled(app.replies),  # type: ignore[arg-type]
        marks=shuffled(app.marks),  # type: ignore[arg-type]
    )
    assert plan(reordered, policy) == plan(app, policy)


@SETTINGS
@given(applications(), policies)
def test_keys_are_unique_short_and_stable(app: Application, policy: Policy) -> None:
    first = plan(app, policy)
    keys = [action.key for action in first]
    assert len(keys) == len(set(keys))
    assert all(len(key) <= MAX_KEY_LENGTH for key in keys)
    assert [action.key for action in plan(app, policy)] == keys
    assert first == sorted(first, key=lambda a: (a.due_by, a.available_from, a.key))


@SETTINGS
@given(applications(), policies)
def test_every_action_explains_itself(app: Application, policy: Policy) -> None:
    for action in plan(app, policy):
        assert action.title and action.guidance
        assert f"Rule {action.rule.value}" in action.explanation
        assert "%(" not in action.title + action.explanation + action.guidance


@SETTINGS
@given(applications(), policies, st.integers(-72, 72))
def test_moving_an_interview_keeps_its_keys(app: Application, policy: Policy, hours: int) -> None:
    """A rescheduled interview keeps its keys, as long as the rounds keep their order."""
    if len(app.interviews) != 1 or app.status is not ApplicationStatus.ACTIVE or app.replies:
        return
    (only,) = app.interviews
    shift = timedelta(hours=hours)
    moved = replace(
        app,
        interviews=(
            replace(
                only,
                start=only.start + shift,
                end=only.end + shift,
                recorded_at=only.recorded_at,
            ),
        ),
        marks=(),
    )
    unmarked = replace(app, marks=())
    assert {a.key for a in plan(moved, policy)} == {a.key for a in plan(unmarked, policy)}


def test_dates_before_the_epoch_still_plan() -> None:
    early = Interview(
        id="i",
        kind=InterviewKind.PHONE,
        start=datetime(1999, 12, 31, 10, tzinfo=UTC),
        end=datetime(1999, 12, 31, 11, tzinfo=UTC),
        panel=("c1",),
        expected_reply_date=date(1999, 12, 31),
    )
    app = Application(id="a", candidate=Candidate("c", "Europe/Berlin", "DE"), interviews=(early,))
    assert plan(app, Policy())
