"""PNG / HTML download buttons for a page's plot (``aurorax.viz.save_png`` / ``save_html``).

The PNG is drawn by matplotlib on the server (no browser window); the HTML is a standalone page
with BokehJS inside, so it opens offline.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import panel as pn

from aurorax.viz import save_html, save_png

__all__ = ["export_bytes", "export_buttons"]


def export_bytes(element, fmt: str, title: str = "aurorax plot") -> io.BytesIO:
    """``element`` (a HoloViews object) as PNG or standalone HTML bytes.

    Raises
    ------
    ValueError
        ``element`` is None (nothing drawn) or ``fmt`` is not ``png`` or ``html``.
    """
    if element is None:
        raise ValueError("nothing to export: no plot on the page")
    if fmt not in ("png", "html"):
        raise ValueError(f"format must be png or html, got {fmt!r}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"plot.{fmt}"
        if fmt == "png":
            save_png(element, path)
        else:
            save_html(element, path, title=title)
        return io.BytesIO(path.read_bytes())


def export_buttons(
    element: Callable[[], object],
    stem: str,
    title: str = "aurorax plot",
    formats: tuple[str, ...] = ("png", "html"),
) -> pn.Row:
    """Small download buttons ("PNG", "HTML") exporting ``element()`` (the page's current
    HoloViews object, or None) as ``<stem>.png`` / ``<stem>.html``."""
    buttons = [
        pn.widgets.FileDownload(
            callback=lambda fmt=fmt: export_bytes(element(), fmt, title),
            filename=f"{stem}.{fmt}",
            label=fmt.upper(),
            color="light",
            width=80,
            margin=(0, 5),
        )
        for fmt in formats
    ]
    return pn.Row(*buttons, name=f"export-{stem}")
