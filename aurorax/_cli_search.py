"""``aurorax search conjunctions``: a conjunction search from the command line.

The query is AuroraX's JSON body (the one the API and ``ConjunctionQuery.from_json`` take). The
repository is a DuckDB file (``--db``) or any location ``open_repository`` opens (``--from``: a
Parquet export directory or an object-store URL). ``--chunk`` or ``--scheduler`` split the search
by time (``search_conjunctions_split``): the chunks run one after the other here, or on the
workers of a Dask ``distributed`` scheduler; the merged result equals the unsplit search.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from aurorax._cli_util import db_option, existing_db_path, library_errors, settings_for

__all__ = ["search"]

_WRITERS = {".csv": "to_csv", ".json": "to_json", ".parquet": "to_parquet"}
_SHOWN_ROWS = 20


@click.group()
def search() -> None:
    """Search the repository (conjunctions)."""


def _read_query(query_file: str) -> dict:
    if query_file == "-":
        name, text = "standard input", sys.stdin.read()
    elif Path(query_file).is_file():
        name, text = query_file, Path(query_file).read_text()
    else:
        raise click.ClickException(f"query file {query_file} does not exist")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"query from {name} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(body, dict):
        raise click.ClickException(
            f"query from {name}: expected a JSON object (AuroraX's conjunction search body), "
            f"got {type(body).__name__}"
        )
    return body


def _location(db: Path | None, source: str | None):
    if db is not None and source is not None:
        raise click.ClickException("give --db or --from, not both")
    if source is not None:
        if "://" not in source and not Path(source).expanduser().exists():
            raise click.ClickException(f"--from {source}: no such file or directory")
        return source
    return existing_db_path(settings_for(db).db_path)


def _summary(result) -> str:
    data = result.data
    names = result.query.block_names
    shown = data.head(_SHOWN_ROWS)
    table = shown[["conjunction_type", "start", "end", "min_distance_km", *names]].copy()
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M")
    table["min_distance_km"] = table["min_distance_km"].round(1)
    text = table.to_string(index=False)
    if len(data) > len(shown):
        text += f"\n... {len(data) - len(shown):,} more (write them all with --output)"
    return text


@search.command("conjunctions")
@click.argument("query_file", metavar="QUERY.json")
@db_option
@click.option(
    "--from",
    "source",
    default=None,
    help="Repository location instead of --db: a Parquet export directory or an object-store URL.",
)
@click.option(
    "--chunk",
    default=None,
    help="Split the search by time: 'month' (the Parquet partitions) or a duration such as 7D.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the chunks on a Dask scheduler (tcp://host:8786); implies --chunk month.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write every conjunction to a .csv, .json or .parquet file.",
)
@library_errors
def search_conjunctions_command(query_file, db, source, chunk, scheduler, output) -> None:
    """Conjunctions for the AuroraX JSON query in QUERY.json ('-' reads standard input).

    Example: aurorax search conjunctions query.json --db aurorax.duckdb --output found.csv
    """
    from aurorax.engine import search_conjunctions
    from aurorax.engine.search import search_conjunctions_split
    from aurorax.engine.store import open_repository

    if output is not None and output.suffix.lower() not in _WRITERS:
        raise click.ClickException(
            f"--output {output}: unknown file type {output.suffix or '(none)'}; "
            f"use {', '.join(_WRITERS)}"
        )
    body = _read_query(query_file)
    location = _location(db, source)
    t0 = time.perf_counter()
    if chunk is not None or scheduler is not None:
        result = search_conjunctions_split(
            location, body, chunk=chunk or "month", scheduler=scheduler
        )
        how = f"split by {chunk or 'month'}" + (f" on {scheduler}" if scheduler else "")
    else:
        with open_repository(location) as repo:
            result = search_conjunctions(repo, body)
        how = "unsplit"
    seconds = time.perf_counter() - t0
    click.echo(f"{len(result):,} conjunctions in {seconds:.2f} s ({how}) from {location}")
    for note in result.notes:
        click.echo(f"note: {note}")
    if len(result):
        click.echo(_summary(result))
    if output is not None:
        getattr(result, _WRITERS[output.suffix.lower()])(output)
        click.echo(f"wrote {len(result):,} conjunctions to {output}")
