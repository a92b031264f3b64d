"""Finding the image files of an archive and the site and data source each belongs to.

Any ``*.cdf`` under the archive folder counts (THEMIS-style layout or flat), except the temporary
``partial-*`` files of an unfinished write: the ASI core's reader registry says which reader takes it (by file name, as :func:`aurorax.asi.get_reader` decides), the
name gives the site and hour (``<prefix>_<site>_<YYYYMMDDHH>_vNN.cdf``), and the shipped site table
(``data/sites.csv``, :func:`aurorax.demo.load_sites`) gives the site's coordinates and data source.

Symbolic links are followed only to files inside the archive: a link pointing out of it (to another
user's files, say) is refused without being opened, and so is anything that is not a regular file
(a broken link, a FIFO that would block the reader). Folder links are not descended into.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aurorax.asi import AsiError, get_reader
from aurorax.demo import GROUND_EPHEMERIS_SCHEMA, KEOGRAM_SCHEMA, load_sites
from aurorax.engine import DataSource

__all__ = ["ArchiveFile", "ScanProblem", "scan_archive", "data_source_for", "PROGRAMS"]

#: ASI core program (reader name) -> AuroraX program of its data sources.
PROGRAMS = {"themis": "themis-asi", "rego": "rego"}
_NAME = re.compile(r"_([a-z0-9]+)_(\d{10})_v\d\d\.cdf$")


@dataclass(frozen=True)
class ArchiveFile:
    """One image file of the archive.

    Attributes
    ----------
    path
        Absolute path.
    relative
        Path relative to the archive folder (posix), the file's name in the ledger.
    core_program
        The ASI core program (``"themis"``/``"rego"``) whose reader takes the file.
    program, site_uid
        The data source's program (``"themis-asi"``/``"rego"``) and the site code.
    hour
        The UTC hour in the file name.
    size, mtime_ns
        File size (bytes) and modification time: together the file's signature in the ledger,
        so a file replaced since it was ingested is ingested again.
    """

    path: Path
    relative: str
    core_program: str
    program: str
    site_uid: str
    hour: pd.Timestamp
    size: int
    mtime_ns: int

    @property
    def signature(self) -> str:
        """``<size>:<mtime_ns>``."""
        return f"{self.size}:{self.mtime_ns}"


@dataclass(frozen=True)
class ScanProblem:
    """A ``*.cdf`` the scan cannot ingest (refused link, not a file, no reader, unknown site)."""

    path: Path
    message: str


def scan_archive(
    folder, sites: pd.DataFrame | None = None
) -> tuple[list[ArchiveFile], list[ScanProblem]]:
    """The image files under ``folder`` (recursively), and the ``*.cdf`` files that cannot be used.

    Parameters
    ----------
    folder
        Archive root.
    sites
        Site table (default :func:`aurorax.demo.load_sites`).

    Returns
    -------
    files
        Sorted by (program, site, hour, path).
    problems
        The other ``*.cdf`` files, each with a message naming it: symbolic links pointing outside
        the archive (not followed) or to nothing, non-regular files, names no reader
        recognises, sites missing from the site table. ``len(files) + len(problems)`` is every
        ``*.cdf`` file seen.
    """
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"archive folder {folder} does not exist")
    sites = load_sites() if sites is None else sites
    known = set(zip(sites["program"], sites["site_uid"], strict=True))
    files, problems = [], []
    # rglob does not descend into linked folders; resolve() below catches links to files.
    for path in sorted(folder.rglob("*.cdf")):
        if path.name.startswith("partial-"):
            continue  # an unfinished write (the demo's and our temp-file convention)
        if path.is_dir():
            continue  # a folder (or a link to one) named *.cdf: not a file, never descended into
        refusal = _refusal(path, folder)
        if refusal is not None:
            problems.append(ScanProblem(path, f"{path}: {refusal}"))
            continue
        try:
            reader = get_reader(path)
        except AsiError as exc:
            problems.append(ScanProblem(path, str(exc)))
            continue
        match = _NAME.search(path.name)
        program = PROGRAMS.get(reader.name)
        if match is None or program is None:
            problems.append(
                ScanProblem(path, f"{path}: cannot tell the site and hour from the file name")
            )
            continue
        site_uid = match.group(1)
        if (program, site_uid) not in known:
            problems.append(
                ScanProblem(
                    path,
                    f"{path}: unknown site {site_uid!r} for program {program!r} "
                    "(not in the site table data/sites.csv)",
                )
            )
            continue
        try:
            hour = pd.to_datetime(match.group(2), format="%Y%m%d%H").tz_localize("UTC")
            info = path.stat()
        except ValueError:
            problems.append(ScanProblem(path, f"{path}: no valid hour in the file name"))
            continue
        except OSError as exc:  # deleted or replaced since the listing
            problems.append(ScanProblem(path, f"{path}: cannot be read ({exc.strerror})"))
            continue
        files.append(
            ArchiveFile(
                path,
                path.relative_to(folder).as_posix(),
                reader.name,
                program,
                site_uid,
                hour,
                info.st_size,
                info.st_mtime_ns,
            )
        )
    files.sort(key=lambda f: (f.program, f.site_uid, f.hour, f.relative))
    return files, problems


def _refusal(path: Path, root: Path) -> str | None:
    """Why ``path`` is not read, or None when it is (or links to) a regular file inside ``root``.

    The checks use the link's target without opening it, so nothing outside the archive is read.
    """
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return "refused: a symbolic link that cannot be resolved (a loop?)"
    if not target.is_relative_to(root):
        return "refused: a symbolic link pointing outside the archive (not followed)"
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return "refused: a symbolic link to a file that does not exist"
        return "cannot be read (it was removed during the scan)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(mode):
        return "refused: not a regular file"
    return None


def data_source_for(program: str, site_uid: str, sites: pd.DataFrame) -> DataSource:
    """The ground data source of an imager site, as the demo declares its program's sources.

    Same program, platform, instrument type, display name and ephemeris/data-product metadata
    schemas as the demo's source of that site; the metadata names the site and its location and
    says it came from ``aurorax ingest`` (not the demo marker: these are real files).
    """
    row = sites[(sites["program"] == program) & (sites["site_uid"] == site_uid)].iloc[0]
    return DataSource(
        program=program,
        platform=row["platform"],
        instrument_type=row["instrument_type"],
        source_type="ground",
        display_name=row["display_name"],
        metadata={
            "site_uid": site_uid,
            "geo_lat": float(row["lat"]),
            "geo_lon": float(row["lon"]),
            "altitude_km": float(row["alt_km"]),
            "ingested_by": "aurorax ingest",
        },
        ephemeris_metadata_schema=GROUND_EPHEMERIS_SCHEMA,
        data_product_metadata_schema=KEOGRAM_SCHEMA,
    )
