"""What a tenant's draft template may use: its variables, its filters and its bounds.

Pure data, shared by the sandbox that enforces it (``app/services/drafting``) and the API
documentation that describes it.
"""

from __future__ import annotations

MAX_TEXT = 20_000  # characters (or list items) in any one value a template builds
MAX_TEMPLATE_OUTPUT = 10_000  # characters; far beyond any etiquette limit
MAX_NESTING = 32  # levels of blocks and expressions; the built-in templates use 8

# Every variable a template sees, with its fields; the API documents the same list.
TEMPLATE_VARIABLES: dict[str, dict[str, str]] = {
    "candidate": {
        "name": "The candidate's full name (signs the message).",
        "first_name": "The candidate's first name.",
    },
    "application": {
        "company": "The hiring company.",
        "role": "The job title applied for.",
        "recruiting_firm": "The recruiting firm's name, or none.",
    },
    "recipient": {
        "name": "The person's full name, or none when not known.",
        "first_name": "Their first name, or none.",
        "family_name": "Their family name, or none when it cannot be told: first in a "
        "Japanese name (`山田` in `山田 太郎`), last in a Western one (`Hopper`), for "
        "salutations such as `山田様`.",
        "title": "Their job title, or none.",
        "organization": "Their company or firm, or none.",
        "is_recruiting_firm_rep": "Whether they represent a recruiting firm (true/false).",
        "has_email": "Whether their email address is known (true/false).",
        "profile_url": "Their professional-network profile, or none.",
    },
    "interview": {
        "kind": "`prescreen`, `phone`, `video` or `onsite`, or none.",
        "kind_label": "The kind as it reads in a sentence, e.g. `on-site`.",
        "date": "The interview's date in the candidate's time zone, e.g. `Tuesday, "
        "December 1, 2026`, or none.",
        "weekday": "The interview's weekday, e.g. `Tuesday`, or none.",
        "next_step": "The next step the interviewer described, or none.",
        "expected_reply_date": "When they said to expect news, as a date text, or none.",
    },
    "panel": {
        "name": "A panel member's name, or none.",
        "family_name": "Their family name, or none (as `recipient.family_name`).",
        "title": "Their job title, or none.",
        "is_recruiting_firm_rep": "Whether they represent a recruiting firm.",
        "reachable": "Whether their email or phone is known.",
    },
    "action": {
        "type": "The action type, e.g. `send_thank_you`.",
        "channel": "The channel, e.g. `email`.",
        "due_date": "The date the action is due, as a date text.",
    },
}
LIST_VARIABLES = frozenset({"panel"})  # a list of dicts with the fields above


def variables_help() -> str:
    """The template variables as a Markdown list, for the API documentation."""
    lines = []
    for name, fields in TEMPLATE_VARIABLES.items():
        shape = "a list of people, each with" if name in LIST_VARIABLES else "with"
        lines.append(f"- `{name}`, {shape} " + ", ".join(f"`{f}`" for f in fields))
    return "\n".join(lines)


# Filters left out, and why:
#  attr: reaches for a Python attribute by name (templates see plain data only);
#  e, escape, forceescape, safe, striptags, urlize, xmlattr, urlencode: HTML and URL
#    markup, meaningless in plain-text drafts (and striptags' pattern takes quadratic time
#    on text full of `<`);
#  pprint, tojson: serialise a whole structure, whose size multiplies over shared parts;
#  random: a different draft on each render, which validation could not vouch for;
#  filesizeformat: no use in a message.
ALLOWED_FILTERS = frozenset(
    {
        "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort",
        "first", "float", "format", "groupby", "indent", "int", "items", "join", "last",
        "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
        "reverse", "round", "select", "selectattr", "slice", "sort", "string", "sum",
        "title", "trim", "truncate", "unique", "upper", "wordcount", "wordwrap",
    }
)  # fmt: skip


def filters_help() -> str:
    """The filters templates may use, for the API documentation."""
    return ", ".join(f"`{name}`" for name in sorted(ALLOWED_FILTERS))
