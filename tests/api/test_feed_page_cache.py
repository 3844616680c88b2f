"""FeedPageCache on its own: when a stored page may be served, and when it must not be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.api.action_documents import page_body, page_parts
from app.api.feed_pages import FeedPageCache

READ_AT = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
NEXT_CHANGE = READ_AT + timedelta(hours=1)
CLOCK = 1_000.0  # time.monotonic() when the page was stored
MAX_AGE = 5.0
PARTS = [b'{"data":[{"id":"a","as_of":', b'}],"next_cursor":null}']


def live_cache(capacity: int = 8) -> FeedPageCache:
    cache = FeedPageCache(capacity, MAX_AGE)
    cache.listening_started()
    return cache


def store(cache: FeedPageCache, tenant: str = "ten_a", query: bytes = b"status=due") -> None:
    cache.put(tenant, query, cache.generation(tenant), READ_AT, NEXT_CHANGE, PARTS, CLOCK)


def test_a_page_is_served_from_when_it_was_read_until_the_next_status_change() -> None:
    cache = live_cache()
    store(cache)
    assert cache.get("ten_a", b"status=due", READ_AT, CLOCK) == PARTS
    just_before = NEXT_CHANGE - timedelta(microseconds=1)
    assert cache.get("ten_a", b"status=due", just_before, CLOCK + 1) == PARTS
    assert cache.get("ten_a", b"status=due", NEXT_CHANGE, CLOCK + 1) is None
    assert len(cache) == 0  # a page past its time is dropped, not kept


def test_a_page_is_not_served_for_a_moment_before_it_was_read() -> None:
    cache = live_cache()
    store(cache)
    assert cache.get("ten_a", b"status=due", READ_AT - timedelta(seconds=1), CLOCK) is None


def test_a_page_with_no_status_change_ahead_lasts_until_its_maximum_age() -> None:
    cache = live_cache()
    cache.put("ten_a", b"", cache.generation("ten_a"), READ_AT, None, PARTS, CLOCK)
    far_later = READ_AT + timedelta(days=400)
    assert cache.get("ten_a", b"", far_later, CLOCK + MAX_AGE - 0.01) == PARTS
    assert cache.get("ten_a", b"", far_later, CLOCK + MAX_AGE) is None


def test_a_change_to_the_tenant_makes_its_pages_stale_and_no_other_tenants() -> None:
    cache = live_cache()
    store(cache, "ten_a")
    store(cache, "ten_b")
    cache.tenant_changed("ten_a")
    assert len(cache) == 1  # ten_a's page is gone from memory at once
    assert cache.get("ten_a", b"status=due", READ_AT, CLOCK) is None
    assert cache.get("ten_b", b"status=due", READ_AT, CLOCK) == PARTS


def test_a_page_read_before_a_change_is_not_stored_after_it() -> None:
    cache = live_cache()
    generation = cache.generation("ten_a")  # taken before the query
    cache.tenant_changed("ten_a")  # announced while the query ran
    cache.put("ten_a", b"", generation, READ_AT, NEXT_CHANGE, PARTS, CLOCK)
    assert len(cache) == 0


def test_pages_are_per_tenant_and_per_query_string() -> None:
    cache = live_cache()
    store(cache, "ten_a", b"status=due")
    assert cache.get("ten_b", b"status=due", READ_AT, CLOCK) is None
    assert cache.get("ten_a", b"status=due&limit=50", READ_AT, CLOCK) is None


def test_nothing_is_stored_or_served_unless_changes_are_being_heard() -> None:
    cache = FeedPageCache(8, MAX_AGE)
    store(cache)
    assert len(cache) == 0
    cache.listening_started()
    store(cache)
    cache.listening_lost()
    assert cache.get("ten_a", b"status=due", READ_AT, CLOCK) is None
    assert len(cache) == 0
    # Back again: what was stored before the loss may have missed a change, so it is gone.
    generation_before_the_loss = cache.generation("ten_a")
    cache.listening_started()
    assert cache.generation("ten_a") != generation_before_the_loss
    cache.put("ten_a", b"", generation_before_the_loss, READ_AT, NEXT_CHANGE, PARTS, CLOCK)
    assert len(cache) == 0


def test_the_least_recently_used_page_goes_first_and_capacity_zero_keeps_none() -> None:
    cache = live_cache(capacity=2)
    store(cache, query=b"1")
    store(cache, query=b"2")
    assert cache.get("ten_a", b"1", READ_AT, CLOCK) == PARTS  # 1 is now the most recent
    store(cache, query=b"3")
    assert cache.get("ten_a", b"2", READ_AT, CLOCK) is None
    assert cache.get("ten_a", b"1", READ_AT, CLOCK) == PARTS
    assert cache.get("ten_a", b"3", READ_AT, CLOCK) == PARTS

    off = live_cache(capacity=0)
    store(off)
    assert len(off) == 0


def test_page_parts_join_into_the_page_at_any_moment() -> None:
    documents = {"a": b'{"id":"a"', "b": b'{"id":"b"'}
    parts = page_parts([("a", "due"), ("b", "overdue")], documents, "next")
    assert page_body(parts, READ_AT) == (
        b'{"data":[{"id":"a","status":"due","as_of":"2027-03-10T12:00:00Z"},'
        b'{"id":"b","status":"overdue","as_of":"2027-03-10T12:00:00Z"}],"next_cursor":"next"}'
    )
    assert page_body(page_parts([], documents, None), READ_AT) == b'{"data":[],"next_cursor":null}'
