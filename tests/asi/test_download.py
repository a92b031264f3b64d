"""Downloading ASI files from a mirror: resume, size and checksum checks, retries, the cache.

The mirror is a real HTTP server (``http.server`` on a free loopback port) serving a temporary
folder, with Range support and switches to drop a connection mid-file, ignore Range or answer an
error status, so the downloader meets the failures real mirrors have.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from aurorax.asi import (
    AsiDownloadError,
    AsiFileNotFoundError,
    Imager,
    download_files,
    find_image_files,
    image_relative_path,
    stream0_relative_path,
)

from .conftest import REAL_IMAGES, REAL_SKYMAP, write_hours


@dataclass
class Mirror:
    """The served folder, its URL, what it received, and how it misbehaves."""

    root: Path
    url: str
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    drop: dict[str, int] = field(default_factory=dict)  # path -> GETs still to cut off mid-file
    status: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses still to send
    ignore_range: bool = False

    def gets(self, path: str) -> list[str | None]:
        """Range headers of the requests for ``path`` (None: no Range), in order."""
        return [rng for p, rng in self.requests if p == path]


def _handler(mirror: Mirror):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
            rng = self.headers.get("Range")
            mirror.requests.append((path, rng))
            if mirror.status.get(path):
                self.send_error(mirror.status[path].pop(0))
                return
            file = mirror.root / path
            if file.is_dir():  # an HTML index, as web servers list folders
                links = "".join(
                    f'<a href="{urllib.parse.quote(p.name)}">x</a>' for p in file.iterdir()
                )
                self._send(200, f"<html><body>{links}</body></html>".encode())
                return
            if not file.is_file():
                self.send_error(404)
                return
            data = file.read_bytes()
            first = 0
            if rng and not mirror.ignore_range:
                first = int(rng.removeprefix("bytes=").split("-")[0])
                if first >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[first:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if mirror.drop.get(path, 0) > 0:
                # The connection drops mid-file: half the promised bytes, then the socket closes.
                mirror.drop[path] -= 1
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    state = Mirror(root, "")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _put(mirror: Mirror, rel: str, data: bytes) -> bytes:
    path = mirror.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def _payload(n=200_000, seed=1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


REL = "themis/stream0/2011/01/06/gako_themis19/ut17/20110106_1705_gako_themis19_full.pgm.gz"


def test_stream0_layout_is_the_ucalgary_one():
    assert stream0_relative_path("GAKO", 19, "2011-01-06T17:05:42") == REL
    assert stream0_relative_path("fsmi", "2", "2021-12-31T23:59") == (
        "themis/stream0/2021/12/31/fsmi_themis02/ut23/20211231_2359_fsmi_themis02_full.pgm.gz"
    )


def test_real_file_cut_off_mid_transfer_is_resumed_then_cached(tmp_path, mirror, real_dir):
    """The real Gakona hour through Imager: the first GET drops halfway, the retry resumes."""
    rel = image_relative_path("themis", "gako", "2011-01-06T17:00")
    data = _put(mirror, rel, REAL_IMAGES.read_bytes())
    sky = "themis/skymaps/gako/" + REAL_SKYMAP.name
    _put(mirror, sky, REAL_SKYMAP.read_bytes())
    mirror.drop[rel] = 1
    local = tmp_path / "local"
    imager = Imager(
        "gako", "2011-01-06T17:00", "2011-01-06T18:00", asi_dir=local, base_url=mirror.url,
        allow_nearest_skymap=True,
    )  # fmt: skip
    assert mirror.gets(rel) == [None, f"bytes={len(data) // 2}-"]
    assert (local / rel).read_bytes() == data
    assert imager.read()[1].shape == (23, 256, 256)
    assert imager.skymap.source == local / sky
    assert not list(local.rglob("*.part"))
    # The cache: a second Imager over the same hour makes no request at all.
    seen = len(mirror.requests)
    again = Imager(
        "gako", "2011-01-06T17:00", "2011-01-06T18:00", asi_dir=local, base_url=mirror.url,
        allow_nearest_skymap=True,
    )  # fmt: skip
    np.testing.assert_array_equal(again.read()[1], imager.read()[1])
    assert len(mirror.requests) == seen


def test_truncated_transfer_is_never_kept_and_resumes_next_run(tmp_path, mirror):
    data = _put(mirror, REL, _payload())
    mirror.drop[REL] = 3  # every attempt (1 + 2 retries) is cut off
    local = tmp_path / "local"
    url = f"{mirror.url}/{REL}"
    part = local / (REL + ".part")
    with pytest.raises(AsiDownloadError) as info:
        download_files([REL], local, mirror.url, retries=2, backoff_s=0)
    # Halves of halves: 100,000 bytes, then 50,000 of the remaining 100,000, then 25,000 more.
    assert str(info.value) == (
        f"downloading {url} failed after 3 attempts: the transfer ended after 175000 of 200000 "
        f"bytes; {part.name} keeps 175000 bytes to resume from"
    )
    assert info.value.url == url
    assert not (local / REL).exists()
    assert part.read_bytes() == data[:175_000]
    assert mirror.gets(REL) == [None, "bytes=100000-", "bytes=150000-"]
    # The next run asks only for the rest.
    assert download_files([REL], local, mirror.url) == [local / REL]
    assert mirror.gets(REL)[3:] == ["bytes=175000-"]
    assert (local / REL).read_bytes() == data
    assert not part.exists()


def test_resume_of_a_part_file(tmp_path, mirror):
    data = _put(mirror, REL, _payload())
    local = tmp_path / "local"
    part = local / (REL + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:123_456])
    download_files([REL], local, mirror.url, checksum=False)
    assert mirror.gets(REL) == ["bytes=123456-"]
    assert (local / REL).read_bytes() == data
    # A complete .part (a run stopped before its rename): the 416 answer finishes it.
    other = REL.replace("1705", "1706")
    _put(mirror, other, data)
    (local / (other + ".part")).write_bytes(data)
    download_files([other], local, mirror.url, checksum=False)
    assert mirror.gets(other) == ["bytes=200000-"]
    assert (local / other).read_bytes() == data


def test_server_ignoring_range_restarts_the_file(tmp_path, mirror):
    data = _put(mirror, REL, _payload())
    mirror.ignore_range = True
    local = tmp_path / "local"
    part = local / (REL + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes of another version")
    download_files([REL], local, mirror.url, checksum=False)
    assert mirror.gets(REL) == ["bytes=30-"]
    assert (local / REL).read_bytes() == data


def test_checksum_checked_when_the_mirror_has_one(tmp_path, mirror):
    data = _put(mirror, REL, _payload())
    local = tmp_path / "local"
    _put(mirror, REL + ".sha256", f"{hashlib.sha256(data).hexdigest()}  x.pgm.gz\n".encode())
    download_files([REL], local, mirror.url)
    assert (local / REL).read_bytes() == data
    assert mirror.gets(REL + ".sha256") == [None]

    # A .part from another version of the file resumes into bytes that fail the checksum:
    # it is discarded and the file fetched again whole.
    other = REL.replace("1705", "1707")
    _put(mirror, other, data)
    _put(mirror, other + ".sha256", hashlib.sha256(data).hexdigest().encode())
    (local / (other + ".part")).write_bytes(b"x" * 1000)
    download_files([other], local, mirror.url, backoff_s=0)
    assert mirror.gets(other) == ["bytes=1000-", None]
    assert (local / other).read_bytes() == data


def test_checksum_mismatch_is_never_kept(tmp_path, mirror):
    data = _put(mirror, REL, _payload())
    wrong = "0" * 64
    _put(mirror, REL + ".sha256", wrong.encode())
    local = tmp_path / "local"
    url = f"{mirror.url}/{REL}"
    with pytest.raises(AsiDownloadError) as info:
        download_files([REL], local, mirror.url, retries=1, backoff_s=0)
    actual = hashlib.sha256(data).hexdigest()
    assert str(info.value) == (
        f"downloading {url} failed after 2 attempts: SHA-256 {actual} of the 200000 bytes "
        f"received does not match {wrong} in {url}.sha256"
    )
    assert not (local / REL).exists()
    assert not (local / (REL + ".part")).exists()


def test_404_names_the_url(tmp_path, mirror):
    url = f"{mirror.url}/{REL}"
    with pytest.raises(AsiFileNotFoundError, match="^downloading (.+) failed: HTTP 404 ") as info:
        download_files([REL], tmp_path / "local", mirror.url)
    assert info.value.args[0].split()[1] == url
    assert info.value.status == 404
    assert mirror.gets(REL) == [None]  # a 404 is not retried
    assert not (tmp_path / "local").exists()  # not even a folder is left behind


def test_server_error_is_retried(tmp_path, mirror):
    data = _put(mirror, REL, _payload(1000))
    mirror.status[REL] = [503, 500]
    assert download_files([REL], tmp_path, mirror.url, backoff_s=0) == [tmp_path / REL]
    assert (tmp_path / REL).read_bytes() == data
    assert len(mirror.gets(REL)) == 3
    mirror.status[REL.replace("1705", "1708")] = [403]
    with pytest.raises(AsiDownloadError, match=r"1708_gako_themis19_full.pgm.gz failed: HTTP 403"):
        download_files([REL.replace("1705", "1708")], tmp_path, mirror.url, backoff_s=0)


def test_cache_hit_makes_no_request(tmp_path, mirror):
    write_hours(mirror.root, "test", "2021-12-01T06:00", 2, n=8)
    local = tmp_path / "local"
    start, end = "2021-12-01T06:00", "2021-12-01T09:00"  # hour 08 is a gap (404) on the mirror
    first = find_image_files("themis", "test", start, end, local, mirror.url)
    assert len(first) == 2
    seen = len(mirror.requests)
    rels = [image_relative_path("themis", "test", f"2021-12-01T0{h}") for h in (6, 7)]
    assert download_files(rels, local, mirror.url) == first
    assert len(mirror.requests) == seen
    # Without a base URL, present files need none.
    assert download_files(rels, local, "") == first
    with pytest.raises(AsiFileNotFoundError, match=r"\.cdf is missing and no base URL"):
        download_files([image_relative_path("themis", "test", "2021-12-01T08")], local, "")


def test_progress_bar_can_be_shown_or_not(tmp_path, mirror, capsys):
    _put(mirror, REL, _payload(50_000))
    download_files([REL], tmp_path / "a", mirror.url, progress=True)
    shown = capsys.readouterr().err
    assert "20110106_1705_gako_themis19_full.pgm.gz" in shown
    assert "/48.8k [" in shown  # the bar knows the size (Content-Length)
    download_files([REL], tmp_path / "b", mirror.url, progress=False)
    assert capsys.readouterr().err == ""


def test_paths_must_stay_inside_the_data_folder(tmp_path):
    from aurorax.asi import AsiError

    for bad in ("../etc/passwd", "/etc/passwd", ""):
        with pytest.raises(AsiError, match="is not a relative path inside the ASI data folder"):
            download_files([bad], tmp_path, "http://127.0.0.1:9")
