"""Settings: defaults, then the config file, then AURORAX_* variables, then overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurorax.config import ConfigError, load_settings


def test_defaults_derive_from_the_data_dir(tmp_path):
    settings = load_settings(config_file=tmp_path / "none.toml", env={"HOME": str(tmp_path)})
    assert settings.data_dir == tmp_path / ".local/share/aurorax"
    assert settings.db_path == settings.data_dir / "aurorax.duckdb"
    assert settings.asi_dir == settings.data_dir / "asi"
    assert settings.port == 5006 and settings.asi_base_url is None


def test_file_then_environment_then_overrides(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('data_dir = "/srv/aurorax"\nport = 7000\nasi_base_url = "http://x/themis/"\n')
    env = {"HOME": str(tmp_path), "AURORAX_PORT": "7100"}
    settings = load_settings(config_file=cfg, env=env)
    assert settings.data_dir == Path("/srv/aurorax")
    assert settings.db_path == Path("/srv/aurorax/aurorax.duckdb")
    assert settings.port == 7100
    assert settings.asi_base_url == "http://x/themis"
    assert load_settings(config_file=cfg, env=env, port=7200, host=None).port == 7200


def test_config_file_found_through_environment(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'db_path = "{tmp_path}/x.duckdb"\n')
    settings = load_settings(env={"HOME": str(tmp_path), "AURORAX_CONFIG": str(cfg)})
    assert settings.db_path == tmp_path / "x.duckdb"


def test_bad_values_are_named(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("colour = 'red'\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['colour'\]"):
        load_settings(config_file=cfg, env={})
    cfg.write_text("port = [\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(config_file=cfg, env={})
    with pytest.raises(
        ConfigError, match="environment variable AURORAX_PORT: port must be an integer"
    ):
        load_settings(config_file=tmp_path / "none.toml", env={"AURORAX_PORT": "http"})
    with pytest.raises(ConfigError, match="port must be between 1 and 65535, got 70000"):
        load_settings(config_file=tmp_path / "none.toml", env={}, port=70000)
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(config_file=tmp_path / "none.toml", env={}, colour="red")
