"""A tiny repository built through the library's own ingest, for the dashboard tests."""

from __future__ import annotations

import io
import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from aurorax.engine import DataSource, MetadataField, Repository


def build_tiny_repository(path):
    """Two sources: a ground imager with 90 operating minutes and a spacecraft with 120."""
    with Repository(path) as repo:
        gill = repo.add_data_source(
            DataSource(
                program="themis-asi",
                platform="gillam",
                instrument_type="panchromatic ASI",
                source_type="ground",
                display_name="THEMIS-ASI GILL",
                ephemeris_metadata_schema=(
                    MetadataField(
                        "clausen_ml_oath", "string", allowed_values=("classified as arc",)
                    ),
                ),
            )
        )
        swarm = repo.add_data_source(
            DataSource(
                program="swarm",
                platform="swarma",
                instrument_type="footprint",
                source_type="leo",
                display_name="Swarm A",
            )
        )
        start = pd.Timestamp("2021-12-01T00:00", tz="UTC")
        ground_epochs = pd.date_range(start, periods=90, freq="min")
        repo.ingest_ephemeris(
            pd.DataFrame(
                {
                    "data_source": gill.identifier,
                    "epoch": ground_epochs,
                    "geo_lat": 56.38,
                    "geo_lon": -94.64,
                    "gsm_lat": np.nan,
                    "gsm_lon": np.nan,
                    "nbtrace_lat": 56.38,
                    "nbtrace_lon": -94.64,
                    "sbtrace_lat": -72.77,
                    "sbtrace_lon": -134.67,
                    "metadata.clausen_ml_oath": "classified as arc",
                }
            )
        )
        epochs = pd.date_range(start, periods=120, freq="min")
        lat = np.linspace(-80.0, 80.0, 120)
        repo.ingest_ephemeris(
            pd.DataFrame(
                {
                    "data_source": swarm.identifier,
                    "epoch": epochs,
                    "geo_lat": lat,
                    "geo_lon": 10.0,
                    "gsm_lat": lat,
                    "gsm_lon": 0.0,
                    "nbtrace_lat": np.abs(lat),
                    "nbtrace_lon": 10.0,
                    "sbtrace_lat": -np.abs(lat),
                    "sbtrace_lon": 10.0,
                }
            )
        )
    return path


@pytest.fixture
def tiny_repository(tmp_path):
    return build_tiny_repository(tmp_path / "tiny.duckdb")


def check_exports(buttons, min_png_bytes: int = 3_000):
    """Call the PNG and HTML download callbacks of an export row (``app.pages._export``) and
    check that a real PNG and a standalone offline HTML page come back. Returns the PNG pixels."""
    widgets = {w.filename.rsplit(".", 1)[1]: w for w in buttons}
    assert set(widgets) == {"png", "html"}
    check_html_export(widgets["html"])
    png = widgets["png"].callback().getvalue()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > min_png_bytes
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    # A drawing, not a blank canvas: more than a handful of colours.
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 10
    return pixels


def check_html_export(button) -> str:
    """Call an HTML download callback; check it is a standalone offline page. Returns the text."""
    text = button.callback().getvalue().decode()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert "Bokeh.embed" in text
    assert len(text) > 500_000  # BokehJS itself is inside the file
    remote = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)
    assert remote.search(text) is None
    return text
