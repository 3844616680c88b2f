"""Benchmark: how many applications ``plan`` handles per second on one core.

Run with ``python -m tests.perf.bench_plan [--applications N]``. The data is a fixed-seed
mix of candidates in several countries, 1-4 rounds of 1-4 interviewers, some outcomes,
replies and marks, so runs are comparable across machines and commits.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.domain import (
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
    plan,
)

SEED = 20_151_125  # the day the etiquette text was posted
RUNS = 5
REFERENCE_ITEMS = 200_000
LOCALES = (
    ("US", "America/New_York"),
    ("US", "America/Los_Angeles"),
    ("DE", "Europe/Berlin"),
    ("GB", "Europe/London"),
    ("FR", "Europe/Paris"),
    ("JP", "Asia/Tokyo"),
    ("IN", "Asia/Kolkata"),
    ("AU", "Australia/Sydney"),
    ("BR", "America/Sao_Paulo"),
    ("CA", "America/Toronto"),
)
FINAL = (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)
FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)


def _contact(rng: random.Random, contact_id: str, *, first_contact: bool) -> Contact:
    named = rng.random() < 0.9
    return Contact(
        id=contact_id,
        name=f"Person {contact_id}" if named else None,
        title="Engineering Manager" if rng.random() < 0.8 else None,
        organization="Example Corp",
        email=f"{contact_id}@example.com" if rng.random() < 0.85 else None,
        phone="+1 555 0100" if rng.random() < 0.4 else None,
        profile_url=f"https://network.example/{contact_id}" if rng.random() < 0.5 else None,
        is_recruiting_firm_rep=rng.random() < 0.15,
        made_first_contact=first_contact,
    )


def make_application(rng: random.Random, number: int) -> Application:
    """One realistic application; ``number`` keeps ids unique across the data set."""
    country, time_zone = rng.choice(LOCALES)
    candidate = Candidate(id=f"cand-{number}", time_zone=time_zone, country=country)
    contacts = [_contact(rng, f"a{number}-c0", first_contact=True)]
    people = [_contact(rng, f"a{number}-c{i}", first_contact=False) for i in range(1, 7)]
    contacts.extend(people)

    interviews = []
    start = FIRST_DAY + timedelta(days=rng.randrange(900), hours=rng.randrange(8, 18))
    for round_number in range(rng.randint(1, 4)):
        panel = rng.sample(people, rng.randint(1, 4))
        end = start + timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))
        roll = rng.random()
        interview_status = (
            InterviewStatus.CANCELLED
            if roll < 0.08
            else InterviewStatus.COMPLETED
            if roll < 0.7
            else InterviewStatus.SCHEDULED
        )
        interviews.append(
            Interview(
                id=f"a{number}-i{round_number}",
                kind=rng.choice(tuple(InterviewKind)),
                start=start,
                end=end,
                status=interview_status,
                panel=tuple(person.id for person in panel),
                panel_confirmed=rng.random() < 0.6,
                next_step="second round" if rng.random() < 0.5 else None,
                expected_reply_date=(
                    end.date() + timedelta(days=rng.randint(2, 10)) if rng.random() < 0.5 else None
                ),
                recorded_at=start - timedelta(days=rng.randint(0, 14), hours=rng.randint(0, 23)),
            )
        )
        start = end + timedelta(days=rng.randint(3, 15))
    last_end = interviews[-1].end

    replies = []
    if rng.random() < 0.3:
        replies.append(
            Reply(
                id=f"a{number}-r0",
                received_at=last_end + timedelta(days=rng.randint(1, 6)),
                contact_id=rng.choice(contacts).id,
                new_expected_date=(
                    last_end.date() + timedelta(days=rng.randint(7, 14))
                    if rng.random() < 0.5
                    else None
                ),
            )
        )

    marks = []
    first_round = interviews[0]
    if rng.random() < 0.5:
        marks.append(
            Mark(
                action_key=f"E3:{first_round.id}:{first_round.panel[0]}",
                kind=MarkKind.DONE,
                at=first_round.end + timedelta(hours=3),
            )
        )
    if rng.random() < 0.3:
        marks.append(
            Mark(
                action_key=f"E4:{interviews[-1].id}:1",
                kind=MarkKind.DONE,
                at=last_end + timedelta(days=12),
            )
        )

    status = ApplicationStatus.ACTIVE
    outcome_at = None
    roll = rng.random()
    if roll < 0.35:
        status = rng.choice(FINAL)
        outcome_at = last_end + timedelta(days=rng.randint(1, 20))
    elif roll < 0.45:
        status = ApplicationStatus.OFFER
        outcome_at = last_end + timedelta(days=rng.randint(1, 20))
    return Application(
        id=f"app-{number}",
        candidate=candidate,
        status=status,
        outcome_at=outcome_at,
        contacts=tuple(contacts),
        interviews=tuple(interviews),
        replies=tuple(replies),
        marks=tuple(marks),
    )


def make_applications(count: int, seed: int = SEED) -> list[Application]:
    """``count`` applications from a fixed seed, the same on every run."""
    rng = random.Random(seed)
    return [make_application(rng, number) for number in range(count)]


def plan_all(applications: Sequence[Application], policy: Policy) -> int:
    """Plan every application, keeping only the number of actions, as a worker would."""
    produced = 0
    for application in applications:
        produced += len(plan(application, policy))
    return produced


def reference_pass(count: int = REFERENCE_ITEMS) -> int:
    """A fixed pure-Python workload timed beside ``plan``, as the machine's yardstick.

    String formatting, dict look-ups and a sort, the kind of work ``plan`` does, in code
    that never changes: the ratio of the two rates tells a faster ``plan`` from a faster
    (or less busy) machine. It keeps no objects alive, so the garbage collector, which
    walks the large data set, does not weigh on it more than on ``plan``."""
    positions = {time_zone: index for index, (_, time_zone) in enumerate(LOCALES)}
    total = 0
    for number in range(count):
        time_zone = LOCALES[number % len(LOCALES)][1]
        label = f"item-{number} in {time_zone}"
        total += len(label) + positions[time_zone]
    ordered = sorted(number * 7919 % 100_003 for number in range(count // 4))
    return total + ordered[0]


def main(argv: Sequence[str] | None = None) -> None:
    """Build the data set, time ``RUNS`` passes, then measure memory in a separate pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--applications", type=int, default=100_000)
    args = parser.parse_args(argv)

    build_started = time.perf_counter()
    applications = make_applications(args.applications)
    build_seconds = time.perf_counter() - build_started
    policy = Policy()
    # Warm the holiday and time-zone caches so every timed run does the same work.
    plan_all(applications[:2_000], policy)

    # Wall-clock rates are what a user sees; CPU-time rates are the same work measured in
    # this process's own CPU seconds, which stays meaningful on a shared, busy machine.
    # Each plan pass is preceded by a reference pass, so both see the same machine state.
    rates, cpu_rates, reference_rates, ratios = [], [], [], []
    produced = 0
    for _ in range(RUNS):
        started = time.process_time()
        reference_pass()
        reference_rates.append(REFERENCE_ITEMS / (time.process_time() - started))
        started, cpu_started = time.perf_counter(), time.process_time()
        produced = plan_all(applications, policy)
        rates.append(len(applications) / (time.perf_counter() - started))
        cpu_rates.append(len(applications) / (time.process_time() - cpu_started))
        ratios.append(cpu_rates[-1] / reference_rates[-1])

    tracemalloc.start()
    plan_all(applications, policy)
    _, peak_bytes = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    max_rss_mib = max_rss / (1024 * 1024 if sys.platform == "darwin" else 1024)

    print(f"applications:        {len(applications):,} (built in {build_seconds:.1f} s)")
    print(f"actions per pass:    {produced:,} ({produced / len(applications):.1f} per application)")
    print(
        f"applications/s:      {statistics.median(rates):,.0f} median of {RUNS} "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}), wall clock, one core"
    )
    print(
        f"applications/CPU-s:  {statistics.median(cpu_rates):,.0f} median of {RUNS} "
        f"(min {min(cpu_rates):,.0f}, max {max(cpu_rates):,.0f}), process CPU time"
    )
    print(
        f"reference workload:  {statistics.median(reference_rates):,.0f} items/CPU-s median "
        f"of {RUNS}, each timed just before a plan pass"
    )
    print(
        f"plan / reference:    {statistics.median(ratios):.3e} median of {RUNS} (compare this "
        "across machines: the same ratio means the same code speed)"
    )
    print(f"tracemalloc peak:    {peak_bytes / 1024:,.0f} KiB allocated at once during one pass")
    print(f"max RSS:             {max_rss_mib:.1f} MiB (process, input data included)")


if __name__ == "__main__":
    main()
