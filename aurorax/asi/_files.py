"""Finding image and skymap files by site and time, and downloading them from a mirror.

Directory layout under the ASI data folder (``settings.asi_dir``), and the same under a mirror's
base URL (``settings.asi_base_url``)::

    <asi_dir>/themis/l1/asf/<site>/<YYYY>/<MM>/thg_l1_asf_<site>_<YYYYMMDDHH>_v01.cdf
    <asi_dir>/rego/l1/rgf/<site>/<YYYY>/<MM>/clg_l1_rgf_<site>_<YYYYMMDDHH>_v01.cdf
    <asi_dir>/trex/rgb/stream0/<YYYY>/<MM>/<DD>/<site>_rgb-<NN>/ut<HH>/<YYYYMMDD>_<HHMM>_<site>_rgb-<NN>_full.h5
    <asi_dir>/themis/stream0/<YYYY>/<MM>/<DD>/<site>_themis<NN>/ut<HH>/<YYYYMMDD>_<HHMM>_<site>_themis<NN>_full.pgm.gz
    <asi_dir>/<program>/skymaps/<site>/<program>_skymap_<site>_<YYYYMMDD>-+_vNN.sav (or .npz)

The image programs (:data:`IMAGE_PROGRAMS`) are ``"themis"`` and ``"rego"`` (one L1 CDF per site
and hour) and ``"trex"`` (TREx RGB colour: one HDF5 file per minute, in the UCalgary open data
site's ``sort_by_project/TREx/RGB/stream0/`` tree as it is, under the imager's device folder
``<site>_rgb-<NN>``; every device folder of a site is searched). The ``themis/stream0/`` tree is
the UCalgary open data site's ``sort_by_project/THEMIS/asi/stream0/`` tree as it is. A download
fetches ``<base_url>/<relative path>`` into ``<asi_dir>/<relative path>`` with
:func:`._download.fetch_file` (cached, resumable, size- and checksum-checked, retried). The
minute files of an hour of ``"trex"`` are found on a mirror from its HTML folder listings (the day
folder, then the device's ``ut<HH>/`` folder), as the UCalgary site and ``python -m http.server``
serve them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from ._download import AsiDownloadError, fetch_file
from ._pgm import UCALGARY_FILE_NAME
from ._registry import AsiError, AsiFileNotFoundError
from ._time import to_utc

__all__ = [
    "IMAGE_PROGRAMS",
    "image_relative_path",
    "image_path",
    "stream0_relative_path",
    "skymap_folder",
    "find_image_files",
    "local_image_hours",
    "download_files",
    "download_skymaps",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _HourlyCdf:
    """One L1 CDF per site and hour: ``<folder>/<site>/<YYYY>/<MM>/<prefix>_<site>_<YYYYMMDDHH>_v01.cdf``."""

    folder: str  # relative folder above <site>
    file_prefix: str

    def relative_path(self, site: str, time, device_uid=None) -> str:
        hour = to_utc(time)
        name = f"{self.file_prefix}_{site}_{hour:%Y%m%d%H}_v01.cdf"
        return f"{self.folder}/{site}/{hour:%Y}/{hour:%m}/{name}"

    def hour_location(self, site: str, hour) -> str:
        return self.relative_path(site, hour)

    def hour_files(self, root: Path, site: str, hour) -> list[Path]:
        path = root / self.relative_path(site, hour)
        return [path] if path.is_file() else []

    def remote_hour_files(self, base_url: str, site: str, hour, timeout_s: float) -> list[str]:
        # The name is known: fetching it answers whether the mirror has it (404 = a gap).
        return [self.relative_path(site, hour)]

    def local_hours(self, root: Path, site: str, start, end) -> set[pd.Timestamp]:
        # One folder listing per month of the range, not one file check per hour.
        folder = root / self.folder / site
        pattern = re.compile(
            rf"{re.escape(self.file_prefix)}_{re.escape(site)}_(\d{{10}})_v\d+\.cdf"
        )
        hours = set()
        for month in pd.date_range(start.floor("D").replace(day=1), end, freq="MS"):
            for name in _names(folder / f"{month:%Y}" / f"{month:%m}", files=True):
                match = pattern.fullmatch(name)
                if match:
                    hour = pd.Timestamp(dt.datetime.strptime(match[1], "%Y%m%d%H"), tz="UTC")
                    if start.floor("h") <= hour < end:
                        hours.add(hour)
        return hours


@dataclass(frozen=True)
class _Stream0Minutes:
    """UCalgary stream0 minute files: ``<folder>/<YYYY>/<MM>/<DD>/<site>_<imager>-<NN>/ut<HH>/
    <YYYYMMDD>_<HHMM>_<site>_<imager>-<NN>_<mode>.<ext>`` (every device ``NN`` of a site)."""

    folder: str  # e.g. trex/rgb/stream0
    imager: str  # device prefix, e.g. rgb
    mode: str  # e.g. full
    ext: str  # e.g. h5

    def _device(self, site: str, device_uid) -> str:
        return f"{site}_{self.imager}-{int(device_uid):02d}"

    def relative_path(self, site: str, time, device_uid=None) -> str:
        if device_uid is None:
            raise AsiError(
                f"{self.imager} files are named by the imager's device number "
                f"({site}_{self.imager}-NN): pass device_uid"
            )
        t, device = to_utc(time), self._device(site, device_uid)
        name = f"{t:%Y%m%d_%H%M}_{device}_{self.mode}.{self.ext}"
        return f"{self.folder}/{t:%Y/%m/%d}/{device}/ut{t:%H}/{name}"

    def hour_location(self, site: str, hour) -> str:
        hour = to_utc(hour)
        return f"{self.folder}/{hour:%Y/%m/%d}/{site}_{self.imager}-NN/ut{hour:%H}/"

    def _is_device(self, name: str, site: str) -> bool:
        return re.fullmatch(rf"{re.escape(site)}_{re.escape(self.imager)}-\d+", name) is not None

    def _is_file(self, name: str, site: str, hour: pd.Timestamp) -> bool:
        match = UCALGARY_FILE_NAME.match(name)
        return bool(
            match
            and match["site"] == site
            and match["imager"].startswith(f"{self.imager}-")
            and match["mode"] == self.mode
            and match["ext"] == self.ext
            and match["date"] == f"{hour:%Y%m%d}"
            and match["hhmm"][:2] == f"{hour:%H}"
        )

    def hour_files(self, root: Path, site: str, hour) -> list[Path]:
        hour = to_utc(hour)
        day = root / self.folder / f"{hour:%Y}" / f"{hour:%m}" / f"{hour:%d}"
        found = []
        for device in _names(day, files=False):
            if self._is_device(device, site):
                folder = day / device / f"ut{hour:%H}"
                names = _names(folder, files=True)
                found += [folder / n for n in names if self._is_file(n, site, hour)]
        # Names start <YYYYMMDD>_<HHMM>: sorting by name is time order (then device).
        return sorted(found, key=lambda p: p.name)

    def remote_hour_files(self, base_url: str, site: str, hour, timeout_s: float) -> list[str]:
        hour = to_utc(hour)
        day = f"{self.folder}/{hour:%Y/%m/%d}"
        found = []
        for device in _remote_listing(base_url, day, timeout_s):
            device = device.rstrip("/")
            if self._is_device(device, site):
                folder = f"{day}/{device}/ut{hour:%H}"
                names = _remote_listing(base_url, folder, timeout_s)
                found += [f"{folder}/{n}" for n in names if self._is_file(n, site, hour)]
        return sorted(found, key=lambda rel: rel.rsplit("/", 1)[1])

    def local_hours(self, root: Path, site: str, start, end) -> set[pd.Timestamp]:
        # Per day of the range: one listing of the day folder, one per device's ut<HH> folder.
        hours = set()
        for day in pd.date_range(start.floor("D"), end, freq="D", inclusive="left"):
            folder = root / self.folder / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
            for device in _names(folder, files=False):
                if not self._is_device(device, site):
                    continue
                for ut in _names(folder / device, files=False):
                    match = re.fullmatch(r"ut(\d\d)", ut)
                    if not match:
                        continue
                    hour = day + pd.Timedelta(hours=int(match[1]))
                    if start.floor("h") <= hour < end and any(
                        self._is_file(n, site, hour)
                        for n in _names(folder / device / ut, files=True)
                    ):
                        hours.add(hour)
        return hours


#: Image programs of :func:`find_image_files`: hourly L1 CDFs (THEMIS, REGO) and TREx RGB
#: colour minute files (frames ``(time, y, x, 3)`` uint8, read by ``TrexRgbReader``).
IMAGE_PROGRAMS = {
    "themis": _HourlyCdf("themis/l1/asf", "thg_l1_asf"),
    "rego": _HourlyCdf("rego/l1/rgf", "clg_l1_rgf"),
    "trex": _Stream0Minutes("trex/rgb/stream0", "rgb", "full", "h5"),
}


def _names(folder: Path, files: bool) -> list[str]:
    """Names of the files (or folders) in ``folder``; empty when it does not exist."""
    try:
        with os.scandir(folder) as entries:
            return sorted(e.name for e in entries if (e.is_file() if files else e.is_dir()))
    except (FileNotFoundError, NotADirectoryError):
        return []


_LISTED = re.compile(r'href="([^"?#]+)"')


def _remote_listing(base_url: str, relative: str, timeout_s: float) -> list[str]:
    """Entry names of a mirror's HTML folder listing (folders end in ``/``); [] for HTTP 404."""
    url = _url(base_url, relative) + "/"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            listing = resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise AsiDownloadError(f"cannot list {url} (HTTP {exc.code})", url, exc.code) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise AsiDownloadError(f"cannot reach {url} ({getattr(exc, 'reason', exc)})", url) from exc
    names = []
    for href in _LISTED.findall(listing):
        name = urllib.parse.unquote(href)
        if "/" not in name.rstrip("/") and not name.startswith((".", "/")):
            names.append(name)
    return sorted(set(names))


def _program(program: str) -> _HourlyCdf | _Stream0Minutes:
    try:
        return IMAGE_PROGRAMS[program.lower()]
    except KeyError:
        raise AsiError(
            f"unknown imager program {program!r}; known: {sorted(IMAGE_PROGRAMS)}"
        ) from None


def _asi_dir(asi_dir) -> Path:
    if asi_dir is not None:
        return Path(asi_dir).expanduser()
    from aurorax.config import load_settings

    return load_settings().asi_dir


def resolve_base_url(base_url: str | None) -> str | None:
    """``base_url`` itself, or ``settings.asi_base_url`` when None; ``""`` means no download."""
    if base_url is not None:
        return base_url.rstrip("/") or None
    from aurorax.config import load_settings

    return load_settings().asi_base_url


def image_relative_path(program: str, site_uid: str, hour, *, device_uid=None) -> str:
    """Relative path (posix) of the image file of ``site_uid`` covering ``hour``.

    Parameters
    ----------
    program : {"themis", "rego", "trex"}
        Image program (see :data:`IMAGE_PROGRAMS`).
    site_uid : str
        Site code.
    hour : datetime-like
        Any time in the hour (THEMIS, REGO: the hourly file) or minute (TREx RGB: the minute file).
    device_uid : str or int, optional
        TREx RGB only, where it is required: the imager's device number (``4`` for ``rgb-04``).

    Examples
    --------
    >>> image_relative_path("trex", "GILL", "2021-12-01T06:07:30", device_uid=4)
    'trex/rgb/stream0/2021/12/01/gill_rgb-04/ut06/20211201_0607_gill_rgb-04_full.h5'
    """
    return _program(program).relative_path(site_uid.lower(), hour, device_uid)


def image_path(program: str, site_uid: str, hour, asi_dir=None, *, device_uid=None) -> Path:
    """Local path of an image file (it may not exist); see :func:`image_relative_path`."""
    return _asi_dir(asi_dir) / image_relative_path(program, site_uid, hour, device_uid=device_uid)


def skymap_folder(program: str, site_uid: str, asi_dir=None) -> Path:
    """Local folder of a site's skymaps: ``<asi_dir>/<program>/skymaps/<site>``."""
    return _asi_dir(asi_dir) / program.lower() / "skymaps" / site_uid.lower()


def stream0_relative_path(site_uid: str, device_uid: str | int, minute) -> str:
    """Relative path (posix) of the THEMIS stream0 file of one minute, as UCalgary lays it out.

    Parameters
    ----------
    site_uid : str
        Site code (``"gako"``).
    device_uid : str or int
        Imager number at the site (``19`` or ``"19"`` for ``themis19``).
    minute : datetime-like
        Any time in the minute (UTC).

    Examples
    --------
    >>> stream0_relative_path("GAKO", 19, "2011-01-06T17:05:42")
    'themis/stream0/2011/01/06/gako_themis19/ut17/20110106_1705_gako_themis19_full.pgm.gz'
    """
    site, t = site_uid.lower(), to_utc(minute)
    device = f"{site}_themis{int(device_uid):02d}"
    name = f"{t:%Y%m%d_%H%M}_{device}_full.pgm.gz"
    return f"themis/stream0/{t:%Y/%m/%d}/{device}/ut{t:%H}/{name}"


def _url(base_url: str, relative: str) -> str:
    return f"{base_url}/{urllib.parse.quote(relative, safe='/')}"


def _checked_relative(relative) -> str:
    rel = PurePosixPath(str(relative).replace(os.sep, "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or str(rel) == ".":
        raise AsiError(f"{relative!r} is not a relative path inside the ASI data folder")
    return str(rel)


def download_files(
    relative_paths: Iterable[str],
    asi_dir=None,
    base_url: str | None = None,
    *,
    progress: bool | None = None,
    timeout_s: float = 30.0,
    retries: int = 3,
    backoff_s: float = 0.5,
    checksum: bool = True,
) -> list[Path]:
    """Make sure files of the ASI data folder are present, fetching missing ones from a mirror.

    ``<asi_dir>/<relative path>`` comes from ``<base_url>/<relative path>`` (the layout of the
    module docstring, e.g. from :func:`image_relative_path` or :func:`stream0_relative_path`).
    A file already present is never fetched again (no request at all); a missing one is written
    to ``<name>.part``, resumed with an HTTP Range request after a broken transfer, checked
    against ``Content-Length`` and the mirror's ``<file>.sha256`` when it has one, and renamed to
    its name only when complete.

    Parameters
    ----------
    relative_paths : iterable of str
        Posix paths relative to the data folder (no ``..``).
    asi_dir : path, optional
        Data folder (default ``settings.asi_dir``).
    base_url : str, optional
        Mirror (default ``settings.asi_base_url``); needed only when a file is missing.
    progress : bool, optional
        tqdm progress bars on stderr; default: only when stderr is a terminal.
    timeout_s : float
        Network timeout per request, seconds.
    retries : int
        Further attempts per file after a broken or short transfer, HTTP 5xx, a checksum
        mismatch or an unreachable server.
    backoff_s : float
        Pause before the first retry, seconds, doubling for each further one.
    checksum : bool
        Check files against ``<file>.sha256`` where the mirror has one.

    Returns
    -------
    list of Path
        The local paths, in the order given.

    Raises
    ------
    AsiDownloadError
        A file is missing locally and on the mirror (HTTP 404), or its download failed; the
        message names the URL and the reason.
    AsiFileNotFoundError
        A file is missing and no base URL is configured.
    """
    root = _asi_dir(asi_dir)
    url = None
    paths = []
    for relative in relative_paths:
        rel = _checked_relative(relative)
        local = root / rel
        paths.append(local)
        if local.is_file():
            continue
        url = url or resolve_base_url(base_url)
        if not url:
            raise AsiFileNotFoundError(f"{local} is missing and no base URL is configured")
        remote = _url(url, rel)
        fetch_file(
            remote, local, timeout_s=timeout_s, retries=retries, backoff_s=backoff_s,
            progress=progress, checksum=checksum,
        )  # fmt: skip
    return paths


def find_image_files(
    program: str,
    site_uid: str,
    start,
    end,
    asi_dir=None,
    base_url: str | None = None,
    download: bool | None = None,
    timeout_s: float = 30.0,
    *,
    progress: bool | None = None,
    retries: int = 3,
    checksum: bool = True,
) -> list[Path]:
    """Image files of one site in the hours overlapping ``[start, end)``, downloading missing ones.

    Parameters
    ----------
    program : {"themis", "rego", "trex"}
        Image program (file naming and folder, see :data:`IMAGE_PROGRAMS`): an hourly CDF per
        hour, or the TREx RGB minute files of each hour (of every device folder of the site).
    site_uid : str
        Site code.
    start, end : datetime-like
        Half-open UTC time range.
    asi_dir : path, optional
        Data folder (default ``settings.asi_dir``).
    base_url : str, optional
        Download server with the same layout (default ``settings.asi_base_url``).
    download : bool, optional
        Whether to try downloading missing hours; default: when a base URL is known.
    timeout_s : float
        Network timeout per request, seconds.
    progress, retries, checksum
        As for :func:`download_files`: a file's download is resumable, size- and
        checksum-checked and retried; a file already present is never fetched again.

    Returns
    -------
    list of Path
        Existing files in time order. Hours with no file (an imager is off in daylight) are gaps.
        A TREx RGB hour missing locally is looked up in the mirror's folder listings, and its
        minute files fetched.

    Raises
    ------
    AsiFileNotFoundError
        No file at all for the range (names the site, hours and paths tried).
    AsiDownloadError
        A download failed (the server is unreachable, answered an HTTP error other than 404, or
        the file stayed short or failed its checksum after the retries).
    """
    start, end = to_utc(start), to_utc(end)
    if end <= start:
        raise AsiError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    root = _asi_dir(asi_dir)
    url = resolve_base_url(base_url)
    do_download = bool(url) if download is None else (download and bool(url))
    prog, site = _program(program), site_uid.lower()
    hours = pd.date_range(start.floor("h"), end - pd.Timedelta(1, "ns"), freq="h")
    found, tried = [], []
    for hour in hours:
        local = prog.hour_files(root, site, hour)
        if local:
            found += local
            continue
        tried.append(str(root / prog.hour_location(site, hour)))
        if do_download:
            try:
                for rel in prog.remote_hour_files(url, site, hour, timeout_s):
                    remote = _url(url, rel)
                    tried.append(remote)
                    # HTTP 404 is a gap like a missing local file: imagers are off in daylight.
                    ok = fetch_file(
                        remote, root / rel, timeout_s=timeout_s, retries=retries,
                        progress=progress, checksum=checksum, missing_ok=True,
                    )  # fmt: skip
                    if ok:
                        found.append(root / rel)
            except AsiDownloadError as exc:
                raise AsiDownloadError(
                    f"{program} site {site_uid!r} hour {hour:%Y-%m-%d %H}h: {exc}; "
                    f"tried {root / prog.hour_location(site, hour)}",
                    exc.url,
                    exc.status,
                ) from exc
    if not found:
        where = "" if do_download else " (no download: no base URL configured)"
        shown = tried if len(tried) <= 6 else tried[:3] + ["..."] + tried[-3:]
        raise AsiFileNotFoundError(
            f"no {program} image files for site {site_uid!r} between {start.isoformat()} and "
            f"{end.isoformat()} ({len(hours)} hour(s)){where}; tried: {', '.join(shown)}"
        )
    return found


def local_image_hours(program: str, site_uid: str, start, end, asi_dir=None) -> pd.DatetimeIndex:
    """UTC hours in ``[start, end)`` that have a local image file of one site (no download).

    One folder listing per month of the range (hourly CDFs), or per day and device hour
    (TREx RGB minute files), not one file check per hour: asking whether dozens of imagers have
    any image in a month is a few listings each.

    Returns
    -------
    pandas.DatetimeIndex
        Sorted UTC hours (tz-aware), empty when the site has no local file in the range.
    """
    prog, site = _program(program), site_uid.lower()
    start, end = to_utc(start), to_utc(end)
    if end <= start:
        raise AsiError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    hours = prog.local_hours(_asi_dir(asi_dir), site, start, end)
    return pd.DatetimeIndex(sorted(hours), tz="UTC")


_HREF = re.compile(r'href="([^"?/]+_skymap_[^"/]+\.(?:sav|npz))"')


def download_skymaps(
    program: str,
    site_uid: str,
    asi_dir=None,
    base_url: str | None = None,
    timeout_s: float = 30.0,
    *,
    progress: bool | None = None,
    retries: int = 3,
    checksum: bool = True,
) -> list[Path]:
    """Download every skymap a server lists in ``<base_url>/<program>/skymaps/<site>/``.

    The folder listing must be an HTML index (as Apache, nginx autoindex and ``python -m
    http.server`` serve). Files already present locally are kept (not fetched again); the others
    are fetched as by :func:`download_files` (resumable, size- and checksum-checked, retried).
    Returns the local paths.
    """
    url = resolve_base_url(base_url)
    if not url:
        raise AsiFileNotFoundError(
            f"cannot download {program} skymaps for {site_uid!r}: no base URL"
        )
    folder = skymap_folder(program, site_uid, asi_dir)
    index_url = f"{url}/{program.lower()}/skymaps/{site_uid.lower()}/"
    try:
        with urllib.request.urlopen(index_url, timeout=timeout_s) as resp:
            listing = resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        raise AsiFileNotFoundError(f"no skymap folder at {index_url} (HTTP {exc.code})") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise AsiFileNotFoundError(
            f"cannot reach {index_url} ({getattr(exc, 'reason', exc)})"
        ) from exc
    paths = []
    for href in sorted(set(_HREF.findall(listing))):
        target = folder / urllib.parse.unquote(href)  # listings escape the "+" of "-+"
        if target.is_file() or fetch_file(
            index_url + href, target, timeout_s=timeout_s, retries=retries, progress=progress,
            checksum=checksum, missing_ok=True,
        ):  # fmt: skip
            paths.append(target)
    if not paths:
        raise AsiFileNotFoundError(f"{index_url} lists no skymap files")
    return paths
