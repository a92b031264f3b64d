"""A direct reader of compressed image variables in CDF v3 files (the fast path of the readers).

``cdflib`` decompresses each gzip block with :func:`gzip.decompress` (header parsing and a CRC pass
in Python), joins all blocks into one buffer and converts the result; for hour-long image files
that is most of a keogram's run time. This module walks the variable's index records itself and
inflates each block straight into the output, with libdeflate (the ``deflate`` package) when it is
installed and :mod:`zlib` otherwise. It handles the layout the THEMIS/REGO files use (CDF v3,
uncompressed file, zVariable of an integer type, GZIP or no compression, no sparse records) and
returns ``None`` for anything else so the caller falls back to ``cdflib``.

CDF v3 internal records used (all integers big-endian; offsets 8 bytes; CDF Internal Format
Description, v3): CDR at byte 8 (GDR offset at +12, encoding at +28); GDR (zVDR head at +20);
zVDR (next +12, data type +20, max record +24, VXR head +28, flags +44, sparse +48, elements +64,
CPR offset +72, name +84 (256 bytes), dims +340/+344); VXR (next +12, entries +20, used +24, then
first[], last[], offset[]); VVR (data at +12); CVVR (compressed size +16, data at +24); CPR
(compression type +12; 5 = GZIP).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:  # libdeflate inflates about twice as fast as zlib; optional, same results
    import deflate as _libdeflate
except ImportError:  # pragma: no cover - exercised only without the optional package
    _libdeflate = None

__all__ = ["VariableLayout", "variable_layout", "read_records", "INFLATE_BACKEND", "gunzip"]

INFLATE_BACKEND = "libdeflate" if _libdeflate is not None else "zlib"

# CDF data type -> numpy kind and size (integer types only: their bytes do not depend on the
# floating-point flavour of the encoding).
_INT_TYPES = {1: "i1", 2: "i2", 4: "i4", 8: "i8", 11: "u1", 12: "u2", 14: "u4", 41: "i1", 51: "u1"}
# CDF encodings: byte order of the data
_BIG = {1, 2, 5, 7, 9, 11, 12}
_LITTLE = {3, 4, 6, 13, 14, 15, 16}
_VVR, _VXR, _CVVR, _GZIP = 7, 6, 13, 5


@dataclass(frozen=True)
class _Block:
    first: int
    last: int
    offset: int  # of the data bytes
    size: int  # stored bytes
    compressed: bool


@dataclass(frozen=True)
class VariableLayout:
    """Where a variable's records are stored (see :func:`variable_layout`)."""

    dtype: np.dtype
    dims: tuple[int, ...]
    n_records: int
    blocks: tuple[_Block, ...]


def _int(fd: int, offset: int, size: int) -> int:
    raw = os.pread(fd, size, offset)
    if len(raw) != size:
        raise EOFError(f"record at byte {offset} runs past the end of the file")
    return int.from_bytes(raw, "big", signed=True)


def _walk_vxr(fd: int, vxr: int, blocks: list[_Block], depth: int = 0) -> None:
    if depth > 8:
        raise ValueError("VXR tree deeper than 8 levels")
    while vxr:
        if _int(fd, vxr + 8, 4) != _VXR:
            raise ValueError(f"expected a VXR at byte {vxr}")
        n, used = _int(fd, vxr + 20, 4), _int(fd, vxr + 24, 4)
        table = os.pread(fd, 16 * n, vxr + 28)
        first = np.frombuffer(table, ">i4", used, 0)
        last = np.frombuffer(table, ">i4", used, 4 * n)
        where = np.frombuffer(table, ">i8", used, 8 * n)
        for f, la, off in zip(first.tolist(), last.tolist(), where.tolist(), strict=True):
            kind = _int(fd, off + 8, 4)
            if kind == _VXR:
                _walk_vxr(fd, off, blocks, depth + 1)
            elif kind == _CVVR:
                blocks.append(_Block(f, la, off + 24, _int(fd, off + 16, 8), True))
            elif kind == _VVR:
                blocks.append(_Block(f, la, off + 12, _int(fd, off, 8) - 12, False))
            else:
                raise ValueError(f"unexpected record type {kind} at byte {off}")
        vxr = _int(fd, vxr + 12, 8)


def variable_layout(path: str | Path, name: str) -> VariableLayout | None:
    """Index of zVariable ``name``, or None when the file is outside what this module reads."""
    fd = os.open(path, os.O_RDONLY)
    try:
        head = os.pread(fd, 8, 0)
        if head != b"\xcd\xf3\x00\x01\x00\x00\xff\xff":  # CDF v3, file not compressed as a whole
            return None
        gdr = _int(fd, 8 + 12, 8)
        encoding = _int(fd, 8 + 28, 4)
        if encoding in _BIG:
            order = ">"
        elif encoding in _LITTLE:
            order = "<"
        else:
            return None
        vdr = _int(fd, gdr + 20, 8)
        target = name.encode("ascii")
        while vdr:
            if os.pread(fd, 256, vdr + 84).split(b"\0", 1)[0] == target:
                break
            vdr = _int(fd, vdr + 12, 8)
        else:
            return None
        kind = _INT_TYPES.get(_int(fd, vdr + 20, 4))
        flags, sparse = _int(fd, vdr + 44, 4), _int(fd, vdr + 48, 4)
        if kind is None or sparse != 0 or _int(fd, vdr + 64, 4) != 1 or not flags & 1:
            return None  # not integer, sparse, multi-element, or not record-varying
        if flags & 4 and _int(fd, _int(fd, vdr + 72, 8) + 12, 4) != _GZIP:
            return None
        ndims = _int(fd, vdr + 340, 4)
        dims = tuple(_int(fd, vdr + 344 + 4 * i, 4) for i in range(ndims))
        blocks: list[_Block] = []
        _walk_vxr(fd, _int(fd, vdr + 28, 8), blocks)
        return VariableLayout(
            np.dtype(order + kind),
            dims,
            _int(fd, vdr + 24, 4) + 1,
            tuple(sorted(blocks, key=lambda b: b.first)),
        )
    finally:
        os.close(fd)


def gunzip(data: bytes) -> bytes | None:
    """One gzip member inflated by libdeflate, or None where libdeflate is not installed or
    refuses the stream (truncated, damaged, several members): callers then inflate with zlib or
    :mod:`gzip`, which read every valid stream and name what is wrong with the others."""
    if _libdeflate is None:
        return None
    try:
        return _libdeflate.gzip_decompress(data)
    except _libdeflate.DeflateError:
        return None


def _inflate(data: bytes, expected: int) -> bytes:
    out = gunzip(data)
    if out is not None:
        return out
    return zlib.decompress(data, 31, expected)  # 31: gzip wrapper; output buffer sized once


def read_records(
    path: str | Path, layout: VariableLayout, start: int, stop: int, select=None
) -> np.ndarray:
    """Records ``start:stop`` of a variable as a native-endian array ``(records, *dims)``.

    ``select``, an index tuple over the record dimensions (e.g. ``(rows, cols)`` arrays), keeps
    only those elements of each record: the result is then ``(records, *selected_shape)`` and
    whole records are never assembled (a keogram needs one column per frame).

    Raises
    ------
    ValueError
        When a block's size disagrees with its record range or records are missing.
    """
    per_record = int(np.prod(layout.dims, dtype=np.int64)) * layout.dtype.itemsize
    shape = layout.dims if select is None else np.empty(layout.dims, dtype=np.bool_)[select].shape
    out = np.empty((stop - start, *shape), dtype=layout.dtype.newbyteorder("="))
    filled = 0
    fd = os.open(path, os.O_RDONLY)
    try:
        for block in layout.blocks:
            if block.last < start or block.first >= stop:
                continue
            raw = os.pread(fd, block.size, block.offset)
            if len(raw) != block.size:
                raise ValueError(f"block of records {block.first}..{block.last} is truncated")
            n = block.last - block.first + 1
            data = _inflate(raw, n * per_record) if block.compressed else raw
            if len(data) < n * per_record:
                raise ValueError(
                    f"block of records {block.first}..{block.last} holds {len(data)} bytes"
                )
            recs = np.frombuffer(data, layout.dtype, n * (per_record // layout.dtype.itemsize))
            recs = recs.reshape(n, *layout.dims)
            lo, hi = max(start, block.first), min(stop, block.last + 1)
            part = recs[lo - block.first : hi - block.first]
            out[lo - start : hi - start] = part if select is None else part[(slice(None), *select)]
            filled += hi - lo
    finally:
        os.close(fd)
    if filled != stop - start:
        raise ValueError(f"records {start}..{stop - 1}: only {filled} stored")
    return out
