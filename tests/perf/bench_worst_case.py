"""Benchmark: the worst case one request can cause, against an ordinary one.

Run with ``python -m tests.perf.bench_worst_case [--repeats N]``. In process, no server:

- **Draft checker**: every body of the adversarial corpus (``tests/adversarial_corpus.py``,
  up to the 20,000-character maximum) checked under the default work budget, against the
  ordinary thank-you draft a candidate writes.
- **Template save**: every hostile template of ``tests/adversarial_templates.py`` put
  through what ``PUT /v1/templates/thank_you`` does (render on the worst-case sample,
  then on the ordinary ones, then the checker), under the default work budget, against
  the built-in thank-you template. Most are refused: the time is what the refusal costs.

Each case is timed ``--repeats`` times and its median reported, with its ratio to the
ordinary case's median measured in the same run (the machine's speed drifts; the ratio
does not). The slowest case of each kind is what the README quotes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from app.domain.messages import MessageKind
from app.errors import AppError
from app.services.drafting import checker
from app.services.drafting.checker import MessageDraft
from app.services.drafting.store import built_in_template
from app.services.drafting.validation import validate_template
from app.services.work import WorkBudget
from app.settings import Settings
from tests.adversarial_corpus import CHECKER_CORPUS, ORDINARY_DRAFT
from tests.adversarial_templates import TEMPLATE_CORPUS

DEFAULTS = Settings.model_fields
UNITS = DEFAULTS["work_budget_units"].default
SECONDS = DEFAULTS["work_budget_seconds"].default


LONG_ORDINARY_DRAFT = ((ORDINARY_DRAFT + "\n\n") * 100)[:20_000]


def budget(field: str) -> WorkBudget:
    return WorkBudget(units=UNITS, seconds=SECONDS, field=field, what="the benchmark's case")


def median_ms(run: Callable[[], str], repeats: int) -> tuple[float, str]:
    """The median time of ``run`` in ms, and what it ended with (its last outcome)."""
    times = []
    outcome = ""
    for _ in range(repeats):
        started = time.perf_counter()
        outcome = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), outcome


def check(body: str) -> Callable[[], str]:
    def run() -> str:
        work = budget("body.body")
        try:
            checker.check(MessageDraft(kind=MessageKind.THANK_YOU, body=body), budget=work)
        except AppError as refused:
            return f"refused ({refused.slug}) after {work.spent:,} units"
        return f"checked in {work.spent:,} units"

    return run


def save_template(body: str) -> Callable[[], str]:
    def run() -> str:
        work = budget("body.body")
        try:
            validate_template(MessageKind.THANK_YOU, "en", "Thank you", body, work)
        except AppError as refused:
            code = refused.errors[0].code if refused.errors else refused.slug
            return f"refused ({code}) after {work.spent:,} units"
        return f"saved after {work.spent:,} units"

    return run


def section(
    title: str,
    ordinary: tuple[str, Callable[[], str]],
    cases: Sequence[tuple[str, Callable[[], str]]],
    repeats: int,
    references: Sequence[tuple[str, Callable[[], str]]] = (),
) -> None:
    print(f"\n{title}")
    base_ms, base_outcome = median_ms(ordinary[1], repeats)
    print(f"  {'ordinary: ' + ordinary[0]:<58} {base_ms:>8.2f} ms   1.0x  {base_outcome}")
    timed = []
    for name, run in cases:
        ms, outcome = median_ms(run, repeats)
        timed.append((ms, name, outcome))
    timed.sort(reverse=True)
    for ms, name, outcome in timed[:5]:
        print(f"  {name[:58]:<58} {ms:>8.2f} ms {ms / base_ms:>6.1f}x  {outcome}")
    ms, name, _ = timed[0]
    print(f"  slowest of {len(timed)}: {name}, {ms:.1f} ms = {ms / base_ms:.1f}x the ordinary case")
    for label, run in references:
        reference_ms, outcome = median_ms(run, repeats)
        print(
            f"  {'reference: ' + label:<58} {reference_ms:>8.2f} ms {reference_ms / base_ms:>6.1f}x"
            f"  {outcome}; the slowest is {ms / reference_ms:.1f}x this"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"work budget: {UNITS:,} units or {SECONDS:g} s per request; medians of {args.repeats}")
    built_in = built_in_template(MessageKind.THANK_YOU).body
    # Warm the caches (compiled templates, the lexicon, pysbd's rules) before timing.
    check(ORDINARY_DRAFT)()
    save_template(built_in)()
    section(
        "Draft checker (POST /v1/drafts/check)",
        ("a 274-character thank-you", check(ORDINARY_DRAFT)),
        [(name, check(body)) for name, body in CHECKER_CORPUS],
        args.repeats,
        # Ordinary prose at the maximum length: what any long draft costs.
        [("the same draft repeated to 20,000 characters", check(LONG_ORDINARY_DRAFT))],
    )
    section(
        "Template save (PUT /v1/templates/thank_you)",
        ("the built-in thank-you template", save_template(built_in)),
        [(name, save_template(source)) for name, source in TEMPLATE_CORPUS],
        args.repeats,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
