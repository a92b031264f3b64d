"""``ingest_archive``: index an archive of image files on Dask distributed, resumably.

The driving process scans the archive, creates the data sources, loads (or trains) the image
classifiers, and submits one task per file not yet in the ledger; when every file of an imager-day
has been dealt with, it submits that day's product task. Workers return records; the driver alone
writes them to DuckDB (one writing process), then the unit's ledger row (see ``_ledger``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aurorax.asi import AsiError, load_skymap, skymap_folder
from aurorax.demo import load_sites, make_demo_skymap
from aurorax.engine import AuroraXError, Repository

from ._classifier import load_classifier
from ._ledger import read_ledger, write_ledger
from ._scan import ArchiveFile, data_source_for, scan_archive
from ._training import TrainingConfig
from ._work import (
    DayResult,
    FileResult,
    Site,
    TaskFailure,
    process_day,
    process_file,
    remove_stale_partials,
)

__all__ = ["IngestFailure", "IngestSummary", "ingest_archive", "dask_client", "format_summary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestFailure:
    """A file (or imager-day) that was not ingested, and why."""

    path: str
    message: str


@dataclass(frozen=True)
class IngestSummary:
    """What :func:`ingest_archive` did.

    The file counts add up: ``files_found == files_ingested + files_skipped + files_failed``.

    Attributes
    ----------
    files_found
        Every ``*.cdf`` file seen in the archive (other than ``partial-*`` temporary files),
        including those that could not be used.
    files_ingested, files_skipped
        Files ingested by this run, and files already in the ledger with the same signature.
    files_failed
        Files refused by the scan (a link pointing outside the archive, no reader takes the
        name, unknown site, ...) or whose task failed; each is in ``failures``.
    days_rendered, days_skipped, days_failed
        Imager-days whose products this run rendered, those already done, and those that failed
        (in ``failures``).
    frames
        Frames read by this run's file tasks.
    ephemeris_records, data_product_records
        Records this run stored.
    data_sources_created
        Display names of the data sources this run created.
    failures
        Files and days that failed, each with a message naming the file.
    workers
        Dask workers used.
    elapsed_s
        Wall-clock time (s), including cluster start-up.
    partial_files_removed
        Temporary product files (``partial-*``) left by an interrupted run that this run removed.
    """

    files_found: int
    files_ingested: int
    files_skipped: int
    days_rendered: int
    days_skipped: int
    frames: int
    ephemeris_records: int
    data_product_records: int
    data_sources_created: tuple[str, ...]
    failures: tuple[IngestFailure, ...]
    workers: int
    elapsed_s: float
    files_failed: int
    days_failed: int
    partial_files_removed: int

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator:
    """A ``distributed.Client``: on the cluster at ``scheduler``, or on a new ``LocalCluster``.

    The local cluster has ``workers`` worker processes of one thread each (the tasks are numpy
    and zlib work that mostly holds the GIL), its HTTP server on a free port (the default 8787 may be
    taken by another cluster, which makes distributed warn), and is
    closed on exit. An existing cluster is left running; its workers must be able to import
    aurorax and to read the archive and write the products folder at the same paths.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=int(workers), threads_per_worker=1, processes=True,
        dashboard_address=":0", silence_logs=logging.ERROR,
    )  # fmt: skip
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _site_skymap(archive: Path, f: ArchiveFile, row) -> object:
    """The archive's skymap of the site valid at its first file, else the demo lens model.

    Only the skymap's elevation map matters here (which pixels see the sky, for the image
    features; keograms are on the pixel axis; movies are fisheyes), so without a real skymap the
    demo's model of the same lens is a sound stand-in.
    """
    try:
        return load_skymap(
            f.site_uid, f.hour, skymap_folder(f.core_program, f.site_uid, archive),
            f.core_program, allow_nearest=True,
        )  # fmt: skip
    except (AsiError, OSError):
        return make_demo_skymap(f.site_uid, row["lat"], row["lon"], row["alt_km"], f.program)


def _day_signature(files: list[ArchiveFile]) -> str:
    text = "\n".join(sorted(f"{f.relative}:{f.signature}" for f in files))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _day_unit(f: ArchiveFile) -> str:
    return f"day:{f.program}/{f.site_uid}/{f.hour:%Y-%m-%d}"


def ingest_archive(
    archive,
    db_path=None,
    products_dir=None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    client=None,
    progress: bool = True,
    data_dir=None,
    training: TrainingConfig | None = None,
    fps: float = 20.0,
) -> IngestSummary:
    """Index the THEMIS/REGO image files under ``archive`` into the repository.

    Parameters
    ----------
    archive
        Folder of image files (THEMIS-style layout or flat; searched recursively).
    db_path, products_dir
        Repository file and products folder (defaults from :func:`aurorax.config.load_settings`).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default: a new local cluster.
    workers
        Worker processes of the local cluster.
    client
        An existing ``distributed.Client`` to use instead (then ``scheduler``/``workers`` are
        ignored and the client is left open).
    progress
        Show a progress bar (stderr).
    data_dir
        Where the trained classifiers are cached (default ``settings.data_dir``).
    training
        The classifier's training configuration (default :class:`TrainingConfig`).
    fps
        Frame rate of the daily movies.

    Returns
    -------
    IngestSummary
        Counts and the failures; bad files do not stop the ingest.
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    started = time.time()
    if db_path is None or products_dir is None or data_dir is None:
        from aurorax.config import load_settings

        settings = load_settings(db_path=db_path)
        db_path = settings.db_path if db_path is None else db_path
        products_dir = settings.products_dir if products_dir is None else products_dir
        data_dir = settings.data_dir if data_dir is None else data_dir
    archive = Path(archive).expanduser().resolve()
    products_dir = Path(products_dir).expanduser().resolve()
    sites = load_sites()
    files, problems = scan_archive(archive, sites)
    # Before any worker starts: every partial file older than this run is a dead run's.
    partials_removed = remove_stale_partials(products_dir, started)
    failures = [IngestFailure(str(p.path), p.message) for p in problems]

    with Repository(db_path) as repo:
        ledger = read_ledger(repo)
        created, source_ids, fields = [], {}, {}
        for program, site_uid in sorted({(f.program, f.site_uid) for f in files}):
            wanted = data_source_for(program, site_uid, sites)
            found = repo.list_data_sources(program, wanted.platform, wanted.instrument_type)
            source = found[0] if found else repo.add_data_source(wanted)
            if not found:
                created.append(source.display_name)
            source_ids[(program, site_uid)] = source.identifier
            fields[(program, site_uid)] = tuple(
                m.field_name for m in source.ephemeris_metadata_schema
            )
        todo = [f for f in files if ledger.get(f"file:{f.relative}") != f.signature]
        # Trained on first use (then cached): only for the cameras of files still to do.
        classifiers = {
            core: load_classifier(core, training, data_dir)
            for core in sorted({f.core_program for f in todo})
        }
        days: dict[str, list[ArchiveFile]] = {}
        for f in files:
            days.setdefault(_day_unit(f), []).append(f)
        waiting = {f.relative for f in todo}
        pending = {u: sum(f.relative in waiting for f in group) for u, group in days.items()}
        done = {u: [f for f in group if f.relative not in waiting] for u, group in days.items()}
        names = "ingested failed rendered days_skipped days_failed frames eph dp".split()
        counts = dict.fromkeys(names, 0)

        bar = tqdm(total=len(todo) + len(days), desc="ingest", unit="task", disable=not progress)
        with contextlib.ExitStack() as stack:
            ready = [u for u, n in pending.items() if n == 0 and done[u]]
            stale = [u for u in ready if ledger.get(u) != _day_signature(done[u])]
            # Nothing to compute (a rerun after a finished ingest): no cluster to start.
            needed = bool(todo or stale)
            if client is None and needed:
                client = stack.enter_context(dask_client(scheduler, workers))
            n_workers = len(client.scheduler_info().get("workers", {})) if needed else 0
            from distributed import as_completed

            site_futures = {}
            for f in files if needed else ():
                key = (f.program, f.site_uid)
                if key not in site_futures:
                    row = sites[(sites["program"] == f.program) & (sites["site_uid"] == f.site_uid)]
                    row = row.iloc[0]
                    site = Site(
                        f.program, f.core_program, f.site_uid, float(row["lat"]),
                        float(row["lon"]), float(row["alt_km"]), _site_skymap(archive, f, row),
                    )  # fmt: skip
                    site_futures[key] = client.scatter(site, broadcast=True)
            classifier_futures = {
                core: client.scatter(model, broadcast=True)
                for core, model in (classifiers.items() if needed else ())
            }
            # Task keys carry a token of this run: a killed run's tasks may still be on an
            # external cluster, and must not be taken for this run's.
            run = uuid.uuid4().hex[:8]
            by_unit = {f"file:{f.relative}": f for f in files}
            futures = as_completed() if needed else []
            unit_of = {}  # future key -> (unit, path), to report a task that raised

            def submit_day(unit: str) -> None:
                group = done[unit]
                if not group:
                    bar.update()
                    return
                signature = _day_signature(group)
                if ledger.get(unit) == signature:
                    counts["days_skipped"] += 1
                    bar.update()
                    return
                first = group[0]
                # Priority: a day's movie is the longest task; start it before the remaining
                # files of other days so it overlaps with them instead of trailing at the end.
                future = client.submit(
                    process_day, unit, signature, site_futures[(first.program, first.site_uid)],
                    first.hour.normalize(),
                    tuple(str(g.path) for g in sorted(group, key=lambda g: (g.hour, g.relative))),
                    source_ids[(first.program, first.site_uid)], str(products_dir), fps,
                    key=f"ingest-{run}-{unit}", pure=False, priority=10,
                )  # fmt: skip
                unit_of[future.key] = (unit, unit)
                futures.add(future)

            for f in todo:
                future = client.submit(
                    process_file, f"file:{f.relative}", str(f.path), f.signature,
                    site_futures[(f.program, f.site_uid)], source_ids[(f.program, f.site_uid)],
                    classifier_futures[f.core_program], fields[(f.program, f.site_uid)],
                    key=f"ingest-{run}-file:{f.relative}", pure=False,
                )  # fmt: skip
                unit_of[future.key] = (f"file:{f.relative}", str(f.path))
                futures.add(future)
            for unit, count in pending.items():
                if count == 0:
                    submit_day(unit)

            for future in futures:
                try:
                    result = future.result()
                except Exception as exc:  # a worker bug or a lost worker: report, go on
                    unit, path = unit_of[future.key]
                    # The type only: an exception's text may quote what a file contains.
                    log.debug("task %s failed", unit, exc_info=exc)
                    result = TaskFailure(unit, path, f"{path}: task failed ({type(exc).__name__})")
                finally:
                    future.release()
                if isinstance(result, TaskFailure):
                    failures.append(IngestFailure(result.path, result.message))
                    counts["failed" if result.unit in by_unit else "days_failed"] += 1
                elif isinstance(result, FileResult):
                    try:
                        stored = repo.ingest_ephemeris(result.ephemeris)
                    except AuroraXError as exc:
                        path = by_unit[result.unit].path
                        failures.append(IngestFailure(str(path), f"{path}: {exc}"))
                        counts["failed"] += 1
                    else:
                        write_ledger(repo, result.unit, result.signature, stored)
                        counts["ingested"] += 1
                        counts["frames"] += result.frames
                        counts["eph"] += stored
                        done[_day_unit(by_unit[result.unit])].append(by_unit[result.unit])
                elif isinstance(result, DayResult):
                    try:
                        stored = repo.ingest_data_products(result.products)
                    except AuroraXError as exc:
                        failures.append(IngestFailure(result.unit, f"{result.unit}: {exc}"))
                        counts["days_failed"] += 1
                    else:
                        write_ledger(repo, result.unit, result.signature, stored)
                        counts["rendered"] += 1
                        counts["dp"] += stored
                if isinstance(result, FileResult | TaskFailure) and result.unit in by_unit:
                    unit = _day_unit(by_unit[result.unit])
                    pending[unit] -= 1
                    if pending[unit] == 0:
                        submit_day(unit)
                # Counted once stored: a task shown as done is in the repository and the ledger.
                bar.set_postfix(frames=counts["frames"], failed=len(failures), refresh=False)
                bar.update()
        bar.close()

    return IngestSummary(
        files_found=len(files) + len(problems),
        files_ingested=counts["ingested"],
        files_skipped=len(files) - len(todo),
        days_rendered=counts["rendered"],
        days_skipped=counts["days_skipped"],
        frames=counts["frames"],
        ephemeris_records=counts["eph"],
        data_product_records=counts["dp"],
        data_sources_created=tuple(created),
        failures=tuple(failures),
        workers=n_workers,
        elapsed_s=time.perf_counter() - t0,
        files_failed=len(problems) + counts["failed"],
        days_failed=counts["days_failed"],
        partial_files_removed=partials_removed,
    )


def format_summary(summary: IngestSummary) -> str:
    """The summary as the CLI prints it: counts, then one line per failure (naming the file).

    The first line's counts add up: found = ingested + already done + failed.
    """
    days_failed = f", {summary.days_failed} failed" if summary.days_failed else ""
    lines = [
        f"{summary.files_found} image files: {summary.files_ingested} ingested, "
        f"{summary.files_skipped} already done, {summary.files_failed} failed",
        f"{summary.frames} frames -> {summary.ephemeris_records} ephemeris records; "
        f"{summary.days_rendered} imager-days rendered ({summary.days_skipped} already done"
        f"{days_failed}) -> {summary.data_product_records} data product records",
        (
            f"{summary.workers} Dask workers, {summary.elapsed_s:.1f} s"
            if summary.workers
            else f"nothing left to compute (no Dask cluster started), {summary.elapsed_s:.1f} s"
        ),
    ]
    if summary.partial_files_removed:
        lines.append(
            f"removed {summary.partial_files_removed} stale partial product file(s) "
            "left by an interrupted run"
        )
    if summary.data_sources_created:
        lines.append("created data sources: " + ", ".join(summary.data_sources_created))
    if summary.failures:
        lines.append(f"{len(summary.failures)} failure(s):")
        lines.extend(f"  {f.message}" for f in summary.failures)
    return "\n".join(lines)
