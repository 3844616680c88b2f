"""Hostile tenant templates, one per construction that once stalled a process or filled
its memory: the template tests hold each of them to the work budget, and the benchmark
renders them to find the slowest.

Plain data only (no tests here), so the benchmark can import it. Each template is a
complete `thank_you` body a tenant could try to save; most parse and use only the
documented variables, so nothing but the render's own bounds stands in their way.
"""

from __future__ import annotations

# A thank-you body that passes the etiquette on every sample; the "cheap on a short
# sample" entries put their loops in front of it, so only the cost gives them away.
_POLITE_THANK_YOU = (
    "{% if recipient.first_name %}Dear {{ recipient.first_name }},{% else %}Hello,{% endif %}\n"
    "\n"
    "Thank you for taking the time to speak with me about the {{ application.role }} "
    "position at {{ application.company }}. I enjoyed our conversation and I am confident "
    "my experience is a good fit for the team. I look forward to hearing from you.\n"
    "\n"
    "Best regards,\n"
    "{{ candidate.name }}"
)

_TEN_THOUSAND = '{% set k = "x" * 100 %}{% set k = k * 100 %}'  # passed the old per-step limit

TEMPLATE_CORPUS: list[tuple[str, str]] = [
    # --- strings and lists that grow step by step -----------------------------------
    (
        "repeated multiplication",
        '{% set s = "a" * 100 %}{% set s = s * 100 %}{% set s = s * 100 %}'
        "{% set s = s * 100 %}{% set s = s * 100 %}{{ s | length }}",
    ),
    (
        "repeated concatenation with +",
        '{% set s = "abcdefghij" * 10 %}' + "{% set s = s + s %}" * 30 + "{{ s | length }}",
    ),
    (
        "repeated concatenation with ~",
        '{% set s = "ab" * 50 %}' + "{% set s = s ~ s ~ s ~ s %}" * 15 + "{{ s | length }}",
    ),
    (
        "nested list of shared references",
        '{% set l = ["a" * 100] * 100 %}{% set l = [l] * 100 %}{% set l = [l] * 100 %}'
        "{% set l = [l] * 100 %}{{ l | join | length }}",
    ),
    (
        "nested list literals",
        '{% set l = "x" * 5000 %}'
        + "{% set l = [l, l, l, l] %}" * 12
        + "{{ l | string | length }}",
    ),
    (
        "integer growth",
        "{% set n = 99999999 %}" + "{% set n = n * n %}" * 24 + "{{ n > 1 }}",
    ),
    # --- filters that take a width or a count ---------------------------------------
    ("center", '{{ "a" | center(999999999) | length }}'),
    ("format filter width", '{{ "%999999999s" | format("a") | length }}'),
    ("format filter star width", '{{ "%*s" | format(999999999, "a") | length }}'),
    ("percent operator width", '{{ ("%999999999s" % "a") | length }}'),
    ("indent", '{{ ("a\n" * 100) | indent(999999999) | length }}'),
    ("indent with a text width", _TEN_THOUSAND + '{{ ("a\n" * 100) | indent(k) | length }}'),
    (
        "wordwrap",
        '{% set s = "w " * 100 %}{% set s = s * 100 %}{{ s | wordwrap(1, wrapstring=s) }}',
    ),
    ("round to a billion digits", "{{ 5 | round(-999999999, 'floor') }}"),
    ("truncate", '{{ ("a" * 100) | truncate(999999999, end="!" * 100) | length }}'),
    (
        "join with a long separator",
        _TEN_THOUSAND + "{{ k[:1000] | list | join(k) | length }}",
    ),
    ("join over a range", "{{ range(99999) | join(',') | length }}"),
    ("replace", _TEN_THOUSAND + '{{ k | replace("x", k) | length }}'),
    ("replace with a count", _TEN_THOUSAND + '{{ "ab" | replace("", k, 999999999) | length }}'),
    ("batch", '{{ "ab" | batch(999999999, "x") | list | length }}'),
    ("slice", '{{ "ab" | slice(99999999) | list | length }}'),
    ("list", _TEN_THOUSAND + "{{ (k ~ k) | list | length }}"),
    (
        "sum of lists",
        "{% set l = [1] * 50 %}{% set l = l * 50 %}{% set ls = [l] * 2 %}"
        "{{ ls | sum(start=[]) | length }}",
    ),
    ("unique", _TEN_THOUSAND + "{{ (k ~ k) | unique | list | length }}"),
    ("sort", _TEN_THOUSAND + "{{ (k ~ k) | sort | join | length }}"),
    ("dictsort", "{{ recipient | dictsort | length }}"),
    (
        "striptags",
        _TEN_THOUSAND + '{{ ((k | replace("x", "<")) * 2) | striptags | length }}',
    ),
    ("pprint", '{% set l = ["a" * 100] * 100 %}{% set l = [l] * 100 %}{{ l | pprint | length }}'),
    ("tojson", '{% set l = ["a" * 100] * 100 %}{% set l = [l] * 100 %}{{ l | tojson | length }}'),
    ("str.format width", '{{ "{:>999999999}".format(1) }}'),
    # --- loops, recursion and output ------------------------------------------------
    (
        "nested loops 1000 x 1000",
        '{% set k = "x" * 100 %}{% set k = k * 10 %}'
        "{% for a in k %}{% for b in k %}{% endfor %}{% endfor %}done",
    ),
    (
        "nested loops with a filter that never passes",
        _TEN_THOUSAND + "{% for a in k %}{% for b in k if b == 'y' %}{% endfor %}{% endfor %}",
    ),
    (
        "recursive loop fanning out",
        "{% set a = [1] * 4 %}{% set b = [a] * 4 %}{% set c = [b] * 4 %}{% set d = [c] * 4 %}"
        "{% set e = [d] * 4 %}{% set f = [e] * 4 %}"
        "{% for x in f recursive %}{% if x is iterable %}{{ loop(x) }}{% endif %}{% endfor %}",
    ),
    (
        "recursive loop nested deep",
        "{% set l = [1] %}"
        + "{% set l = [l, l] %}" * 14
        + "{% for x in l recursive %}{% if x is iterable %}{{ loop(x) }}{% endif %}{% endfor %}",
    ),
    (
        "recursive macro",
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
        "{{ m(30) }}",
    ),
    (
        "caller recursion",
        "{% macro twice() %}{{ caller() }}{{ caller() }}{% endmacro %}"
        + "{% call twice() %}" * 25
        + "x"
        + "{% endcall %}" * 25,
    ),
    (
        "output flooding",
        '{% set k = "x" * 100 %}{% for a in k %}{% for b in k %}{% for c in k %}'
        '{{ "y" * 100 }}{% endfor %}{% endfor %}{% endfor %}',
    ),
    (
        "block set flooding",
        '{% set k = "x" * 100 %}{% set s %}{% for a in k %}{% for b in k %}{% for c in k %}'
        "literal text that is copied on every pass{% endfor %}{% endfor %}{% endfor %}"
        "{% endset %}{{ s | length }}",
    ),
    (
        "filter block flooding",
        '{% set k = "x" * 100 %}{% filter upper %}{% for a in k %}{% for b in k %}'
        "{% for c in k %}more text{% endfor %}{% endfor %}{% endfor %}{% endfilter %}",
    ),
    (
        "substring search in a loop",
        _TEN_THOUSAND + '{% set n = "x" * 99 ~ "y" %}'
        "{% for a in k %}{% if n in k %}{% endif %}{% endfor %}",
    ),
    # --- nesting that exhausts the parser's or the compiler's stack ------------------
    ("deeply nested parentheses", "{{ " + "(" * 1500 + "1" + ")" * 1500 + " }}"),
    ("a long chain of filters", "{{ recipient.name" + " | upper" * 600 + " }}"),
    ("deeply nested loops", "{% for a in 'ab' %}" * 120 + "x" + "{% endfor %}" * 120),
    # --- cheap on the samples, costly on the longest names --------------------------
    (
        "cubic in the recipient's name",
        "{% for a in recipient.name or '' %}{% for b in recipient.name or '' %}"
        "{% for c in recipient.name or '' %}{% endfor %}{% endfor %}{% endfor %}"
        + _POLITE_THANK_YOU,
    ),
    (
        "panel times name squared",
        "{% for p in panel %}{% for a in p.name or '' %}{% for b in p.name or '' %}"
        "{% endfor %}{% endfor %}{% endfor %}" + _POLITE_THANK_YOU,
    ),
]
