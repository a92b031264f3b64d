"""aurorax.client: the same verbs and the same results over HTTP as directly on the file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from aurorax.api import AuthenticationError, PermissionDeniedError, RemoteConjunctionResult
from aurorax.client import HttpClient, LocalClient, connect
from aurorax.engine import (
    ConjunctionQuery,
    DataSource,
    DuplicateError,
    GroundCriteria,
    NotFoundError,
    SpaceCriteria,
    ValidationError,
)
from tests.api.conftest import OTHER_OWNER

# The conjunction page's "query JSON", pasted as text.
PAGE_JSON = """{"start": "2021-12-01T00:00:00", "end": "2021-12-02T00:00:00",
 "ground": [{"programs": ["themis-asi"], "platforms": [], "instrument_types": [],
   "ephemeris_metadata_filters": {"logical_operator": "AND", "expressions": [
     {"key": "calgary_apa_ml_v1_confidence", "operator": ">=", "values": ["50"]}]}}],
 "space": [{"programs": ["themis"], "platforms": [], "instrument_types": [],
   "hemisphere": ["northern"], "ephemeris_metadata_filters": {}}],
 "conjunction_types": ["nbtrace", "sbtrace"], "max_distances": {"ground1-space1": 800},
 "epoch_search_precision": 60}"""


@pytest.fixture(scope="module")
def local(api_files):
    with LocalClient(api_files[1], read_only=True) as client:
        yield client


@pytest.fixture(scope="module")
def remote(server):
    with connect(server) as client:
        yield client


def test_connect_picks_the_backend(server, api_files):
    assert isinstance(connect(server), HttpClient)
    with connect(api_files[1], read_only=True) as client:
        assert isinstance(client, LocalClient)


def test_conjunctions_from_page_json_are_the_same(local, remote):
    mine = local.search_conjunctions(PAGE_JSON)
    theirs = remote.search_conjunctions(PAGE_JSON, progress=False)
    assert isinstance(theirs, RemoteConjunctionResult) and len(theirs) == len(mine) > 0
    pd.testing.assert_frame_equal(theirs.data, mine.data)
    assert set(theirs.data["conjunction_type"]) == {"nbtrace", "sbtrace"}
    assert theirs.query == mine.query
    assert theirs.to_aurorax_json() == mine.to_aurorax_json()
    assert theirs.to_csv() == mine.to_csv()
    pd.testing.assert_frame_equal(theirs.page(2, 3), mine.page(2, 3))
    with pytest.raises(Exception, match="distance_series needs the members' per-minute tracks"):
        theirs.distance_series(0)


def test_typed_query_and_progress(local, remote, capsys):
    query = ConjunctionQuery(
        start="2021-12-01T06:00",
        end="2021-12-01T18:00",
        ground=[GroundCriteria(platforms=["gillam", "rankin inlet", "fort simpson"])],
        space=[SpaceCriteria(programs=["themis"])],
        distance=1000,
    )
    theirs = remote.search_conjunctions(query, progress=True)
    pd.testing.assert_frame_equal(theirs.data, local.search_conjunctions(query).data)
    assert "conjunctions search" in capsys.readouterr().err


def test_record_searches_and_availability_are_the_same(local, remote):
    eph = {
        "start": "2021-12-01T05:00",
        "end": "2021-12-01T09:00",
        "data_sources": {"programs": ["themis-asi"], "platforms": ["gillam", "snap lake"]},
    }
    pd.testing.assert_frame_equal(
        remote.search_ephemeris(eph, progress=False), local.search_ephemeris(eph)
    )
    prods = json.dumps(
        {
            "start": "2021-12-01",
            "end": "2021-12-02",
            "data_sources": {
                "programs": ["themis-asi"],
                "data_product_metadata_filters": {
                    "expressions": [{"key": "keogram_type", "operator": "=", "values": ["daily"]}]
                },
            },
        }
    )
    got = remote.search_data_products(prods, progress=False)
    pd.testing.assert_frame_equal(got, local.search_data_products(prods))
    assert len(got) == 24
    pd.testing.assert_frame_equal(
        remote.availability_summary("2021-12-01", "2021-12-02", programs=["themis"]),
        local.availability_summary("2021-12-01", "2021-12-02", programs=["themis"]),
    )


def test_sources_and_describe_are_the_same(local, remote):
    assert remote.list_data_sources(program="themis") == local.list_data_sources(program="themis")
    assert remote.get_data_source(5) == local.get_data_source(5)
    triple = {"program": "themis", "platform": "themisd", "instrument_type": "footprint"}
    assert remote.get_data_source(**triple) == local.get_data_source(**triple)
    assert remote.describe_conjunction_query(PAGE_JSON) == local.describe_conjunction_query(
        PAGE_JSON
    )
    with pytest.raises(NotFoundError, match="no data source with identifier 4242"):
        remote.get_data_source(4242)
    with pytest.raises(ValidationError, match="max_distances: key 'ground1-space9'"):
        remote.search_conjunctions(json.loads(PAGE_JSON) | {"max_distances": {"ground1-space9": 1}})


def test_writes_through_the_client(server, other_key, demo_key):
    anonymous = connect(server)
    source = DataSource("client-test", "sat9", "footprint", "leo", "Client Sat 9")
    with pytest.raises(AuthenticationError, match="writes need an API key"):
        anonymous.add_data_source(source)
    writer = connect(server, api_key=other_key)
    stored = writer.add_data_source(source)
    assert stored.owner == OTHER_OWNER and stored.identifier is not None
    assert writer.add_data_source(source, exist_ok=True) == stored
    with pytest.raises(DuplicateError):
        writer.add_data_source(source)
    frame = pd.DataFrame(
        {
            "data_source": stored.identifier,
            "epoch": pd.date_range("2021-12-03T00:00", periods=25, freq="min", tz="UTC"),
            "geo_lat": 50.0,
            "geo_lon": -100.0,
            "nbtrace_lat": 60.0,
            "nbtrace_lon": -100.0,
        }
    )
    small_chunks = HttpClient(server, api_key=other_key, upload_chunk=10)
    assert small_chunks.ingest_ephemeris(frame) == 25
    got = anonymous.search_ephemeris(
        {"start": "2021-12-03", "end": "2021-12-04", "data_sources": {"programs": ["client-test"]}},
        progress=False,
    )
    assert got["epoch"].tolist() == frame["epoch"].tolist()
    assert got["geo_lat"].tolist() == [50.0] * 25 and got["gsm_lat"].isna().all()
    products = [
        {
            "data_source": {
                "program": "client-test",
                "platform": "sat9",
                "instrument_type": "footprint",
            },
            "data_product_type": "summary_plot",
            "start": "2021-12-03T00:00:00",
            "end": "2021-12-03T00:24:00",
            "url": "https://example.org/p.png",
        }
    ]
    assert writer.ingest_data_products(products) == 1
    with pytest.raises(PermissionDeniedError, match="owned by another account"):
        connect(server, api_key=demo_key).ingest_ephemeris(frame)
