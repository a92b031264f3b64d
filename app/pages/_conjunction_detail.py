"""The Conjunction search page's result detail: one conjunction's plots, products and links."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import pandas as pd
import panel as pn

from app import services
from app.pages._export import export_buttons
from app.pages.analysis import conjunction_window
from aurorax.viz import plot_conjunction_distance, plot_conjunction_map

__all__ = [
    "SWARM_AURORA_URL",
    "about_markdown",
    "analysis_members",
    "analysis_url",
    "detail_view",
    "explorer_url",
    "row_links",
]

#: Swarm-Aurora's Conjunction Finder. Its only documented address form (the one pyaurorax's
#: ``swarmaurora.get_url`` writes) is ``?aurorax_request_id=<id>``, an id of a search run on
#: api.aurorax.space, which a local search does not have; no start/end form is documented, so
#: the link opens the finder and its label gives the conjunction's time to go to there.
SWARM_AURORA_URL = "https://swarm-aurora.com/conjunctionFinder/"


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


def analysis_members(row, names, sources) -> tuple[str | None, str | None]:
    """The Conjunction analysis keys of a result row (``ConjunctionResult.data`` row, its block
    ``names``, the repository's ``DataSource`` list): its first THEMIS/REGO imager
    (``program:site_uid``) and its first spacecraft platform (None where there is none)."""
    by_id = {s.identifier: s for s in sources}
    imager = spacecraft = None
    for name in names:
        ident = row[f"{name}_identifier"]
        if pd.isna(ident):
            continue
        s = by_id[int(ident)]
        uid = (s.metadata or {}).get("site_uid")
        if s.source_type == "ground":
            if imager is None and uid and s.program in ("themis-asi", "rego"):
                imager = services.analysis_site(s.program, uid)
        elif spacecraft is None and s.source_type in ("leo", "heo", "lunar"):
            spacecraft = s.platform
    return imager, spacecraft


def about_markdown(query_json: str, n: int, seconds: float) -> str:
    """Markdown of a search that was run: its exact JSON body (pretty-printed, in a code block
    to copy), the number of results ``n`` and the time it took (``seconds``)."""
    body = json.dumps(json.loads(query_json), indent=2, sort_keys=True)
    return (
        f"**{n} result{'' if n == 1 else 's'}**, searched in {seconds:.2f} s.\n\n"
        f"The query that was run (AuroraX conjunction-search JSON):\n\n```json\n{body}\n```"
    )


def explorer_url(start) -> str:
    """Link into the Event Explorer at the conjunction's day and first minute (UTC)."""
    minute = start.hour * 60 + start.minute
    return f"./explorer?{urlencode({'day': f'{start:%Y-%m-%d}', 'minute': minute})}"


def row_links(start, analysis: str | None, explorer: str | None) -> str:
    """The HTML anchors of one result row: Conjunction analysis (when the conjunction pairs a
    THEMIS/REGO imager with a spacecraft), Event Explorer (that day and minute) and
    Swarm-Aurora (a new tab; its title says which time to open there)."""
    when = f"{start:%Y-%m-%d %H:%M}"
    links = []
    if analysis:
        links.append(f'<a href="{html.escape(analysis)}">Analysis</a>')
    if explorer:
        links.append(f'<a href="{html.escape(explorer)}">Explorer</a>')
    links.append(
        f'<a href="{html.escape(SWARM_AURORA_URL)}" target="_blank" rel="noopener" '
        f'title="Swarm-Aurora Conjunction Finder: go to {when} UT">Swarm-Aurora ({when})</a>'
    )
    return " | ".join(links)


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
        *(
            [pn.pane.HTML("View this conjunction in: " + detail["links"], name="detail-links")]
            if detail.get("links")
            else []
        ),
        sizing_mode="stretch_width",
    )
    return view, exports
