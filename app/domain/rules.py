"""The etiquette rules E1-E5 of SPEC.md, one function each, turning facts into actions.

Each rule reads a :class:`RuleContext` (the application, the policy, and facts derived
once per plan) and returns the actions it calls for. Rules never read the clock: windows
are computed from the recorded times only.

``plan`` runs for every application of a tenant whenever its policy changes, so the hot
paths avoid needless work: texts that depend only on the policy are described once
(:class:`Phrases`), and per-action work is kept to a key, a window and the sentences
that name a person or a date. The rules describe their texts (:class:`texts.Text`)
rather than write them, so an action can be shown in any language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

from app.domain.calendar import business_day_after, local_date, local_time_to_utc, zone
from app.domain.model import (
    ActionType,
    Application,
    ApplicationStatus,
    BlockedReason,
    Channel,
    Contact,
    Interview,
    InterviewKind,
    InterviewStatus,
    Mark,
    MarkKind,
    PlannedAction,
    Policy,
    RuleId,
    Wording,
)
from app.domain.texts import Joined, Message, Text, TextValue, text

MAX_KEY_LENGTH = 200
CHECK_IN_CLOCK = time(9, 0)
# E1 opens when the interview is recorded; callers that cannot say when that was get a
# window opening a week ahead, long enough to ask and get an answer.
UNRECORDED_CONFIRM_LEAD = timedelta(days=7)

# When two marks on one key carry the same time, the more decisive one counts, so the
# outcome never depends on the order the marks were passed in.
_MARK_RANK = {MarkKind.SNOOZED: 0, MarkKind.DISMISSED: 1, MarkKind.DONE: 2}
_EARLIEST = datetime.min.replace(tzinfo=UTC)
# Plain strings, because reading an enum's ``.value`` is slow enough to show in a profile.
_RULE_PREFIX = {rule: str(rule.value) for rule in RuleId}
_FINAL_STATUSES = tuple(status for status in ApplicationStatus if status.is_final)

# Enum members the hot paths use, bound once: looking a member up on its class costs
# several times a global read, and plan() does it for every action.
_E1, _E2, _E3, _E4, _E5 = RuleId.E1, RuleId.E2, RuleId.E3, RuleId.E4, RuleId.E5
_CONFIRM_INTERVIEWERS = ActionType.CONFIRM_INTERVIEWERS
_ASK_CLOSING_QUESTIONS = ActionType.ASK_CLOSING_QUESTIONS
_SEND_THANK_YOU = ActionType.SEND_THANK_YOU
_CHECK_IN = ActionType.CHECK_IN
_CONNECT_ON_NETWORK = ActionType.CONNECT_ON_NETWORK
_EMAIL, _PHONE, _ANY = Channel.EMAIL, Channel.PHONE, Channel.ANY
_IN_INTERVIEW, _PROFESSIONAL_NETWORK = Channel.IN_INTERVIEW, Channel.PROFESSIONAL_NETWORK
_MISSING_CONTACT = BlockedReason.MISSING_CONTACT
_CANCELLED, _COMPLETED = InterviewStatus.CANCELLED, InterviewStatus.COMPLETED
_ACTIVE = ApplicationStatus.ACTIVE
_DONE = MarkKind.DONE
_ID = attrgetter("id")
_CHRONOLOGICAL = attrgetter("start", "end", "id")
# Texts without values, described once.
_KIND = {kind: text(f"kind.{kind.value}") for kind in InterviewKind}
_INTERVIEWER = text("person.interviewer")
_ORGANIZER = text("person.organizer")
_CONTACT = text("person.contact")
_UNNAMED_PANEL_MEMBER = text("person.unnamed_panel_member")
# People in a list are joined as each language joins them (Japanese: 、).
_NAME_SEPARATOR = text("names.separator")
_E1_NO_PANEL = text("E1.reason.no_panel")
_E1_SATISFIED = text("E1.reason.satisfied")
_E1_UNCONFIRMED = text("E1.reason.unconfirmed")
_E2_NEXT_STEP = text("E2.missing.next_step")
_E2_REPLY_DATE = text("E2.missing.reply_date")
_E2_PANEL = text("E2.missing.panel")
_E2_REP_NOTE = text("E2.rep_note")
_E2_SEPARATOR = text("E2.missing.separator")
_E3_REP_NOTE = text("E3.rep_note")
_E5_BLOCKED = text("E5.blocked")


def latest_mark(marks: Iterable[Mark]) -> Mark | None:
    """The mark that counts for one action: the latest, ties broken by kind then content."""
    return max(marks, key=_mark_order, default=None)


def _mark_order(mark: Mark) -> tuple[datetime, int, datetime, str]:
    return (mark.at, _MARK_RANK[mark.kind], mark.snoozed_until or _EARLIEST, mark.reason or "")


def _escape_key_part(value: str) -> str:
    # Escaping ":" (and the escape character) keeps keys unambiguous whatever the ids hold.
    return value.replace("%", "%25").replace(":", "%3A")


def action_key(rule: RuleId, *parts: str) -> str:
    """The stable key of an action: the rule id and the ids of its subject, ``:``-joined."""
    return _key(_RULE_PREFIX[rule], *map(_key_part, parts))


def _key_part(value: str) -> str:
    """An id as it appears in a key: escaped only when it holds ``:`` or ``%`` (rarely)."""
    return value if ":" not in value and "%" not in value else _escape_key_part(value)


def _key(prefix: str, *parts: str) -> str:
    """The key from a rule prefix and parts already passed through :func:`_key_part`."""
    return _bounded_key(prefix, ":".join((prefix, *parts)))


def _bounded_key(prefix: str, key: str) -> str:
    if len(key) > MAX_KEY_LENGTH:
        # Very long ids would overflow the stored key; a digest keeps it stable and unique.
        return f"{prefix}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return key


@dataclass(frozen=True, slots=True)
class Phrases:
    """Texts and durations that depend only on the policy, described once."""

    confirm_title: Mapping[InterviewKind, Message]
    closing_title: Mapping[InterviewKind, Message]
    closing_guidance: Message
    thank_you_guidance: Message
    check_in_guidance: Message
    connect_explanation: Mapping[ApplicationStatus, Message]
    connect_guidance: Message
    confirm_lead: timedelta
    thank_you_within: timedelta
    connect_within: timedelta


@lru_cache(maxsize=256)
def phrases(policy: Policy) -> Phrases:
    """The :class:`Phrases` for a policy, described once and then reused."""
    return Phrases(
        confirm_title={k: (text("E1.title", {"kind": _KIND[k]}),) for k in InterviewKind},
        closing_title={k: (text("E2.title", {"kind": _KIND[k]}),) for k in InterviewKind},
        closing_guidance=(text("E2.guidance"),),
        thank_you_guidance=(text("E3.guidance"),),
        check_in_guidance=(text("E4.guidance"),),
        connect_explanation={
            status: (text("E5.explanation", {"outcome": text(f"E5.outcome.{status.value}")}),)
            for status in _FINAL_STATUSES
        },
        connect_guidance=(text("E5.guidance", {"days": policy.connect_within_days}),),
        confirm_lead=timedelta(hours=policy.confirm_lead_hours),
        thank_you_within=timedelta(hours=policy.thank_you_hours),
        connect_within=timedelta(days=policy.connect_within_days),
    )


# Round and RuleContext are named tuples rather than dataclasses because one of each is
# built per interview and per plan, and tuples are the cheapest immutable records.
class Round(NamedTuple):
    """An interview that counts, with the facts several rules read about it."""

    interview: Interview
    start: datetime
    end: datetime
    panel: tuple[Contact, ...]
    # The interview's and each panel member's id as they appear in keys (see _key_part),
    # worked out once per plan rather than once per action.
    key_id: str
    panel_key_ids: tuple[str, ...]
    kind_text: Text
    # The interview's date on the candidate's wall clock, as local_date() tells it.
    day: date


class RuleContext(NamedTuple):
    """What every rule reads about one application, derived once per plan."""

    application: Application
    policy: Policy
    # The language the plan's actions write their texts in when asked (PlannedAction).
    language: str
    time_zone: str
    country: str
    contacts: Mapping[str, Contact]
    # Interviews in effect, oldest first.
    rounds: tuple[Round, ...]
    latest_marks: Mapping[str, Mark]
    # Whom to ask about the panel (E1) and who can pass a note on (E3), and how to call
    # them in a sentence even when their name is unknown.
    organizer: Contact | None
    organizer_name: str | Text
    confirm_guidance: Message
    phrases: Phrases

    def contact(self, contact_id: str) -> Contact:
        """The contact with that id, or an unknown person when none was recorded."""
        found = self.contacts.get(contact_id)
        return found if found is not None else Contact(id=contact_id)


def rule_context(application: Application, policy: Policy, language: str) -> RuleContext:
    """Derive, once, the facts the rules share: rounds in effect, contacts, latest marks."""
    time_zone = application.candidate.time_zone
    phrases_ = phrases(policy)
    contacts = {contact.id: contact for contact in application.contacts}
    marks_by_key: dict[str, list[Mark]] = {}
    for mark in application.marks:
        marks_by_key.setdefault(mark.action_key, []).append(mark)
    latest_marks = {key: max(marks, key=_mark_order) for key, marks in marks_by_key.items()}

    local_zone = zone(time_zone)
    rounds = []
    for interview in sorted(_interviews_in_effect(application), key=_CHRONOLOGICAL):
        # A contact listed twice on one panel is still one person to thank; one named on
        # the panel but not recorded is a person known only by id.
        panel_ids = dict.fromkeys(interview.panel)
        panel = [contacts.get(contact_id) or Contact(id=contact_id) for contact_id in panel_ids]
        rounds.append(
            Round(  # positional, in field order: one per round of every plan
                interview,
                interview.start.astimezone(UTC),
                interview.end.astimezone(UTC),
                tuple(panel),
                _key_part(interview.id),
                tuple(map(_key_part, panel_ids)),
                _KIND[interview.kind],
                interview.start.astimezone(local_zone).date(),
            )
        )
    organizer = _organizer(application.contacts) if rounds else None
    organizer_name: str | Text = (
        organizer.name if organizer is not None and organizer.name else _ORGANIZER
    )
    return RuleContext(  # positional, in field order: one per plan
        application,
        policy,
        language,
        time_zone,
        application.candidate.country,
        contacts,
        tuple(rounds),
        latest_marks,
        organizer,
        organizer_name,
        _confirm_guidance(organizer_name),
        phrases_,
    )


def _interviews_in_effect(application: Application) -> Iterable[Interview]:
    """Interviews that count: not cancelled, and not planned after the application ended."""
    cutoff = application.outcome_at if application.status.is_final else None
    for interview in application.interviews:
        if interview.status is _CANCELLED:
            continue
        # Once the application is over, a round still scheduled after that moment will not
        # take place, so it calls for nothing; a completed one did take place.
        if cutoff is not None and interview.status is not _COMPLETED and interview.start >= cutoff:
            continue
        yield interview


def _preferred_channel(contact: Contact | None) -> Channel:
    if contact is not None and contact.email:
        return _EMAIL
    if contact is not None and contact.phone:
        return _PHONE
    return _ANY


def _first_reachable(people: Sequence[Contact]) -> Contact | None:
    """The first person who can be reached, else the first person at all."""
    for person in people:
        if person.email or person.phone:
            return person
    return people[0] if people else None


def _distinct(people: Iterable[Contact]) -> list[Contact]:
    """People in first-seen order, each once."""
    seen: dict[str, Contact] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return list(seen.values())


def _by_id(people: Iterable[Contact]) -> list[Contact]:
    return sorted(people, key=_ID)


def _organizer(contacts: Sequence[Contact]) -> Contact | None:
    """Whom to ask about the panel: the first contact, else a recruiting-firm representative."""
    first_contacts = [c for c in contacts if c.made_first_contact]
    representatives = [c for c in contacts if c.is_recruiting_firm_rep]
    # Someone both first contact and representative appears twice: harmless, as only the
    # first reachable person (or the first of all) is taken.
    return _first_reachable([*_by_id(first_contacts), *_by_id(representatives)])


def _names(people: Iterable[Contact]) -> Joined:
    names: tuple[TextValue, ...] = tuple(person.name or _UNNAMED_PANEL_MEMBER for person in people)
    return Joined(names, _NAME_SEPARATOR)


def confirm_interviewers(ctx: RuleContext, round_: Round) -> PlannedAction:
    """E1 (before the interview): know the name and title of everyone on the panel."""
    interview = round_.interview
    due_by = round_.start - ctx.phrases.confirm_lead
    if interview.recorded_at is not None:
        recorded = interview.recorded_at.astimezone(UTC)
        if recorded > due_by:
            # Booked with less notice than the lead time: confirm before it starts.
            due_by = round_.start
        available_from = min(recorded, due_by)
    else:
        available_from = min(round_.start - UNRECORDED_CONFIRM_LEAD, due_by)

    panel = round_.panel
    unidentified = [person for person in panel if not (person.name and person.title)]
    satisfied = interview.panel_confirmed and bool(panel) and not unidentified
    if not panel:
        reason = _E1_NO_PANEL
    elif satisfied:
        reason = _E1_SATISFIED
    elif not interview.panel_confirmed and len(panel) == 1 and panel[0].made_first_contact:
        # The etiquette's warning: whoever reached out first is not necessarily on the panel.
        reason = text("E1.reason.only_first_contact", {"name": panel[0].name or ""})
    elif unidentified:
        reason = text("E1.reason.unidentified", {"names": _names(unidentified)})
    else:
        reason = _E1_UNCONFIRMED

    organizer = ctx.organizer
    kind = interview.kind
    # Positional, in field order, as in every per-round rule: see send_thank_you.
    return PlannedAction(
        _bounded_key("E1", f"E1:{round_.key_id}"),
        _E1,
        _CONFIRM_INTERVIEWERS,
        interview.id,
        organizer.id if organizer else None,
        available_from,
        due_by,
        _preferred_channel(organizer),
        None,
        Wording(
            ctx.phrases.confirm_title[kind],
            (
                text(
                    "E1.explanation",
                    {"kind": round_.kind_text, "date": round_.day, "reason": reason},
                ),
            ),
            ctx.confirm_guidance,
        ),
        satisfied,
        ctx.language,
    )


def ask_closing_questions(ctx: RuleContext, round_: Round) -> PlannedAction:
    """E2 (during the interview): ask the next step, when to expect news, and contact details."""
    interview = round_.interview
    missing: list[TextValue] = []
    if not interview.next_step:
        missing.append(_E2_NEXT_STEP)
    if interview.expected_reply_date is None:
        missing.append(_E2_REPLY_DATE)
    if not round_.panel:
        missing.append(_E2_PANEL)
    unreachable = [person for person in round_.panel if not (person.email or person.phone)]
    if unreachable:
        missing.append(text("E2.missing.contacts", {"names": _names(unreachable)}))

    kind = interview.kind
    satisfied = not missing
    if satisfied:
        explanation = text(
            "E2.explanation.satisfied", {"kind": round_.kind_text, "date": round_.day}
        )
    else:
        with_rep = any(person.is_recruiting_firm_rep for person in round_.panel)
        explanation = text(
            "E2.explanation",
            {
                "kind": round_.kind_text,
                "date": round_.day,
                "rep_note": _E2_REP_NOTE if with_rep else "",
                "missing": Joined(tuple(missing), _E2_SEPARATOR),
            },
        )
    # Positional, in field order, as in every per-round rule: see send_thank_you.
    return PlannedAction(
        _bounded_key("E2", f"E2:{round_.key_id}"),
        _E2,
        _ASK_CLOSING_QUESTIONS,
        interview.id,
        None,
        round_.start - ctx.phrases.confirm_lead,
        round_.end,
        _IN_INTERVIEW,
        None,
        Wording(ctx.phrases.closing_title[kind], (explanation,), ctx.phrases.closing_guidance),
        satisfied,
        ctx.language,
    )


def send_thank_you(ctx: RuleContext, round_: Round) -> list[PlannedAction]:
    """E3 (directly after): a short thank-you email to each interviewer within the deadline."""
    interview = round_.interview
    phrases = ctx.phrases
    due_by = round_.end + phrases.thank_you_within
    hours = ctx.policy.thank_you_hours
    guidance = phrases.thank_you_guidance
    language = ctx.language
    actions = []
    key_prefix = f"E3:{round_.key_id}:"
    for person, person_key_id in zip(round_.panel, round_.panel_key_ids, strict=True):
        name: str | Text = person.name or _INTERVIEWER
        explanation: Message = (
            text(
                "E3.explanation",
                {"hours": hours, "kind": round_.kind_text, "date": round_.day, "name": name},
            ),
        )
        if person.is_recruiting_firm_rep:
            explanation += (_E3_REP_NOTE,)
        blocked = None
        if not person.email:
            # Kept in the plan rather than dropped: the candidate still owes the thank-you
            # and needs to know what is missing to send it.
            blocked = _MISSING_CONTACT
            explanation += (text("E3.blocked", {"name": name, "organizer": ctx.organizer_name}),)
        # Positional, in field order: a keyword call costs half as much again, and this is
        # the action plan() builds most (one per interviewer per round).
        key = key_prefix + person_key_id
        if len(key) > MAX_KEY_LENGTH:
            key = _bounded_key("E3", key)
        actions.append(
            PlannedAction(
                key,
                _E3,
                _SEND_THANK_YOU,
                interview.id,
                person.id,
                round_.end,
                due_by,
                _EMAIL,
                blocked,
                Wording((text("E3.title", {"name": name}),), explanation, guidance),
                False,
                language,
            )
        )
    return actions


def _check_in_recipient(ctx: RuleContext, latest: Round, giver_id: str | None) -> Contact | None:
    """Whom E4 writes to: who gave the date, a recruiting-firm rep, the first contact, the lead.

    Someone with neither email nor phone is passed over for the next in line; if nobody
    can be reached, the first in line is kept and the action is marked blocked.
    """
    contacts = ctx.application.contacts
    in_line = [
        *([ctx.contact(giver_id)] if giver_id is not None else []),
        # A representative who sat on the latest panel knows this round best.
        *(person for person in latest.panel if person.is_recruiting_firm_rep),
        *_by_id(c for c in contacts if c.is_recruiting_firm_rep),
        *_by_id(c for c in contacts if c.made_first_contact),
        *latest.panel[:1],
    ]
    # The same person may be in line twice; only the first reachable one counts.
    return _first_reachable(in_line)


def check_in(ctx: RuleContext) -> list[PlannedAction]:
    """E4 (second follow-up): check in once the expected date has passed without news.

    Applies to an active application after its latest interview. A reply received after
    that interview ends the wait, unless it names a new date: then the check-ins start
    again from that date, under new keys, so the pending one becomes obsolete. Each
    check-in marked done without a reply opens the next one, up to ``max_check_ins``.
    """
    application = ctx.application
    policy = ctx.policy
    if application.status is not _ACTIVE or policy.max_check_ins == 0 or not ctx.rounds:
        return []
    latest = ctx.rounds[-1]
    interview = latest.interview
    time_zone, country = ctx.time_zone, ctx.country
    replies_since = [reply for reply in application.replies if reply.received_at >= latest.end]

    giver_id: str | None = None
    anchor: tuple[str, ...] = (latest.key_id,)
    if replies_since:
        last_reply = max(replies_since, key=lambda reply: (reply.received_at, reply.id))
        if last_reply.new_expected_date is None:
            return []
        # A date already past when the reply came means "any time now": wait from the reply.
        deadline = max(last_reply.new_expected_date, local_date(last_reply.received_at, time_zone))
        giver_id = last_reply.contact_id
        anchor = (latest.key_id, "reply", _key_part(last_reply.id))
        explanation = text("E4.explanation.reply", {"deadline": deadline})
    else:
        end_day = local_date(latest.end, time_zone)
        about: dict[str, TextValue] = {"kind": latest.kind_text, "date": latest.day}
        if interview.expected_reply_date is not None:
            deadline = max(interview.expected_reply_date, end_day)
            explanation = text("E4.explanation.expected", {**about, "deadline": deadline})
        else:
            wait = policy.default_reply_wait_business_days
            deadline = business_day_after(end_day, wait, country)
            explanation = text(
                "E4.explanation.default_wait", {**about, "wait": wait, "deadline": deadline}
            )

    recipient = _check_in_recipient(ctx, latest, giver_id)
    name: str | Text = recipient.name if recipient and recipient.name else _CONTACT
    if recipient is not None and recipient.email:
        channel, blocked = _EMAIL, None
    elif recipient is not None and recipient.phone:
        channel, blocked = _PHONE, None
    else:
        channel, blocked = _EMAIL, _MISSING_CONTACT
    blocked_note: Message = (text("E4.blocked", {"name": name}),) if blocked else ()

    actions = []
    opens_on = business_day_after(deadline, 1, country)
    for number in range(1, policy.max_check_ins + 1):
        key = _key("E4", *anchor, str(number))
        closes_on = business_day_after(opens_on, policy.check_in_window_business_days, country)
        title = (
            text("E4.title", {"name": name})
            if number == 1
            else text(
                "E4.title.repeat",
                {"name": name, "number": number, "maximum": policy.max_check_ins},
            )
        )
        actions.append(
            PlannedAction(
                key=key,
                rule=_E4,
                type=_CHECK_IN,
                interview_id=interview.id,
                contact_id=recipient.id if recipient else None,
                available_from=local_time_to_utc(opens_on, CHECK_IN_CLOCK, time_zone),
                due_by=local_time_to_utc(closes_on, CHECK_IN_CLOCK, time_zone),
                channel=channel,
                blocked_reason=blocked,
                wording=Wording(
                    (title,), (explanation, *blocked_note), ctx.phrases.check_in_guidance
                ),
                language=ctx.language,
            )
        )
        mark = ctx.latest_marks.get(key)
        if mark is None or mark.kind is not _DONE:
            break
        # Done without a reply (a reply would have re-anchored the chain above): the next
        # check-in waits a few business days counted from when this one was done.
        done_on = local_date(mark.at, time_zone)
        opens_on = business_day_after(done_on, policy.check_in_repeat_business_days, country)
        explanation = text(
            "E4.explanation.repeat",
            {
                "done_date": done_on,
                "repeat": policy.check_in_repeat_business_days,
                "number": number + 1,
                "maximum": policy.max_check_ins,
            },
        )
    return actions


def connect_on_network(ctx: RuleContext) -> list[PlannedAction]:
    """E5 (once all is said and done): connect with each person who interviewed you."""
    application = ctx.application
    if not application.status.is_final or not ctx.rounds:
        return []
    if application.outcome_at is not None:
        opens = application.outcome_at.astimezone(UTC)
    else:
        # A final status without its time: the last round is the best known stand-in.
        opens = max(round_.end for round_ in ctx.rounds)
    phrases = ctx.phrases
    due_by = opens + phrases.connect_within
    people = _distinct(person for round_ in ctx.rounds for person in round_.panel)
    actions = []
    for person in people:
        explanation = phrases.connect_explanation[application.status]
        guidance = phrases.connect_guidance
        if person.profile_url:
            guidance += (text("E5.guidance.profile", {"url": person.profile_url}),)
        blocked = None
        if not person.profile_url and not person.name:
            # Nobody to look up: the candidate needs at least a name or a profile link.
            blocked = _MISSING_CONTACT
            explanation += (_E5_BLOCKED,)
        actions.append(
            PlannedAction(
                key=_key("E5", _key_part(person.id)),
                rule=_E5,
                type=_CONNECT_ON_NETWORK,
                interview_id=None,
                contact_id=person.id,
                available_from=opens,
                due_by=due_by,
                channel=_PROFESSIONAL_NETWORK,
                blocked_reason=blocked,
                wording=Wording(
                    (text("E5.title", {"name": person.name or _INTERVIEWER}),),
                    explanation,
                    guidance,
                ),
                language=ctx.language,
            )
        )
    return actions


def _confirm_guidance(recipient: TextValue = _ORGANIZER) -> Message:
    """E1's guidance: whom to ask for the panel's names and titles."""
    return (text("E1.guidance", {"recipient": recipient}),)


class RuleOutline(NamedTuple):
    """One rule as a reader without a particular application takes it in."""

    rule: RuleId
    action_type: ActionType
    summary: str  # what the rule asks, in one line (its function's docstring's first)
    guidance: Message  # how to do it well, with the policy's values (E1: to "the organizer")


def outline(policy: Policy) -> tuple[RuleOutline, ...]:
    """The rules E1-E5 in their order, each with the action it calls for, what it asks and
    its guidance under ``policy``: the same guidance the planned actions carry."""
    said = phrases(policy)
    each = (
        (RuleId.E1, ActionType.CONFIRM_INTERVIEWERS, confirm_interviewers, _confirm_guidance()),
        (RuleId.E2, ActionType.ASK_CLOSING_QUESTIONS, ask_closing_questions, said.closing_guidance),
        (RuleId.E3, ActionType.SEND_THANK_YOU, send_thank_you, said.thank_you_guidance),
        (RuleId.E4, ActionType.CHECK_IN, check_in, said.check_in_guidance),
        (RuleId.E5, ActionType.CONNECT_ON_NETWORK, connect_on_network, said.connect_guidance),
    )
    return tuple(
        RuleOutline(rule, action_type, (function.__doc__ or "").strip().splitlines()[0], guidance)
        for rule, action_type, function, guidance in each
    )
