"""The search request store and the searches' pool: lifecycle states, cancellation, storage
bounded by count and by bytes, the bounded queue (429 with Retry-After)."""

from __future__ import annotations

import threading

import pytest

from aurorax.api import APIError, BusyError, Payload, SearchPool, SearchRequests
from aurorax.engine import NotFoundError, ValidationError


@pytest.fixture
def pool():
    searches = SearchPool(workers=1, queue=8)
    yield searches
    searches.shutdown()


def _done(requests, request_id):
    requests.get(request_id).future.result(timeout=30)
    return requests.get(request_id)


def test_completed_failed_and_evicted(pool):
    requests = SearchRequests(pool, max_stored=3, max_pending=10)
    ok = requests.submit("ephemeris", {}, lambda: (Payload.of([{"a": 1}]), "found 1"))
    assert _done(requests, ok.request_id).status == "completed"
    assert requests.payload(ok.request_id).decoded() == [{"a": 1}]
    assert requests.payload(ok.request_id).file_size == len('[{"a":1}]')

    def fail():
        raise ValueError("the file went away")

    bad = requests.submit("ephemeris", {}, fail)
    assert _done(requests, bad.request_id).status == "failed"
    assert bad.logs[-1] == {
        **bad.logs[-1],
        "level": "error",
        "summary": "search failed: the file went away",
    }
    with pytest.raises(ValidationError, match="failed: search failed: the file went away"):
        requests.payload(bad.request_id)
    assert requests.get(ok.request_id) is ok  # below the bound nothing is evicted
    later = [
        requests.submit("ephemeris", {}, lambda: (Payload.of([]), "found 0")) for _ in range(3)
    ]
    for r in later:
        _done(requests, r.request_id)
    assert len(requests) == 3
    with pytest.raises(NotFoundError, match="evicted"):
        requests.get(ok.request_id)


def test_cancel_queued_and_running_and_pending_cap(pool):
    requests = SearchRequests(pool, max_stored=10, max_pending=2)
    gate = threading.Event()
    started = threading.Event()

    def blocked():
        started.set()
        gate.wait(30)
        return Payload.of([1]), "found 1"

    running = requests.submit("conjunction", {}, blocked)
    queued = requests.submit("conjunction", {}, lambda: (Payload.of([2]), "found 1"))
    started.wait(30)
    with pytest.raises(APIError) as refused:
        requests.submit("conjunction", {}, lambda: (Payload.of([]), ""))
    assert (refused.value.status, refused.value.error_code) == (429, "ToManyRequests")
    assert requests.cancel(queued.request_id).status == "cancelled"
    assert requests.cancel(running.request_id).status == "cancelled"
    gate.set()
    running.future.result(timeout=30)
    assert running.status == "cancelled" and running.payload is None
    assert running.logs[-1]["summary"] == "search finished after it was cancelled; result discarded"
    with pytest.raises(NotFoundError, match="has no result"):
        requests.payload(running.request_id)


def test_stored_results_are_bounded_by_bytes(pool):
    requests = SearchRequests(pool, max_stored=100, max_pending=10, max_stored_bytes=1000)
    big = [{"text": "x" * 90} for _ in range(4)]  # about 400 bytes of JSON
    first, second, third = (
        requests.submit("ephemeris", {}, lambda: (Payload.of(big), "found 4")) for _ in range(3)
    )
    for r in (first, second, third):
        r.future.result(timeout=30)
    # Three results of ~400 bytes do not fit in 1000: the oldest went.
    assert requests.stored_bytes <= 1000
    with pytest.raises(NotFoundError, match="evicted"):
        requests.get(first.request_id)
    assert requests.get(third.request_id).status == "completed"
    huge = requests.submit("ephemeris", {}, lambda: (Payload.of(big * 3), "found 12"))
    assert _done(requests, huge.request_id).status == "failed"
    assert "more than the 1000 bytes the server keeps for results" in huge.error


def test_the_pool_refuses_beyond_its_queue_with_retry_after():
    searches = SearchPool(workers=1, queue=2)
    gate = threading.Event()
    try:
        held = [searches.submit(gate.wait, 30) for _ in range(3)]  # 1 running + 2 waiting
        assert searches.outstanding == 3
        with pytest.raises(BusyError) as refused:
            searches.submit(gate.wait, 30)
        assert (refused.value.status, refused.value.error_code) == (429, "ToManyRequests")
        assert refused.value.retry_after_s >= 1
        assert "at most 1 running and 2 waiting" in str(refused.value)
        gate.set()
        for future in held:
            future.result(timeout=30)
        assert searches.outstanding == 0
        assert searches.submit(lambda: 7).result(timeout=30) == 7  # room again
    finally:
        gate.set()
        searches.shutdown()
