"""``ingest_ephemeris_files``: spacecraft positions from TLE and CDF files into the repository.

Each file is read (and checked) whole first, then its span is computed and stored one UTC day at
a time: 1-minute geodetic positions (SGP4 for element sets, the file's samples for CDF position
files), then GSM and the north/south B-trace footprints (:func:`ephemeris_records`), one
``Repository.ingest_ephemeris`` transaction per day. After each day commits, a ledger row in the
repository's ``ingest_ledger`` table (see ``_ledger``) records it, keyed by

    ``ephemeris:<data source identifier>:<sha256 of the file's bytes, 16 hex>:<YYYY-MM-DD>``

with the day's computed window (``<first minute>/<end>``) as the signature. A re-run therefore
skips the days already stored from the same file content into the same data source, an
interrupted run continues with the first day not stored, and a changed file (other bytes) or a
wider window for a partial day is computed again. Re-stored minutes *replace* the stored rows
(the repository keeps ``(data_source, epoch)`` unique: delete, then insert, in one transaction),
so nothing is ever duplicated, even when a run dies between a day's commit and its ledger row.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aurorax.engine import (
    AuroraXError,
    DataSource,
    MetadataField,
    NotFoundError,
    Repository,
    ValidationError,
)

from ._cdf_positions import PositionFileError, read_position_cdf
from ._ephemeris import ephemeris_records
from ._ledger import read_ledger, write_ledger
from ._run import IngestFailure
from ._tle import TLEError, read_tle, tle_positions

__all__ = [
    "DEFAULT_TLE_SPAN_DAYS",
    "EPHEMERIS_FORMATS",
    "SPACECRAFT_SOURCE_TYPES",
    "EphemerisIngestSummary",
    "format_ephemeris_summary",
    "ingest_ephemeris_files",
    "spacecraft_source",
]

#: The default span of a TLE file, from its first element set's epoch, is at most this long.
DEFAULT_TLE_SPAN_DAYS = 31
#: Source types whose records are spacecraft positions.
SPACECRAFT_SOURCE_TYPES = ("leo", "heo", "lunar")
EPHEMERIS_FORMATS = ("auto", "tle", "cdf")
_CDF_MAGIC = (b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02", b"\x00\x00\xff\xff")
_MINUTE = pd.Timedelta(minutes=1)
_DAY = pd.Timedelta(days=1)
_RADIAL = MetadataField("radial_distance", "double", "Geocentric distance of the spacecraft, km")


@dataclass(frozen=True)
class EphemerisIngestSummary:
    """What :func:`ingest_ephemeris_files` did.

    ``files_found == files_ingested + files_failed`` (a file whose days were all stored before
    counts as ingested; ``days_skipped`` tells).

    Attributes
    ----------
    data_source
        ``program/platform`` of the data source the records went to.
    data_source_created
        Whether this run created it.
    files_found, files_ingested, files_failed
        Files given, files whose every day is now stored, files that failed (in ``failures``).
    days_ingested, days_skipped
        UTC file-days stored by this run, and those already in the ledger.
    records
        Ephemeris records this run stored.
    positions_skipped
        Minutes of the spans with no position: before a TLE file's first epoch by more than a
        day, SGP4 errors (e.g. a decayed orbit), or gaps in a CDF file.
    notes
        Remarks on the spans chosen (e.g. a TLE default span that was capped).
    failures
        Files that failed, each message naming the file (and the line or field).
    elapsed_s
        Wall-clock time (s).
    """

    data_source: str
    data_source_created: bool
    files_found: int
    files_ingested: int
    files_failed: int
    days_ingested: int
    days_skipped: int
    records: int
    positions_skipped: int
    notes: tuple[str, ...]
    failures: tuple[IngestFailure, ...]
    elapsed_s: float

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures


def spacecraft_source(
    program: str,
    platform: str,
    source_type: str = "leo",
    instrument_type: str = "footprint",
    display_name: str | None = None,
) -> DataSource:
    """The data source :func:`ingest_ephemeris_files` creates for a spacecraft.

    Its ephemeris records carry ``metadata.radial_distance`` (km), declared in the schema.

    Raises
    ------
    aurorax.engine.ValidationError
        ``source_type`` not one of :data:`SPACECRAFT_SOURCE_TYPES`, or a bad name.
    """
    if source_type not in SPACECRAFT_SOURCE_TYPES:
        raise ValidationError(
            f"spacecraft ephemeris needs a source type of {list(SPACECRAFT_SOURCE_TYPES)}, "
            f"got {source_type!r}"
        )
    return DataSource(
        program=program,
        platform=platform,
        instrument_type=instrument_type,
        source_type=source_type,
        display_name=(display_name or f"{program} {platform}")[:50],
        ephemeris_metadata_schema=(_RADIAL,),
    )


def _split_source(spec: str) -> tuple[str, str]:
    parts = spec.split("/")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ValidationError(f"data source must be given as PROGRAM/PLATFORM, got {spec!r}")
    return parts[0].strip(), parts[1].strip()


def _resolve_source(repo, data_source, create_source, source_type, instrument_type):
    """``(DataSource, created)``; a clear error when it is unknown and not to be created."""
    if isinstance(data_source, DataSource):
        found = repo.list_data_sources(
            data_source.program, data_source.platform, data_source.instrument_type
        )
        if found:
            return found[0], False
        if not create_source:
            raise NotFoundError(
                f"unknown data source {data_source.program}/{data_source.platform} "
                f"({data_source.instrument_type}); pass create_source=True to create it"
            )
        return repo.add_data_source(data_source), True
    if isinstance(data_source, int | np.integer) and not isinstance(data_source, bool):
        return repo.get_data_source(int(data_source)), False
    program, platform = _split_source(str(data_source))
    found = repo.list_data_sources(program, platform, instrument_type)
    if len(found) > 1:
        kinds = sorted(s.instrument_type for s in found)
        raise ValidationError(
            f"data source {program}/{platform} has several instrument types {kinds}; "
            "name one (--instrument-type)"
        )
    if found:
        return found[0], False
    if not create_source:
        known = sorted(f"{s.program}/{s.platform}" for s in repo.list_data_sources())
        raise NotFoundError(
            f"unknown data source {program}/{platform}; create it with --create-source "
            f"--source-type {'|'.join(SPACECRAFT_SOURCE_TYPES)} (create_source=True); "
            f"data sources that exist: {known}"
        )
    source = spacecraft_source(program, platform, source_type, instrument_type or "footprint")
    return repo.add_data_source(source), True


def _utc(value) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _detect_format(path: Path, data: bytes, wanted: str) -> str:
    if wanted != "auto":
        return wanted
    if path.suffix.lower() == ".cdf" or data[:4] in _CDF_MAGIC:
        return "cdf"
    return "tle"


@dataclass
class _Prepared:
    """A file read and checked whole, with its span; ``positions(start, end)`` for a window."""

    path: Path
    digest: str
    start: pd.Timestamp
    end: pd.Timestamp
    positions: Callable[[pd.Timestamp, pd.Timestamp], pd.DataFrame]
    note: str | None = None


def _minutes(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="min", inclusive="left")


def _prepare_tle(path: Path, digest: str, start, end) -> _Prepared:
    tles = read_tle(path)
    numbers = sorted({t.catalog_number for t in tles})
    if len(numbers) > 1:
        raise TLEError(
            f"{path}: element sets of {len(numbers)} satellites (catalogue numbers "
            f"{', '.join(numbers)}); a file goes to one data source, so give one satellite a file"
        )
    note = None
    if start is None or end is None:
        from sgp4.api import Satrec

        jds = sorted(
            s.jdsatepoch + s.jdsatepochF
            for s in (Satrec.twoline2rv(t.line1, t.line2) for t in tles)
        )
        first, last = (
            pd.Timestamp((jd - 2440587.5) * 86400.0, unit="s", tz="UTC") for jd in (jds[0], jds[-1])
        )
        if start is None:
            start = first.ceil("min")
        if end is None:
            end = (last + _DAY).ceil("min")
            cap = start + pd.Timedelta(days=DEFAULT_TLE_SPAN_DAYS)
            if end > cap:
                note = (
                    f"{path}: default span capped at {DEFAULT_TLE_SPAN_DAYS} days "
                    f"({start:%Y-%m-%d %H:%M} to {cap:%Y-%m-%d %H:%M} UTC; the last element set "
                    f"is of {last:%Y-%m-%d}); give an end time for more"
                )
                end = cap
    return _Prepared(
        path, digest, start, end, lambda a, b: tle_positions(tles, _minutes(a, b)), note
    )


def _on_minutes(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The reader's positions, checked to be on whole, increasing UTC minutes."""
    epochs = pd.DatetimeIndex(frame["epoch"])
    epochs = epochs.tz_localize("UTC") if epochs.tz is None else epochs.tz_convert("UTC")
    if not (epochs == epochs.floor("min")).all() or not epochs.is_monotonic_increasing:
        raise ValidationError(f"{path}: position epochs are not increasing whole minutes")
    out = frame[["geo_lat", "geo_lon", "altitude_km"]].reset_index(drop=True)
    out.insert(0, "epoch", epochs)
    return out


def _prepare_cdf(path: Path, digest: str, start, end) -> _Prepared:
    frame = _on_minutes(read_position_cdf(path), path)
    if frame.empty:
        raise ValidationError(f"{path}: no position samples")
    epochs = pd.DatetimeIndex(frame["epoch"])
    start = epochs[0] if start is None else start
    end = epochs[-1] + _MINUTE if end is None else end

    def positions(a, b):
        sel = frame[(epochs >= a) & (epochs < b)].reset_index(drop=True)
        # Minutes of the window the file has no sample for.
        sel.attrs["skipped"] = len(_minutes(a, b)) - len(sel)
        return sel

    return _Prepared(path, digest, start, end, positions)


def _days(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``[start, end)`` cut at UTC midnights."""
    out, day = [], start.floor("D")
    while day < end:
        out.append((max(day, start), min(day + _DAY, end)))
        day += _DAY
    return out


def ingest_ephemeris_files(
    repository,
    files: Iterable,
    data_source,
    start=None,
    end=None,
    progress: bool = True,
    *,
    file_format: str = "auto",
    create_source: bool = False,
    source_type: str = "leo",
    instrument_type: str | None = None,
    display_name: str | None = None,
    on_day: Callable[[str, int], None] | None = None,
) -> EphemerisIngestSummary:
    """Store 1-minute spacecraft ephemeris computed from TLE or CDF position files.

    Parameters
    ----------
    repository : Repository or str or Path
        An open :class:`~aurorax.engine.Repository`, or the path of its DuckDB file.
    files : iterable of str or Path
        TLE files (one satellite a file, any number of element sets: each minute uses the
        nearest preceding set) and CDF position files (``read_position_cdf``).
    data_source : str or int or DataSource
        ``"program/platform"``, an identifier, or a :class:`DataSource`.
    start, end : datetime-like, optional
        The half-open UTC window ``[start, end)`` to store (naive = UTC), rounded up to whole
        minutes. Without them a TLE file spans its first element set's epoch to its last one's
        plus one day, at most :data:`DEFAULT_TLE_SPAN_DAYS` days (``notes`` says when capped),
        and a CDF file its own samples.
    progress : bool
        Show a tqdm progress bar over the file-days (stderr).
    file_format : {"auto", "tle", "cdf"}
        ``auto``: ``.cdf`` files or files starting with the CDF magic number are CDF, others TLE.
    create_source : bool
        Create the data source when it does not exist (``source_type``, ``instrument_type``
        default ``"footprint"``, schema with ``radial_distance``, see :func:`spacecraft_source`).
    source_type : {"leo", "heo", "lunar"}
        Source type of a created source.
    instrument_type : str, optional
        Picks the source when ``program/platform`` has several.
    display_name : str, optional
        Display name of a created source (e.g. ``"ISS"``; default ``"program platform"``).
    on_day : callable, optional
        Called as ``on_day(unit, records)`` after each day and its ledger row are stored.

    Returns
    -------
    EphemerisIngestSummary
        Counts, notes and failures. A file that cannot be read or checked (bad TLE checksum,
        unreadable, not a CDF position file) stores nothing and is named in ``failures``; the
        other files are ingested.

    Raises
    ------
    aurorax.engine.NotFoundError
        The data source does not exist and ``create_source`` is false (naming it).
    aurorax.engine.ValidationError
        A bad ``file_format``, ``source_type``, window, or a ground data source.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    if file_format not in EPHEMERIS_FORMATS:
        raise ValidationError(
            f"file_format must be one of {list(EPHEMERIS_FORMATS)}, got {file_format!r}"
        )
    if create_source and source_type not in SPACECRAFT_SOURCE_TYPES:
        raise ValidationError(
            f"source type must be one of {list(SPACECRAFT_SOURCE_TYPES)} for spacecraft "
            f"ephemeris, got {source_type!r}"
        )
    start, end = _utc(start), _utc(end)
    start = None if start is None else start.ceil("min")
    end = None if end is None else end.ceil("min")
    if start is not None and end is not None and end <= start:
        raise ValidationError(f"end {end} must be after start {start}")
    files = [Path(f) for f in files]
    if display_name is not None:
        if not isinstance(data_source, str):
            raise ValidationError(
                "display_name is for a created data source: give it as 'program/platform'"
            )
        program, platform = _split_source(data_source)
        data_source = spacecraft_source(
            program, platform, source_type, instrument_type or "footprint", display_name
        )
    if isinstance(repository, Repository):
        return _ingest(repository, files, data_source, start, end, progress, file_format,
                       create_source, source_type, instrument_type, on_day, tqdm, t0)  # fmt: skip
    with Repository(repository) as repo:
        return _ingest(repo, files, data_source, start, end, progress, file_format,
                       create_source, source_type, instrument_type, on_day, tqdm, t0)  # fmt: skip


def _ingest(repo, files, data_source, start, end, progress, file_format, create_source,
            source_type, instrument_type, on_day, tqdm, t0) -> EphemerisIngestSummary:  # fmt: skip
    source, created = _resolve_source(
        repo, data_source, create_source, source_type, instrument_type
    )
    if source.source_type not in SPACECRAFT_SOURCE_TYPES:
        raise ValidationError(
            f"data source {source.program}/{source.platform} is of type {source.source_type!r}; "
            f"spacecraft ephemeris needs one of {list(SPACECRAFT_SOURCE_TYPES)}"
        )
    declared = {m.field_name for m in source.ephemeris_metadata_schema}
    errors = (TLEError, PositionFileError, OSError, AuroraXError, UnicodeDecodeError)
    failures: list[IngestFailure] = []
    notes: list[str] = []
    prepared: list[_Prepared] = []
    for path in files:
        try:
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()[:16]
            fmt = _detect_format(path, data, file_format)
            prep = (_prepare_tle if fmt == "tle" else _prepare_cdf)(path, digest, start, end)
        except errors as exc:
            failures.append(IngestFailure(str(path), _message(path, exc)))
            continue
        if prep.end <= prep.start:
            failures.append(
                IngestFailure(str(path), f"{path}: no minutes between {prep.start} and {prep.end}")
            )
            continue
        if prep.note:
            notes.append(prep.note)
        prepared.append(prep)

    ledger = read_ledger(repo)
    plan = [(p, a, b) for p in prepared for a, b in _days(p.start, p.end)]
    counts = dict.fromkeys(("files", "days", "skipped", "records", "positions_skipped"), 0)
    bar = tqdm(total=len(plan), desc="ephemeris", unit="day", disable=not progress)
    failed: set[Path] = set()
    for prep, a, b in plan:
        if prep.path in failed:
            bar.update()
            continue
        unit = f"ephemeris:{source.identifier}:{prep.digest}:{a:%Y-%m-%d}"
        signature = f"{a:%Y-%m-%dT%H:%M}/{b:%Y-%m-%dT%H:%M}"
        if ledger.get(unit) == signature:
            counts["skipped"] += 1
            bar.update()
            continue
        try:
            positions = prep.positions(a, b)
            records = ephemeris_records(source.identifier, positions)
            if "radial_distance" not in declared:
                # A source whose schema does not declare the field takes the records without it.
                records = records.drop(columns=["metadata.radial_distance"])
            stored = repo.ingest_ephemeris(records) if len(records) else 0
        except errors as exc:
            failures.append(IngestFailure(str(prep.path), f"{prep.path}: {a:%Y-%m-%d}: {exc}"))
            failed.add(prep.path)
            bar.update()
            continue
        write_ledger(repo, unit, signature, stored)
        counts["days"] += 1
        counts["records"] += stored
        counts["positions_skipped"] += int(positions.attrs.get("skipped", 0))
        bar.set_postfix(records=counts["records"], refresh=False)
        bar.update()
        if on_day is not None:
            on_day(unit, stored)
    bar.close()
    ingested = sum(p.path not in failed for p in prepared)
    return EphemerisIngestSummary(
        data_source=f"{source.program}/{source.platform}",
        data_source_created=created,
        files_found=len(files),
        files_ingested=ingested,
        files_failed=len(files) - ingested,
        days_ingested=counts["days"],
        days_skipped=counts["skipped"],
        records=counts["records"],
        positions_skipped=counts["positions_skipped"],
        notes=tuple(notes),
        failures=tuple(failures),
        elapsed_s=time.perf_counter() - t0,
    )


def _message(path: Path, exc: BaseException) -> str:
    """The error's text, prefixed with the file unless it already names it."""
    if isinstance(exc, OSError) and not isinstance(exc, UnicodeDecodeError):
        reason = exc.strerror or type(exc).__name__
        return f"{path}: cannot read the file ({reason})"
    if isinstance(exc, UnicodeDecodeError):
        return f"{path}: not a text TLE file and not a CDF file (byte {exc.start} is not text)"
    text = str(exc)
    return text if text.startswith(str(path)) else f"{path}: {text}"


def format_ephemeris_summary(summary: EphemerisIngestSummary) -> str:
    """The summary as ``aurorax ingest-ephemeris`` prints it: sentences, then one line a failure."""
    created = " (created by this run)" if summary.data_source_created else ""
    lines = [
        f"{summary.files_found} ephemeris file(s) for {summary.data_source}{created}: "
        f"{summary.files_ingested} ingested, {summary.files_failed} failed.",
        f"{summary.days_ingested} UTC day(s) stored ({summary.records} records), "
        f"{summary.days_skipped} already done; {summary.elapsed_s:.1f} s.",
    ]
    if summary.positions_skipped:
        lines.append(f"{summary.positions_skipped} minute(s) had no position and were left out.")
    lines.extend(summary.notes)
    if summary.failures:
        lines.append(f"{len(summary.failures)} failure(s):")
        lines.extend(f"  {f.message}" for f in summary.failures)
    return "\n".join(lines)
