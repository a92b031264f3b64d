"""Playwright driving Debian's chromium (Playwright's own browser download is not possible here)."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def click_until(click, expected, *, attempts: int = 3, timeout_ms: int = 15_000, retry_if=None):
    """Call ``click()`` until the ``expected`` locator is visible; raise after ``attempts``.

    A widget that has only just been drawn can drop a click: Panel's Tabulator ignores clicks
    while it is still initialising, and a Bokeh plot's tap tool only listens once the plot is
    drawn. A person would click again, and so does this. ``retry_if()`` (optional) says whether
    the click was dropped, so that a slow but registered click is not toggled off again.
    """
    for attempt in range(attempts):
        click()
        try:
            expected.wait_for(timeout=timeout_ms)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            if retry_if is not None and not retry_if():
                expected.wait_for(timeout=timeout_ms * 2)
                return
