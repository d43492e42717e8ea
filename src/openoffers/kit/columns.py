"""Column types that store aware UTC times, serial keys and JSON alike on SQLite and PostgreSQL.

The tables (`openoffers.tables`), the migrations and statements that bind a time use these, so that
one schema and one code path serve both engines: `UtcDateTime` takes and answers aware UTC datetimes
(SQLite has no time zone type; it keeps offset-free UTC text, which sorts in time order), `Serial` is
a key the database assigns on both, and `JsonColumn` is JSONB on PostgreSQL and JSON text on SQLite.
The engine, which encodes JSON values with msgspec, and the unit of work are in `kit.db`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass aware UTC")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _same_as_last(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert` with its last answer kept for the same object. The pair is swapped whole, so a thread
    that reads it meanwhile sees an old pair or the new one, never half of each."""
    last: list[tuple[Any, Any]] = [(object(), None)]

    def same(value: Any) -> Any:
        seen, answer = last[0]
        if value is not seen:
            answer = convert(value)
            last[0] = (value, answer)
        return answer

    return same


# One for every timestamp column and parameter: a request binds the one `now` it was given to many
# of them (a closing check, some twenty times), and a datetime never changes.
_BIND_SQLITE = _same_as_last(_sqlite_text)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both engines (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass aware UTC")
        value = value.astimezone(UTC)
        # SQLite compares stored text: keep one canonical, offset-free form so ordering holds.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """`process_bind_param` and the driver's conversion as one function, as `result_processor` is:
        TypeDecorator's own chains two calls per value through a third, and a closing check binds some
        thirty timestamps, most of them the request's one `now` (`_BIND_SQLITE`). On SQLite the text is
        SQLAlchemy's DATETIME storage form (`YYYY-MM-DD HH:MM:SS.ffffff`, always with microseconds),
        which `isoformat` writes alike."""
        if dialect.name != "sqlite":
            convert = self.impl_instance.bind_processor(dialect)

            def process(value: datetime | None) -> Any:
                value = self.process_bind_param(value, dialect)
                return value if convert is None or value is None else convert(value)

            return process

        return _BIND_SQLITE

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _aware_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        """The driver's parse and `process_result_value` as one function: TypeDecorator's own chains two
        calls per value, and a POS wallet read decodes some two hundred timestamps."""
        parse = self.impl_instance.result_processor(dialect, coltype)
        if dialect.name == "sqlite":
            return _sqlite_utc(parse)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if parse is not None:
                value = parse(value)
            return _aware_utc(value)

        return process


# The two forms `process_bind_param` leaves in SQLite (offset-free UTC), with and without microseconds.
_SQLITE_UTC_LENGTHS = frozenset({len("2026-01-01 00:00:00"), len("2026-01-01 00:00:00.000000")})


def _sqlite_utc(parse: Callable[[Any], Any] | None) -> Callable[[Any], datetime | None]:
    """SQLite's stored text read straight into an aware UTC datetime: the text with "+00:00" appended,
    parsed by `fromisoformat`, is already in UTC (a seventh of the cost of parsing, then `replace`); any
    other form goes the general way."""

    def process(value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str) and len(value) in _SQLITE_UTC_LENGTHS:
            return datetime.fromisoformat(value + "+00:00")
        return _aware_utc(parse(value) if parse is not None else value)

    return process


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# An autoincrement key on both engines: SQLite only auto-assigns an INTEGER PRIMARY KEY (the rowid).
Serial = BigInteger().with_variant(Integer(), "sqlite")

# JSON that is JSONB on PostgreSQL (indexable, compact) and JSON text elsewhere.
JsonColumn = JSON().with_variant(postgresql.JSONB(), "postgresql")
