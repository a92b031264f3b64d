"""Handlers of data sources and record uploads (``/api/v1/data_sources...``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from aurorax.engine import (
    DataSource,
    NotFoundError,
    ValidationError,
    data_product_records_to_frame,
    ephemeris_records_to_frame,
)

from ._base import ApiHandler
from ._convert import SOURCE_FORMATS, source_json
from ._errors import PayloadTooLargeError, PermissionDeniedError

__all__ = [
    "DataSourcesHandler",
    "DataSourceHandler",
    "DataSourceSearchHandler",
    "EphemerisUploadHandler",
    "DataProductUploadHandler",
    "match_sources",
]


def match_sources(
    sources: Sequence[DataSource],
    programs: Sequence[str] = (),
    platforms: Sequence[str] = (),
    instrument_types: Sequence[str] = (),
    source_type: str | None = None,
    owner: str | None = None,
) -> list[DataSource]:
    """Sources matching the filters: OR within a list, AND across, case-insensitive (as the
    engine's searches match them); empty = any."""
    wanted = {
        "program": {v.lower() for v in programs},
        "platform": {v.lower() for v in platforms},
        "instrument_type": {v.lower() for v in instrument_types},
    }
    out = []
    for s in sources:
        if any(vals and getattr(s, k).lower() not in vals for k, vals in wanted.items()):
            continue
        if source_type is not None and s.source_type != source_type:
            continue
        if owner is not None and s.owner.lower() != owner.lower():
            continue
        out.append(s)
    return out


def _stats(repo) -> dict[int, dict]:
    counts = repo.counts()
    out = {}
    for row in counts.itertuples(index=False):
        out[int(row.identifier)] = {
            "ephemeris_count": int(row.ephemeris_count),
            "data_product_count": int(row.data_product_count),
            "earliest_ephemeris_loaded": None
            if pd.isna(row.first_epoch)
            else row.first_epoch.strftime("%Y-%m-%dT%H:%M:%S"),
            "latest_ephemeris_loaded": None
            if pd.isna(row.last_epoch)
            else row.last_epoch.strftime("%Y-%m-%dT%H:%M:%S"),
        }
    return out


class _SourceFormat(ApiHandler):
    def record_format(self) -> str:
        fmt = self.get_query_argument("format", "basic_info")
        if fmt not in SOURCE_FORMATS:
            raise ValidationError(
                f"format: {fmt!r} is not allowed; allowed: {', '.join(SOURCE_FORMATS)}"
            )
        return fmt

    def listed(self, sources, fmt: str, include_stats: bool):
        repo = self.context.repository
        stats = _stats(repo) if include_stats else {}
        return [
            source_json(s, fmt, stats.get(s.identifier) if include_stats else None) for s in sources
        ]


class DataSourcesHandler(_SourceFormat):
    """``GET /data_sources`` (anonymous list with filters) and ``POST /data_sources`` (key)."""

    write_methods = frozenset({"POST"})

    async def get(self) -> None:
        fmt = self.record_format()
        include_stats = self.bool_argument("include_stats")
        filters = {
            k: self.get_query_argument(k, None)
            for k in ("program", "platform", "instrument_type", "source_type", "owner")
        }

        def work():
            sources = self.context.repository.list_data_sources(
                program=filters["program"],
                platform=filters["platform"],
                instrument_type=filters["instrument_type"],
                source_type=filters["source_type"],
            )
            if filters["owner"] is not None:
                sources = [s for s in sources if s.owner.lower() == filters["owner"].lower()]
            return self.listed(sources, fmt, include_stats)

        self.send_json(await self.run(work))

    async def post(self) -> None:
        key = self.api_key()
        body = self.json_object()
        body.setdefault("owner", key.owner)
        if not key.admin:
            _check_owner(key, body["owner"])
        source = DataSource.from_dict(body)
        stored = await self.run_write(self.context.repository.add_data_source, source)
        self.set_header("Location", f"{self.request.path.rstrip('/')}/{stored.identifier}")
        self.send_json(stored.to_dict(), status=201)


def _check_owner(key, owner) -> None:
    # A new source belongs to the key's owner (an admin key may name anyone).
    if not isinstance(owner, str) or owner.strip().lower() != key.owner.lower():
        raise PermissionDeniedError(
            f"the API key of {key.owner} may only write data sources owned by {key.owner}, "
            f"not by {owner!r}"
        )


def _check_owner_change(key, source: DataSource, owner) -> None:
    """A change of ``source``'s owner needs its current owner's unscoped key or an admin key."""
    if isinstance(owner, str) and owner.strip().lower() == source.owner.strip().lower():
        return
    if not key.may_change_owner(source):
        scope = f"limited to data sources {list(key.sources)}" if key.sources else "of"
        raise PermissionDeniedError(
            f"owner: data source {source.identifier} ({source.display_name}) belongs to "
            f"{source.owner}; only that owner's key without a --source scope, or an admin "
            f"key, may give it to {owner!r} (this key is {scope} {key.owner})"
        )


class DataSourceHandler(_SourceFormat):
    """``GET``, ``PUT`` (replace), ``PATCH`` (change fields) and ``DELETE`` (a source with no
    records left) of ``/data_sources/{identifier}``; the writes need a key that may write it."""

    async def get(self, identifier: str) -> None:
        ident = self.identifier(identifier)
        fmt = self.record_format()
        include_stats = self.bool_argument("include_stats")

        def work():
            source = self.context.repository.get_data_source(ident)
            return self.listed([source], fmt, include_stats)[0]

        self.send_json(await self.run(work))

    async def put(self, identifier: str) -> None:
        await self._update(identifier, replace=True)

    async def patch(self, identifier: str) -> None:
        await self._update(identifier, replace=False)

    async def _update(self, identifier: str, replace: bool) -> None:
        key = self.api_key()
        body = self.json_object()
        ident = self.identifier(identifier)
        repo = self.context.repository

        def work():
            source = repo.get_data_source(ident)
            self.check_may_write(key, source)
            # A PUT without an owner keeps the source's; any other owner needs the right key.
            changes = {"owner": source.owner} | body if replace else body
            if "owner" in changes:
                _check_owner_change(key, source, changes["owner"])
            return repo.update_data_source(source, changes, replace=replace)

        self.send_json((await self.run_write(work)).to_dict())

    async def delete(self, identifier: str) -> None:
        key = self.api_key()
        ident = self.identifier(identifier)
        repo = self.context.repository

        def work():
            source = repo.get_data_source(ident)
            self.check_may_write(key, source)
            repo.delete_data_source(source)

        await self.run_write(work)
        self.set_status(204)
        self.finish()


class DataSourceSearchHandler(_SourceFormat):
    """``POST /data_sources/search`` with ``{programs, platforms, instrument_types}``."""

    async def post(self) -> None:
        body = self.json_object()
        fmt = self.record_format()
        include_stats = self.bool_argument("include_stats")
        allowed = ("programs", "platforms", "instrument_types", "source_type", "owner")
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise ValidationError(f"query: unknown field(s) {unknown}; allowed: {list(allowed)}")
        lists = {}
        for name in allowed[:3]:
            value = body.get(name) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError(f"{name}: expected a list of strings, got {value!r}")
            lists[name] = value
        for name in allowed[3:]:
            if body.get(name) is not None and not isinstance(body[name], str):
                raise ValidationError(f"{name}: expected a string, got {body[name]!r}")

        def work():
            found = match_sources(
                self.context.repository.list_data_sources(),
                **lists,
                source_type=body.get("source_type"),
                owner=body.get("owner"),
            )
            return self.listed(found, fmt, include_stats)

        self.send_json(await self.run(work))


def _allowed(body: dict, fields: tuple[str, ...]) -> None:
    allowed = ("program", "platform", "instrument_type", *fields)
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationError(f"request body: unknown field(s) {unknown}; allowed: {list(allowed)}")


class _Upload(ApiHandler):
    kind = ""
    write_methods = frozenset({"POST", "DELETE"})

    def to_frame(self, records, sources):
        raise NotImplementedError

    def ingest(self, frame) -> int:
        raise NotImplementedError

    async def post(self, identifier: str) -> None:
        key = self.api_key()
        records = self.json_body()
        ident = self.identifier(identifier)
        if not isinstance(records, list):
            raise ValidationError(
                f"request body: expected a JSON list of {self.kind} records, got "
                f"{type(records).__name__}"
            )
        limit = self.context.config.max_records
        if len(records) > limit:
            raise PayloadTooLargeError(
                f"{len(records)} {self.kind} records in one upload; the server takes at most "
                f"{limit} (split the upload)"
            )
        bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
        if bad is not None:
            raise ValidationError(f"{self.kind} record {bad}: expected a JSON object")
        repo = self.context.repository

        def work() -> int:
            sources = repo.list_data_sources()
            source = next((s for s in sources if s.identifier == ident), None)
            if source is None:
                raise NotFoundError(f"no data source with identifier {ident}")
            self.check_may_write(key, source)
            # The URL names the source; records may omit it, and may not name another one.
            frame = self.to_frame([{"data_source": ident} | r for r in records], sources)
            wrong = frame.index[frame["data_source"] != ident]
            if len(wrong):
                raise ValidationError(
                    f"{self.kind} record {int(wrong[0])}: data_source "
                    f"{frame['data_source'].iloc[int(wrong[0])]} is not data source {ident} "
                    "of this URL"
                )
            return self.ingest(frame)

        stored = await self.run_write(work)
        self.send_json({"data_source": ident, "result_count": stored})

    def delete_records(self, source, body: dict) -> int:
        raise NotImplementedError

    async def delete(self, identifier: str) -> None:
        key = self.api_key()
        body = self.json_object()
        ident = self.identifier(identifier)
        repo = self.context.repository

        def work() -> int:
            source = repo.get_data_source(ident)
            self.check_may_write(key, source)
            # AuroraX names the source in the body too; here the URL does, and a body that
            # names one must name the same.
            for name in ("program", "platform", "instrument_type"):
                if name in body and body[name] != getattr(source, name):
                    raise ValidationError(
                        f"{name}: {body[name]!r} is not the {name} of data source {ident} "
                        f"({getattr(source, name)!r})"
                    )
            return self.delete_records(source, body)

        deleted = await self.run_write(work)
        self.send_json({"data_source": ident, "result_count": deleted})


class EphemerisUploadHandler(_Upload):
    """``POST /data_sources/{identifier}/ephemeris``: validated, stored as one transaction;
    ``DELETE`` with ``{start, end}``: the source's records with ``start <= epoch < end``."""

    kind = "ephemeris"

    def to_frame(self, records, sources):
        return ephemeris_records_to_frame(records, sources)

    def ingest(self, frame) -> int:
        return self.context.repository.ingest_ephemeris(frame)

    def delete_records(self, source, body: dict) -> int:
        _allowed(body, ("start", "end"))
        missing = [n for n in ("start", "end") if body.get(n) is None]
        if missing:
            raise ValidationError(
                f"{missing[0]}: required (UTC, records with start <= epoch < end)"
            )
        return self.context.repository.delete_ephemeris(source, body["start"], body["end"])


class DataProductUploadHandler(_Upload):
    """``POST /data_sources/{identifier}/data_products``: validated, stored as one transaction;
    ``DELETE`` with ``{urls}``: those of the source's products (a URL of another source: 409)."""

    kind = "data product"

    def to_frame(self, records, sources):
        return data_product_records_to_frame(records, sources)

    def ingest(self, frame) -> int:
        return self.context.repository.ingest_data_products(frame)

    def delete_records(self, source, body: dict) -> int:
        _allowed(body, ("urls",))
        urls = body.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise ValidationError(f"urls: expected a non-empty list of strings, got {urls!r}")
        limit = self.context.config.max_records
        if len(urls) > limit:
            raise PayloadTooLargeError(
                f"{len(urls)} urls in one delete; the server takes at most {limit}"
            )
        return self.context.repository.delete_data_products(urls, data_source=source)
