"""Re-planning a sync batch or a policy change runs off the event loop, under the budget."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.models import Action, Candidate
from app.services import planning
from app.services.work import CpuPool, Work, unlimited
from tests.api.test_sync import batch
from tests.api.test_system import assert_problem
from tests.domain import builders


def tight_budget(app: Any, units: int) -> None:
    app.state.work = Work(CpuPool(1), units=units, seconds=60)


async def test_a_sync_whose_replanning_exceeds_the_budget_is_refused_whole(
    app: Any, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tight_budget(app, units=3)  # one application plans more than two actions
    response = await client.post("/v1/sync", json=batch())
    problem: Any = assert_problem(response, 422)
    assert problem["type"].endswith("/work-budget-exceeded")
    [error] = problem["errors"]
    assert (error["field"], error["code"]) == ("body", "too_costly")
    assert "Re-planning" in error["message"]
    assert await session.scalar(select(func.count()).select_from(Candidate)) == 0
    assert await session.scalar(select(func.count()).select_from(Action)) == 0


async def test_a_sync_within_the_budget_plans_in_a_worker_thread(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_threads: list[str] = []
    writing_threads: list[str] = []
    plan, write = domain.plan, planning._written

    def recording_plan(*args: Any, **kwargs: Any) -> Any:
        plan_threads.append(threading.current_thread().name)
        return plan(*args, **kwargs)

    def recording_write(item: domain.PlannedAction) -> planning.WrittenAction:
        writing_threads.append(threading.current_thread().name)
        return write(item)

    monkeypatch.setattr(domain, "plan", recording_plan)
    monkeypatch.setattr(planning, "_written", recording_write)
    response = await client.post("/v1/sync", json=batch())
    assert response.status_code == 200, response.text
    assert response.json()["replanned_applications"] == 1
    assert plan_threads, "the sync planned nothing"
    assert writing_threads, "the sync wrote no action's texts"
    # Planning and writing each action's texts both run in the pool.
    assert threading.current_thread().name not in plan_threads + writing_threads


async def test_a_policy_change_replans_under_the_budget(
    app: Any, client: httpx.AsyncClient
) -> None:
    assert (await client.post("/v1/sync", json=batch())).status_code == 200
    tight_budget(app, units=3)
    response = await client.put("/v1/policy", json={"thank_you_hours": 48})
    problem: Any = assert_problem(response, 422)
    assert problem["type"].endswith("/work-budget-exceeded")
    assert (await client.get("/v1/policy")).json()["thank_you_hours"] == 24


def test_planning_counts_one_unit_per_application_and_per_planned_action() -> None:
    application = builders.application(interviews=[builders.interview()])
    budget = unlimited()
    plans = planning.plan_each([application, application], domain.Policy(), budget)
    assert budget.spent == 2 + sum(len(plan) for plan in plans)
    assert all(plans)


def test_planning_writes_each_action_in_its_language_with_the_wording_it_came_from() -> None:
    german = dataclasses.replace(builders.candidate(), language="de")
    application = builders.application(interviews=[builders.interview()], who=german)
    [plan] = planning.plan_each([application], domain.Policy(), unlimited())
    assert plan
    for written in plan:
        item = written.planned
        texts = (written.title, written.explanation, written.guidance)
        assert texts == item.wording.render("de") != item.wording.render("en")
        stored = domain.Wording.from_json(json.loads(written.wording))
        assert stored == item.wording
