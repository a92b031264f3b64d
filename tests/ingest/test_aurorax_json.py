"""``import_aurorax_json``: AuroraX JSON exports into a repository, and back out identically."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from aurorax.cli import main
from aurorax.engine import (
    DataSource,
    MetadataField,
    NotFoundError,
    Repository,
    ValidationError,
    data_product_frame_to_records,
    ephemeris_frame_to_records,
)
from aurorax.ingest import format_import_summary, import_aurorax_json
from tests.demo_repos import one_day_demo

PROGRAMS = ("themis-asi", "themis")
PLATFORMS = ["gillam", "themisa"]


def _export(path):
    """Everything in the repository at ``path``, as the engine emits AuroraX JSON."""
    with Repository(path, read_only=True) as repo:
        sources = repo.list_data_sources()
        cursor = repo.cursor()
        ephemeris = cursor.execute("SELECT * FROM ephemeris ORDER BY data_source, epoch").df()
        products = cursor.execute("SELECT * FROM data_products ORDER BY url").df()
        return (
            [s.to_dict() for s in sources],
            ephemeris_frame_to_records(ephemeris, sources),
            data_product_frame_to_records(products, sources),
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A one-day demo repository (GILL and THEMIS-A) and its export."""
    db = one_day_demo(
        tmp_path_factory.mktemp("demo") / "demo.duckdb", programs=PROGRAMS, platforms=PLATFORMS
    )
    sources, ephemeris, products = _export(db)
    assert len(ephemeris) == 812 + 1440 and len(products) == 15
    return {"db": db, "sources": sources, "ephemeris": ephemeris, "products": products}


def _write(path, value):
    path.write_text(json.dumps(value))
    return path


def _fresh_with_sources(path, sources):
    with Repository(path) as repo:
        for source in sources:
            repo.add_data_source(DataSource.from_dict(source))
    return path


def test_round_trip_of_a_bundle_creates_identical_sources_and_records(demo, tmp_path):
    bundle = _write(
        tmp_path / "export.json",
        {
            "data_sources": demo["sources"],
            "ephemeris": demo["ephemeris"],
            "data_products": demo["products"],
        },
    )
    db = tmp_path / "new.duckdb"
    summary = import_aurorax_json(db, bundle, create_sources=True, progress=False)
    assert (summary.ephemeris_records, summary.data_product_records) == (2252, 15)
    assert summary.created == ("themis-asi/gillam/panchromatic ASI", "themis/themisa/footprint")
    assert [(s.identifier, s.ephemeris, s.data_products) for s in summary.sources] == [
        (1, 812, 15),
        (2, 1440, 0),
    ]
    sources, ephemeris, products = _export(db)
    assert sources == demo["sources"]
    assert ephemeris == demo["ephemeris"]
    assert products == demo["products"]
    text = format_import_summary(summary)
    assert text.splitlines()[0].startswith(
        "1 file(s): 2252 ephemeris record(s) and 15 data product record(s) stored; "
    )
    assert "     1 themis-asi/gillam/panchromatic ASI (created): 812 ephemeris, 15 data" in text


def test_api_result_shape_into_sources_added_first_is_identical(demo, tmp_path):
    """An AuroraX API search result, ``{"result": [...]}``, into a repository whose sources
    were added beforehand (other identifiers: records are matched by their triple)."""
    db = tmp_path / "new.duckdb"
    with Repository(db) as repo:
        repo.add_data_source(DataSource("other", "site", "ASI", "ground", "Other", identifier=7))
        for source in reversed(demo["sources"]):
            repo.add_data_source(DataSource.from_dict({**source, "identifier": None}))
    ephemeris = _write(tmp_path / "eph.json", {"result": demo["ephemeris"], "result_count": 2252})
    products = _write(tmp_path / "dp.json", demo["products"])
    summary = import_aurorax_json(db, [ephemeris, products], progress=False)
    assert summary.created == ()
    assert {s.name: s.identifier for s in summary.sources} == {
        "themis/themisa/footprint": 8,
        "themis-asi/gillam/panchromatic ASI": 9,
    }
    _, got_ephemeris, got_products = _export(db)
    renumber = {1: 9, 2: 8}

    def renumbered(records):
        return [
            {
                **r,
                "data_source": {
                    **r["data_source"],
                    "identifier": renumber[r["data_source"]["identifier"]],
                },
            }
            for r in records
        ]

    assert sorted(got_ephemeris, key=lambda r: (r["data_source"]["identifier"], r["epoch"])) == (
        sorted(
            renumbered(demo["ephemeris"]),
            key=lambda r: (r["data_source"]["identifier"], r["epoch"]),
        )
    )
    assert got_products == renumbered(demo["products"])


def test_pyaurorax_upload_shape_and_inferred_schema(tmp_path):
    """PyAuroraX's ``to_json_serializable`` puts program/platform/instrument_type on the record
    and writes epochs as ``...:00.000Z``; a created source types its schema from the values."""
    records = [
        {
            "program": "swarm",
            "platform": "swarma",
            "instrument_type": "footprint",
            "epoch": f"2021-12-02T06:0{m}:00.000Z",
            "location_geo": {"lat": 60.0 + m, "lon": -100.0},
            "location_gsm": {"lat": 10.0, "lon": 20.0},
            "nbtrace": {"lat": 61.0, "lon": -101.0},
            "sbtrace": {"lat": -70.0, "lon": 150.0},
            "metadata": {
                "nbtrace_region": "auroral oval",
                "radial_distance": 6800 + m,
                "tii_on": True,
            },
        }
        for m in range(3)
    ]
    path = _write(tmp_path / "swarm.json", records)
    db = tmp_path / "s.duckdb"
    with pytest.raises(ValidationError) as info:
        import_aurorax_json(db, path, create_sources=True, progress=False)
    assert str(info.value) == (
        f"{path}: cannot create data source swarm/swarma/footprint: the records give no "
        "'source_type' (the PyAuroraX upload shape has none); give the record's data_source a "
        "source_type, or the file a 'data_sources' entry for it"
    )
    with Repository(db, read_only=True) as repo:
        assert repo.list_data_sources() == []
    for record in records:
        record["data_source"] = {
            **{k: record.pop(k) for k in ("program", "platform", "instrument_type")},
            "source_type": "leo",
            "display_name": "Swarm A",
        }
    _write(path, records)
    summary = import_aurorax_json(db, path, create_sources=True, progress=False)
    assert summary.ephemeris_records == 3
    with Repository(db, read_only=True) as repo:
        (source,) = repo.list_data_sources()
        assert source.display_name == "Swarm A" and source.source_type == "leo"
        assert {f.field_name: f.data_type for f in source.ephemeris_metadata_schema} == {
            "nbtrace_region": "string",
            "radial_distance": "int",
            "tii_on": "bool",
        }
        stored = (
            repo.cursor().execute("SELECT epoch, geo_lat FROM ephemeris ORDER BY epoch").fetchall()
        )
    assert [(str(t), lat) for t, lat in stored] == [
        ("2021-12-02 06:00:00", 60.0),
        ("2021-12-02 06:01:00", 61.0),
        ("2021-12-02 06:02:00", 62.0),
    ]


@pytest.fixture
def target(demo, tmp_path):
    """A repository with the demo's sources and nothing else, and a helper to count records."""
    db = _fresh_with_sources(tmp_path / "t.duckdb", demo["sources"])

    def stored():
        with Repository(db, read_only=True) as repo:
            counts = repo.counts()
            return int(counts.ephemeris_count.sum()), int(counts.data_product_count.sum())

    return db, stored


def _bad(tmp_path, demo, change):
    """A bundle of a few demo records with ``change(bundle)`` applied."""
    bundle = copy.deepcopy(
        {"ephemeris": demo["ephemeris"][:5], "data_products": demo["products"][:3]}
    )
    change(bundle)
    return _write(tmp_path / "bad.json", bundle)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: b["ephemeris"][3].pop("epoch"),
            "ephemeris[3]: missing field 'epoch' (ephemeris record)",
        ),
        (
            lambda b: b["ephemeris"][2].update(epoch="2021-12-01T25:00:00"),
            "ephemeris[2]: field 'epoch' is not a valid time, got '2021-12-01T25:00:00'",
        ),
        (
            lambda b: b["ephemeris"][1].update(epoch=1638316800),
            "ephemeris[1]: field 'epoch' must be an ISO 8601 UTC time string, got 1638316800",
        ),
        (
            lambda b: b["data_products"][2].pop("url"),
            "data_products[2]: missing field 'url' (data product record)",
        ),
        (
            lambda b: b["data_products"][1]["data_source"].pop("platform"),
            "data_products[1]: missing field 'data_source.platform'",
        ),
        (
            # Refused by the repository's own validation, on the last record of the file.
            lambda b: b["data_products"][2].update(end="2021-11-30T00:00:00"),
            "data_products[2]: field 'end' must not be before 'start', got 2021-11-30T00:00:00 UTC",
        ),
        (
            lambda b: b["ephemeris"][4]["metadata"].update(calgary_apa_ml_v1_confidense=3.0),
            "ephemeris[4]: field 'metadata.calgary_apa_ml_v1_confidense' is not in the "
            "ephemeris metadata schema of data source 1 (themis-asi/gillam/panchromatic ASI)",
        ),
        (
            lambda b: b["ephemeris"].append(dict(b["ephemeris"][0])),
            "ephemeris[5]: repeats the data_source and epoch of ephemeris[0] in the same batch",
        ),
    ],
    ids=[
        "no-epoch",
        "bad-epoch",
        "numeric-epoch",
        "no-url",
        "no-platform",
        "end-before-start",
        "undeclared-metadata",
        "repeated-minute",
    ],  # fmt: skip
)
def test_bad_record_names_file_record_and_field_and_stores_nothing(
    demo, tmp_path, target, change, message
):
    db, stored = target
    path = _bad(tmp_path, demo, change)
    with pytest.raises(ValidationError) as info:
        import_aurorax_json(db, path, progress=False)
    assert str(info.value).startswith(f"{path}: {message}")
    assert stored() == (0, 0)


def test_malformed_json_and_unknown_shape(demo, tmp_path, target):
    db, stored = target
    broken = tmp_path / "broken.json"
    broken.write_text('[{"epoch": "2021-12-01T00:00:00",]')
    with pytest.raises(ValidationError) as info:
        import_aurorax_json(db, broken, progress=False)
    assert (
        str(info.value)
        == f"{broken}: not valid JSON: Expecting property name enclosed in double quotes at line 1 column 34"
    )
    nan = _write(tmp_path / "nan.json", [])
    nan.write_text('[{"epoch": "2021-12-01T00:00:00", "location_geo": {"lat": NaN, "lon": 1}}]')
    with pytest.raises(
        ValidationError, match=r"nan\.json: not valid JSON: NaN is not a JSON number"
    ):
        import_aurorax_json(db, nan, progress=False)
    other = _write(tmp_path / "other.json", {"conjunctions": []})
    with pytest.raises(ValidationError, match=r"other\.json: not an AuroraX JSON export"):
        import_aurorax_json(db, other, progress=False)
    assert stored() == (0, 0)


def test_unknown_source_names_the_triple_and_a_bad_second_file_keeps_the_first(
    demo, tmp_path, target
):
    db, stored = target
    good = _write(tmp_path / "good.json", demo["ephemeris"][:10])
    stranger = dict(demo["ephemeris"][0])
    stranger["data_source"] = {
        "program": "rego",
        "platform": "gillam",
        "instrument_type": "redline ASI",
    }
    unknown = _write(tmp_path / "unknown.json", [stranger])
    with pytest.raises(NotFoundError) as info:
        import_aurorax_json(db, [good, unknown], progress=False)
    assert str(info.value).startswith(
        f"{unknown}: unknown data source(s): program='rego', platform='gillam', "
        "instrument_type='redline ASI'; create them with --create-sources"
    )
    assert stored() == (10, 0)  # the first file, and nothing of the second


def test_created_sources_are_removed_when_the_file_is_refused(demo, tmp_path):
    """With create_sources, a file refused by validation leaves no source behind."""
    db = tmp_path / "c.duckdb"
    records = [dict(r) for r in demo["ephemeris"][:3]]
    records[2] = {**records[2], "metadata": {**records[2]["metadata"], "calgary_apa_ml_v1": 5}}
    path = _write(tmp_path / "c.json", {"data_sources": demo["sources"], "ephemeris": records})
    with pytest.raises(
        ValidationError, match=r"ephemeris\[2\]: field 'metadata.calgary_apa_ml_v1' must be string"
    ):
        import_aurorax_json(db, path, create_sources=True, progress=False)
    with Repository(db, read_only=True) as repo:
        assert repo.list_data_sources() == []


def test_data_source_schema_refuses_values_as_the_repository_does(tmp_path):
    db = tmp_path / "v.duckdb"
    with Repository(db) as repo:
        repo.add_data_source(
            DataSource(
                "themis-asi", "gillam", "panchromatic ASI", "ground", "THEMIS-ASI GILL",
                ephemeris_metadata_schema=[MetadataField("calgary_apa_ml_v1", "string",
                                                         allowed_values=["not classified"])],
            )
        )  # fmt: skip
    record = {
        "data_source": {
            "program": "themis-asi",
            "platform": "gillam",
            "instrument_type": "panchromatic ASI",
        },
        "epoch": "2021-12-01T04:00:00",
        "metadata": {"calgary_apa_ml_v1": "classified as APA"},
    }
    path = _write(tmp_path / "one.json", record)
    with pytest.raises(ValidationError) as info:
        import_aurorax_json(db, path, progress=False)
    assert str(info.value) == (
        f"{path}: record 0: field 'metadata.calgary_apa_ml_v1' must be one of "
        "['not classified'], got 'classified as APA'"
    )


def test_cli_imports_and_reports(demo, tmp_path):
    bundle = _write(
        tmp_path / "export.json",
        {
            "data_sources": demo["sources"],
            "ephemeris": demo["ephemeris"][:20],
            "data_products": demo["products"],
        },
    )
    db = tmp_path / "cli.duckdb"
    runner = CliRunner()
    refused = runner.invoke(
        main, ["import-aurorax-json", "--db", str(db), "--no-progress", str(bundle)]
    )
    assert refused.exit_code == 1
    assert (
        "Error: " in refused.output
        and "unknown data source(s): program='themis-asi'" in refused.output
    )
    result = runner.invoke(
        main,
        ["import-aurorax-json", "--db", str(db), "--create-sources", "--no-progress", str(bundle)],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(
        "1 file(s): 20 ephemeris record(s) and 15 data product record(s) stored; "
    )
    assert (
        lines[1]
        == "     1 themis-asi/gillam/panchromatic ASI (created): 20 ephemeris, 15 data product(s)"
    )
    with Repository(db, read_only=True) as repo:
        assert int(repo.counts().ephemeris_count.sum()) == 20
