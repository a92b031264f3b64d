"""Uploads of ephemeris and data products: keys, ownership, whole batch or nothing, limits, and
hostile values stored as plain data."""

from __future__ import annotations

import pytest

from aurorax.api import KeyStore
from tests.api.conftest import OTHER_OWNER, headers

SQL = "'; DROP TABLE ephemeris; --"
TRAVERSAL = "../../etc/passwd"


@pytest.fixture(scope="module")
def own_source(api, other_key):
    """A spacecraft source of OTHER_OWNER with a string metadata field, created over HTTP."""
    body = {
        "program": "upload-test",
        "platform": "sat1",
        "instrument_type": "footprint",
        "source_type": "leo",
        "display_name": "Upload Sat 1",
        "ephemeris_metadata_schema": [{"field_name": "note", "data_type": "string"}],
        "data_product_metadata_schema": [{"field_name": "note", "data_type": "string"}],
    }
    response = api("POST", "/data_sources", json=body, headers=headers(other_key))
    assert response.status_code == 201, response.text
    return response.json()["identifier"]


def _ephemeris(n: int, note: str = "ok", minute0: int = 0) -> list[dict]:
    return [
        {
            "epoch": f"2021-12-02T00:{minute0 + i:02d}:00",
            "location_geo": {"lat": 10.0 + i, "lon": 20.0},
            "nbtrace": {"lat": 60.0, "lon": 20.0 + i},
            "metadata": {"note": note},
        }
        for i in range(n)
    ]


def _stored_ephemeris(api, source_id: int) -> list[dict]:
    body = {
        "start": "2021-12-02T00:00",
        "end": "2021-12-03T00:00",
        "data_sources": {"programs": ["upload-test"]},
    }
    got = api("POST", "/ephemeris/search_synchronous", json=body).json()["result"]
    return [r for r in got if r["data_source"]["identifier"] == source_id]


def test_ephemeris_upload_stores_and_returns_records(api, other_key, own_source):
    response = api(
        "POST",
        f"/data_sources/{own_source}/ephemeris",
        json=_ephemeris(3),
        headers=headers(other_key),
    )
    assert response.json() == {"data_source": own_source, "result_count": 3}
    stored = _stored_ephemeris(api, own_source)[:3]
    assert [r["epoch"] for r in stored] == [f"2021-12-02T00:0{i}:00" for i in range(3)]
    assert [r["location_geo"] for r in stored] == [{"lat": 10.0 + i, "lon": 20.0} for i in range(3)]
    assert stored[0]["location_gsm"] == {"lat": None, "lon": None}
    assert stored[0]["data_source"]["display_name"] == "Upload Sat 1"


def test_writes_refused_without_key_wrong_key_other_owner_revoked(
    api, keys, demo_key, other_key, own_source
):
    before = _stored_ephemeris(api, own_source)
    path = f"/data_sources/{own_source}/ephemeris"
    records = _ephemeris(2, minute0=30)
    assert api("POST", path, json=records).status_code == 401
    assert api("POST", path, json=records, headers=headers("axk_abc_def")).status_code == 401
    forged = other_key[:-3] + ("aaa" if not other_key.endswith("aaa") else "bbb")
    assert api("POST", path, json=records, headers=headers(forged)).status_code == 401
    refused = api("POST", path, json=records, headers=headers(demo_key))
    assert (refused.status_code, refused.json()["error_code"]) == (403, "NotPermitted")
    assert "owned by another account" in refused.json()["error_message"]
    # a demo source with the other owner's key
    refused = api("POST", "/data_sources/1/ephemeris", json=records, headers=headers(other_key))
    assert refused.status_code == 403
    key, token = keys.create(OTHER_OWNER)
    keys.revoke(key.key_id)
    assert api("POST", path, json=records, headers=headers(token)).status_code == 401
    assert _stored_ephemeris(api, own_source) == before


def test_key_limited_to_listed_sources(api, keys, own_source):
    _, token = keys.create("third@example.org", sources=[own_source])
    ok = api(
        "POST",
        f"/data_sources/{own_source}/ephemeris",
        json=_ephemeris(1, minute0=40),
        headers=headers(token),
    )
    assert ok.status_code == 200
    assert (
        api(
            "POST", "/data_sources/2/ephemeris", json=_ephemeris(1), headers=headers(token)
        ).status_code
        == 403
    )


def test_whole_batch_or_nothing(api, other_key, own_source):
    before = _stored_ephemeris(api, own_source)
    records = _ephemeris(5, minute0=50)
    records[3]["location_geo"] = {"lat": 123.0, "lon": 0.0}
    response = api(
        "POST", f"/data_sources/{own_source}/ephemeris", json=records, headers=headers(other_key)
    )
    assert response.status_code == 400
    assert "record 3" in response.json()["error_message"]
    assert (
        "geo_lat" in response.json()["error_message"]
        or "location_geo" in response.json()["error_message"]
    )
    assert _stored_ephemeris(api, own_source) == before
    wrong_source = _ephemeris(1, minute0=55) + [dict(_ephemeris(1, minute0=56)[0], data_source=1)]
    response = api(
        "POST",
        f"/data_sources/{own_source}/ephemeris",
        json=wrong_source,
        headers=headers(other_key),
    )
    assert response.status_code == 400
    assert response.json()["error_message"] == (
        f"ephemeris record 1: data_source 1 is not data source {own_source} of this URL"
    )
    assert _stored_ephemeris(api, own_source) == before


def test_sql_in_values_is_stored_and_filtered_as_data(api, other_key, own_source):
    stored = api(
        "POST",
        f"/data_sources/{own_source}/ephemeris",
        json=_ephemeris(1, SQL, 20),
        headers=headers(other_key),
    )
    assert stored.status_code == 200, stored.text
    body = {
        "start": "2021-12-02T00:00",
        "end": "2021-12-03T00:00",
        "data_sources": {
            "programs": ["upload-test"],
            "ephemeris_metadata_filters": {
                "expressions": [{"key": "note", "operator": "=", "values": [SQL]}]
            },
        },
    }
    got = api("POST", "/ephemeris/search_synchronous", json=body).json()["result"]
    assert [(r["epoch"], r["metadata"]["note"]) for r in got] == [("2021-12-02T00:20:00", SQL)]
    # filters on the demo programs carrying SQL match nothing and break nothing
    body["data_sources"] = {"programs": [SQL]}
    refused = api("POST", "/ephemeris/search_synchronous", json=body)
    assert refused.status_code == 400 and SQL in refused.json()["error_message"]
    listed = api("GET", "/data_sources", params={"program": SQL})
    assert listed.json() == []
    counts = api("GET", "/data_sources", params={"program": "themis", "include_stats": "true"})
    assert [d["stats"]["ephemeris_count"] for d in counts.json()] == [1440, 1440, 1440]


def test_data_product_urls_with_path_traversal_are_plain_data(api, other_key, own_source):
    records = [
        {
            "data_product_type": "keogram",
            "start": "2021-12-02T00:00:00",
            "end": "2021-12-02T00:59:00",
            "url": TRAVERSAL,
            "metadata": {"note": SQL},
        },
        {
            "data_product_type": "movie",
            "start": "2021-12-02T01:00:00",
            "end": "2021-12-02T01:59:00",
            "url": "file:///etc/passwd",
        },
    ]
    response = api(
        "POST",
        f"/data_sources/{own_source}/data_products",
        json=records,
        headers=headers(other_key),
    )
    assert response.json() == {"data_source": own_source, "result_count": 2}
    body = {
        "start": "2021-12-02",
        "end": "2021-12-03",
        "data_sources": {"programs": ["upload-test"]},
    }
    got = api("POST", "/data_products/search_synchronous", json=body)
    assert [(r["url"], r["data_product_type"]) for r in got.json()["result"]] == [
        (TRAVERSAL, "keogram"),
        ("file:///etc/passwd", "movie"),
    ]
    assert got.json()["result"][0]["metadata"] == {"note": SQL}
    assert "root:" not in got.text  # the server never read the file the URL names


def test_upload_limits(api, other_key, own_source):
    before = _stored_ephemeris(api, own_source)
    too_many = [{"epoch": "2021-12-02T00:00:00"}] * 50_001
    response = api(
        "POST", f"/data_sources/{own_source}/ephemeris", json=too_many, headers=headers(other_key)
    )
    assert response.status_code == 413
    assert response.json() == {
        "error_code": "PayloadTooLarge",
        "error_message": "50001 ephemeris records in one upload; the server takes at most 50000 "
        "(split the upload)",
    }
    huge = b"[" + b" " * (16 * 2**20) + b"]"
    response = api(
        "POST", f"/data_sources/{own_source}/ephemeris", data=huge, headers=headers(other_key)
    )
    assert response.status_code == 413
    assert "limit of 16777216 bytes" in response.json()["error_message"]
    chunked = api("POST", "/conjunctions/search", data=(b" " * 2**20 for _ in range(17)))
    assert chunked.status_code == 413
    assert _stored_ephemeris(api, own_source) == before


def test_bad_bodies_are_400(api, other_key, own_source):
    path = f"/data_sources/{own_source}/ephemeris"
    for body, message in (
        (b"{not json", "request body: not valid JSON"),
        (b"", "request body: expected a JSON document, got an empty body"),
        (b'{"epoch": "x"}', "request body: expected a JSON list of ephemeris records, got dict"),
        (b"[1]", "ephemeris record 0: expected a JSON object"),
    ):
        response = api("POST", path, data=body, headers=headers(other_key))
        assert response.status_code == 400, body
        assert response.json()["error_message"].startswith(message)


def test_keys_file_never_holds_the_secret(keys, other_key):
    raw = keys.path.read_bytes()
    assert other_key.split("_", 2)[2].encode() not in raw
    assert KeyStore(keys.path).authenticate(other_key).owner == OTHER_OWNER
