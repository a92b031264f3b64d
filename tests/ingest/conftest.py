"""Shared fixtures of the ingest tests: a tiny demo archive, the trained classifier, a Dask cluster.

Everything slow is built once per session (the classifier, ~25 s) or per module (the cluster).
"""

from __future__ import annotations

import logging
import shutil

import pandas as pd
import pytest

from aurorax.demo import AuroralModel, WeatherModel, load_sites, render_demo_images
from aurorax.ingest import load_classifier

DAY = pd.Timestamp("2021-12-02", tz="UTC")
SITES = ("gill", "tpas")
HOURS = 3
CADENCE_S = 300.0  # 12 frames per hourly file, each in its own minute


def render_archive(folder, sites=SITES, hours=HOURS, cadence_s=CADENCE_S, first_hour=4):
    """Render demo THEMIS image files (and skymaps) into ``folder`` in the THEMIS-style layout."""
    table = load_sites()
    chosen = table[(table["program"] == "themis-asi") & table["site_uid"].isin(sites)]
    chosen = chosen.reset_index(drop=True)
    model = AuroralModel(2021, DAY, DAY + pd.Timedelta(days=1))
    weather = WeatherModel(2021, chosen, DAY, DAY + pd.Timedelta(days=1))
    start = DAY + pd.Timedelta(hours=first_hour)
    return render_demo_images(
        folder, chosen, model, pd.date_range(start, periods=hours, freq="h"),
        cadence_s=cadence_s, weather=weather, seed=2021,
    )  # fmt: skip


@pytest.fixture(scope="session")
def archive(tmp_path_factory):
    """The pristine archive: 2 sites x 3 hours x 12 frames (do not modify; copy it)."""
    folder = tmp_path_factory.mktemp("archive") / "asi"
    render_archive(folder)
    return folder


@pytest.fixture
def archive_copy(archive, tmp_path):
    """A private copy of the archive that a test may add bad files to."""
    target = tmp_path / "asi"
    shutil.copytree(archive, target)
    return target


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A data directory whose cache holds the trained THEMIS classifier."""
    folder = tmp_path_factory.mktemp("data")
    load_classifier("themis", data_dir=folder)
    return folder


@pytest.fixture(scope="session")
def classifier(data_dir):
    return load_classifier("themis", data_dir=data_dir, train=False)


@pytest.fixture(scope="module")
def cluster():
    """A two-worker LocalCluster shared by a test module (Dask start-up takes seconds)."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR,
    )  # fmt: skip
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    client = Client(cluster)
    yield client
    client.close()
