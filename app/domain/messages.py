"""The messages the etiquette calls for: their kinds and limits, and what a check finds.

The vocabulary the draft checker, the API's schemas and the documentation share; the
checker itself lives in ``app/services/drafting``.
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.model import ActionType, Channel

# The common limit of professional networks for a note sent with a connection request.
NETWORK_NOTE_LIMIT = 300


class MessageKind(StrEnum):
    """The kind of message: each has its own etiquette limits.

    - `thank_you`: the thank-you email after an interview (E3), 3-4 sentences.
    - `check_in`: the check-in email once the expected date has passed (E4), 2-4 sentences.
    - `check_in_call`: the same check-in as a phone or voicemail script, 2-5 sentences.
    - `connection_note`: the note sent with a professional-network connection request
      (E5), at most 300 characters.
    - `panel_request`: a note asking the coordinator for the panel's names and titles (E1).
    - `closing_questions`: the questions to ask at the end of an interview (E2), a checklist.
    """

    THANK_YOU = "thank_you"
    CHECK_IN = "check_in"
    CHECK_IN_CALL = "check_in_call"
    CONNECTION_NOTE = "connection_note"
    PANEL_REQUEST = "panel_request"
    CLOSING_QUESTIONS = "closing_questions"

    @property
    def has_subject(self) -> bool:
        """Whether the message is an email, with a subject line."""
        return self in _EMAIL_KINDS


_EMAIL_KINDS = frozenset({MessageKind.THANK_YOU, MessageKind.CHECK_IN, MessageKind.PANEL_REQUEST})

# (fewest, most) sentences in the message proper; None where sentences do not apply.
SENTENCE_LIMITS: dict[MessageKind, tuple[int, int] | None] = {
    MessageKind.THANK_YOU: (3, 4),  # "short and sweet, no more than 3 or 4 sentences"
    MessageKind.CHECK_IN: (2, 4),  # "short and sweet"
    MessageKind.CHECK_IN_CALL: (2, 5),  # a voicemail-length script
    MessageKind.CONNECTION_NOTE: (1, 3),
    MessageKind.PANEL_REQUEST: (2, 4),
    MessageKind.CLOSING_QUESTIONS: None,  # a checklist, not prose
}


def kind_for_action(action_type: ActionType, channel: Channel | str | None = None) -> MessageKind:
    """The message an action calls for; a check-in by phone is a call script."""
    if action_type is ActionType.CHECK_IN:
        return MessageKind.CHECK_IN_CALL if channel == Channel.PHONE else MessageKind.CHECK_IN
    return _KIND_OF_ACTION[action_type]


_KIND_OF_ACTION = {
    ActionType.CONFIRM_INTERVIEWERS: MessageKind.PANEL_REQUEST,
    ActionType.ASK_CLOSING_QUESTIONS: MessageKind.CLOSING_QUESTIONS,
    ActionType.SEND_THANK_YOU: MessageKind.THANK_YOU,
    ActionType.CHECK_IN: MessageKind.CHECK_IN,
    ActionType.CONNECT_ON_NETWORK: MessageKind.CONNECTION_NOTE,
}

# Which message kinds a finding about an action type may use instead of the default one.
ACTION_TYPE_KINDS: dict[ActionType, frozenset[MessageKind]] = {
    action_type: frozenset({kind}) for action_type, kind in _KIND_OF_ACTION.items()
}
ACTION_TYPE_KINDS[ActionType.CHECK_IN] = frozenset(
    {MessageKind.CHECK_IN, MessageKind.CHECK_IN_CALL}
)


class Severity(StrEnum):
    """How much a finding matters: `error` breaks the etiquette, `warning` probably does."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FindingCode(StrEnum):
    """What the checker found."""

    TOO_MANY_SENTENCES = "too_many_sentences"
    TOO_FEW_SENTENCES = "too_few_sentences"
    PUSHY_PHRASE = "pushy_phrase"
    MISSING_THANKS = "missing_thanks"
    MISSING_CONTINUED_INTEREST = "missing_continued_interest"
    RECIPIENT_MISMATCH = "recipient_mismatch"
    SEVERAL_RECIPIENTS = "several_recipients"
    SENT_AFTER_DUE = "sent_after_due"
    OVER_LENGTH_LIMIT = "over_length_limit"
    MISSING_CLOSING_QUESTION = "missing_closing_question"
    UNFILLED_PLACEHOLDER = "unfilled_placeholder"
    MISSING_SUBJECT = "missing_subject"
    INFORMAL_ADDRESS = "informal_address"


FINDING_DESCRIPTIONS: dict[FindingCode, str] = {
    FindingCode.TOO_MANY_SENTENCES: (
        "error: more sentences than the kind allows (thank-you 4, check-in email 4, call "
        "script 5, connection note 3, panel request 4). Greeting and sign-off do not count."
    ),
    FindingCode.TOO_FEW_SENTENCES: (
        "warning: fewer sentences than the kind needs (thank-you 3, check-in 2, call script "
        "2, connection note 1, panel request 2)."
    ),
    FindingCode.PUSHY_PHRASE: (
        'error or warning: a phrase that presses, demands or presumes ("ASAP", "I expect '
        'an answer", "when can I start", "following up again").'
    ),
    FindingCode.MISSING_THANKS: "error: a thank-you that never thanks the person.",
    FindingCode.MISSING_CONTINUED_INTEREST: (
        "error: a check-in (email or call) that never says the candidate is still interested."
    ),
    FindingCode.RECIPIENT_MISMATCH: (
        "error: the greeting or `recipient` names someone other than the action's person "
        "(or other than `recipient`, when no action is given)."
    ),
    FindingCode.SEVERAL_RECIPIENTS: (
        "error: a thank-you addressed to several people or a group; each interviewer gets "
        "their own."
    ),
    FindingCode.SENT_AFTER_DUE: "warning: `send_at` is after the action's `due_by`.",
    FindingCode.OVER_LENGTH_LIMIT: (
        f"error: a connection note longer than the {NETWORK_NOTE_LIMIT} characters "
        "professional networks allow."
    ),
    FindingCode.MISSING_CLOSING_QUESTION: (
        "error: the closing-questions checklist lacks one of the three questions (next "
        "step, when to expect news, contact details)."
    ),
    FindingCode.UNFILLED_PLACEHOLDER: (
        "error: text such as `[Company]`, `{{ name }}` or `XXX` left in the draft."
    ),
    FindingCode.MISSING_SUBJECT: "warning: an email kind of message without a subject line.",
    FindingCode.INFORMAL_ADDRESS: (
        "warning: the informal register where a candidate is expected to write formally "
        "(German du/dich/dein, French tu/te/ton, Spanish tú/te/tu, Japanese plain-form "
        "endings such as ありがとう without ございます); the span is its first word. "
        "Languages without an informal register (English) never report it."
    ),
}

FindingCode.__doc__ = "What the checker found. Each code, with its usual severity:\n\n" + "\n".join(
    f"- `{code.value}`: {text}" for code, text in FINDING_DESCRIPTIONS.items()
)


class DraftPart(StrEnum):
    """The part of the draft a finding is about; spans index into that part's text."""

    SUBJECT = "subject"
    BODY = "body"
    RECIPIENT = "recipient"
    SEND_AT = "send_at"


def character_limit(kind: MessageKind) -> int | None:
    """The most characters a message of this kind may have, when there is a hard limit."""
    return NETWORK_NOTE_LIMIT if kind is MessageKind.CONNECTION_NOTE else None
