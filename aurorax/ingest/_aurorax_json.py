"""``import_aurorax_json``: ephemeris and data product records exported from AuroraX, into the
repository.

The records are the ones the AuroraX API returns (``GET .../requests/{id}/data``) and PyAuroraX
serialises (API notes §2-3); the engine emits the same shape
(:func:`aurorax.engine.ephemeris_frame_to_records`, the HTTP API's search results), and this
module is its inverse: the records go through :meth:`Repository.ingest_ephemeris` and
:meth:`Repository.ingest_data_products` unchanged except that ``data_source`` is resolved by its
``(program, platform, instrument_type)`` triple (an exported ``identifier`` belongs to the
repository the records came from).

A file is read and checked whole before anything of it is written. When it holds both kinds
of records, or data sources must be created, the batches are first validated by the same
ingest on a scratch in-memory repository holding copies of the data sources involved, so a
record the repository would refuse stops the file before any of it is stored.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aurorax.engine import (
    AuroraXError,
    ConflictError,
    DataSource,
    MetadataField,
    NotFoundError,
    Repository,
    ValidationError,
)

__all__ = [
    "AuroraXImportSummary",
    "ImportedSource",
    "format_import_summary",
    "import_aurorax_json",
]

_TRIPLE = ("program", "platform", "instrument_type")
_LOCATIONS = ("location_geo", "location_gsm", "nbtrace", "sbtrace")
_EPHEMERIS_FIELDS = frozenset(("data_source", "epoch", "metadata", *_LOCATIONS))
_PRODUCT_FIELDS = frozenset(("data_source", "data_product_type", "start", "end", "url", "metadata"))
_REQUIRED = {
    "ephemeris": ("epoch",),
    "data product": ("data_product_type", "start", "end", "url"),
}
_TIMES = {"ephemeris": ("epoch",), "data product": ("start", "end")}
_WRAPPER_KEYS = ("data_sources", "ephemeris", "data_products")
# The store names a record by its 0-based position in the batch ("ephemeris record 17").
_STORE_RECORD = re.compile(r"\b(?:(ephemeris|data product) )?record (\d+)")


class _FileError(ValidationError):
    """A problem with one file (its message names the file)."""


@dataclass(frozen=True)
class ImportedSource:
    """Records one import stored for one data source.

    Attributes
    ----------
    identifier
        The data source's identifier in this repository.
    name
        ``program/platform/instrument_type``.
    created
        Whether this import created the data source.
    ephemeris, data_products
        Records stored.
    """

    identifier: int
    name: str
    created: bool
    ephemeris: int
    data_products: int


@dataclass(frozen=True)
class AuroraXImportSummary:
    """What :func:`import_aurorax_json` did.

    Attributes
    ----------
    files
        The files imported, in order.
    ephemeris_records, data_product_records
        Records stored (re-imported minutes and URLs replace the stored ones).
    sources
        Per data source, in identifier order.
    elapsed_s
        Wall-clock time (s).
    """

    files: tuple[str, ...]
    ephemeris_records: int
    data_product_records: int
    sources: tuple[ImportedSource, ...]
    elapsed_s: float

    @property
    def created(self) -> tuple[str, ...]:
        """Names of the data sources this import created."""
        return tuple(s.name for s in self.sources if s.created)


@dataclass
class _Parsed:
    """One file's records, checked for shape, with where each came from."""

    path: Path
    ephemeris: list[dict]
    ephemeris_labels: list[str]
    products: list[dict]
    product_labels: list[str]
    triples: dict[tuple[str, str, str], dict]  # triple -> a data_source mapping naming it
    definitions: dict[tuple[str, str, str], Mapping]  # triple -> a 'data_sources' entry


def _fail(path: Path, label: str | None, problem: str) -> None:
    where = f"{path}: {label}: " if label else f"{path}: "
    raise _FileError(where + problem)


def _load(path: Path):
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise _FileError(f"{path}: no such file") from None
    except OSError as exc:
        raise _FileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise _FileError(f"{path}: not a UTF-8 text file (byte {exc.start})") from None

    def no_constants(name):
        raise ValueError(f"{name} is not a JSON number")

    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise _FileError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise _FileError(f"{path}: not valid JSON: {exc}") from None


def _entries(path: Path, document) -> tuple[list[tuple[str, object, str | None]], list]:
    """``[(label, record, kind or None)]`` and the ``data_sources`` entries of a document."""
    if isinstance(document, list):
        return [(f"record {i}", r, None) for i, r in enumerate(document)], []
    if not isinstance(document, dict):
        _fail(path, None, f"expected a JSON object or list, got {type(document).__name__}")
    if "data_source" in document or "program" in document:
        return [("record 0", document, None)], []
    if isinstance(document.get("result"), list):  # an AuroraX API search result
        return [(f"result[{i}]", r, None) for i, r in enumerate(document["result"])], []
    if not any(k in document for k in _WRAPPER_KEYS):
        _fail(
            path,
            None,
            "not an AuroraX JSON export: expected a record, a list of records, or an object "
            "with a 'result' list or 'data_sources'/'ephemeris'/'data_products' lists; "
            f"got an object with keys {sorted(document)[:10]}",
        )
    unknown = sorted(set(document) - set(_WRAPPER_KEYS))
    if unknown:
        _fail(path, None, f"unknown key(s) {unknown}; known keys are {list(_WRAPPER_KEYS)}")
    for key in _WRAPPER_KEYS:
        if not isinstance(document.get(key, []), list):
            _fail(path, None, f"'{key}' must be a list, got {type(document[key]).__name__}")
    out = [(f"ephemeris[{i}]", r, "ephemeris") for i, r in enumerate(document.get("ephemeris", []))]
    out += [
        (f"data_products[{i}]", r, "data product")
        for i, r in enumerate(document.get("data_products", []))
    ]
    return out, document.get("data_sources", [])


def _kind_of(record: dict) -> str | None:
    is_ephemeris = "epoch" in record
    is_product = "url" in record or "data_product_type" in record
    if is_ephemeris == is_product:
        return None
    return "ephemeris" if is_ephemeris else "data product"


def _data_source(path: Path, label: str, record: dict) -> tuple[dict, dict]:
    """The record without its source fields, and its ``data_source`` mapping.

    ``data_source`` is nested in what the API returns; PyAuroraX's ``to_json_serializable`` and
    the AuroraX upload body put ``program``/``platform``/``instrument_type`` on the record.
    """
    record = dict(record)
    if "data_source" in record:
        source = record.pop("data_source")
        if not isinstance(source, dict):
            _fail(
                path,
                label,
                "field 'data_source' must be an object with 'program', 'platform' and "
                f"'instrument_type', got {source!r}",
            )
        prefix = "data_source."
    else:
        source = {k: record.pop(k) for k in _TRIPLE if k in record}
        prefix = ""
        if not source:
            _fail(path, label, "missing field 'data_source'")
    for key in _TRIPLE:
        if key not in source:
            _fail(path, label, f"missing field '{prefix}{key}'")
        if not isinstance(source[key], str) or not source[key].strip():
            _fail(path, label, f"field '{prefix}{key}' must be a non-empty string")
    return record, source


def _check_fields(path: Path, label: str, kind: str, record: dict) -> None:
    known = _EPHEMERIS_FIELDS if kind == "ephemeris" else _PRODUCT_FIELDS
    unknown = sorted(set(record) - known)
    if unknown:
        _fail(path, label, f"unknown field(s) {unknown} for {kind}; known: {sorted(known)}")
    for field in _REQUIRED[kind]:
        if field not in record:
            _fail(path, label, f"missing field {field!r} ({kind} record)")
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        _fail(path, label, f"field 'metadata' must be an object or null, got {metadata!r}")


def _parse_times(path: Path, records: list[dict], labels: list[str], field: str) -> None:
    """Replace each record's ``field`` (an ISO-8601 string) by a UTC timestamp, in place."""
    values = [r[field] for r in records]
    for label, value in zip(labels, values, strict=True):
        if not isinstance(value, str):
            _fail(
                path, label, f"field {field!r} must be an ISO 8601 UTC time string, got {value!r}"
            )
    if not values:
        return
    try:
        stamps = pd.to_datetime(pd.Series(values), utc=True, format="ISO8601", errors="coerce")
    except (ValueError, OverflowError):
        stamps = pd.Series([_one_time(v) for v in values], dtype="datetime64[ns, UTC]")
    bad = stamps.isna().to_numpy()
    if bad.any():
        first = int(bad.argmax())
        _fail(path, labels[first], f"field {field!r} is not a valid time, got {values[first]!r}")
    for record, stamp in zip(records, stamps, strict=True):
        record[field] = stamp


def _one_time(value: str):
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError):
        return pd.NaT
    if pd.isna(stamp):
        return pd.NaT
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _parse(path: Path) -> _Parsed:
    entries, definitions = _entries(path, _load(path))
    records = []
    for label, record, kind in entries:
        if not isinstance(record, dict):
            _fail(path, label, f"must be a JSON object, got {type(record).__name__}")
        records.append((label, record, kind or _kind_of(record)))
    kinds = {k for *_, k in records if k is not None}
    parsed = _Parsed(path, [], [], [], [], {}, {})
    for label, record, kind in records:
        if kind is None:
            if len(kinds) != 1:
                _fail(
                    path,
                    label,
                    "neither an ephemeris record (field 'epoch') nor a data product "
                    "(fields 'url', 'data_product_type')",
                )
            kind = next(iter(kinds))
        record, source = _data_source(path, label, record)
        _check_fields(path, label, kind, record)
        triple = tuple(source[k] for k in _TRIPLE)
        parsed.triples.setdefault(triple, source)
        record["data_source"] = triple
        if kind == "ephemeris":
            parsed.ephemeris.append(record)
            parsed.ephemeris_labels.append(label)
        else:
            parsed.products.append(record)
            parsed.product_labels.append(label)
    for kind, records_, labels in (
        ("ephemeris", parsed.ephemeris, parsed.ephemeris_labels),
        ("data product", parsed.products, parsed.product_labels),
    ):
        for field in _TIMES[kind]:
            _parse_times(path, records_, labels, field)
    for i, entry in enumerate(definitions):
        label = f"data_sources[{i}]"
        if not isinstance(entry, dict):
            _fail(path, label, f"must be a JSON object, got {type(entry).__name__}")
        for key in _TRIPLE:
            if not isinstance(entry.get(key), str):
                _fail(path, label, f"missing field {key!r}")
        parsed.definitions[tuple(entry[k] for k in _TRIPLE)] = entry
    return parsed


def _inferred_schema(records: list[dict]) -> tuple[MetadataField, ...]:
    """Fields for the metadata keys of one new source's records, typed by their JSON values.

    A key whose values are of several kinds, or not scalars, is left undeclared: the
    repository's validation then refuses it as it refuses any key a schema does not declare.
    """
    kinds: dict[str, set[str]] = {}
    for record in records:
        for key, value in (record.get("metadata") or {}).items():
            if value is None:
                kinds.setdefault(key, set())
                continue
            if isinstance(value, bool):
                kind = "bool"
            elif isinstance(value, int):
                kind = "int"
            elif isinstance(value, float):
                kind = "double"
            elif isinstance(value, str):
                kind = "string"
            else:
                kind = "other"
            kinds.setdefault(key, set()).add(kind)
    fields = []
    for key, seen in kinds.items():
        if seen == {"int", "double"}:
            seen = {"double"}
        if len(seen) == 1 and "other" not in seen:
            fields.append(MetadataField(key, next(iter(seen))))
    return tuple(fields)


def _new_source(parsed: _Parsed, triple, taken: set[int]) -> DataSource:
    """The data source to create for ``triple``: its ``data_sources`` entry when the file has
    one, else built from the records (``source_type``/``display_name`` of their
    ``data_source``, metadata schemas from their metadata). An exported identifier is kept when
    it is free."""
    name = "/".join(triple)
    definition = parsed.definitions.get(triple)
    try:
        if definition is not None:
            source = DataSource.from_dict(definition)
        else:
            info = parsed.triples[triple]
            if "source_type" not in info:
                raise ValidationError(
                    "the records give no 'source_type' (the PyAuroraX upload shape has none); "
                    "give the record's data_source a source_type, or the file a 'data_sources' "
                    "entry for it"
                )
            source = DataSource(
                *triple,
                source_type=info["source_type"],
                display_name=info.get("display_name") or f"{triple[0]} {triple[1]}"[:50],
                identifier=info.get("identifier"),
                ephemeris_metadata_schema=_inferred_schema(
                    [r for r in parsed.ephemeris if r["data_source"] == triple]
                ),
                data_product_metadata_schema=_inferred_schema(
                    [r for r in parsed.products if r["data_source"] == triple]
                ),
            )
    except ValidationError as exc:
        raise _FileError(f"{parsed.path}: cannot create data source {name}: {exc}") from None
    identifier = source.identifier
    if identifier is None or identifier in taken or identifier < 1:
        identifier = max(taken, default=0) + 1
    taken.add(identifier)
    return dataclasses.replace(source, identifier=identifier)


def _plan_sources(repo: Repository, parsed: _Parsed, create: bool):
    """``(sources by triple, triples to create)``; unknown sources are an error unless
    ``create``."""
    stored = {tuple(getattr(s, k) for k in _TRIPLE): s for s in repo.list_data_sources()}
    missing = [t for t in parsed.triples if t not in stored]
    if missing and not create:
        names = "; ".join(
            f"program={p!r}, platform={q!r}, instrument_type={i!r}" for p, q, i in missing[:5]
        )
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        raise NotFoundError(
            f"{parsed.path}: unknown data source(s): {names}{more}; create them with "
            "--create-sources (create_sources=True), or add them first; data sources that "
            f"exist: {sorted('/'.join(t) for t in stored)[:20]}"
        )
    taken = {s.identifier for s in stored.values()}
    chosen = {t: stored[t] for t in parsed.triples if t in stored}
    for triple in missing:
        chosen[triple] = _new_source(parsed, triple, taken)
    return chosen, missing


def _relabel(path: Path, exc: AuroraXError, labels: dict[str, list[str]]) -> AuroraXError:
    """The store's error with its batch positions replaced by the file's record labels."""

    found = _STORE_RECORD.search(str(exc))
    kind = found.group(1) if found else None

    def label(match):
        index = int(match.group(2))
        names = labels.get(match.group(1) or kind, [])
        return names[index] if index < len(names) else match.group(0)

    text = _STORE_RECORD.sub(label, str(exc))
    if not text.startswith(str(path)):
        text = f"{path}: {text}"
    return type(exc)(text)


def _batches(parsed: _Parsed, sources: dict) -> tuple[list[dict], list[dict]]:
    def resolved(records):
        return [{**r, "data_source": sources[r["data_source"]].identifier} for r in records]

    return resolved(parsed.ephemeris), resolved(parsed.products)


def _dry_run(parsed: _Parsed, sources: dict, ephemeris: list, products: list) -> None:
    """Validate both batches with the repository's own ingest on a scratch in-memory copy of
    the data sources involved, so neither is written when either would be refused."""
    with Repository(":memory:") as scratch:
        for source in sorted(sources.values(), key=lambda s: s.identifier):
            scratch.add_data_source(source)
        if ephemeris:
            scratch.ingest_ephemeris(ephemeris)
        if products:
            scratch.ingest_data_products(products)


def _import_file(repo: Repository, path: Path, create: bool, counts: Counter, created: set):
    parsed = _parse(path)
    sources, missing = _plan_sources(repo, parsed, create)
    ephemeris, products = _batches(parsed, sources)
    labels = {"ephemeris": parsed.ephemeris_labels, "data product": parsed.product_labels}
    made: list[DataSource] = []
    try:
        if missing or (ephemeris and products):
            _dry_run(parsed, sources, ephemeris, products)
        for triple in missing:
            made.append(repo.add_data_source(sources[triple]))
        # Products first: after the dry run, only a URL held by another source (known to this
        # repository alone) can still refuse a batch, and then nothing of the file is stored.
        n_products = repo.ingest_data_products(products) if products else 0
        n_ephemeris = repo.ingest_ephemeris(ephemeris) if ephemeris else 0
    except AuroraXError as exc:
        for source in made:  # created by this file: remove them again while they are empty
            try:
                repo.delete_data_source(source.identifier)
            except ConflictError:
                pass  # records were stored before a write failed: keep the source they need
        raise _relabel(path, exc, labels) from None
    created.update(s.identifier for s in made)
    for record in ephemeris:
        counts[(record["data_source"], "ephemeris")] += 1
    for record in products:
        counts[(record["data_source"], "data_products")] += 1
    return n_ephemeris, n_products


def import_aurorax_json(
    repository, path, create_sources: bool = False, progress: bool = True
) -> AuroraXImportSummary:
    """Import ephemeris and data product records from AuroraX JSON export files.

    Parameters
    ----------
    repository : Repository or str or Path
        An open :class:`~aurorax.engine.Repository`, or the path of its DuckDB file.
    path : str or Path, or a list of them
        JSON files. Each holds one record, a list of records (ephemeris and data products
        may be mixed), an AuroraX API search result ``{"result": [...]}``, or an object
        ``{"data_sources": [...], "ephemeris": [...], "data_products": [...]}`` (any of the
        three lists; ``data_sources`` in AuroraX's ``full_record`` shape, used to create
        sources). A record names its source by ``data_source`` ``{program, platform,
        instrument_type, ...}`` as the API returns it, or by top-level ``program``,
        ``platform``, ``instrument_type`` as PyAuroraX's ``to_json_serializable`` writes it.
        Times are ISO 8601 strings, UTC unless they carry an offset.
    create_sources : bool
        Create the data sources the repository does not have: from the file's
        ``data_sources`` entry when there is one, else from the records (``source_type`` and
        ``display_name`` of their ``data_source``; metadata schemas typed from the values the
        records carry). An exported identifier is kept when it is free in this repository.
    progress : bool
        Show a tqdm progress bar over the files (stderr).

    Returns
    -------
    AuroraXImportSummary
        Records stored, per data source.

    Raises
    ------
    aurorax.engine.ValidationError
        A file that is not JSON, not one of the shapes above, or has a record the repository
        refuses (missing field, bad time, metadata key its source's schema does not declare,
        ...): the message names the file, the record (``record 3``, ``result[3]``,
        ``ephemeris[3]``) and the field. Nothing of that file is stored; the files before it
        in ``path`` stay imported.
    aurorax.engine.NotFoundError
        A record's data source is not in the repository and ``create_sources`` is false
        (naming its program, platform and instrument type).
    aurorax.engine.ConflictError
        A data product URL belongs to another data source of the repository.

    Examples
    --------
    >>> summary = import_aurorax_json("aurorax.duckdb", "swarma_20211202.json")  # doctest: +SKIP
    >>> summary.ephemeris_records                                                # doctest: +SKIP
    1440
    """
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    if not paths:
        raise ValidationError("import_aurorax_json needs at least one file")

    def run(repo: Repository) -> AuroraXImportSummary:
        counts: Counter = Counter()
        created: set[int] = set()
        totals = [0, 0]
        for file in tqdm(paths, desc="import", unit="file", disable=not progress):
            n_ephemeris, n_products = _import_file(repo, file, create_sources, counts, created)
            totals[0] += n_ephemeris
            totals[1] += n_products
        ids = sorted({i for i, _ in counts} | created)
        sources = []
        for identifier in ids:
            source = repo.get_data_source(identifier)
            sources.append(
                ImportedSource(
                    identifier=identifier,
                    name="/".join(getattr(source, k) for k in _TRIPLE),
                    created=identifier in created,
                    ephemeris=counts[(identifier, "ephemeris")],
                    data_products=counts[(identifier, "data_products")],
                )
            )
        return AuroraXImportSummary(
            files=tuple(str(p) for p in paths),
            ephemeris_records=totals[0],
            data_product_records=totals[1],
            sources=tuple(sources),
            elapsed_s=time.perf_counter() - t0,
        )

    if isinstance(repository, Repository):
        return run(repository)
    with Repository(repository) as repo:
        return run(repo)


def format_import_summary(summary: AuroraXImportSummary) -> str:
    """The summary as ``aurorax import-aurorax-json`` prints it: totals, then one line a data
    source."""
    lines = [
        f"{len(summary.files)} file(s): {summary.ephemeris_records} ephemeris record(s) and "
        f"{summary.data_product_records} data product record(s) stored; "
        f"{summary.elapsed_s:.1f} s."
    ]
    for source in summary.sources:
        created = " (created)" if source.created else ""
        lines.append(
            f"  {source.identifier:>4} {source.name}{created}: {source.ephemeris} ephemeris, "
            f"{source.data_products} data product(s)"
        )
    return "\n".join(lines)
