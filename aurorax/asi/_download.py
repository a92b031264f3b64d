"""Fetching one ASI file from a mirror: resumable, size- and checksum-checked, retried.

What :func:`fetch_file` guarantees, in order:

1. a file at its final name is complete (nothing else is ever put there), so it is never fetched
   again: callers check for it and make no request;
2. bytes are written to ``<name>.part`` beside it; a ``.part`` left by an interrupted run is
   resumed with an HTTP ``Range: bytes=<size>-`` request (a server that answers 200 instead of
   206 sends the whole file, which then replaces the ``.part``);
3. the size is checked against ``Content-Length`` (or the total of a 206's ``Content-Range``) and,
   where the mirror has a ``<file>.sha256`` next to the file (optional; ``sha256sum`` output: the
   hex digest first), the SHA-256 of the whole file too;
4. a transfer that ends short or breaks (the connection drops, a read times out, HTTP 5xx) is
   resumed after a pause of ``backoff_s``, doubling each time, up to ``retries`` more attempts; a
   checksum mismatch discards the ``.part`` and starts again;
5. only a complete, checked file is renamed (:func:`os.replace`, atomic on one file system) to
   its final name. After the last failed attempt a short ``.part`` is kept for the next run to
   resume; a ``.part`` that failed the checksum is deleted.

:mod:`urllib` rather than ``requests``: ``requests`` is only in aurorax's ``client`` extra, and
urllib sends no ``Accept-Encoding``, so sizes are those of the files themselves (``.gz`` files
arrive as stored, never re-encoded in transit).
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from ._registry import AsiFileNotFoundError

__all__ = ["AsiDownloadError", "fetch_file"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class AsiDownloadError(AsiFileNotFoundError):
    """A file could not be downloaded whole and intact; the message names the URL and the reason.

    A subclass of :class:`AsiFileNotFoundError`: after a failed download the file is not there.
    ``url`` is the file's URL and ``status`` the HTTP status when the server answered with one.
    """

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class _Transient(Exception):
    """One attempt failed in a way another attempt may fix (the reason is the message)."""


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) of a ``Content-Range`` header; None where absent or ``*``."""
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if not match:
        return None, None
    first = int(match[1]) if match[1] is not None else None
    total = int(match[3]) if match[3] != "*" else None
    return first, total


def _progress_disable(progress: bool | None) -> bool | None:
    # tqdm's disable=None: shown on a terminal only (so not in logs, pipes or tests).
    return None if progress is None else not progress


def _attempt(url: str, part: Path, timeout_s: float, progress: bool | None) -> int | None:
    """One request: append to (or restart) ``part``; returns the file's full size if announced.

    Raises ``_Transient`` for a broken transfer (bytes so far stay in ``part``) and lets
    :class:`urllib.error.HTTPError` / :class:`urllib.error.URLError` through for the caller.
    """
    have = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        resp = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout_s
        )
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not have:
            raise
        # Range not satisfiable: the .part is already whole (a run stopped before the rename)
        # or longer than the file (it changed on the server).
        _, total = _content_range(exc.headers.get("Content-Range"))
        exc.close()
        if total == have:
            return total
        part.unlink()
        raise _Transient(f"{part.name} ({have} bytes) is longer than the file ({total})") from None
    with resp:
        first, total = _content_range(resp.headers.get("Content-Range"))
        if resp.status == 206 and first == have:
            mode = "ab"
        else:  # a whole-file answer (the server ignores Range, or no Range was sent)
            mode, have = "wb", 0
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        part.parent.mkdir(parents=True, exist_ok=True)  # only once the server has the file
        bar = tqdm(
            total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
            desc=part.name[: -len(".part")], leave=False, disable=_progress_disable(progress),
        )  # fmt: skip
        try:
            with bar, part.open(mode) as fh:
                while chunk := resp.read(_CHUNK):
                    fh.write(chunk)
                    bar.update(len(chunk))
                fh.flush()
                os.fsync(fh.fileno())
        except (http.client.HTTPException, OSError) as exc:
            got = part.stat().st_size if part.is_file() else 0
            of = f" of {total}" if total is not None else ""
            raise _Transient(f"transfer broke after {got}{of} bytes ({exc!r})") from exc
    return total


def _remote_sha256(url: str, timeout_s: float) -> str | None:
    """The digest in ``<url>.sha256``, None when the mirror has no such file (HTTP 404 / 410)."""
    sha_url = url + ".sha256"
    try:
        with urllib.request.urlopen(sha_url, timeout=timeout_s) as resp:
            text = resp.read(4096).decode("ascii", "replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410):
            return None
        if exc.code in _RETRY_STATUS:
            raise _Transient(f"{sha_url}: HTTP {exc.code} {exc.reason}") from None
        raise AsiDownloadError(
            f"downloading {url} failed: {sha_url} answered HTTP {exc.code} {exc.reason}",
            url,
            exc.code,
        ) from None
    match = _SHA256.match(text.strip())
    if not match:
        raise AsiDownloadError(
            f"downloading {url} failed: {sha_url} does not start with a SHA-256 hex digest "
            f"(got {text[:80]!r})",
            url,
        )
    return match[0].lower()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_file(
    url: str,
    target: Path,
    *,
    timeout_s: float = 30.0,
    retries: int = 3,
    backoff_s: float = 0.5,
    progress: bool | None = None,
    checksum: bool = True,
    missing_ok: bool = False,
) -> bool:
    """Download ``url`` to ``target`` complete and checked, or not at all (see the module doc).

    Parameters
    ----------
    url : str
        The file's URL.
    target : Path
        Final local path; its folder is created when needed.
    timeout_s : float
        Network timeout per request (connect, and each read), seconds.
    retries : int
        Further attempts after a broken or short transfer, a 5xx / 408 / 429 answer, a checksum
        mismatch or an unreachable server.
    backoff_s : float
        Pause before the first retry, seconds; it doubles for each further one.
    progress : bool, optional
        A tqdm bar on stderr; default: only when stderr is a terminal.
    checksum : bool
        Look for ``<url>.sha256`` and check the file against it when present.
    missing_ok : bool
        Return False on HTTP 404 (an hour with no file is a gap) instead of raising.

    Returns
    -------
    bool
        True once ``target`` exists (also when it already did: no request is made).

    Raises
    ------
    AsiDownloadError
        HTTP 404 (unless ``missing_ok``) or another HTTP error, an unreachable server, or a
        transfer still short or failing its checksum after the retries; names the URL and why.
    """
    if target.is_file():
        return True
    part = target.with_name(target.name + ".part")
    reached = False
    attempts = retries + 1
    for attempt in range(1, attempts + 1):
        try:
            total = _attempt(url, part, timeout_s, progress)
            reached = True
            size = part.stat().st_size
            if total is not None and size != total:
                raise _Transient(f"the transfer ended after {size} of {total} bytes")
            expected = _remote_sha256(url, timeout_s) if checksum else None
            if expected is not None:
                actual = _sha256(part)
                if actual != expected:
                    part.unlink()
                    raise _Transient(
                        f"SHA-256 {actual} of the {size} bytes received does not match "
                        f"{expected} in {url}.sha256"
                    )
            os.replace(part, target)
            log.info("downloaded %s (%d bytes)", url, size)
            return True
        except urllib.error.HTTPError as exc:
            reached = True
            exc.close()
            if exc.code == 404 and missing_ok:
                part.unlink(missing_ok=True)  # the file is gone from the mirror
                return False
            if exc.code not in _RETRY_STATUS:
                raise AsiDownloadError(
                    f"downloading {url} failed: HTTP {exc.code} {exc.reason}", url, exc.code
                ) from None
            reason = f"HTTP {exc.code} {exc.reason}"
        except _Transient as exc:
            reason = str(exc)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = str(getattr(exc, "reason", None) or exc)
        if attempt < attempts:
            pause = backoff_s * 2 ** (attempt - 1)
            log.warning(
                "%s: %s; attempt %d of %d in %.1f s", url, reason, attempt + 1, attempts, pause
            )
            time.sleep(pause)
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    if not reached:
        raise AsiDownloadError(f"cannot reach {url} ({reason}; {tries})", url)
    kept = part.stat().st_size if part.is_file() else 0
    keep = f"; {part.name} keeps {kept} bytes to resume from" if kept else ""
    raise AsiDownloadError(f"downloading {url} failed after {tries}: {reason}{keep}", url)
