"""The ``aurorax`` command.

Sub-commands
------------
``aurorax demo build``     build the embedded demo data set into the repository file
``aurorax db info``        data sources and record counts of a repository file
``aurorax sources list``   the data sources, filtered by program / platform / instrument type / source type
``aurorax ingest DIR``     index an archive of THEMIS/REGO image files (Dask, resumable)
``aurorax ingest-ephemeris FILES``  spacecraft ephemeris from TLE / CDF position files (resumable)
``aurorax import-aurorax-json FILES``  ephemeris and data product records exported from AuroraX (JSON)
``aurorax search conjunctions QUERY.json``  a conjunction search (unsplit, split by time, or on Dask)
``aurorax serve``          start the web dashboard and HTTP API (building the demo first if missing or old)
``aurorax keys ...``       create, list and revoke API keys for writes through the HTTP API

Every sub-command takes ``--db PATH``; without it the path comes from :mod:`aurorax.config`.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from aurorax._cli_search import search
from aurorax._cli_util import db_option, library_errors, open_read_only, settings_for
from aurorax.config import load_settings

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aurorax")
def main() -> None:
    """aurorax: discover and analyse auroral all-sky imager data."""


main.add_command(search)


# --- demo -------------------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """The embedded demo data set (built offline from real sites and a physical model)."""


@demo.command("build")
@db_option
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2021-12-01",
    show_default=True,
    help="First UTC day of the demo span.",
)
@click.option("--days", type=click.IntRange(1, 3660), default=7, show_default=True)
@click.option(
    "--seed", type=int, default=2021, show_default=True, help="Random seed (deterministic)."
)
@click.option("--overwrite", is_flag=True, help="Replace an existing demo repository file.")
@click.option(
    "--program",
    "programs",
    multiple=True,
    help="Only this program (repeatable), e.g. --program themis-asi --program themis.",
)
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    help="Only this platform (repeatable), e.g. --platform gillam --platform themisa.",
)
@click.option(
    "--image-nights",
    type=click.IntRange(0),
    default=None,
    help="Render images, keograms and movies for the first N days of the span "
    "(0 = none; default: every day).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@library_errors
def demo_build(
    db, start, days, seed, overwrite, programs, platforms, image_nights, progress
) -> None:
    """Build the demo repository: sources, ephemeris, metadata, data products, availability.

    Images go to the configured asi_dir and keograms/movies to products_dir.
    """
    from aurorax.demo import build_demo

    settings = settings_for(db)
    summary = build_demo(
        settings.db_path,
        start=start.date(),
        days=days,
        seed=seed,
        overwrite=overwrite,
        progress=progress,
        programs=list(programs) or None,
        platforms=list(platforms) or None,
        image_nights=image_nights,
        asi_dir=settings.asi_dir,
        products_dir=settings.products_dir,
    )
    click.echo(str(summary))


# --- db -----------------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Inspect a repository file."""


@db_group.command("info")
@db_option
@library_errors
def db_info(db) -> None:
    """Data sources with their ephemeris and data product record counts."""
    settings = settings_for(db)
    with open_read_only(settings.db_path) as repo:
        counts = repo.counts()
    click.echo(f"repository: {settings.db_path}")
    if counts.empty:
        click.echo("no data sources")
        return
    table = counts[
        [
            "identifier",
            "program",
            "platform",
            "instrument_type",
            "source_type",
            "ephemeris_count",
            "data_product_count",
            "first_epoch",
            "last_epoch",
        ]
    ]
    click.echo(table.to_string(index=False))
    click.echo(
        f"\n{len(counts)} data sources, {int(counts['ephemeris_count'].sum()):,} ephemeris records, "
        f"{int(counts['data_product_count'].sum()):,} data product records"
    )


@db_group.command("export")
@db_option
@click.option(
    "--parquet",
    "parquet_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New or empty directory for the month-partitioned Parquet export.",
)
@library_errors
def db_export(db, parquet_dir) -> None:
    """Export every table to month-partitioned Parquet (searchable with ParquetRepository)."""
    from aurorax.engine.store import export_parquet

    settings = settings_for(db)
    with open_read_only(settings.db_path) as repo:
        manifest = export_parquet(repo, parquet_dir)
    click.echo(
        f"exported {settings.db_path} to {parquet_dir}: "
        f"{manifest['rows'].get('ephemeris', 0):,} ephemeris records in "
        f"{len(manifest['tables'].get('ephemeris', []))} month file(s)"
    )


# --- sources ------------------------------------------------------------------------------------


@main.group()
def sources() -> None:
    """Data sources (program, platform, instrument type)."""


@sources.command("list")
@db_option
@click.option("--program", default=None, help="Only this program, e.g. themis-asi.")
@click.option("--platform", default=None, help="Only this platform, e.g. gillam.")
@click.option("--instrument-type", default=None, help="Only this instrument type.")
@click.option("--source-type", default=None, help="ground, leo, heo, lunar, event_list, ...")
@library_errors
def sources_list(db, program, platform, instrument_type, source_type) -> None:
    """List data sources, one line each."""
    settings = settings_for(db)
    with open_read_only(settings.db_path) as repo:
        found = repo.list_data_sources(
            program=program,
            platform=platform,
            instrument_type=instrument_type,
            source_type=source_type,
        )
    if not found:
        click.echo("no matching data sources")
        return
    for ds in found:
        click.echo(
            f"{ds.identifier:>5}  {ds.source_type:<10} {ds.program:<12} {ds.platform:<16} "
            f"{ds.instrument_type:<20} {ds.display_name}"
        )


# --- ingest -------------------------------------------------------------------------------------


@main.command("ingest")
@click.argument("archive", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@click.option(
    "--products-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where keograms and movies go (default: AURORAX_PRODUCTS_DIR or <data_dir>/products).",
)
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler.")
@click.option(
    "--workers", type=click.IntRange(1, 256), default=2, show_default=True,
    help="Worker processes of the local Dask cluster (ignored with --scheduler).",
)  # fmt: skip
@click.option("--progress/--no-progress", default=True, show_default=True)
@library_errors
def ingest(archive, db, products_dir, scheduler, workers, progress) -> None:
    """Index the THEMIS/REGO image files under ARCHIVE: sources, ephemeris, products, metadata.

    Resumable: files and imager-days already stored are skipped. Exits with status 1 when a
    file could not be ingested (each is named; the others are ingested).
    """
    from aurorax.ingest import format_summary, ingest_archive

    settings = settings_for(db)
    summary = ingest_archive(
        archive,
        settings.db_path,
        products_dir if products_dir is not None else settings.products_dir,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        data_dir=settings.data_dir,
    )
    click.echo(format_summary(summary))
    if summary.failures:
        sys.exit(1)


_TIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@main.command("ingest-ephemeris")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--source",
    "source",
    required=True,
    metavar="PROGRAM/PLATFORM",
    help="Data source the records go to, e.g. swarm/swarma.",
)
@click.option("--create-source", is_flag=True, help="Create the data source if it does not exist.")
@click.option(
    "--source-type",
    type=click.Choice(["leo", "heo", "lunar"]),
    default="leo",
    show_default=True,
    help="Source type of a created data source.",
)
@click.option(
    "--instrument-type",
    default=None,
    help="Instrument type (picks one of several; default 'footprint' when creating).",
)
@click.option(
    "--display-name",
    default=None,
    help="Display name of a created data source, e.g. ISS (default: 'PROGRAM PLATFORM').",
)
@click.option(
    "--start",
    type=click.DateTime(_TIME_FORMATS),
    default=None,
    help="First UTC minute to store (default: from the file).",
)
@click.option(
    "--end",
    type=click.DateTime(_TIME_FORMATS),
    default=None,
    help="End of the UTC window, exclusive (default: from the file).",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "tle", "cdf"]),
    default="auto",
    show_default=True,
    help="File format (auto: .cdf or CDF magic = CDF).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@library_errors
def ingest_ephemeris(files, db, source, create_source, source_type, instrument_type, display_name,
                     start, end, file_format, progress) -> None:  # fmt: skip
    """Store 1-minute spacecraft ephemeris (GSM, B-trace footprints) from TLE or CDF FILES.

    A TLE file (one satellite, any number of element sets) spans its first epoch to its last
    plus one day unless --start/--end say otherwise. Stored one UTC day at a time; resumable and
    idempotent. Exits with status 1 when a file could not be ingested (each is named; the
    others are ingested).
    """
    from aurorax.ingest import format_ephemeris_summary, ingest_ephemeris_files

    settings = settings_for(db)
    summary = ingest_ephemeris_files(
        settings.db_path, files, source, start, end, progress, file_format=file_format,
        create_source=create_source, source_type=source_type, instrument_type=instrument_type,
        display_name=display_name,
    )  # fmt: skip
    click.echo(format_ephemeris_summary(summary))
    if summary.failures:
        sys.exit(1)


@main.command("import-aurorax-json")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--create-sources",
    is_flag=True,
    help="Create the data sources the repository does not have (from the file).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@library_errors
def import_aurorax_json(files, db, create_sources, progress) -> None:
    """Store ephemeris and data product records exported from AuroraX (JSON FILES).

    Each file is checked whole first: a bad record stops the command (exit status 1) naming
    the file, the record and the field, and nothing of that file is stored.
    """
    from aurorax.ingest import format_import_summary
    from aurorax.ingest import import_aurorax_json as run_import

    settings = settings_for(db)
    summary = run_import(settings.db_path, files, create_sources=create_sources, progress=progress)
    click.echo(format_import_summary(summary))


# --- serve --------------------------------------------------------------------------------------


@main.command()
@db_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5006).")
@click.option("--show/--no-show", default=False, help="Open a browser tab.")
@click.option(
    "--build-demo/--no-build-demo",
    default=True,
    show_default=True,
    help="Build the demo data set first if the repository file does not exist, or rebuild "
    "it if it is a demo built by an older aurorax (an older demo build version).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Serve the repository read-only: the API refuses writes, other processes may read it.",
)
@click.option(
    "--api-max-body-mb",
    type=click.FloatRange(min=0.001),
    default=16.0,
    show_default=True,
    help="Largest API request body, MiB (larger ones get HTTP 413).",
)
@click.option(
    "--api-max-records",
    type=click.IntRange(1),
    default=50_000,
    show_default=True,
    help="Most records in one API upload.",
)
@click.option(
    "--api-search-workers",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Searches running at once (their own threads; reads never wait for them).",
)
@click.option(
    "--api-search-queue",
    type=click.IntRange(1),
    default=16,
    show_default=True,
    help="Searches waiting for a search thread; more get HTTP 429 with Retry-After.",
)
@library_errors
def serve(
    db,
    host,
    port,
    show,
    build_demo,
    read_only,
    api_max_body_mb,
    api_max_records,
    api_search_workers,
    api_search_queue,
) -> None:
    """Start the web dashboard and the HTTP API (/api/v1) on the repository."""
    settings = settings_for(db)
    if host is not None or port is not None:
        settings = load_settings(db_path=settings.db_path, host=host, port=port)
    if build_demo:
        from aurorax.demo import prepare_demo

        # A missing file is built; a demo built by an older (or unknown) demo build version is
        # rebuilt with its span and seed, saying why; a current demo or other data is reused.
        summary = prepare_demo(
            settings.db_path,
            start=dt.date(2021, 12, 1),
            echo=click.echo,
            progress=True,
            asi_dir=settings.asi_dir,
            products_dir=settings.products_dir,
        )
        if summary is not None:
            click.echo(str(summary))
    elif not settings.db_path.exists():
        raise click.ClickException(f"no repository at {settings.db_path}")
    try:
        from app.main import serve as _serve
    except ImportError as exc:  # the web extras are optional for library users
        raise click.ClickException(
            f"the dashboard needs the web extras: pip install 'aurorax[app]' ({exc})"
        ) from exc
    from aurorax.api import ApiConfig

    limits = ApiConfig(
        max_body_bytes=int(api_max_body_mb * 2**20),
        max_records=api_max_records,
        search_workers=api_search_workers,
        search_queue=api_search_queue,
    )
    _serve(settings, show=show, read_only=read_only, api_config=limits)


# --- keys ---------------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """API keys for writes through the HTTP API (stored hashed in <db>.keys.sqlite3)."""


def _key_store(db):
    from aurorax.api import KeyStore, keys_path

    return KeyStore(keys_path(settings_for(db).db_path))


@keys.command("create")
@db_option
@click.option("--owner", required=True, help="E-mail of the key's owner.")
@click.option(
    "--source",
    "source_ids",
    type=int,
    multiple=True,
    help="Only this data source identifier (repeatable); default: every source of the owner.",
)
@click.option(
    "--admin",
    is_flag=True,
    help="An administrator's key: writes every data source and may change any source's owner.",
)
@library_errors
def keys_create(db, owner, source_ids, admin) -> None:
    """Create a key; its secret is printed once (only a salted hash is stored)."""
    store = _key_store(db)
    key, token = store.create(owner, source_ids, admin=admin)
    scope = ", ".join(map(str, key.sources)) if key.sources else f"data sources owned by {owner}"
    if key.admin:
        scope = "every data source, admin"
    click.echo(f"key {key.key_id} for {key.owner} (writes: {scope})")
    click.echo(token)


@keys.command("list")
@db_option
@library_errors
def keys_list(db) -> None:
    """The keys (never their secrets)."""
    found = _key_store(db).list()
    if not found:
        click.echo("no API keys")
        return
    for key in found:
        scope = "admin" if key.admin else (",".join(map(str, key.sources)) or "owned")
        state = f"revoked {key.revoked}" if key.revoked else "active"
        click.echo(f"{key.key_id}  {key.owner:<32} {scope:<12} created {key.created}  {state}")


@keys.command("revoke")
@db_option
@click.argument("key_id")
@library_errors
def keys_revoke(db, key_id) -> None:
    """Revoke a key (by its id, as ``keys list`` shows it)."""
    key = _key_store(db).revoke(key_id)
    click.echo(f"key {key.key_id} of {key.owner} revoked {key.revoked}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
