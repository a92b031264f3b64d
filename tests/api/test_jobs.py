"""The search request store: lifecycle states, cancellation, bounded storage and queue."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from aurorax.api import APIError, Payload, SearchRequests
from aurorax.engine import NotFoundError, ValidationError


@pytest.fixture
def pool():
    with ThreadPoolExecutor(1) as executor:
        yield executor


def _done(requests, request_id):
    requests.get(request_id).future.result(timeout=30)
    return requests.get(request_id)


def test_completed_failed_and_evicted(pool):
    requests = SearchRequests(pool, max_stored=3, max_pending=10)
    ok = requests.submit("ephemeris", {}, lambda: (Payload([{"a": 1}], None, 7), "found 1"))
    assert _done(requests, ok.request_id).status == "completed"
    assert requests.payload(ok.request_id).records == [{"a": 1}]

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
    later = [requests.submit("ephemeris", {}, lambda: (Payload([]), "found 0")) for _ in range(3)]
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
        return Payload([1]), "found 1"

    running = requests.submit("conjunction", {}, blocked)
    queued = requests.submit("conjunction", {}, lambda: (Payload([2]), "found 1"))
    started.wait(30)
    with pytest.raises(APIError) as refused:
        requests.submit("conjunction", {}, lambda: (Payload([]), ""))
    assert (refused.value.status, refused.value.error_code) == (429, "ToManyRequests")
    assert requests.cancel(queued.request_id).status == "cancelled"
    assert requests.cancel(running.request_id).status == "cancelled"
    gate.set()
    running.future.result(timeout=30)
    assert running.status == "cancelled" and running.payload is None
    assert running.logs[-1]["summary"] == "search finished after it was cancelled; result discarded"
    with pytest.raises(NotFoundError, match="has no result"):
        requests.payload(running.request_id)
