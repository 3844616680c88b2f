"""The actions feed's JSON, rendered once per version of an action and kept per process.

A page of the feed is fifty actions of about 1.2 KiB of JSON each, most of it texts that
change only when the action does. Each action's JSON (everything but ``status`` and
``as_of``, which depend on the moment asked about) is kept under its ID together with
the version it was rendered from. Every change to what an action shows goes through an
ORM update, which bumps the version, so an entry is right exactly when its version is
the row's: nothing needs invalidating, and another process's writes are seen at once.
The one Core update of actions, the worker's note that it announced a window
(``mark_time_events``), touches no column shown here; a test holds it to that.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic_core import to_json


class ActionDocumentCache:
    """An LRU map of action ID to (version, rendered JSON), bounded in entries."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[int, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, action_id: str, version: int) -> bytes | None:
        entry = self._entries.get(action_id)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(action_id)
        return entry[1]

    def put(self, action_id: str, version: int, document: bytes) -> None:
        if self.capacity <= 0:
            return
        self._entries[action_id] = (version, document)
        self._entries.move_to_end(action_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


def render_document(fields: Mapping[str, Any]) -> bytes:
    """An action's JSON object without its closing brace, ready for status and as_of."""
    return to_json(fields)[:-1]


def page_body(
    entries: Iterable[tuple[str, str]],
    documents: Mapping[str, bytes],
    as_of: datetime,
    next_cursor: str | None,
) -> bytes:
    """The feed page: each (action ID, status) entry's document closed with its status and
    ``as_of``."""
    as_of_json = to_json(as_of)
    endings: dict[str, bytes] = {}
    parts = []
    for action_id, status in entries:
        ending = endings.get(status)
        if ending is None:
            ending = endings[status] = (
                b',"status":"' + status.encode() + b'","as_of":' + as_of_json + b"}"
            )
        parts.append(documents[action_id] + ending)
    return b'{"data":[' + b",".join(parts) + b'],"next_cursor":' + to_json(next_cursor) + b"}"
