"""The request deadline: one timer per process stops what runs past it, and nothing else."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.types import Message, Receive, Scope, Send

from app.api.middleware import DeadlineMiddleware


def _scope() -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/probe",
        "raw_path": b"/probe",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("testserver", 80),
        "root_path": "",
    }


async def _call(app: DeadlineMiddleware) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(_scope(), receive, send)
    return sent


async def _answer(send: Send, status: int = 200) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_a_request_past_its_deadline_is_stopped_and_answered_504() -> None:
    stopped = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await asyncio.sleep(30)
        finally:
            stopped.set()  # cancelled where it waited, so its cleanup ran

    app = DeadlineMiddleware(slow, seconds=0.2)
    sent = await asyncio.wait_for(_call(app), timeout=10)
    assert stopped.is_set()
    assert sent[0]["status"] == 504
    problem = json.loads(sent[1]["body"])
    assert problem["type"].endswith("/deadline-exceeded") and "0.2 seconds" in problem["detail"]


async def test_requests_within_their_deadline_are_untouched_and_the_queue_drains() -> None:
    async def quick(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0)
        await _answer(send)

    app = DeadlineMiddleware(quick, seconds=0.2)
    answers = await asyncio.gather(*(_call(app) for _ in range(500)))
    assert {sent[0]["status"] for sent in answers} == {200}
    assert app.watched() > 0  # finished, and still queued until the timer next runs
    await asyncio.sleep(0.2 + 2 * app.resolution)
    assert app.watched() == 0


async def test_a_cancellation_from_elsewhere_is_not_taken_for_the_deadline() -> None:
    """A server shutting down cancels its requests: that must stay a cancellation."""
    entered = asyncio.Event()

    async def waiting(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await asyncio.sleep(30)

    app = DeadlineMiddleware(waiting, seconds=10)
    request = asyncio.create_task(_call(app))
    await entered.wait()
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request


async def test_a_deadline_after_the_response_started_cannot_answer_504() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(30)

    app = DeadlineMiddleware(streaming, seconds=0.1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_call(app), timeout=10)


async def test_a_deadline_of_zero_turns_it_off() -> None:
    async def quick(scope: Scope, receive: Receive, send: Send) -> None:
        await _answer(send, 201)

    app = DeadlineMiddleware(quick, seconds=0)
    assert (await _call(app))[0]["status"] == 201
    assert app.watched() == 0
