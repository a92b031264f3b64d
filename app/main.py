"""Serve the dashboard: a dict of page factories, so every browser session gets fresh state."""

from __future__ import annotations

import functools

import holoviews as hv
import panel as pn

from app.pages import overview
from aurorax.config import Settings

__all__ = ["page_factories", "serve"]


def _template(title: str, page_factory, settings: Settings):
    template = pn.template.FastListTemplate(
        title=f"aurorax: {title}",
        header_background="#0b3d2e",
        accent_base_color="#2ecc71",
        main=[page_factory(settings.db_path)],
    )
    return template


def page_factories(settings: Settings) -> dict:
    """URL path -> factory building that page for one session."""
    return {
        "overview": functools.partial(_template, "Repository overview", overview.create_page, settings),
    }


def serve(settings: Settings, show: bool = False, **kwargs):
    """Start the Panel server on ``settings.host:settings.port`` (blocks until stopped)."""
    hv.extension("bokeh", logo=False)
    pn.extension("tabulator", notifications=True)
    factories = page_factories(settings)
    print(f"aurorax dashboard: http://{settings.host}:{settings.port}/overview", flush=True)
    return pn.serve(
        factories,
        address=settings.host,
        port=settings.port,
        show=show,
        title="aurorax",
        websocket_origin=[f"{settings.host}:{settings.port}", f"localhost:{settings.port}"],
        **kwargs,
    )
