"""The query parameters of a page's address: read once, checked, and reported on the page.

Every value of the address is a visitor's input: bytes that need not be UTF-8, numbers of any
size, text of any shape. A page declares the parameters it reads (``{name: Parameter}``);
``read_query`` reads the session's arguments through them and returns the accepted values and,
for each value it ignored, a sentence naming the parameter and what is allowed, which the page
shows in its status box while it shows its default for that value.

Panel reads the address too, unchecked: its template decodes ``theme`` as strict UTF-8, and its
``Location`` (which every served page gets) turns every digits-only value into an ``int`` (a
5000-digit value or a ``²`` raises) each time the address changes, the first time when it is
made from the request and again whenever the browser reports an address that differs from it.
So ``read_query`` also leaves Panel only the accepted values, and ``keep_in_address`` writes a
page's values to the address without reading the address back (as ``Location.sync`` would).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import panel as pn
import param

__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "MAX_CHARS",
    "Parameter",
    "QueryArgs",
    "decimal",
    "identifier",
    "json_object",
    "keep_in_address",
    "one_of",
    "parse_args",
    "read_query",
    "utc_day",
    "utc_time",
    "whole_number",
]

#: Longest value read, characters (a shared conjunction search body is the longest there is).
MAX_CHARS = 20_000
#: First and last UTC day a day or time parameter may name.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)
# Characters of a value quoted in a message (the rest is cut: a message, not a copy).
_SHOWN_CHARS = 40
_DECIMAL = re.compile(r"[+-]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][+-]?[0-9]{1,3})?")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")


@dataclass(frozen=True)
class Parameter:
    """How one query parameter is read.

    ``parse`` turns the value's text into the page's value and raises ``ValueError`` (or
    ``OverflowError``) for anything else; ``allowed`` says what is allowed, completing the
    sentence "<name> must be ...".
    """

    allowed: str
    parse: Callable[[str], object]


def whole_number(low: int, high: int) -> Parameter:
    """A whole number from ``low`` to ``high`` (ASCII digits, optional sign)."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            raise ValueError(text)
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    return Parameter(f"a whole number from {low} to {high}", parse)


def decimal(low: float, high: float) -> Parameter:
    """A finite decimal number from ``low`` to ``high`` (e.g. ``-94.6``, ``5e1``)."""

    def parse(text: str) -> float:
        if not _DECIMAL.fullmatch(text):
            raise ValueError(text)
        value = float(text)
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(text)
        return value

    return Parameter(f"a number from {low:g} to {high:g}", parse)


def utc_day() -> Parameter:
    """A UTC day ``YYYY-MM-DD`` from ``EARLIEST_DAY`` to ``LATEST_DAY`` (a ``datetime.date``)."""

    def parse(text: str) -> dt.date:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ValueError(text)
        return day

    return Parameter(f"a UTC day YYYY-MM-DD from {EARLIEST_DAY} to {LATEST_DAY}", parse)


def utc_time() -> Parameter:
    """An ISO time ``YYYY-MM-DDTHH:MM[:SS]`` (UTC unless it has an offset), from
    ``EARLIEST_DAY`` to ``LATEST_DAY``, as a naive UTC ``datetime.datetime``."""

    def parse(text: str) -> dt.datetime:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.+\-Z]{5,25}", text):
            raise ValueError(text)
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
            raise ValueError(text)
        return value

    return Parameter(f"a UTC time YYYY-MM-DDTHH:MM:SS from {EARLIEST_DAY} to {LATEST_DAY}", parse)


def identifier(what: str) -> Parameter:
    """A name (``what``, e.g. "a site_uid") of at most 64 letters, digits, ``: _ . -``."""

    def parse(text: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", text):
            raise ValueError(text)
        return text

    return Parameter(f"{what}: at most 64 letters, digits, ':', '_', '.' or '-'", parse)


def one_of(options: Sequence[str]) -> Parameter:
    """One of ``options``, exactly."""

    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(text)
        return text

    return Parameter(f"one of {', '.join(options)}", parse)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 15:
        raise ValueError(text)
    return int(text)


def _no_constant(text: str):
    raise ValueError(text)


def json_object(what: str) -> Parameter:
    """A JSON object (``what``, e.g. "a conjunction search body") of at most ``MAX_CHARS``
    characters, with finite numbers of at most 15 digits (a ``dict``)."""

    def parse(text: str) -> dict:
        try:
            value = json.loads(
                text,
                parse_float=_finite,
                parse_int=_bounded_int,
                parse_constant=_no_constant,
            )
        except RecursionError:  # nested deeper than the decoder goes
            raise ValueError(text) from None
        if not isinstance(value, dict):
            raise ValueError(text)
        return value

    return Parameter(f"{what} (a JSON object)", parse)


#: Panel's own query parameter: the page's theme.
THEME = "theme"
_THEME = one_of(("default", "dark"))


@dataclass(frozen=True)
class QueryArgs:
    """The query parameters of an address as a page reads them.

    Attributes
    ----------
    values
        Parameter name -> accepted value (as its ``Parameter`` parsed it).
    kept
        Parameter name -> text of each accepted value (what stays in the address).
    problems
        One sentence for each value that was ignored.
    """

    values: Mapping[str, object] = field(default_factory=dict)
    kept: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def get(self, name: str, default=None):
        """The accepted value of ``name``, or ``default``."""
        return self.values.get(name, default)

    @property
    def message(self) -> str:
        """The problems as one message ('' if there are none)."""
        return " ".join(self.problems)

    def before(self, status: str) -> str:
        """``status`` with the problems in front of it (what the page's status box shows)."""
        return " ".join(text for text in (self.message, status) if text)

    def rejected(self, name: str, reason: str) -> QueryArgs:
        """These arguments with ``name``'s accepted value ignored after all, for ``reason``
        (the page found it unusable, e.g. a search it cannot run)."""
        text = self.kept.get(name, "")
        return dataclasses.replace(
            self,
            values={k: v for k, v in self.values.items() if k != name},
            kept={k: v for k, v in self.kept.items() if k != name},
            problems=(*self.problems, _ignored(name, _shown(text), reason)),
        )


def _shown(text: str) -> str:
    # The value quoted in a message: cut short, control characters visible (repr).
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "...")


def _shown_bytes(data: bytes) -> str:
    # A value or name quoted in a message: as text if it is UTF-8, else as the address has it.
    try:
        return _shown(data.decode("utf-8"))
    except UnicodeDecodeError:
        return urllib.parse.quote(data[:_SHOWN_CHARS])


def _shown_name(name: str) -> str:
    if _NAME.fullmatch(name):
        return name
    try:  # Tornado gives a name as the Latin-1 reading of its bytes
        return _shown_bytes(name.encode("latin-1"))
    except UnicodeEncodeError:
        return _shown(name)


def _ignored(name: str, shown: str, reason: str, default: bool = True) -> str:
    tail = "; showing the default instead." if default else "."
    return f"Ignored {_shown_name(name)}={shown} from the address: {reason}{tail}"


def parse_args(
    arguments: Mapping[str, Sequence[bytes]], parameters: Mapping[str, Parameter]
) -> QueryArgs:
    """Read request ``arguments`` (name -> values as bytes, as Tornado and
    ``pn.state.session_args`` give them) through ``parameters``; ``theme`` is read on every
    page. The first value of a name counts; an empty one is as if it were not there.
    """
    reads = ", ".join(parameters)
    reads = f"it reads {reads} and {THEME}" if parameters else f"it reads only {THEME}"
    parameters = {**parameters, THEME: _THEME}
    values, kept, problems = {}, {}, []
    for name, given in arguments.items():
        data = given[0] if given else b""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        shown = _shown_bytes(data)
        if name not in parameters:
            reason = f"this page has no such parameter ({reads})"
            problems.append(_ignored(name, shown, reason, default=False))
            continue
        parameter = parameters[name]
        reason = f"{name} must be {parameter.allowed}"
        if text is None:
            problems.append(_ignored(name, shown, f"it is not UTF-8 text; {reason}"))
            continue
        if not text:
            continue
        if len(text) > MAX_CHARS:
            problems.append(_ignored(name, shown, f"it is longer than {MAX_CHARS} characters"))
            continue
        try:
            values[name] = parameter.parse(text)
        except (ValueError, OverflowError):
            problems.append(_ignored(name, shown, reason))
            continue
        kept[name] = text
    return QueryArgs(values, kept, tuple(problems))


def _session_request():
    # The request that started this served session, or None (a test, a notebook, the warm-up).
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return None
    return doc.session_context.request


def read_query(parameters: Mapping[str, Parameter]) -> QueryArgs:
    """The query parameters of this served session's address, read through ``parameters``
    (see ``parse_args``); no arguments outside a served session.

    Panel is left only the accepted values: the session's arguments (``pn.state.session_args``,
    this session's own copy) lose the others, and the session's ``pn.state.location`` is made
    here from an address holding only the accepted ones. The ``Location`` then keeps the
    address as the browser has it, unparsed, so that the browser, reporting its address when
    the page loads, reports no change (a change is parsed, unchecked, by Panel).
    """
    request = _session_request()
    if request is None:
        return QueryArgs()
    arguments = request.arguments
    args = parse_args(arguments, parameters)
    for name in list(arguments):
        if name in args.kept:
            arguments[name] = [args.kept[name].encode()]
        else:
            del arguments[name]
    uri = request.uri or ""
    path, _, query = uri.partition("?")
    kept = urllib.parse.urlencode(args.kept)
    # Bokeh's request proxy forwards attributes to the Tornado request; one set on the proxy
    # shadows it while pn.state.location is made, then goes (the request itself is untouched).
    request.uri = f"{path}?{kept}" if kept else path
    try:
        location = pn.state.location
    finally:
        del request.uri
    if location is not None:
        with param.parameterized.discard_events(location):
            location.search = f"?{query}" if query else ""
    return args


def keep_in_address(
    parameterized: param.Parameterized, names: Mapping[str, str], args: QueryArgs
) -> None:
    """Keep ``parameterized``'s parameters in this served session's address: ``names`` maps
    a parameter to its query parameter. The address gets them, beside ``args``' other accepted
    values, once the page has loaded and whenever they change. It is never read back (the
    page read it once, through ``read_query``). Nothing happens outside a served session.
    """
    if _session_request() is None or pn.state.location is None:
        return
    location = pn.state.location

    def write(*_events) -> None:
        query = {k: v for k, v in args.kept.items() if k not in names.values()}
        for name, query_name in names.items():
            value = getattr(parameterized, name)
            if value is None or value == "":
                continue
            query[query_name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        text = urllib.parse.urlencode(query)
        location.search = f"?{text}" if text else ""

    parameterized.param.watch(write, list(names))
    # Not before: an address that differs from the browser's before the page has loaded is
    # one the browser reports back (see read_query).
    pn.state.onload(write)
