"""Widgets every page shares."""

from __future__ import annotations

import panel as pn

__all__ = ["status_alert"]


def status_alert(status, alert_type="warning") -> pn.pane.Alert:
    """The page's message box: shows the State's ``status`` text, hidden while it is empty.

    Parameters
    ----------
    status
        The State's ``param.status`` (a String parameter).
    alert_type
        An alert type (``"warning"``, ``"danger"``, ...) or a parameter holding one.
    """
    return pn.pane.Alert(pn.bind(str, status), alert_type=alert_type, visible=pn.bind(bool, status))
