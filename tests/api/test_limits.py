"""The API's limits on searches, on a real Tornado server in this process (so its pools can be
filled on purpose): reads answer while every search thread is taken, a full queue is a 429
with Retry-After, and searches that would read or send too much are refused with the reason."""

from __future__ import annotations

import asyncio
import threading

import pytest
import requests
import tornado.web

from aurorax.api import ApiConfig, ApiContext, KeyStore, api_patterns
from tests.serving import free_port

SEARCH = {
    "start": "2021-12-01T00:00:00",
    "end": "2021-12-02T00:00:00",
    "data_sources": {"programs": ["themis"]},
}


@pytest.fixture
def serve_api(library, tmp_path):
    """``serve_api(config) -> (base_url, context)``: the API on the pristine repository."""
    stops = []

    def start(config: ApiConfig):
        context = ApiContext(library, KeyStore(tmp_path / "keys.sqlite3"), config)
        port = free_port()
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def run():
            asyncio.set_event_loop(loop)
            server = tornado.web.Application(api_patterns(context)).listen(port, "127.0.0.1")
            stops.append((loop, server, context))
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        assert ready.wait(30)
        return f"http://127.0.0.1:{port}/api/v1", context

    yield start
    for loop, server, context in stops:
        loop.call_soon_threadsafe(server.stop)
        loop.call_soon_threadsafe(loop.stop)
        context.search_pool.shutdown()


def test_reads_answer_while_every_search_thread_is_busy(serve_api):
    base, context = serve_api(ApiConfig(search_workers=1, search_queue=1))
    gate = threading.Event()
    try:
        # Take the one search thread and the one place in the queue.
        held = [context.search_pool.submit(gate.wait, 60) for _ in range(2)]
        listed = requests.get(f"{base}/data_sources", timeout=30)
        assert listed.status_code == 200 and len(listed.json()) > 0
        assert requests.get(f"{base}/availability/ephemeris", timeout=30).status_code == 200
        assert not any(f.done() for f in held)  # the reads did not wait for the searches
        for path in ("/ephemeris/search_synchronous", "/ephemeris/search"):
            busy = requests.post(base + path, json=SEARCH, timeout=30)
            assert busy.status_code == 429, busy.text
            assert busy.json()["error_code"] == "ToManyRequests"
            assert int(busy.headers["Retry-After"]) >= 1
            assert "at most 1 running and 1 waiting" in busy.json()["error_message"]
    finally:
        gate.set()
    for future in held:
        future.result(timeout=30)
    assert requests.post(f"{base}/ephemeris/search_synchronous", json=SEARCH, timeout=30).ok


def test_a_search_reading_too_many_records_is_refused(serve_api, library):
    base, _ = serve_api(ApiConfig(max_search_records=100))
    got = requests.post(f"{base}/ephemeris/search_synchronous", json=SEARCH, timeout=30)
    assert got.status_code == 400
    message = got.json()["error_message"]
    counts = library.availability(SEARCH["start"], SEARCH["end"])
    themis = {s.identifier for s in library.list_data_sources(program="themis")}
    expected = int(counts[counts["data_source"].isin(themis)]["ephemeris_count"].sum())
    assert message == (
        f"start, end: the search would read {expected} records of the data sources it selects; "
        "the server reads at most 100 per search (a shorter time range or fewer data sources)"
    )


def test_an_answer_too_large_for_one_response_asks_for_pages(serve_api):
    base, _ = serve_api(ApiConfig(max_response_bytes=4096))
    whole = requests.post(f"{base}/ephemeris/search_synchronous", json=SEARCH, timeout=30)
    assert whole.status_code == 413
    assert whole.json()["error_code"] == "PayloadTooLarge"
    assert "ask for it in pages (page=1&page_size=...)" in whole.json()["error_message"]
    paged = requests.post(
        f"{base}/ephemeris/search_synchronous",
        json=SEARCH,
        params={"page": 2, "page_size": 3},
        timeout=30,
    )
    assert paged.status_code == 200, paged.text
    body = paged.json()
    assert len(body["result"]) == 3 and body["page"] == 2 and body["result_count"] > 3


def test_the_client_waits_as_told_when_the_server_is_busy(serve_api, library):
    from aurorax.api import APIError, HttpClient
    from aurorax.engine import search_ephemeris

    base, context = serve_api(ApiConfig(search_workers=1, search_queue=1))
    root = base.removesuffix("/api/v1")
    gate = threading.Event()
    held = [context.search_pool.submit(gate.wait, 60) for _ in range(2)]
    try:
        with HttpClient(root, busy_retries=0) as impatient:
            with pytest.raises(APIError) as refused:
                impatient.search_ephemeris(SEARCH, progress=False)
            assert refused.value.status == 429
        threading.Timer(0.5, gate.set).start()  # the searches ahead finish half a second later
        with HttpClient(root, busy_retries=5) as client:
            got = client.search_ephemeris(SEARCH, progress=False)
        assert len(got) == len(search_ephemeris(library, SEARCH)) > 0
    finally:
        gate.set()
        for future in held:
            future.result(timeout=30)
