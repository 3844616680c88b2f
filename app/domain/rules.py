"""The etiquette rules E1-E5 of SPEC.md, one function each, turning facts into actions.

Each rule reads a :class:`RuleContext` (the application, the policy, and facts derived
once per plan) and returns the actions it calls for. Rules never read the clock: windows
are computed from the recorded times only.

``plan`` runs for every application of a tenant whenever its policy changes, so the hot
paths avoid needless work: texts that depend only on the language and the policy are
rendered once (:class:`Phrases`), and per-action work is kept to a key, a window and the
sentences that name a person or a date.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
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
)
from app.domain.texts import catalogue, format_date

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
# Stands for a person's name in a sentence rendered once and reused for several people;
# no text of the catalogue holds it.
_NAME_SLOT = "\x00name\x00"


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
    """Texts and durations that depend only on the language and the policy."""

    texts: Mapping[str, str]
    # Every template without fields, already rendered (so "%%" is already "%").
    fixed: Mapping[str, str]
    kind: Mapping[InterviewKind, str]
    confirm_title: Mapping[InterviewKind, str]
    closing_title: Mapping[InterviewKind, str]
    closing_guidance: str
    thank_you_guidance: str
    check_in_guidance: str
    connect_explanation: Mapping[ApplicationStatus, str]
    connect_guidance: str
    confirm_lead: timedelta
    thank_you_within: timedelta
    connect_within: timedelta


@lru_cache(maxsize=256)
def phrases(language: str, policy: Policy) -> Phrases:
    """The :class:`Phrases` for a language and policy, rendered once and then reused."""
    texts = catalogue(language)
    kind = {k: texts[f"kind.{k.value}"] % {} for k in InterviewKind}
    return Phrases(
        texts=texts,
        fixed={key: template % {} for key, template in texts.items() if "%(" not in template},
        kind=kind,
        confirm_title={k: texts["E1.title"] % {"kind": kind[k]} for k in InterviewKind},
        closing_title={k: texts["E2.title"] % {"kind": kind[k]} for k in InterviewKind},
        closing_guidance=texts["E2.guidance"] % {},
        thank_you_guidance=texts["E3.guidance"] % {},
        check_in_guidance=texts["E4.guidance"] % {},
        connect_explanation={
            status: texts["E5.explanation"] % {"outcome": texts[f"E5.outcome.{status.value}"]}
            for status in _FINAL_STATUSES
        },
        connect_guidance=texts["E5.guidance"] % {"days": policy.connect_within_days},
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
    kind_text: str
    date_text: str


class RuleContext(NamedTuple):
    """What every rule reads about one application, derived once per plan."""

    application: Application
    policy: Policy
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
    organizer_name: str
    confirm_guidance: str
    phrases: Phrases

    def text(self, key: str, /, **values: object) -> str:
        """A sentence from the text catalogue in the plan's language."""
        return self.phrases.texts[key] % values

    def fixed(self, key: str) -> str:
        """A sentence without fields from the text catalogue, rendered once per language."""
        return self.phrases.fixed[key]

    def contact(self, contact_id: str) -> Contact:
        """The contact with that id, or an unknown person when none was recorded."""
        found = self.contacts.get(contact_id)
        return found if found is not None else Contact(id=contact_id)


def rule_context(application: Application, policy: Policy, language: str) -> RuleContext:
    """Derive, once, the facts the rules share: rounds in effect, contacts, latest marks."""
    time_zone = application.candidate.time_zone
    phrases_ = phrases(language, policy)
    kind_texts = phrases_.kind
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
                kind_texts[interview.kind],
                # The date on the candidate's wall clock, as local_date() tells it.
                format_date(interview.start.astimezone(local_zone).date(), language),
            )
        )
    organizer = _organizer(application.contacts) if rounds else None
    organizer_name = (
        organizer.name
        if organizer is not None and organizer.name
        else phrases_.fixed["person.organizer"]
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
        phrases_.texts["E1.guidance"] % {"recipient": organizer_name},
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


def _names(ctx: RuleContext, people: Iterable[Contact]) -> str:
    unnamed = ctx.fixed("person.unnamed_panel_member")
    return ctx.fixed("names.separator").join(person.name or unnamed for person in people)


def confirm_interviewers(ctx: RuleContext, round_: Round) -> PlannedAction:
    """E1 (before the interview): know the name and title of everyone on the panel."""
    fixed = ctx.phrases.fixed
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
        reason = fixed["E1.reason.no_panel"]
    elif satisfied:
        reason = fixed["E1.reason.satisfied"]
    elif not interview.panel_confirmed and len(panel) == 1 and panel[0].made_first_contact:
        # The etiquette's warning: whoever reached out first is not necessarily on the panel.
        reason = ctx.text("E1.reason.only_first_contact", name=panel[0].name or "")
    elif unidentified:
        reason = ctx.text("E1.reason.unidentified", names=_names(ctx, unidentified))
    else:
        reason = fixed["E1.reason.unconfirmed"]

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
        ctx.phrases.confirm_title[kind],
        ctx.phrases.texts["E1.explanation"]
        % {"kind": round_.kind_text, "date": round_.date_text, "reason": reason},
        ctx.confirm_guidance,
        satisfied,
    )


def ask_closing_questions(ctx: RuleContext, round_: Round) -> PlannedAction:
    """E2 (during the interview): ask the next step, when to expect news, and contact details."""
    fixed = ctx.phrases.fixed
    interview = round_.interview
    missing: list[str] = []
    if not interview.next_step:
        missing.append(fixed["E2.missing.next_step"])
    if interview.expected_reply_date is None:
        missing.append(fixed["E2.missing.reply_date"])
    if not round_.panel:
        missing.append(fixed["E2.missing.panel"])
    unreachable = [person for person in round_.panel if not (person.email or person.phone)]
    if unreachable:
        missing.append(ctx.text("E2.missing.contacts", names=_names(ctx, unreachable)))

    kind = interview.kind
    satisfied = not missing
    texts = ctx.phrases.texts
    if satisfied:
        explanation = texts["E2.explanation.satisfied"] % {
            "kind": round_.kind_text,
            "date": round_.date_text,
        }
    else:
        with_rep = any(person.is_recruiting_firm_rep for person in round_.panel)
        explanation = texts["E2.explanation"] % {
            "kind": round_.kind_text,
            "date": round_.date_text,
            "rep_note": fixed["E2.rep_note"] if with_rep else "",
            "missing": fixed["E2.missing.separator"].join(missing),
        }
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
        ctx.phrases.closing_title[kind],
        explanation,
        ctx.phrases.closing_guidance,
        satisfied,
    )


def send_thank_you(ctx: RuleContext, round_: Round) -> list[PlannedAction]:
    """E3 (directly after): a short thank-you email to each interviewer within the deadline."""
    fixed = ctx.phrases.fixed
    interview = round_.interview
    phrases = ctx.phrases
    texts = phrases.texts
    due_by = round_.end + phrases.thank_you_within
    values = {
        "hours": ctx.policy.thank_you_hours,
        "kind": round_.kind_text,
        "date": round_.date_text,
        "name": _NAME_SLOT,
    }
    # The title and explanation differ only by the person's name within a round: render
    # them once around a slot, then join each name in (a panel has one to four people).
    title_parts = (texts["E3.title"] % values).split(_NAME_SLOT)
    explanation_parts = (texts["E3.explanation"] % values).split(_NAME_SLOT)
    unnamed = fixed["person.interviewer"]
    actions = []
    key_prefix = f"E3:{round_.key_id}:"
    for person, person_key_id in zip(round_.panel, round_.panel_key_ids, strict=True):
        name = person.name or unnamed
        explanation = name.join(explanation_parts)
        if person.is_recruiting_firm_rep:
            explanation += fixed["E3.rep_note"]
        blocked = None
        if not person.email:
            # Kept in the plan rather than dropped: the candidate still owes the thank-you
            # and needs to know what is missing to send it.
            blocked = _MISSING_CONTACT
            explanation += ctx.text("E3.blocked", name=name, organizer=ctx.organizer_name)
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
                name.join(title_parts),
                explanation,
                phrases.thank_you_guidance,
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
        first_explanation = "E4.explanation.reply"
    else:
        end_day = local_date(latest.end, time_zone)
        if interview.expected_reply_date is not None:
            deadline = max(interview.expected_reply_date, end_day)
            first_explanation = "E4.explanation.expected"
        else:
            deadline = business_day_after(end_day, policy.default_reply_wait_business_days, country)
            first_explanation = "E4.explanation.default_wait"

    recipient = _check_in_recipient(ctx, latest, giver_id)
    name = recipient.name if recipient and recipient.name else ctx.fixed("person.contact")
    if recipient is not None and recipient.email:
        channel, blocked = _EMAIL, None
    elif recipient is not None and recipient.phone:
        channel, blocked = _PHONE, None
    else:
        channel, blocked = _EMAIL, _MISSING_CONTACT
    blocked_note = ctx.text("E4.blocked", name=name) if blocked else ""

    actions = []
    opens_on = business_day_after(deadline, 1, country)
    explanation = ctx.text(
        first_explanation,
        kind=latest.kind_text,
        date=latest.date_text,
        deadline=format_date(deadline, ctx.language),
        wait=policy.default_reply_wait_business_days,
    )
    for number in range(1, policy.max_check_ins + 1):
        key = _key("E4", *anchor, str(number))
        closes_on = business_day_after(opens_on, policy.check_in_window_business_days, country)
        title = (
            ctx.text("E4.title", name=name)
            if number == 1
            else ctx.text("E4.title.repeat", name=name, number=number, maximum=policy.max_check_ins)
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
                title=title,
                explanation=explanation + blocked_note,
                guidance=ctx.phrases.check_in_guidance,
            )
        )
        mark = ctx.latest_marks.get(key)
        if mark is None or mark.kind is not _DONE:
            break
        # Done without a reply (a reply would have re-anchored the chain above): the next
        # check-in waits a few business days counted from when this one was done.
        done_on = local_date(mark.at, time_zone)
        opens_on = business_day_after(done_on, policy.check_in_repeat_business_days, country)
        explanation = ctx.text(
            "E4.explanation.repeat",
            done_date=format_date(done_on, ctx.language),
            repeat=policy.check_in_repeat_business_days,
            number=number + 1,
            maximum=policy.max_check_ins,
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
            guidance += ctx.text("E5.guidance.profile", url=person.profile_url)
        blocked = None
        if not person.profile_url and not person.name:
            # Nobody to look up: the candidate needs at least a name or a profile link.
            blocked = _MISSING_CONTACT
            explanation += ctx.fixed("E5.blocked")
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
                title=ctx.text("E5.title", name=person.name or ctx.fixed("person.interviewer")),
                explanation=explanation,
                guidance=guidance,
            )
        )
    return actions
