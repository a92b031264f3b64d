"""Bad input: the counts of the summary add up, links out of the archive are refused, and no
message quotes what a file contains."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurorax.asi import image_path, list_readers, write_themis_cdf
from aurorax.ingest import (
    IngestFailure,
    IngestSummary,
    format_summary,
    ingest_archive,
    scan_archive,
)
from tests.ingest.conftest import DAY

SECRET = b"SECRET-CONTENT"


def _leaks() -> set[str]:
    """What a message must not show of SECRET: the text, and any 4 or 8 of its bytes (wherever
    a repetition of it starts) as hex (the reader's "bad magic number") or as an integer (a header
    field or a cdflib error), and a variable name inside a CDF (the reader lists them)."""
    leaks = {SECRET.decode(), "zzleakzz"}
    text = SECRET * 3
    for size in (4, 8):
        for start in range(len(SECRET)):
            chunk = text[start : start + size]
            leaks.add(chunk.hex())
            leaks.update(str(int.from_bytes(chunk, order)) for order in ("big", "little"))
    return leaks


def _name(site: str, hour: int) -> str:
    return f"thg_l1_asf_{site}_20211202{hour:02d}_v01.cdf"


def _add_bad_files(archive: Path, outside: Path) -> dict[str, Path]:
    """Every kind of bad ``*.cdf``, by kind; ``outside`` is a folder beside the archive."""
    good = image_path("themis", "gill", DAY + pd.Timedelta(hours=5), archive)
    data = good.read_bytes()
    bad = {}
    bad["truncated"] = archive / _name("gill", 10)
    bad["truncated"].write_bytes(data[: len(data) // 2])
    bad["text"] = archive / _name("tpas", 11)
    bad["text"].write_bytes(SECRET + b"\n")
    # A CDF header whose end-of-file offset (8 bytes at GDR + 36) holds the secret.
    gdr = int.from_bytes(data[20:28], "big")
    bad["header"] = archive / _name("gill", 12)
    bad["header"].write_bytes(data[: gdr + 36] + SECRET[:8] + data[gdr + 44 :])
    bad["damaged"] = archive / _name("tpas", 12)  # the secret over the variable descriptions
    bad["damaged"].write_bytes(data[:800] + SECRET * 5 + data[870:])
    # Frames whose variables are named for another site than the file name's.
    bad["variables"] = archive / _name("tpas", 13)
    times = pd.date_range("2021-12-02T13:00", periods=2, freq="300s")
    write_themis_cdf(bad["variables"], "zzleakzz", times, np.zeros((2, 256, 256), np.uint16))
    bad["unknown_site"] = archive / _name("xxxx", 4)
    bad["unknown_site"].write_bytes(data)
    bad["no_reader"] = archive / "notes.cdf"
    bad["no_reader"].write_bytes(SECRET)
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    shutil.copy(good, outside / _name("gill", 14))  # a good image file, but not the archive's
    bad["link_out_text"] = archive / _name("gill", 15)
    bad["link_out_text"].symlink_to(outside / "secret.txt")
    bad["link_out_image"] = archive / _name("gill", 14)
    bad["link_out_image"].symlink_to(outside / _name("gill", 14))
    bad["broken_link"] = archive / _name("gill", 16)
    bad["broken_link"].symlink_to(archive / "nothing-here.cdf")
    bad["fifo"] = archive / _name("gill", 17)
    os.mkfifo(bad["fifo"])  # reading it would block the reader for ever
    return bad


def test_scan_refuses_links_out_of_the_archive_and_non_files(archive_copy, tmp_path):
    bad = _add_bad_files(archive_copy, tmp_path / "elsewhere")
    inside = archive_copy / _name("gill", 18)  # a link to an archive file is followed
    inside.symlink_to(image_path("themis", "gill", DAY + pd.Timedelta(hours=5), archive_copy))
    (archive_copy / "folder.cdf").mkdir()  # not a file: not counted
    (archive_copy / "linked").symlink_to(tmp_path / "elsewhere")  # not descended into

    files, problems = scan_archive(archive_copy)
    # Readable names of known sites: the scan takes them (their tasks find the damage).
    flat = [bad[k].name for k in ("truncated", "text", "header", "damaged", "variables")]
    flat.append(inside.name)
    assert sorted(f.relative for f in files if "/" not in f.relative) == sorted(flat)
    assert len(files) == 6 + len(flat)
    messages = {p.path: p.message for p in problems}
    assert messages == {
        bad["unknown_site"]: f"{bad['unknown_site']}: unknown site 'xxxx' for program "
        "'themis-asi' (not in the site table data/sites.csv)",
        bad["no_reader"]: f"{bad['no_reader']}: no image reader recognises this file name "
        f"(readers: {', '.join(r.name for r in list_readers())})",
        bad["link_out_text"]: f"{bad['link_out_text']}: refused: a symbolic link pointing "
        "outside the archive (not followed)",
        bad["link_out_image"]: f"{bad['link_out_image']}: refused: a symbolic link pointing "
        "outside the archive (not followed)",
        bad["broken_link"]: f"{bad['broken_link']}: refused: a symbolic link to a file that "
        "does not exist",
        bad["fifo"]: f"{bad['fifo']}: refused: not a regular file",
    }


def test_counts_add_up_and_no_message_quotes_a_file(archive_copy, tmp_path, client, data_dir):
    bad = _add_bad_files(archive_copy, tmp_path / "elsewhere")
    found, failed = 6 + len(bad), len(bad)

    def run():
        return ingest_archive(
            archive_copy, tmp_path / "r.duckdb", tmp_path / "products", client=client,
            progress=False, data_dir=data_dir,
        )  # fmt: skip

    summary = run()
    text = format_summary(summary)
    # Every *.cdf counted once; the link to a good image file outside is not ingested.
    assert text.startswith(f"{found} image files: 6 ingested, 0 already done, {failed} failed\n")
    for leak in _leaks():
        assert leak not in text, leak
    assert f"\n{len(bad)} failure(s):\n" in text
    assert (summary.files_found, summary.files_ingested, summary.files_failed) == (found, 6, failed)
    messages = {Path(f.path).name: f.message for f in summary.failures}
    assert sorted(messages) == sorted(p.name for p in bad.values())
    for kind, path in bad.items():
        assert messages[path.name].startswith(f"{path}: "), (kind, messages[path.name])
    size = bad["truncated"].stat().st_size
    assert messages[bad["truncated"].name] == (
        f"{bad['truncated']}: truncated CDF file ({size} bytes, fewer than its header says)"
    )
    assert messages[bad["text"].name] == (
        f"{bad['text']}: not a CDF file (it does not begin with a CDF magic number)"
    )
    size = bad["header"].stat().st_size
    assert messages[bad["header"].name] == (
        f"{bad['header']}: truncated CDF file ({size} bytes, fewer than its header says)"
    )
    assert messages[bad["variables"].name] == (
        f"{bad['variables']}: missing variable(s) ['thg_asf_tpas', 'thg_asf_tpas_epoch']"
    )
    assert "pointing outside the archive (not followed)" in messages[bad["link_out_image"].name]

    again = run()
    assert again.files_found == found
    assert (again.files_ingested, again.files_skipped, again.files_failed) == (0, 6, failed)
    assert format_summary(again).startswith(
        f"{found} image files: 0 ingested, 6 already done, {failed} failed\n"
    )


@pytest.mark.parametrize(
    ("counts", "line"),
    [
        ((20, 12, 0, 8), "20 image files: 12 ingested, 0 already done, 8 failed"),
        ((9, 2, 5, 2), "9 image files: 2 ingested, 5 already done, 2 failed"),
    ],
)
def test_format_summary_counts_failed_files_not_failed_days(counts, line):
    found, ingested, skipped, failed = counts
    failures = tuple(IngestFailure(f"f{i}", f"f{i}: bad") for i in range(failed))
    summary = IngestSummary(
        files_found=found, files_ingested=ingested, files_skipped=skipped, days_rendered=1,
        days_skipped=0, frames=10, ephemeris_records=10, data_product_records=3,
        data_sources_created=(), workers=2, elapsed_s=1.0, files_failed=failed, days_failed=1,
        partial_files_removed=0,
        failures=(*failures, IngestFailure("day:x", "day:x: products failed")),
    )  # fmt: skip
    lines = format_summary(summary).splitlines()
    assert lines[0] == line
    assert lines[1] == (
        "10 frames -> 10 ephemeris records; 1 imager-days rendered (0 already done, 1 failed) "
        "-> 3 data product records"
    )
    assert lines[3] == f"{failed + 1} failure(s):"
