"""The server's log after every page was served: no warnings a user cannot act on, no errors."""

from __future__ import annotations

import time

import pytest

from app.main import PAGES
from tests.serving import fetch, running_server


@pytest.mark.slow
def test_serving_every_page_logs_no_bokeh_warning_and_no_error(tiny_repository, tmp_path):
    data = tmp_path / "data"
    with running_server(tiny_repository, data) as base:
        for slug, title, _ in PAGES:
            assert f"<title>aurorax: {title}</title>" in fetch(f"{base}/{slug}")
        time.sleep(1.0)  # let the sessions' document validation reach the log
        log = (data / f"server-{base.rsplit(':', 1)[1]}.log").read_text()
    assert "W-1005" not in log  # FIXED_SIZING_MODE: the globe is sized by its frame, as meant
    assert "ERROR" not in log and "Traceback" not in log, log[-3000:]
