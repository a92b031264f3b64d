"""Serve the dashboard: a dict of page factories, so every browser session gets fresh state."""

from __future__ import annotations

import holoviews as hv
import panel as pn

from app.pages import analysis, availability, conjunctions, explorer, keogramist, overview
from aurorax.config import Settings

__all__ = ["PAGES", "page_factories", "serve"]

# URL slug, title, page factory (db_path -> Viewer). The order is the navigation order.
PAGES = (
    ("overview", "Repository overview", overview.create_page),
    ("conjunctions", "Conjunction search", conjunctions.create_page),
    ("analysis", "Conjunction analysis", analysis.create_page),
    ("keogramist", "Keogramist", keogramist.create_page),
    ("explorer", "Event Explorer", explorer.create_page),
    ("availability", "Data availability", availability.create_page),
)


def _navigation(current: str) -> pn.pane.Markdown:
    links = [
        f"**{title}**" if slug == current else f"[{title}](./{slug})" for slug, title, _ in PAGES
    ]
    return pn.pane.Markdown("\n".join(f"- {link}" for link in links), name="navigation")


def _templated(slug: str, title: str, page_factory, settings: Settings):
    # A plain function (not functools.partial): Panel calls only real functions as session factories.
    def build():
        # Bootstrap: the one bundled design that fetches no web font (Fast and Material load Google
        # Fonts, which an offline machine cannot reach).
        return pn.template.BootstrapTemplate(
            title=f"aurorax: {title}",
            header_background="#0b3d2e",
            sidebar=[_navigation(slug)],
            sidebar_width=220,
            main=[page_factory(settings.db_path)],
        )

    return build


def page_factories(settings: Settings) -> dict:
    """URL path -> factory building that page for one session."""
    return {slug: _templated(slug, title, factory, settings) for slug, title, factory in PAGES}


def serve(settings: Settings, show: bool = False, **kwargs):
    """Start the Panel server on ``settings.host:settings.port`` (blocks until stopped)."""
    hv.extension("bokeh", logo=False)
    pn.extension(
        "tabulator",
        notifications=True,
        # A server restart or a dropped connection mid-session: say so on the page (the widgets
        # stop answering otherwise, with no sign why).
        disconnect_notification=(
            "Connection to the aurorax server lost (restarted or stopped?): reload the page."
        ),
    )
    factories = page_factories(settings)
    # Tornado refuses to serve a folder that does not exist; a repository without products yet
    # (a fresh ingest target) still gets an empty one.
    settings.products_dir.mkdir(parents=True, exist_ok=True)
    print(f"aurorax dashboard: http://{settings.host}:{settings.port}/overview", flush=True)
    return pn.serve(
        factories,
        address=settings.host,
        port=settings.port,
        show=show,
        title="aurorax",
        # The keogram PNGs and movies behind the pages' /products/... links (Tornado's static
        # handler refuses paths that leave the folder).
        static_dirs={"products": str(settings.products_dir)},
        websocket_origin=[f"{settings.host}:{settings.port}", f"localhost:{settings.port}"],
        **kwargs,
    )
