"""Request bodies as JSON, with numbers the repository can hold.

Python's ``json`` turns ``1`` followed by 400 zeros into an exact integer that no float, DuckDB
BIGINT or pandas column can take (``OverflowError`` deep inside a search or an upload), ``1e400``
into ``inf`` and ``NaN`` into a float no JSON answer may carry. Such numbers are refused here,
before any handler sees the body, with the JSON path of the value and the range allowed.
"""

from __future__ import annotations

import json
import math

from aurorax.engine import ValidationError

__all__ = ["INT_LIMIT", "loads_request"]

#: Integers must satisfy ``-INT_LIMIT <= n < INT_LIMIT`` (DuckDB's BIGINT).
INT_LIMIT = 2**63
_MAX_INT_DIGITS = 19  # len(str(2**63)); longer digit strings are out of range at once


class _OutOfRange:
    """A number of the body that the repository cannot hold (kept as its text)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_int(text: str):
    digits = text.lstrip("-")
    if len(digits) > _MAX_INT_DIGITS:
        return _OutOfRange(text)
    value = int(text)
    return value if -INT_LIMIT <= value < INT_LIMIT else _OutOfRange(text)


def _parse_float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _OutOfRange(text)


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"


def _first_out_of_range(value, path: str) -> tuple[str, str] | None:
    # Iterative walk: a deeply nested body must not hit the recursion limit here.
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _OutOfRange):
            return where, item.text
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
    return None


def loads_request(raw: bytes):
    """``raw`` parsed as JSON; a number out of range is a :class:`ValidationError` naming it.

    Integers must lie in ``[-2**63, 2**63)``, other numbers must be finite doubles
    (``|x| < 1.8e308``); ``NaN`` and ``Infinity`` are refused.
    """
    try:
        value = json.loads(
            raw,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_OutOfRange,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValidationError(f"request body: not valid JSON ({exc})") from None
    bad = _first_out_of_range(value, "")
    if bad is not None:
        where, text = bad
        raise ValidationError(
            f"{where or 'request body'}: the number {_short(text)} is out of range; integers "
            f"must be between -2**63 and 2**63 - 1 and other numbers finite (|x| < 1.8e308)"
        )
    return value
