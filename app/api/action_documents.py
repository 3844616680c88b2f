"""The actions feed's JSON, rendered once per version of an action and kept per process.

A page of the feed is fifty actions of about 1.2 KiB of JSON each, most of it texts that
change only when the action does. Each action's JSON (everything but ``status`` and
``as_of``, which depend on the moment asked about) is kept under its ID together with
the version it was rendered from. Every change to what an action shows goes through an
ORM update, which bumps the version, so an entry is right exactly when its version is
the row's: nothing needs invalidating, and another process's writes are seen at once.
The worker's Core updates of actions keep to that: its note that it announced a window
(``mark_time_events``) and its note that stored texts are already current
(``confirm_texts``) touch no column shown here, and a test holds them to it; its rewrite
of texts an edited catalogue made stale (``rewrite_texts``) bumps the version.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic_core import to_json

# An action's ID, or (ID, language) for its texts in a language the request asked for.
DocumentKey = str | tuple[str, str]


class ActionDocumentCache:
    """An LRU map of action (and language asked for) to (version, rendered JSON, language
    of its texts), bounded in entries."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[DocumentKey, tuple[int, bytes, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, key: DocumentKey, version: int) -> tuple[bytes, str] | None:
        """The document kept for that version, and the language of its texts."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1], entry[2]

    def put(self, key: DocumentKey, version: int, document: bytes, language: str) -> None:
        if self.capacity <= 0:
            return
        self._entries[key] = (version, document, language)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


def render_document(fields: Mapping[str, Any]) -> bytes:
    """An action's JSON object without its closing brace, ready for status and as_of."""
    return to_json(fields)[:-1]


def page_parts(
    entries: Iterable[tuple[str, str]],
    documents: Mapping[str, bytes],
    next_cursor: str | None,
) -> list[bytes]:
    """The feed page as pieces that ``as_of``'s JSON joins into the whole body.

    Each (action ID, status) entry's document is closed with its status and ``as_of``.
    Everything but ``as_of`` is fixed for as long as no status changes, so a cached page
    (app/api/feed_pages.py) is served again at a later moment by joining its pieces with
    that moment: ``as_of_json.join(parts)``.
    """
    closings: dict[str, bytes] = {}
    parts = [b'{"data":[']
    for action_id, status in entries:
        closing = closings.get(status)
        if closing is None:
            closing = closings[status] = b',"status":"' + status.encode() + b'","as_of":'
        parts[-1] += (b"," if len(parts) > 1 else b"") + documents[action_id] + closing
        parts.append(b"}")
    parts[-1] += b'],"next_cursor":' + to_json(next_cursor) + b"}"
    return parts


def page_body(parts: list[bytes], as_of: datetime) -> bytes:
    """The page's body at ``as_of`` from its :func:`page_parts`."""
    return to_json(as_of).join(parts)


def page_etag(parts: list[bytes]) -> str:
    """The feed page's ETag: a hash of everything on it but ``as_of``.

    Weak, since the bytes differ with ``as_of`` at every request; the same tag means the
    same actions in the same order with the same statuses, and the same ``next_cursor``.
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        # NUL never occurs in JSON text, so it keeps the parts' boundaries apart.
        digest.update(part)
        digest.update(b"\0")
    return f'W/"{digest.hexdigest()}"'
