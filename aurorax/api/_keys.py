"""API keys: created by the ``aurorax keys`` command, checked by the server on every write.

Keys live in a small SQLite file next to the repository (``<db>.keys.sqlite3``), not in the
DuckDB file: DuckDB lets one process open a file for writing, and that process is the running
server, so ``aurorax keys create`` must be able to write somewhere else meanwhile. The server
queries the file on each write request, so a key created or revoked takes effect at once.

A key is ``axk_<key_id>_<secret>``. Only ``sha256(salt + secret)`` is stored, with a random
per-key salt; the secret has 256 random bits, so a fast hash is enough (a slow password hash
such as scrypt protects low-entropy secrets, which these are not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from aurorax.engine import DataSource, NotFoundError, ValidationError

__all__ = ["ApiKey", "KeyStore", "keys_path"]

_PREFIX = "axk"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DDL = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    sources TEXT NOT NULL,
    salt TEXT NOT NULL,
    digest TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT,
    admin INTEGER NOT NULL DEFAULT 0
)
"""


def keys_path(db_path: str | Path) -> Path:
    """The keys file of the repository at ``db_path``: ``<db_path>.keys.sqlite3``."""
    db_path = Path(db_path).expanduser()
    return db_path.with_name(db_path.name + ".keys.sqlite3")


@dataclass(frozen=True)
class ApiKey:
    """A stored API key (never the secret).

    Attributes
    ----------
    key_id : str
        The public part of the key, shown by ``aurorax keys list``.
    owner : str
        E-mail of the person the key belongs to.
    sources : tuple of int
        Data source identifiers the key may write; empty = every source whose ``owner`` is
        the key's owner.
    created, revoked : str
        UTC ISO 8601 times (``revoked`` is None for an active key).
    admin : bool
        An administrator's key: writes every data source and may give any source to any owner.
    """

    key_id: str
    owner: str
    sources: tuple[int, ...] = ()
    created: str = ""
    revoked: str | None = None
    admin: bool = False

    def may_write(self, source: DataSource) -> bool:
        """Whether this key may upload records of ``source``."""
        if self.admin:
            return True
        if self.sources:
            return source.identifier in self.sources
        return source.owner.strip().lower() == self.owner.lower()

    def may_change_owner(self, source: DataSource) -> bool:
        """Whether this key may give ``source`` to another owner: an admin key, or the current
        owner's own key without a ``--source`` scope (a scoped key may write a source's
        records, never take or give the source away)."""
        if self.admin:
            return True
        return not self.sources and source.owner.strip().lower() == self.owner.lower()


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


class KeyStore:
    """The API keys of one repository, in the SQLite file ``path``.

    Parameters
    ----------
    path
        The keys file (see :func:`keys_path`); created with its directory on the first
        :meth:`create`, never by reading.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(_DDL)
        columns = {row[1] for row in con.execute("PRAGMA table_info(api_keys)")}
        if "admin" not in columns:  # a keys file from before admin keys existed
            con.execute("ALTER TABLE api_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0")
            con.commit()
        return con

    def create(
        self, owner: str, sources: Iterable[int] = (), admin: bool = False
    ) -> tuple[ApiKey, str]:
        """Create a key for ``owner`` (an e-mail), optionally limited to ``sources``; with
        ``admin``, a key that may write every source and change any source's owner.

        Returns
        -------
        key : ApiKey
        token : str
            The secret to send in the ``x-aurorax-api-key`` header; shown once, not stored.
        """
        owner = str(owner).strip()
        if not _EMAIL.match(owner):
            raise ValidationError(f"owner: {owner!r} is not an e-mail address")
        ids = []
        for s in sources:
            if isinstance(s, bool) or not str(s).strip().lstrip("-").isdigit():
                raise ValidationError(f"sources: {s!r} is not a data source identifier")
            ids.append(int(s))
        if admin and ids:
            raise ValidationError("sources: an admin key writes every data source; give no sources")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        key = ApiKey(key_id, owner, tuple(sorted(set(ids))), created, admin=bool(admin))
        with closing(self._connect()) as con, con:
            con.execute(
                "INSERT INTO api_keys (key_id, owner, sources, salt, digest, created, admin) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    key_id,
                    owner,
                    json.dumps(list(key.sources)),
                    salt,
                    _digest(salt, secret),
                    created,
                    int(bool(admin)),
                ],
            )
        return key, f"{_PREFIX}_{key_id}_{secret}"

    def _rows(self, where: str = "", params: Iterable = ()) -> list[tuple]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as con:
            return con.execute(
                "SELECT key_id, owner, sources, created, revoked, salt, digest, admin FROM api_keys "
                f"{where} ORDER BY rowid",
                list(params),
            ).fetchall()

    @staticmethod
    def _key(row: tuple) -> ApiKey:
        key_id, owner, sources, created, revoked = row[:5]
        return ApiKey(key_id, owner, tuple(json.loads(sources)), created, revoked, bool(row[7]))

    def list(self) -> list[ApiKey]:
        """Every key, active and revoked, oldest first."""
        return [self._key(r) for r in self._rows()]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke the key ``key_id`` (the full token is accepted too).

        Raises
        ------
        NotFoundError
            If there is no such key.
        """
        key_id = str(key_id).strip()
        if key_id.startswith(_PREFIX + "_"):
            key_id = key_id.split("_", 2)[1]
        if not self._rows("WHERE key_id = ?", [key_id]):
            raise NotFoundError(f"no API key {key_id!r} in {self.path}")
        revoked = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with closing(self._connect()) as con, con:
            con.execute(
                "UPDATE api_keys SET revoked = coalesce(revoked, ?) WHERE key_id = ?",
                [revoked, key_id],
            )
        return self._key(self._rows("WHERE key_id = ?", [key_id])[0])

    def authenticate(self, token: str | None) -> ApiKey | None:
        """The active key of ``token``, or None for a missing, malformed, unknown or revoked one."""
        if not token:
            return None
        parts = str(token).strip().split("_", 2)
        if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
            return None
        rows = self._rows("WHERE key_id = ? AND revoked IS NULL", [parts[1]])
        if not rows:
            return None
        salt, digest = rows[0][5], rows[0][6]
        if not hmac.compare_digest(_digest(salt, parts[2]), digest):
            return None
        return self._key(rows[0])
