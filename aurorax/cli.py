"""The ``aurorax`` command.

Sub-commands
------------
``aurorax demo build``     build the embedded demo data set into the repository file
``aurorax db info``        data sources and record counts of a repository file
``aurorax sources list``   the data sources, filtered by program / platform / instrument type / source type
``aurorax serve``          start the web dashboard (building the demo first if the file is missing)

Every sub-command takes ``--db PATH``; without it the path comes from :mod:`aurorax.config`.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from aurorax.config import ConfigError, load_settings

__all__ = ["main"]


def _settings(db: Path | None):
    try:
        return load_settings(db_path=db)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _fail_on_library_errors(func):
    """Turn the library's errors (clear messages by design) into a one-line CLI error, exit code 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from aurorax.engine import AuroraXError

        try:
            return func(*args, **kwargs)
        except (AuroraXError, ValueError, FileExistsError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


_db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB repository file (default: AURORAX_DB or <data_dir>/aurorax.duckdb).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aurorax")
def main() -> None:
    """aurorax: discover and analyse auroral all-sky imager data."""


# --- demo -------------------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """The embedded demo data set (built offline from real sites and a physical model)."""


@demo.command("build")
@_db_option
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2021-12-01",
    show_default=True,
    help="First UTC day of the demo span.",
)
@click.option("--days", type=click.IntRange(1, 3660), default=31, show_default=True)
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
    default=1,
    show_default=True,
    help="Render images, keograms and movies for the first N days of the span (0 = none).",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
@_fail_on_library_errors
def demo_build(
    db, start, days, seed, overwrite, programs, platforms, image_nights, progress
) -> None:
    """Build the demo repository: sources, ephemeris, metadata, data products, availability.

    Images go to the configured asi_dir and keograms/movies to products_dir.
    """
    from aurorax.demo import build_demo

    settings = _settings(db)
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


def _open_read_only(path: Path):
    from aurorax.engine import Repository

    if not path.exists():
        raise click.ClickException(
            f"no repository at {path}; build the demo with 'aurorax demo build' or pass --db"
        )
    return Repository(path, read_only=True)


@db_group.command("info")
@_db_option
@_fail_on_library_errors
def db_info(db) -> None:
    """Data sources with their ephemeris and data product record counts."""
    settings = _settings(db)
    with _open_read_only(settings.db_path) as repo:
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


# --- sources ------------------------------------------------------------------------------------


@main.group()
def sources() -> None:
    """Data sources (program, platform, instrument type)."""


@sources.command("list")
@_db_option
@click.option("--program", default=None, help="Only this program, e.g. themis-asi.")
@click.option("--platform", default=None, help="Only this platform, e.g. gillam.")
@click.option("--instrument-type", default=None, help="Only this instrument type.")
@click.option("--source-type", default=None, help="ground, leo, heo, lunar, event_list, ...")
@_fail_on_library_errors
def sources_list(db, program, platform, instrument_type, source_type) -> None:
    """List data sources, one line each."""
    settings = _settings(db)
    with _open_read_only(settings.db_path) as repo:
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


# --- serve --------------------------------------------------------------------------------------


@main.command()
@_db_option
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5006).")
@click.option("--show/--no-show", default=False, help="Open a browser tab.")
@click.option(
    "--build-demo/--no-build-demo",
    default=True,
    show_default=True,
    help="Build the demo data set first if the repository file does not exist.",
)
@_fail_on_library_errors
def serve(db, host, port, show, build_demo) -> None:
    """Start the web dashboard on the repository."""
    settings = _settings(db)
    if host is not None or port is not None:
        settings = load_settings(db_path=settings.db_path, host=host, port=port)
    if not settings.db_path.exists():
        if not build_demo:
            raise click.ClickException(f"no repository at {settings.db_path}")
        from aurorax.demo import build_demo as _build

        click.echo(f"first start: building the demo data set into {settings.db_path}")
        summary = _build(
            settings.db_path,
            start=dt.date(2021, 12, 1),
            progress=True,
            asi_dir=settings.asi_dir,
            products_dir=settings.products_dir,
        )
        click.echo(str(summary))
    try:
        from app.main import serve as _serve
    except ImportError as exc:  # the web extras are optional for library users
        raise click.ClickException(
            f"the dashboard needs the web extras: pip install 'aurorax[app]' ({exc})"
        ) from exc
    _serve(settings, show=show)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
