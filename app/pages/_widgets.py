"""Widgets every page shares."""

from __future__ import annotations

import string

import panel as pn

__all__ = ["status_alert"]

# Markdown lets raw HTML through (Panel renders it) and gives ASCII punctuation meaning; a
# status quotes what a visitor typed (a site, a search from the address), so it is shown as
# text: HTML's three characters as entities, every other punctuation mark backslash-escaped.
_PLAIN = {
    **{c: "\\" + c for c in string.punctuation},
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
}
_PLAIN_TABLE = str.maketrans(_PLAIN)


def _plain(text) -> str:
    return str(text).translate(_PLAIN_TABLE)


def status_alert(status, alert_type="warning") -> pn.pane.Alert:
    """The page's message box: shows the State's ``status`` text, hidden while it is empty.

    The text is shown as it is (no Markdown, no HTML), whatever it quotes.

    Parameters
    ----------
    status
        The State's ``param.status`` (a String parameter).
    alert_type
        An alert type (``"warning"``, ``"danger"``, ...) or a parameter holding one.
    """
    return pn.pane.Alert(
        pn.bind(_plain, status), alert_type=alert_type, visible=pn.bind(bool, status)
    )
