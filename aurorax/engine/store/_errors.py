"""Exceptions raised by the data repository.

Every error message names what is wrong (record index, field, file, allowed values), because
the people reading them are scientists loading their own data, not the authors of this code.
"""

from __future__ import annotations

__all__ = [
    "AuroraXError",
    "ValidationError",
    "NotFoundError",
    "DuplicateError",
    "ConflictError",
    "StoreError",
]


class AuroraXError(Exception):
    """Base class of every error the aurorax engine raises on purpose."""


class ValidationError(AuroraXError, ValueError):
    """A record or data source does not satisfy its schema; nothing was stored."""


class NotFoundError(AuroraXError, LookupError):
    """A data source (or other named thing) does not exist in the repository."""


class DuplicateError(AuroraXError):
    """A data source with the same identifier or (program, platform, instrument_type) exists."""


class ConflictError(ValidationError):
    """The change conflicts with what is stored (a data source deleted while it still has
    records, records of one source deleted through another); nothing was changed."""


class StoreError(AuroraXError):
    """The DuckDB file cannot be used: missing, corrupt, locked, or a failed write."""
