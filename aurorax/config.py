"""The one place that reads aurorax's configuration.

Settings come from three layers, later ones winning:

1. built-in defaults (data under ``$XDG_DATA_HOME/aurorax``, i.e. ``~/.local/share/aurorax``);
2. a TOML user config file, ``$AURORAX_CONFIG`` or ``~/.config/aurorax/config.toml``;
3. ``AURORAX_*`` environment variables.

Keys (config-file key / environment variable):

==================  =========================  ==============================================
key                 environment variable       meaning
==================  =========================  ==============================================
data_dir            AURORAX_DATA_DIR           root of everything aurorax writes
db_path             AURORAX_DB                 the DuckDB repository file
asi_dir             AURORAX_ASI_DIR            all-sky imager files (THEMIS-style layout)
products_dir        AURORAX_PRODUCTS_DIR       rendered data products (keograms, movies)
asi_base_url        AURORAX_ASI_BASE_URL       optional base URL for ASI file downloads
host                AURORAX_HOST               address the server listens on
port                AURORAX_PORT               port the server listens on
==================  =========================  ==============================================

Nothing is written at import time; directories are created by the code that first writes there.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

__all__ = ["Settings", "load_settings", "ConfigError"]

_PATH_KEYS = ("data_dir", "db_path", "asi_dir", "products_dir")
_ENV = {
    "data_dir": "AURORAX_DATA_DIR",
    "db_path": "AURORAX_DB",
    "asi_dir": "AURORAX_ASI_DIR",
    "products_dir": "AURORAX_PRODUCTS_DIR",
    "asi_base_url": "AURORAX_ASI_BASE_URL",
    "host": "AURORAX_HOST",
    "port": "AURORAX_PORT",
}


class ConfigError(ValueError):
    """A configuration file or variable has a value aurorax cannot use."""


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Build it with :func:`load_settings`."""

    data_dir: Path
    db_path: Path
    asi_dir: Path
    products_dir: Path
    asi_base_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 5006


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local/share")
    return Path(base) / "aurorax"


def _config_file(env: Mapping[str, str]) -> Path:
    if env.get("AURORAX_CONFIG"):
        return Path(env["AURORAX_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "aurorax" / "config.toml"


def _read_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            values = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(values) - set(_ENV))
    if unknown:
        raise ConfigError(
            f"config file {path} has unknown key(s) {unknown}; known keys are {sorted(_ENV)}"
        )
    return values


def _coerce(key: str, value, origin: str):
    if key in _PATH_KEYS:
        return Path(str(value)).expanduser()
    if key == "port":
        try:
            port = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: port must be an integer, got {value!r}") from None
        if not 0 < port < 65536:
            raise ConfigError(f"{origin}: port must be between 1 and 65535, got {port}")
        return port
    if key == "asi_base_url":
        return str(value).rstrip("/") or None
    return str(value)


def load_settings(
    config_file: Path | None = None, env: Mapping[str, str] | None = None, **overrides
) -> Settings:
    """Resolve the settings from defaults, the config file, the environment and overrides.

    Parameters
    ----------
    config_file
        TOML file to read instead of ``$AURORAX_CONFIG`` / ``~/.config/aurorax/config.toml``.
    env
        Environment mapping (defaults to ``os.environ``); tests pass their own.
    **overrides
        Keyword values that win over everything else (e.g. ``db_path=...`` from a CLI flag).
        ``None`` values are ignored.

    Returns
    -------
    Settings
        Paths not set explicitly are derived from ``data_dir``.
    """
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file if config_file is not None else _config_file(env)
    for key, value in _read_file(Path(path)).items():
        values[key] = _coerce(key, value, f"config file {path}")
    for key, var in _ENV.items():
        if env.get(var):
            values[key] = _coerce(key, env[var], f"environment variable {var}")
    known = {f.name for f in fields(Settings)}
    for key, value in overrides.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r}; known settings are {sorted(known)}")
        if value is not None:
            values[key] = _coerce(key, value, f"setting {key}")

    data_dir = values.pop("data_dir", None) or _default_data_dir(env)
    settings = Settings(
        data_dir=data_dir,
        db_path=data_dir / "aurorax.duckdb",
        asi_dir=data_dir / "asi",
        products_dir=data_dir / "products",
    )
    return replace(settings, **values)
