"""API keys: the store (hashed, scoped, revocable) and the ``aurorax keys`` commands, used while
the server runs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from aurorax.api import KeyStore, keys_path
from aurorax.cli import main
from aurorax.engine import DataSource, NotFoundError, ValidationError
from tests.api.conftest import headers


def test_store_hashes_scopes_and_revokes(tmp_path):
    store = KeyStore(tmp_path / "k.sqlite3")
    assert store.list() == [] and not store.path.exists()  # reading creates nothing
    key, token = store.create("ann@example.org")
    assert token.startswith(f"axk_{key.key_id}_") and len(token) > 50
    assert token.split("_", 2)[2].encode() not in store.path.read_bytes()
    assert store.authenticate(token) == key
    assert store.authenticate(token + "x") is None
    assert store.authenticate("axk_" + key.key_id) is None
    assert store.authenticate(None) is None
    mine = DataSource("p", "q", "r", "ground", "n", identifier=1, owner="Ann@Example.org")
    theirs = DataSource("p", "s", "r", "ground", "n", identifier=2, owner="bob@example.org")
    assert key.may_write(mine) and not key.may_write(theirs)
    scoped, _ = store.create("ann@example.org", sources=[2])
    assert scoped.may_write(theirs) and not scoped.may_write(mine)
    revoked = store.revoke(key.key_id)
    assert revoked.revoked is not None and store.authenticate(token) is None
    assert [k.key_id for k in store.list()] == [key.key_id, scoped.key_id]
    with pytest.raises(NotFoundError, match="no API key 'nope'"):
        store.revoke("nope")
    with pytest.raises(ValidationError, match="owner: 'ann' is not an e-mail address"):
        store.create("ann")


def test_cli_keys_while_the_server_runs(api, api_files, server):
    db = api_files[0]
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "--db", str(db), "--owner", "cli@example.org"])
    assert created.exit_code == 0, created.output
    line, token = created.output.strip().splitlines()
    key_id = line.split()[1]
    assert (
        line == f"key {key_id} for cli@example.org (writes: data sources owned by cli@example.org)"
    )
    body = {
        "program": "cli-test",
        "platform": "a",
        "instrument_type": "footprint",
        "source_type": "leo",
        "display_name": "CLI A",
    }
    assert api("POST", "/data_sources", json=body, headers=headers(token)).status_code == 201

    listed = runner.invoke(main, ["keys", "list", "--db", str(db)])
    assert listed.exit_code == 0 and key_id in listed.output and token not in listed.output
    revoked = runner.invoke(main, ["keys", "revoke", "--db", str(db), key_id])
    assert revoked.exit_code == 0 and revoked.output.startswith(
        f"key {key_id} of cli@example.org revoked"
    )
    body["platform"] = "b"
    assert api("POST", "/data_sources", json=body, headers=headers(token)).status_code == 401
    assert keys_path(db).exists()

    bad = runner.invoke(main, ["keys", "revoke", "--db", str(db), "nope"])
    assert bad.exit_code == 1 and "no API key 'nope'" in bad.output
