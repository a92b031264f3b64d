"""The Conjunction search page's result detail: one conjunction's plots, products and links."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import panel as pn

from app.pages._export import export_buttons
from app.pages.analysis import conjunction_window
from aurorax.viz import plot_conjunction_distance, plot_conjunction_map

__all__ = ["analysis_url", "detail_view"]


def _kind(metadata, product_type: str) -> str:
    # "daily keogram" / "hourly keogram": the daily and the first hourly keogram of a night
    # start at the same minute, so the kind tells the two links apart.
    kind = (metadata or {}).get("keogram_type") if product_type == "keogram" else None
    return f"{kind} {product_type}" if kind else product_type


def _link_button(label: str, url: str) -> pn.widgets.Button:
    """A button that opens ``url`` in the same tab (a browser-side jump, no server round trip)."""
    button = pn.widgets.Button(label=label, color="primary", width=260)
    button.js_on_click(args={"url": url}, code="window.location.href = url")
    return button


def analysis_url(imager: str | None, spacecraft: str | None, start, end) -> str | None:
    """Link into the Conjunction analysis page for an imager and a spacecraft of a conjunction:
    the conjunction's minutes plus five on either side (``[start, end)``, at most 2 hours)."""
    if not (imager and spacecraft):
        return None
    first, last = conjunction_window(start, end)
    query = urlencode(
        {
            "site": imager,
            "spacecraft": spacecraft,
            "start": f"{first:%Y-%m-%dT%H:%M:%S}",
            "end": f"{last:%Y-%m-%dT%H:%M:%S}",
        }
    )
    return f"./analysis?{query}"


def detail_view(detail: dict | None) -> tuple[pn.viewable.Viewable, tuple]:
    """The opened conjunction (``ConjunctionSearchState.detail``): its map and distance plots
    with their PNG/HTML export rows, that night's products and the link into the analysis.

    Returns the view and the two export rows (none without a conjunction).
    """
    if not detail:
        hint = "Select a row of the table to open the conjunction."
        return pn.pane.Markdown(hint, name="detail-hint"), ()
    rows = detail["products"]
    # Daily keograms and movies first; hourly keograms are many, so only the first few.
    if len(rows):
        hourly = rows["metadata"].map(lambda m: (m or {}).get("keogram_type") == "hourly")
        rows = pd.concat([rows[~hourly], rows[hourly]])
    links = [
        f"- [{r.display_name} {_kind(r.metadata, r.data_product_type)} "
        f"({r.start:%Y-%m-%d %H:%M}-{r.end:%H:%M} UT)]({r.url})"
        for r in rows.itertuples()
    ]
    products = "\n".join(links[:12]) or "No keograms or movies for that night."
    url = detail["analysis_url"]
    track_map = plot_conjunction_map(detail["tracks"], detail["sites"], detail["field_of_view_km"])
    distance = plot_conjunction_distance(detail["series"], detail["limit_km"])
    stem = f"conjunction-{detail['row']}"
    exports = (
        export_buttons(lambda: track_map, f"{stem}-map", detail["title"]),
        export_buttons(lambda: distance, f"{stem}-distance", detail["title"]),
    )
    view = pn.Column(
        pn.pane.Markdown(f"### Conjunction #{detail['row']}: {detail['title']}"),
        pn.Row(
            pn.Column(
                pn.pane.HoloViews(track_map, sizing_mode="stretch_width"),
                exports[0],
                sizing_mode="stretch_width",
            ),
            pn.Column(
                pn.pane.HoloViews(distance, sizing_mode="stretch_width"),
                exports[1],
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        ),
        pn.pane.Markdown("#### That night's keograms and movies\n" + products),
        *([_link_button("Open in Conjunction analysis", url)] if url else []),
        sizing_mode="stretch_width",
    )
    return view, exports
