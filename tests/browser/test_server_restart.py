"""A server that goes away mid-session: the page says so instead of silently freezing."""

from __future__ import annotations

import pytest

from tests.app.conftest import build_tiny_repository
from tests.browser.conftest import screenshot
from tests.serving import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_lost_connection_is_a_message_on_the_page(page, tmp_path):
    db = build_tiny_repository(tmp_path / "tiny.duckdb")
    with running_server(db, tmp_path / "data") as base:
        page.goto(base + "/overview", wait_until="networkidle")
        page.get_by_text("THEMIS-ASI GILL").first.wait_for(timeout=30_000)
        message = "Connection to the aurorax server lost"
        assert page.get_by_text(message).count() == 0
        base.process.terminate()
        base.process.wait(timeout=20)
        page.get_by_text(message).first.wait_for(timeout=30_000)
        page.wait_for_timeout(800)  # the notification slides in
        screenshot(page, "server-lost")
    # The page's own assets all loaded; what fails after the stop is only the websocket.
    assert [e for e in page.console_errors if "WebSocket" not in e and "websocket" not in e] == []
