"""Helpers shared by the ``aurorax`` command's modules (``cli.py``, ``_cli_search.py``)."""

from __future__ import annotations

from pathlib import Path

import click

from aurorax.config import ConfigError, load_settings

__all__ = ["db_option", "existing_db_path", "library_errors", "open_read_only", "settings_for"]


def settings_for(db: Path | None):
    try:
        return load_settings(db_path=db)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def library_errors(func):
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


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB repository file (default: AURORAX_DB or <data_dir>/aurorax.duckdb).",
)


def existing_db_path(path: Path) -> Path:
    """``path``, or a CLI error naming it when there is no repository file there."""
    if not path.exists():
        raise click.ClickException(
            f"no repository at {path}; build the demo with 'aurorax demo build' or pass --db"
        )
    return path


def open_read_only(path: Path):
    from aurorax.engine import Repository

    return Repository(existing_db_path(path), read_only=True)
