"""Changing and deleting over HTTP: PUT/PATCH/DELETE of a data source and DELETE of its
ephemeris and data products, with the same keys, ownership and clear errors as the uploads.

Every test removes what it created (with the deletes under test), so the repository the other
API tests compare with the library is left as it was.
"""

from __future__ import annotations

import pytest

from aurorax.api import HttpClient
from aurorax.engine import ConflictError, DataSource, DuplicateError
from tests.api.conftest import OTHER_OWNER, headers

BODY = {
    "program": "edit-test",
    "platform": "sat2",
    "instrument_type": "footprint",
    "source_type": "leo",
    "display_name": "Edit Sat 2",
    "metadata": {"orbit": "polar"},
}


@pytest.fixture
def source(api, other_key):
    """A source of OTHER_OWNER with one ephemeris record and one data product."""
    made = api("POST", "/data_sources", json=BODY, headers=headers(other_key))
    assert made.status_code == 201, made.text
    ident = made.json()["identifier"]
    record = {"epoch": "2021-12-04T00:00:00", "location_geo": {"lat": 1.0, "lon": 2.0}}
    product = {
        "data_product_type": "summary_plot",
        "start": "2021-12-04T00:00:00",
        "end": "2021-12-04T01:00:00",
        "url": "https://example.org/edit-test/plot.png",
    }
    for segment, rows in (("ephemeris", [record]), ("data_products", [product])):
        done = api(
            "POST", f"/data_sources/{ident}/{segment}", json=rows, headers=headers(other_key)
        )
        assert done.status_code == 200, done.text
    yield ident
    # Whatever the test left: records first, then the source (404 if the test deleted it).
    path = f"/data_sources/{ident}"
    span = {"start": "2021-01-01", "end": "2022-01-01"}
    api("DELETE", f"{path}/ephemeris", json=span, headers=headers(other_key))
    urls = {"urls": [product["url"]]}
    api("DELETE", f"{path}/data_products", json=urls, headers=headers(other_key))
    api("DELETE", path, headers=headers(other_key))


def _error(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["error_message"]


def test_patch_changes_only_the_given_fields(api, other_key, source):
    path = f"/data_sources/{source}"
    before = api("GET", path, params={"format": "full_record"}).json()
    changed = api("PATCH", path, json={"display_name": "Edit Sat 2b"}, headers=headers(other_key))
    assert changed.status_code == 200, changed.text
    assert changed.json() == before | {"display_name": "Edit Sat 2b"}
    assert api("GET", path, params={"format": "full_record"}).json() == changed.json()
    # The records still belong to it.
    stats = api("GET", path, params={"include_stats": "true"}).json()["stats"]
    assert (stats["ephemeris_count"], stats["data_product_count"]) == (1, 1)


def test_put_replaces_the_source(api, other_key, source):
    path = f"/data_sources/{source}"
    body = {k: v for k, v in BODY.items() if k != "metadata"} | {"display_name": "Edit Sat 2c"}
    replaced = api("PUT", path, json=body, headers=headers(other_key))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {
        **body,
        "identifier": source,
        "owner": OTHER_OWNER,
        "metadata": {},
        "ephemeris_metadata_schema": [],
        "data_product_metadata_schema": [],
    }


def test_refused_changes_name_the_problem_and_change_nothing(api, demo_key, other_key, source):
    path = f"/data_sources/{source}"
    before = api("GET", path, params={"format": "full_record"}).json()
    name = {"display_name": "nope"}
    assert _error(api("PATCH", path, json=name))[:2] == (401, "NotAuthenticated")
    assert _error(api("PATCH", path, json=name, headers=headers(demo_key)))[:2] == (
        403,
        "NotPermitted",
    )
    cases = [
        ({"identifier": 7}, 400, f"identifier: data source {source} cannot become 7"),
        ({"source_type": "comet"}, 400, "source_type"),
        (
            {"program": "themis", "platform": "themisd"},
            409,
            "platform='themisd', instrument_type='footprint' already exists as identifier",
        ),
    ]
    for body, status, message in cases:
        got = api("PATCH", path, json=body, headers=headers(other_key))
        assert got.status_code == status, (body, got.text)
        assert message in got.json()["error_message"]
    assert _error(api("PATCH", "/data_sources/4242", json=name, headers=headers(other_key)))[
        :2
    ] == (
        404,
        "NotFound",
    )
    assert api("GET", path, params={"format": "full_record"}).json() == before


def test_delete_records_then_the_source(api, other_key, source):
    path = f"/data_sources/{source}"
    key = headers(other_key)
    status, code, message = _error(api("DELETE", path, headers=key))
    assert (status, code) == (409, "Conflict")
    assert message.endswith(
        "still has 1 ephemeris record(s) and 1 data product(s); delete them first"
    )
    # Records of another source cannot be deleted through this one.
    demo_url = api(
        "POST",
        "/data_products/search_synchronous",
        json={
            "start": "2021-12-01",
            "end": "2021-12-02",
            "data_sources": {"programs": ["themis-asi"]},
        },
    ).json()["result"][0]["url"]
    got = _error(api("DELETE", f"{path}/data_products", json={"urls": [demo_url]}, headers=key))
    assert got[:2] == (409, "Conflict") and "belongs to data source" in got[2]
    bad = [
        ({"start": "2021-12-04"}, "end: required"),
        ({"start": "2021-12-05", "end": "2021-12-04"}, "must be after start"),
        ({"start": "2021-12-04", "end": "2021-12-05", "days": 1}, "unknown field(s) ['days']"),
        ({"start": "2021-12-04", "end": "2021-12-05", "program": "themis"}, "program: 'themis'"),
    ]
    for body, message in bad:
        got = _error(api("DELETE", f"{path}/ephemeris", json=body, headers=key))
        assert got[0] == 400 and message in got[2], (body, got)
    assert api("DELETE", f"{path}/ephemeris", json=bad[0][0]).status_code == 401
    span = {"start": "2021-12-04", "end": "2021-12-05", "program": "edit-test"}
    done = api("DELETE", f"{path}/ephemeris", json=span, headers=key)
    assert done.json() == {"data_source": source, "result_count": 1}
    urls = {"urls": ["https://example.org/edit-test/plot.png", "https://example.org/none.png"]}
    done = api("DELETE", f"{path}/data_products", json=urls, headers=key)
    assert done.json() == {"data_source": source, "result_count": 1}
    gone = api("DELETE", path, headers=key)
    assert (gone.status_code, gone.text) == (204, "")
    assert api("GET", path).status_code == 404


def test_edits_through_the_client(server, other_key, source):
    client = HttpClient(server, api_key=other_key)
    changed = client.update_data_source(source, {"metadata": {"orbit": "equatorial"}})
    assert changed.metadata == {"orbit": "equatorial"}
    assert client.get_data_source(source) == changed
    with pytest.raises(DuplicateError, match="already exists as identifier"):
        client.update_data_source(source, {"program": "themis", "platform": "themisd"})
    with pytest.raises(ConflictError, match="delete them first"):
        client.delete_data_source(source)
    assert client.delete_ephemeris(source, "2021-12-04", "2021-12-05") == 1
    assert client.delete_data_products("https://example.org/edit-test/plot.png", source) == 1
    client.delete_data_source(DataSource.from_dict(changed.to_dict()))
    assert client.list_data_sources(program="edit-test") == []


def test_the_local_client_has_the_same_edits(tmp_path):
    from aurorax.api import LocalClient

    with LocalClient(tmp_path / "local.duckdb") as client:
        stored = client.add_data_source(DataSource.from_dict(BODY))
        changed = client.update_data_source(stored, {"display_name": "Local Sat"})
        assert client.get_data_source(stored.identifier).display_name == "Local Sat"
        replaced = client.update_data_source(changed, BODY, replace=True)
        assert replaced == DataSource.from_dict(BODY | {"identifier": stored.identifier})
        client.ingest_ephemeris(
            [{"data_source": stored.identifier, "epoch": "2021-12-04T00:00:00"}]
        )
        with pytest.raises(ConflictError):
            client.delete_data_source(stored)
        assert client.delete_ephemeris(stored, "2021-12-04", "2021-12-05") == 1
        assert client.delete_data_products(["https://example.org/none.png"], stored) == 0
        client.delete_data_source(stored)
        assert client.list_data_sources() == []
