"""Serve the dashboard: a dict of page factories, so every browser session gets fresh state."""

from __future__ import annotations

import functools
import os
import sys

import holoviews as hv
import panel as pn
import tornado.web
from bokeh.core.validation import silence
from bokeh.core.validation.warnings import FIXED_SIZING_MODE

from app.pages import analysis, availability, conjunctions, explorer, keogramist, overview
from app.pages._warmup import warm_up
from aurorax.api import ApiConfig, ApiContext, KeyStore, api_patterns, keys_path
from aurorax.config import Settings
from aurorax.engine import open_shared

__all__ = ["PAGES", "ProductFileHandler", "page_factories", "serve"]

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
        # The page first: it checks the address's parameters (a bad ?theme= among them) before
        # any Panel object reads them.
        page = page_factory(settings.db_path)
        # Bootstrap: the one bundled design that fetches no web font (Fast and Material load Google
        # Fonts, which an offline machine cannot reach).
        return pn.template.BootstrapTemplate(
            title=f"aurorax: {title}",
            header_background="#0b3d2e",
            sidebar=[_navigation(slug)],
            sidebar_width=220,
            main=[page],
        )

    return build


def page_factories(settings: Settings) -> dict:
    """URL path -> factory building that page for one session."""
    return {slug: _templated(slug, title, factory, settings) for slug, title, factory in PAGES}


class ProductFileHandler(tornado.web.StaticFileHandler):
    """``/products/<rest>``: the files of the products folder and nothing else.

    The resolved file must lie in the resolved folder, so neither ``..`` (encoded or not) nor a
    symbolic link leads out of it. Tornado 6.6 checks links itself; the Tornado releases that
    ``panel>=1.4`` still admits compare unresolved paths and would follow a link anywhere.
    """

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        real_root = os.path.realpath(root)
        real_path = os.path.realpath(absolute_path)
        if os.path.commonpath([real_root, real_path]) != real_root:
            raise tornado.web.HTTPError(403, "%s is not in the products folder", self.path_args)
        return super().validate_absolute_path(real_root, real_path)


def _api_context(settings: Settings, read_only: bool, api_config) -> ApiContext:
    """Open the repository once for the whole process (pages and API share it: DuckDB refuses
    a read-only open next to a writable one) and the API's context around it. Writable unless
    asked not to or the file cannot be written (then the API refuses writes with 403)."""
    path = settings.db_path
    writable = not read_only and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    repo = open_shared(path, read_only=not writable)
    return ApiContext(repo, KeyStore(keys_path(path)), api_config or ApiConfig())


def serve(
    settings: Settings, show: bool = False, read_only: bool = False, api_config=None, **kwargs
):
    """Start the Panel server on ``settings.host:settings.port`` (blocks until stopped).

    The HTTP API (``aurorax.api``) is served by the same process under ``/api/v1``; with
    ``read_only`` (or a file this user cannot write) it refuses writes. ``api_config`` is an
    :class:`aurorax.api.ApiConfig` with the API's limits.
    """
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
    # Searches spend part of their time in Python (records to JSON) and hold the interpreter
    # for up to the switch interval at a time; a read of a few milliseconds waiting behind two
    # of them took 5 ms slices in turn. 1 ms slices keep short requests short under load.
    sys.setswitchinterval(0.001)
    # HoloViews sizes the globe by its frame (frame_width/frame_height) and Panel sizes the
    # columns around it; Bokeh's validator only counts width/height, so every Event Explorer
    # session logged two W-1005 FIXED_SIZING_MODE warnings about a layout that is as meant.
    silence(FIXED_SIZING_MODE, True)
    factories = page_factories(settings)
    # Tornado refuses to serve a folder that does not exist; a repository without products yet
    # (a fresh ingest target) still gets an empty one.
    settings.products_dir.mkdir(parents=True, exist_ok=True)
    context = _api_context(settings, read_only, api_config)
    # Imports, numba compilation of the first raster and each page's caches, before the server
    # listens: a visitor who came during a background warm-up shared the cores with it (9 s for
    # the first 52-keogram page against 3.5 s later), so the URL is printed once it is done.
    print("aurorax dashboard: preparing the plotting libraries and pages...", flush=True)
    took = warm_up([functools.partial(factory, settings.db_path) for _, _, factory in PAGES])
    print(f"aurorax dashboard: ready in {took:.1f} s", flush=True)
    print(f"aurorax dashboard: http://{settings.host}:{settings.port}/overview", flush=True)
    mode = "read-only" if context.repository.read_only else "writes with an API key"
    print(f"aurorax API ({mode}): http://{settings.host}:{settings.port}/api/v1/openapi.json")
    return pn.serve(
        factories,
        address=settings.host,
        port=settings.port,
        show=show,
        title="aurorax",
        websocket_origin=[f"{settings.host}:{settings.port}", f"localhost:{settings.port}"],
        extra_patterns=[
            *api_patterns(context),
            # The keogram PNGs and movies behind the pages' /products/... links.
            (r"/products/(.*)", ProductFileHandler, {"path": str(settings.products_dir)}),
            *kwargs.pop("extra_patterns", []),
        ],
        **kwargs,
    )
