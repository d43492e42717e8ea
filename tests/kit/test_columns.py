"""kit.columns: times read back as the aware UTC instants written, and bound as SQLAlchemy binds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from openoffers.kit.columns import UtcDateTime
from openoffers.kit.db import Database


async def test_timestamps_read_back_as_the_aware_utc_instants_written(database_url: str) -> None:
    """SQLite keeps offset-free UTC text and reads it back by a fast path (kit.columns._sqlite_utc); both
    engines answer the very instant written, aware in UTC, with and without microseconds."""
    db = Database(database_url, pool_size=1)
    written = [
        datetime(2026, 3, 8, 9, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 8, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 5, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
    ]
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TEMPORARY TABLE stamps (n INTEGER, at TIMESTAMP WITH TIME ZONE)"))
            table = Table("stamps", MetaData(), Column("n", Integer), Column("at", UtcDateTime()))
            await conn.execute(insert(table), [{"n": n, "at": at} for n, at in enumerate(written)])
            read = [row.at for row in await conn.execute(select(table.c.at).order_by(table.c.n))]
    finally:
        await db.dispose()
    assert read == written
    assert all(at.tzinfo is UTC for at in read)
    assert read[2] == datetime(2026, 3, 8, 10, 0, 0, 1, tzinfo=UTC)


_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])


@given(st.datetimes(timezones=_ZONES))
def test_a_timestamp_binds_as_sqlalchemys_own_chain_binds_it(value: datetime) -> None:
    """`UtcDateTime.bind_processor` is one function where TypeDecorator's is `process_bind_param`, then
    the dialect's conversion: it answers exactly what that chain answers, on both dialects, for any
    aware time (any year, with or without microseconds), and refuses a naive one alike."""
    column = UtcDateTime()
    dialects: list[Dialect] = [sqlite.dialect(), postgresql.asyncpg.dialect()]  # type: ignore[no-untyped-call]
    for dialect in dialects:
        # What statements use: the processor of the type as adapted to the dialect.
        ours = column._cached_bind_processor(dialect)
        adapted: Any = column.dialect_impl(dialect)
        chain = TypeDecorator.bind_processor(adapted, dialect)
        assert ours is not None and chain is not None
        assert ours(value) == chain(value)
        assert ours(None) is None
        with pytest.raises(ValueError, match="naive datetime"):
            ours(value.replace(tzinfo=None))
    # The stored form is SQLAlchemy's, microseconds always written (SQLite compares the text).
    stored = column._cached_bind_processor(sqlite.dialect())
    assert stored is not None
    assert stored(datetime(5, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0005-01-02 03:04:05.000000"


def test_a_timestamp_bound_again_answers_its_own_text_not_the_last_ones() -> None:
    """The processor keeps its last answer for the same object (a request binds its one `now` many
    times): another time in between, or an equal time in another object, gets its own answer."""
    bind = UtcDateTime()._cached_bind_processor(sqlite.dialect())
    assert bind is not None
    first = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    second = datetime(2026, 12, 8, 3, 0, 0, 1, tzinfo=UTC)
    elsewhere = first.astimezone(timezone(timedelta(hours=-5)))  # the same instant, another object
    answers = [bind(first), bind(first), bind(second), bind(first), bind(elsewhere), bind(None), bind(second)]
    assert answers == [
        "2026-12-08 03:00:00.000000",
        "2026-12-08 03:00:00.000000",
        "2026-12-08 03:00:00.000001",
        "2026-12-08 03:00:00.000000",
        "2026-12-08 03:00:00.000000",
        None,
        "2026-12-08 03:00:00.000001",
    ]
    with pytest.raises(ValueError, match="naive datetime"):
        bind(first.replace(tzinfo=None))
    assert bind(first) == "2026-12-08 03:00:00.000000"
