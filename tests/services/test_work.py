"""The work budget stops CPU-heavy code by counting, and the pool keeps it off the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.services.work import CpuPool, WorkBudget, WorkTooLarge, take_turns, unlimited


def test_spending_past_the_units_raises_naming_the_field() -> None:
    budget = WorkBudget(units=10, seconds=60, field="body.body", what="The draft")
    budget.spend(10)
    with pytest.raises(WorkTooLarge) as raised:
        budget.spend()
    assert raised.value.status == 422
    assert raised.value.errors is not None
    assert raised.value.errors[0].field == "body.body"
    assert raised.value.errors[0].code == "too_costly"
    assert budget.spent == 11


def test_spending_after_the_deadline_raises_even_with_units_left() -> None:
    now = [100.0]
    budget = WorkBudget(units=10**9, seconds=2, field="body", what="x", clock=lambda: now[0])
    budget.spend(5)
    now[0] = 102.5
    with pytest.raises(WorkTooLarge):
        budget.spend()


def test_an_unlimited_budget_only_counts() -> None:
    budget = unlimited()
    budget.spend(10**12)
    assert budget.spent == 10**12


async def test_the_pool_runs_calls_in_other_threads_and_at_most_its_size_at_once() -> None:
    pool = CpuPool(2)
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def busy() -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(5)
        with lock:
            running -= 1
        return threading.current_thread().name

    tasks = [asyncio.create_task(pool.run(busy)) for _ in range(5)]
    await asyncio.sleep(0.2)
    # The loop is free while the calls run: this line runs at all.
    assert most == 2
    release.set()
    names = await asyncio.gather(*tasks)
    assert threading.current_thread().name not in names
    assert most == 2


async def test_taking_turns_lets_other_tasks_run_every_slice_and_not_between() -> None:
    turns: list[int] = []
    current = 0

    async def other() -> None:
        while True:
            turns.append(current)
            await asyncio.sleep(0)

    task = asyncio.create_task(other())
    await asyncio.sleep(0)  # let it start
    turns.clear()
    for current in range(151):  # the other task reads it
        await take_turns(current, every=50)
    task.cancel()
    assert turns == [50, 100, 150]
