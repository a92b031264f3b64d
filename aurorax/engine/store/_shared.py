"""One Repository per file per process, shared by everything that serves it.

DuckDB refuses to open a file twice in one process with different settings (a read-only
connection next to a writable one fails with "different configuration"). A server that both
writes (the HTTP API) and reads (the dashboard pages) therefore opens the file once, here, and
every reader takes its own cursor of that connection (:meth:`Repository.cursor`).
"""

from __future__ import annotations

import threading
from pathlib import Path

from ._errors import StoreError
from ._repository import Repository

__all__ = ["open_shared", "shared_repository", "close_shared"]

_lock = threading.Lock()
_open: dict[str, Repository] = {}


def _key(path) -> str:
    return str(Path(path).expanduser().resolve())


def open_shared(path: str | Path, read_only: bool = False) -> Repository:
    """Open the repository at ``path`` for this process, or return the one already open.

    Parameters
    ----------
    path
        The DuckDB file.
    read_only
        Open without writing. Asking for a writable repository when the file is already shared
        read-only is an error (DuckDB cannot hold both in one process).

    Raises
    ------
    StoreError
        As :class:`Repository` does, or for the read-only/writable conflict above.
    """
    key = _key(path)
    with _lock:
        repo = _open.get(key)
        if repo is not None:
            if repo.read_only and not read_only:
                raise StoreError(
                    f"repository {key} is already shared read-only in this process; close it "
                    "(close_shared) before opening it for writing"
                )
            return repo
        repo = Repository(key, read_only=read_only)
        _open[key] = repo
        return repo


def shared_repository(path: str | Path) -> Repository | None:
    """The repository shared for ``path`` in this process, or None when there is none."""
    with _lock:
        return _open.get(_key(path))


def close_shared(path: str | Path) -> None:
    """Close and forget the shared repository of ``path`` (nothing happens if none is open)."""
    with _lock:
        repo = _open.pop(_key(path), None)
    if repo is not None:
        repo.close()
