"""Searches: AuroraX's asynchronous lifecycle, the synchronous variants, pagination,
availability, the query description, and 50 concurrent searches equal to the library's."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from aurorax.engine import (
    availability_summary,
    data_product_frame_to_records,
    ephemeris_frame_to_records,
    search_conjunctions,
    search_data_products,
    search_ephemeris,
)

QUERY = {
    "start": "2021-12-01T00:00:00",
    "end": "2021-12-02T00:00:00",
    "ground": [{"programs": ["themis-asi"]}],
    "space": [{"programs": ["themis"], "hemisphere": ["northern"]}],
    "max_distances": {"ground1-space1": 500},
}
EPHEMERIS = {
    "start": "2021-12-01T06:00",
    "end": "2021-12-01T07:00",
    "data_sources": {"programs": ["themis"], "platforms": ["themisa", "themise"]},
}
PRODUCTS = {
    "start": "2021-12-01",
    "end": "2021-12-02",
    "data_sources": {"programs": ["themis-asi"], "platforms": ["gillam"]},
    "data_product_type_filters": ["keogram"],
}


def _wait(api, url: str) -> dict:
    for _ in range(600):
        status = api("GET", url.split("/api/v1", 1)[1]).json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"search {url} did not finish")


def test_async_lifecycle(api, library):
    expected = search_conjunctions(library, QUERY).to_aurorax_json()["result"]
    assert len(expected) == 11
    accepted = api("POST", "/conjunctions/search", json=QUERY)
    assert accepted.status_code == 202
    location = accepted.headers["Location"]
    request_id = accepted.json()["request_id"]
    assert location.endswith(f"/api/v1/conjunctions/requests/{request_id}")
    status = _wait(api, location)
    assert status["status"] == "completed"
    assert status["search_request"]["request_type"] == "conjunction"
    assert status["search_request"]["query"]["max_distances"] == {"ground1-space1": 500}
    result = status["search_result"]
    assert result["result_count"] == 11 and result["error_condition"] is False
    assert result["data_uri"] == location + "/data" and result["query_duration"] > 0
    assert [log["summary"] for log in status["logs"]][:2] == [
        "conjunction search queued",
        "search started",
    ]
    assert status["logs"][-1]["summary"].startswith("found 11 conjunction(s) in ")

    path = f"/conjunctions/requests/{request_id}"
    assert api("GET", path + "/data").json()["result"] == expected
    page = api("GET", path + "/data", params={"page": 3, "page_size": 4}).json()
    assert page["result"] == expected[8:]
    assert (page["page"], page["page_size"], page["n_pages"], page["result_count"]) == (3, 4, 3, 11)
    beyond = api("GET", path + "/data", params={"page": 4, "page_size": 4})
    assert beyond.status_code == 400
    assert beyond.json()["error_message"] == "page: 4 is out of range; pages: 1 to 3"

    deleted = api("DELETE", path)
    assert deleted.json() == {"request_id": request_id, "status": "deleted"}
    assert api("GET", path + "/data").status_code == 404
    assert api("GET", path).json()["search_result"]["result_file_deleted_timestamp"] is not None
    assert api("GET", "/conjunctions/requests/nope").status_code == 404
    assert api("DELETE", "/ephemeris/requests/nope").status_code == 404


def test_invalid_query_is_refused_before_queueing(api):
    bad = dict(QUERY, max_distances={"ground1-space2": 500})
    response = api("POST", "/conjunctions/search", json=bad)
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "AssertionError",
        "error_message": "max_distances: key 'ground1-space2' names block space2, which this "
        "query does not have (blocks: ground1, space1)",
    }
    one_block = {k: v for k, v in QUERY.items() if k != "space"}
    response = api("POST", "/conjunctions/search_synchronous", json=one_block)
    assert response.status_code == 400
    assert response.json()["error_message"].startswith("criteria blocks: the query has 1")
    for body in (
        [1, 2],
        "text",
        {"start": 5, "end": []},
        {"start": "2021", "end": "2022", "ground": 3},
    ):
        response = api("POST", "/conjunctions/search", json=body)
        assert response.status_code == 400, body
        assert response.json()["error_code"] == "AssertionError"


def test_sync_searches_equal_the_library(api, library):
    got = api("POST", "/conjunctions/search_synchronous", json=QUERY).json()
    result = search_conjunctions(library, QUERY)
    assert got["result"] == result.to_aurorax_json()["result"]
    rows = api("POST", "/conjunctions/search_synchronous", params={"format": "rows"}, json=QUERY)
    assert rows.json()["result"] == json.loads(result.to_json())

    got = api("POST", "/ephemeris/search_synchronous", json=EPHEMERIS).json()
    frame = search_ephemeris(library, EPHEMERIS)
    assert got["result_count"] == 120
    assert got["result"] == ephemeris_frame_to_records(frame, library.list_data_sources())

    got = api("POST", "/data_products/search_synchronous", json=PRODUCTS).json()
    frame = search_data_products(library, PRODUCTS)
    assert got["result"] == data_product_frame_to_records(frame, library.list_data_sources())
    assert {r["metadata"]["keogram_type"] for r in got["result"]} == {"daily", "hourly"}
    bad = api(
        "POST",
        "/data_products/search_synchronous",
        json=dict(PRODUCTS, data_product_type_filters=["photo"]),
    )
    assert bad.status_code == 400
    assert bad.json()["error_message"].startswith("data_product_types: 'photo' is not allowed")


@pytest.mark.parametrize(
    ("segment", "body"), [("ephemeris", EPHEMERIS), ("data_products", PRODUCTS)]
)
def test_async_record_searches(api, segment, body):
    accepted = api("POST", f"/{segment}/search", json=body)
    assert accepted.status_code == 202
    status = _wait(api, accepted.headers["Location"])
    assert status["status"] == "completed"
    data = api("GET", f"/{segment}/requests/{accepted.json()['request_id']}/data").json()
    sync = api("POST", f"/{segment}/search_synchronous", json=body).json()
    assert (
        data["result"] == sync["result"]
        and data["result_count"] == status["search_result"]["result_count"]
    )
    wrong = api(
        "GET",
        f"/{segment}/requests/{accepted.json()['request_id']}/data",
        params={"format": "rows"},
    )
    assert wrong.status_code == 400


def test_availability(api, library):
    params = {"start": "2021-12-01", "end": "2021-12-02", "program": ["themis"]}
    got = api("GET", "/availability/ephemeris", params=params).json()
    assert [(e["data_source"]["display_name"], e["available_ephemeris"]) for e in got] == [
        ("THEMIS-A", {"2021-12-01": 1440}),
        ("THEMIS-D", {"2021-12-01": 1440}),
        ("THEMIS-E", {"2021-12-01": 1440}),
    ]
    params = {"start": "2021-12-01", "end": "2021-12-02", "platform": ["gillam", "rankin inlet"]}
    got = api("GET", "/availability/data_products", params=params).json()
    summary = availability_summary(
        library, "2021-12-01", "2021-12-02", platforms=["gillam", "rankin inlet"]
    )
    assert {
        e["data_source"]["identifier"]: e["available_data_products"]["2021-12-01"] for e in got
    } == dict(
        zip(summary["data_source"].tolist(), summary["data_product_count"].tolist(), strict=True)
    )
    empty = api(
        "GET",
        "/availability/ephemeris",
        params={"start": "2030-01-01", "end": "2030-02-01", "program": "themis"},
    )
    assert [e["available_ephemeris"] for e in empty.json()] == [{}, {}, {}]
    bad = api("GET", "/availability/ephemeris", params={"start": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error_message"].startswith("start")


def test_describe(api, library):
    response = api("POST", "/utils/describe/query/conjunction", json=QUERY)
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == search_conjunctions(library, QUERY).query.describe()
    assert response.text.startswith(
        "Find conjunctions of type nbtrace between data sources of ground1="
    )


def test_fifty_concurrent_searches_equal_the_library(api, library):
    distances = [200 + 10 * i for i in range(50)]
    queries = [dict(QUERY, max_distances={"ground1-space1": d}) for d in distances]
    expected = [search_conjunctions(library, q).to_aurorax_json()["result"] for q in queries]

    def run(i: int):
        if i % 2:  # half synchronous, half through the asynchronous lifecycle
            return api("POST", "/conjunctions/search_synchronous", json=queries[i]).json()["result"]
        accepted = api("POST", "/conjunctions/search", json=queries[i])
        assert accepted.status_code == 202
        status = _wait(api, accepted.headers["Location"])
        assert status["status"] == "completed", status["logs"]
        return api("GET", f"/conjunctions/requests/{accepted.json()['request_id']}/data").json()[
            "result"
        ]

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(run, range(50)))
    assert got == expected
    assert [len(r) for r in got][::49] == [len(expected[0]), len(expected[49])]
    assert len(expected[0]) < len(expected[49])  # the distances really changed the answers
