"""FeedPageCache on its own: when a stored page may be served, and when it must not be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.api.action_documents import page_body, page_parts
from app.api.feed_pages import FeedPageCache, PageKey, wants_fresh

READ_AT = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
NEXT_CHANGE = READ_AT + timedelta(hours=1)
CLOCK = 1_000.0  # time.monotonic() when the page was stored
MAX_AGE = 5.0
PARTS = [b'{"data":[{"id":"a","as_of":', b'}],"next_cursor":null}']


def key(
    tenant: str = "ten_a", query: bytes = b"status=due", candidate: str = "", language: str = ""
) -> PageKey:
    return (tenant, candidate, "/v1/actions", query, language)


def live_cache(capacity: int = 8) -> FeedPageCache:
    cache = FeedPageCache(capacity, MAX_AGE)
    cache.listening_started()
    return cache


def store(cache: FeedPageCache, page: PageKey) -> None:
    cache.put(page, cache.generation(page[0]), READ_AT, NEXT_CHANGE, PARTS, CLOCK)


def test_a_page_is_served_from_when_it_was_read_until_the_next_status_change() -> None:
    cache = live_cache()
    store(cache, key())
    assert cache.get(key(), READ_AT, CLOCK) == PARTS
    just_before = NEXT_CHANGE - timedelta(microseconds=1)
    assert cache.get(key(), just_before, CLOCK + 1) == PARTS
    assert cache.get(key(), NEXT_CHANGE, CLOCK + 1) is None
    assert len(cache) == 0  # a page past its time is dropped, not kept


def test_a_page_is_not_served_for_a_moment_before_it_was_read() -> None:
    cache = live_cache()
    store(cache, key())
    assert cache.get(key(), READ_AT - timedelta(seconds=1), CLOCK) is None


def test_a_page_with_no_status_change_ahead_lasts_until_its_maximum_age() -> None:
    cache = live_cache()
    cache.put(key(), cache.generation("ten_a"), READ_AT, None, PARTS, CLOCK)
    far_later = READ_AT + timedelta(days=400)
    assert cache.get(key(), far_later, CLOCK + MAX_AGE - 0.01) == PARTS
    assert cache.get(key(), far_later, CLOCK + MAX_AGE) is None


def test_a_change_to_the_tenant_drops_its_pages_and_no_other_tenants() -> None:
    cache = live_cache()
    store(cache, key("ten_a"))
    store(cache, key("ten_a", b"limit=10"))
    store(cache, key("ten_b"))
    cache.tenant_changed("ten_a")
    assert len(cache) == 1  # ten_a's pages are gone from memory at once
    assert cache.get(key("ten_a"), READ_AT, CLOCK) is None
    assert cache.get(key("ten_b"), READ_AT, CLOCK) == PARTS


def test_everything_changed_drops_every_tenants_pages() -> None:
    cache = live_cache()
    store(cache, key("ten_a"))
    store(cache, key("ten_b"))
    before = cache.generation("ten_b")
    cache.everything_changed()
    assert len(cache) == 0 and cache.live
    assert cache.generation("ten_b") != before


def test_a_page_read_before_a_change_is_not_stored_after_it() -> None:
    cache = live_cache()
    generation = cache.generation("ten_a")  # taken before the query
    cache.tenant_changed("ten_a")  # announced while the query ran
    cache.put(key(), generation, READ_AT, NEXT_CHANGE, PARTS, CLOCK)
    assert len(cache) == 0


def test_counts_of_changes_stay_bounded_and_still_stop_a_stale_store() -> None:
    cache = live_cache(capacity=2)
    generation = cache.generation("ten_a")
    for number in range(20_000):
        cache.tenant_changed(f"ten_{number}")
    cache.put(key("ten_a"), generation, READ_AT, NEXT_CHANGE, PARTS, CLOCK)
    assert len(cache) == 0  # starting over moved the epoch, so the old generation is stale
    assert len(cache._changes) <= 10_000


def test_pages_are_per_tenant_path_and_query_string() -> None:
    cache = live_cache()
    store(cache, key("ten_a", b"status=due"))
    assert cache.get(key("ten_b", b"status=due"), READ_AT, CLOCK) is None
    assert cache.get(key("ten_a", b"status=due&limit=50"), READ_AT, CLOCK) is None
    assert cache.get(("ten_a", "", "/v1/other", b"status=due", ""), READ_AT, CLOCK) is None


def test_pages_are_per_language_chosen() -> None:
    """The same query string asked with another Accept-Language is another page."""
    cache = live_cache()
    store(cache, key(language="de"))
    assert cache.get(key(language="de"), READ_AT, CLOCK) == PARTS
    assert cache.get(key(language="fr"), READ_AT, CLOCK) is None
    assert cache.get(key(), READ_AT, CLOCK) is None


def test_pages_are_per_candidate_and_a_tenant_change_drops_every_candidates() -> None:
    cache = live_cache()
    store(cache, key(candidate="cand_a"))
    # Neither another candidate's token nor an API key (candidate "") gets that page, and
    # a candidate's token does not get the API key's.
    assert cache.get(key(candidate="cand_b"), READ_AT, CLOCK) is None
    assert cache.get(key(), READ_AT, CLOCK) is None
    store(cache, key())
    assert cache.get(key(candidate="cand_b"), READ_AT, CLOCK) is None
    assert cache.get(key(candidate="cand_a"), READ_AT, CLOCK) == PARTS
    cache.tenant_changed("ten_a")
    assert len(cache) == 0


def test_nothing_is_stored_or_served_unless_changes_are_being_heard() -> None:
    cache = FeedPageCache(8, MAX_AGE)
    store(cache, key())
    assert len(cache) == 0
    cache.listening_started()
    store(cache, key())
    cache.listening_lost()
    assert cache.get(key(), READ_AT, CLOCK) is None
    assert len(cache) == 0
    # Back again: what was read before the loss may have missed a change, so it is refused.
    generation_before_the_loss = cache.generation("ten_a")
    cache.listening_started()
    assert cache.generation("ten_a") != generation_before_the_loss
    cache.put(key(), generation_before_the_loss, READ_AT, NEXT_CHANGE, PARTS, CLOCK)
    assert len(cache) == 0


def test_the_least_recently_used_page_goes_first_and_capacity_zero_keeps_none() -> None:
    cache = live_cache(capacity=2)
    store(cache, key(query=b"1"))
    store(cache, key(query=b"2"))
    assert cache.get(key(query=b"1"), READ_AT, CLOCK) == PARTS  # 1 is now the most recent
    store(cache, key(query=b"3"))
    assert cache.get(key(query=b"2"), READ_AT, CLOCK) is None
    assert cache.get(key(query=b"1"), READ_AT, CLOCK) == PARTS
    assert cache.get(key(query=b"3"), READ_AT, CLOCK) == PARTS
    # An evicted page is forgotten by its tenant too: a change then drops only the others.
    cache.tenant_changed("ten_a")
    assert len(cache) == 0

    off = live_cache(capacity=0)
    store(off, key())
    assert len(off) == 0


@pytest.mark.parametrize(
    ("cache_control", "pragma", "fresh"),
    [
        (None, None, False),
        ("no-cache", None, True),
        ("No-Cache", None, True),
        ("max-age=0", None, True),
        ("private, no-store", None, True),
        ("max-age=60", None, False),
        ("no-transform", None, False),
        (None, "no-cache", True),
    ],
)
def test_which_requests_ask_for_a_fresh_page(
    cache_control: str | None, pragma: str | None, fresh: bool
) -> None:
    assert wants_fresh(cache_control, pragma) is fresh


def test_page_parts_join_into_the_page_at_any_moment() -> None:
    documents = {"a": b'{"id":"a"', "b": b'{"id":"b"'}
    parts = page_parts([("a", "due"), ("b", "overdue")], documents, "next")
    assert page_body(parts, READ_AT) == (
        b'{"data":[{"id":"a","status":"due","as_of":"2027-03-10T12:00:00Z"},'
        b'{"id":"b","status":"overdue","as_of":"2027-03-10T12:00:00Z"}],"next_cursor":"next"}'
    )
    assert page_body(page_parts([], documents, None), READ_AT) == b'{"data":[],"next_cursor":null}'
