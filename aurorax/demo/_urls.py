"""Server-relative URLs of the demo data products and the files they map to under ``products_dir``.

The server maps ``/products/<rest>`` to ``<products_dir>/<rest>``::

    /products/keograms/<program>/<site_uid>/<YYYY>/<MM>/<DD>/<program>_<site_uid>_<YYYYMMDD>[_<HH>]_keogram.png
    /products/movies/<program>/<site_uid>/<YYYY>/<MM>/<DD>/<program>_<site_uid>_<YYYYMMDD>[_<HH>]_movie.mp4
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["keogram_url", "movie_url", "product_path"]


def keogram_url(program: str, site_uid: str, when: pd.Timestamp, hourly: bool) -> str:
    """Server-relative URL of a demo keogram (daily, or hourly for the hour of ``when``)."""
    stamp = when.strftime("%Y%m%d") + (when.strftime("_%H") if hourly else "")
    return (
        f"/products/keograms/{program}/{site_uid}/{when:%Y/%m/%d}/"
        f"{program}_{site_uid}_{stamp}_keogram.png"
    )


def movie_url(program: str, site_uid: str, when: pd.Timestamp, hourly: bool = False) -> str:
    """Server-relative URL of a demo movie (daily, or hourly for the hour of ``when``)."""
    stamp = when.strftime("%Y%m%d") + (when.strftime("_%H") if hourly else "")
    return (
        f"/products/movies/{program}/{site_uid}/{when:%Y/%m/%d}/"
        f"{program}_{site_uid}_{stamp}_movie.mp4"
    )


def product_path(products_dir, url: str) -> Path:
    """Local file of a ``/products/...`` URL under ``products_dir``.

    Raises
    ------
    ValueError
        If ``url`` does not start with ``/products/`` or tries to leave the folder.
    """
    prefix = "/products/"
    if not url.startswith(prefix) or ".." in url.split("/"):
        raise ValueError(f"product url must start with {prefix!r} and stay inside it, got {url!r}")
    return Path(products_dir) / url[len(prefix) :]
