"""Every aurorax.viz plot exports to a real PNG (matplotlib, no browser) and to offline HTML."""

from __future__ import annotations

import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from aurorax.asi import Keogram, make_fisheye
from aurorax.engine import Repository
from aurorax.viz import (
    plot_availability,
    plot_conjunction_distance,
    plot_conjunction_map,
    plot_fisheye,
    plot_globe,
    plot_keogram_rows,
    plot_record_counts,
    save_html,
    save_png,
)

from .conftest import build_tiny_repository

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DAY = pd.Timestamp("2021-12-01", tz="UTC")
# A <script src=...> or <link href=...> that reaches the internet (a string inside BokehJS that
# it fetches only on demand, e.g. MathJax for LaTeX labels, is not a tag and is not loaded).
REMOTE_TAG = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def _keogram(site_uid: str, hours: float = 3.0) -> Keogram:
    times = pd.date_range(DAY + pd.Timedelta(hours=2), periods=int(hours * 20), freq="3min")
    rows = np.arange(64)
    # A bright arc drifting southward through the night.
    centre = np.linspace(10, 50, len(times))[:, None]
    values = (1000 + 8000 * np.exp(-((rows[None, :] - centre) ** 2) / 20.0)).astype(np.uint16)
    return Keogram(
        times=times,
        y=rows.astype(float),
        values=values,
        axis="pixel",
        pixel_rows=rows,
        pixel_cols=np.full(64, 32),
        altitude_km=None,
        site_uid=site_uid,
    )


def _fisheye():
    y, x = np.mgrid[0:128, 0:128]
    frame = 2000 + 6000 * np.exp(-((y - 40) ** 2) / 50.0) * ((x - 64) ** 2 + (y - 64) ** 2 < 60**2)
    return make_fisheye(frame.astype(np.uint16), DAY + pd.Timedelta(hours=4))


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    path = build_tiny_repository(tmp_path_factory.mktemp("export") / "tiny.duckdb")
    with Repository(path, read_only=True) as repo:
        return repo.counts(), repo.availability()


def _plots(counts, availability):
    epochs = pd.date_range(DAY, periods=30, freq="min")
    tracks = pd.concat(
        [
            pd.DataFrame(
                {"name": "Swarm A", "epoch": epochs, "lat": np.linspace(50, 65, 30), "lon": -96.0}
            ),
            pd.DataFrame({"name": "THEMIS-ASI GILL", "epoch": epochs, "lat": 56.38, "lon": -94.64}),
        ]
    )
    series = pd.DataFrame(
        {
            "epoch": epochs,
            "distance_km": np.abs(np.linspace(-700, 900, 30)),
            "Swarm A - GILL": np.abs(np.linspace(-700, 900, 30)),
        }
    )
    sites = pd.DataFrame({"name": ["gill"], "lat": [56.38], "lon": [-94.64]})
    return {
        "record_counts": (plot_record_counts(counts), (440, 800)),
        "availability": (plot_availability(availability, counts), None),
        "conjunction_map": (plot_conjunction_map(tracks, sites, 500.0), (420, 800)),
        "conjunction_distance": (plot_conjunction_distance(series, 500.0), (300, 800)),
        "globe": (plot_globe(title="globe"), (600, 600)),
        "keogram_rows": (
            plot_keogram_rows(
                [_keogram("gill"), None],
                [DAY, DAY],
                ["GILL 2021-12-01", "TPAS 2021-12-01"],
                notes=["", "no image files"],
            ),
            (80 + 56 * 2, 1100),
        ),
        "fisheye": (plot_fisheye(_fisheye()), (420, 420)),
    }


NAMES = [
    "record_counts",
    "availability",
    "conjunction_map",
    "conjunction_distance",
    "globe",
    "keogram_rows",
    "fisheye",
]


@pytest.mark.parametrize("name", NAMES)
def test_plot_exports_to_png(name, repository, tmp_path):
    element, shape = _plots(*repository)[name]
    path = save_png(element, tmp_path / f"{name}.png")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 3_000
    image = matplotlib.image.imread(path)
    if shape is not None:
        # The PNG keeps the Bokeh plot's size in pixels (responsive plots: 800 wide).
        assert image.shape[:2] == shape
    # Not a blank canvas: the drawing has more than a handful of colours.
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 10


@pytest.mark.parametrize("name", NAMES)
def test_png_labels_are_not_cut_off_at_the_edges(name, repository, tmp_path):
    element, _ = _plots(*repository)[name]
    image = matplotlib.image.imread(save_png(element, tmp_path / f"{name}.png"))[..., :3]
    background = image[0, 0]
    # Tick labels, axis titles and legends stay inside the figure: nothing but background in the
    # outermost two pixels of every side (a label cut off by the edge reaches into them).
    for side, strip in {
        "left": image[:, :2],
        "right": image[:, -2:],
        "top": image[:2],
        "bottom": image[-2:],
    }.items():
        drawn = int((np.abs(strip - background).sum(axis=-1) > 0.1).sum())
        assert drawn == 0, f"{name}: {drawn} drawn pixels at the {side} edge"


def test_keogram_png_shows_the_arc_where_the_frames_are(repository, tmp_path):
    element, _ = _plots(*repository)["keogram_rows"]
    image = matplotlib.image.imread(save_png(element, tmp_path / "keo.png"))[..., :3]
    grey = np.all(np.abs(image - image[..., :1]) < 0.02, axis=2)
    dark = grey & (image.sum(axis=2) < 1.2)
    # Columns crossed by a tall run of dark grey: the keogram band (text and axes are thin).
    columns = np.flatnonzero(dark.sum(axis=0) > 25)
    width = image.shape[1]
    # The keogram covers 02:00-05:00 UT of the 0-24 UT axis: nothing of it after ~06 UT (the
    # axis starts ~130 px in, after the row labels, and ends at the right edge).
    assert columns.size > 50
    assert columns.max() < width * 6 / 24 + 150


@pytest.mark.parametrize("name", NAMES)
def test_plot_exports_to_offline_html(name, repository, tmp_path):
    element, _ = _plots(*repository)[name]
    path = save_html(element, tmp_path / f"{name}.html", title=name)
    text = path.read_text()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert f"<title>{name}</title>" in text
    assert "Bokeh.embed" in text
    assert len(text) > 500_000  # BokehJS itself is inside the file
    assert REMOTE_TAG.search(text) is None
