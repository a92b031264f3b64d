"""The dashboard's pages and plots display in Jupyter: ``examples/pages_in_jupyter.ipynb`` run in
a real IPython kernel (nbclient) on a small repository."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="the notebook test needs nbformat (aurorax[test])"
)
nbclient = pytest.importorskip(
    "nbclient", reason="the notebook test needs nbclient (aurorax[test])"
)

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "pages_in_jupyter.ipynb"
# What a Panel or HoloViews object displays as in a notebook: its Bokeh document and the script
# that embeds it.
PANEL_OUTPUT = "application/vnd.holoviews_exec.v0+json"


@pytest.mark.slow
def test_example_notebook_displays_pages_and_plots(tiny_repository, tmp_path, monkeypatch):
    monkeypatch.setenv("AURORAX_DB", str(tiny_repository))
    monkeypatch.setenv("AURORAX_DATA_DIR", str(tmp_path / "data"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # The settings cell shows the repository in use.
    result = next(o for o in code[0].outputs if o.output_type == "execute_result")
    assert str(tiny_repository) in result["data"]["text/plain"]
    # Two pages and one plot, each displayed as a Bokeh document (the embedding script holds
    # the document's models, so the page's own texts are in it).
    html = {}
    for i, cell in enumerate(code[1:4], start=1):
        data = next(o["data"] for o in cell.outputs if o.output_type == "execute_result")
        assert PANEL_OUTPUT in data, cell.source
        html[i] = data["text/html"]
        assert "docs_json" in html[i]
    assert "Repository overview" in html[1] and str(tiny_repository) in html[1]
    assert "Data availability" in html[2] and "Data statistics" in html[2]
    # The heat map's glyph (Bokeh ``Rect``) in the plot's document.
    assert '"name":"Rect"' in html[3].replace('\\"', '"')
    # The plot was also saved as a PNG, without a browser.
    png = tmp_path / "availability.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


SCIENCE_NOTEBOOK = NOTEBOOK.with_name("science_workflow.ipynb")


@pytest.mark.slow
def test_science_notebook_searches_draws_a_keogram_the_footprint_and_writes_a_movie(
    tmp_path, monkeypatch
):
    import imageio_ffmpeg
    import pandas as pd

    from tests.app.test_analysis import build_analysis_demo

    data = tmp_path / "data"
    db = build_analysis_demo(data)  # THEMIS GILL images of 2021-12-01 and Swarm B over it
    monkeypatch.setenv("AURORAX_DB", str(db))
    monkeypatch.setenv("AURORAX_ASI_DIR", str(data / "asi"))
    monkeypatch.setenv("AURORAX_DATA_DIR", str(data))
    run = tmp_path / "run"
    run.mkdir()
    notebook = nbformat.read(SCIENCE_NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": run}}
    )
    client.execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    assert [o for o in outputs if o.output_type == "error"] == []
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "THEMIS-ASI GILL x Swarm B: 2021-12-01 05:04-05:06 UTC" in text
    # Three figures: the night's keogram, the montage of the pass, the intensity series.
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 3
    series = pd.read_csv(run / "footprint_intensity.csv")
    seen = series[series["row"] >= 0]
    assert len(seen) >= 2 and seen["intensity"].notna().all() and (seen["n_pixels"] > 0).all()
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(run / "footprint_pass.mp4"))
    assert n_frames == len(series)
