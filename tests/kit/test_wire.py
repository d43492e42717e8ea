"""kit.wire: the guide's loose times, lenient decoding with named fields, exact encoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openoffers.kit import wire
from openoffers.kit.errors import PayloadTooLarge, ValidationFailed
from openoffers.kit.wire import MAX_BODY_BYTES, WireTime, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The guide's own formats.
        ("2018-03-01 00:00:00.0", datetime(2018, 3, 1)),
        ("2019-03-31 23:59:00.0", datetime(2019, 3, 31, 23, 59)),
        ("2018-06-10 9:20:00.000", datetime(2018, 6, 10, 9, 20)),
        ("2018-09-04T19:47:28.3475814Z", datetime(2018, 9, 4, 19, 47, 28, 347581, tzinfo=UTC)),
        ("2019-09-04T21:55:54.7723464Z", datetime(2019, 9, 4, 21, 55, 54, 772346, tzinfo=UTC)),
        ("2018-03-01T00:00:00Z", datetime(2018, 3, 1, tzinfo=UTC)),
        # ISO 8601 variants.
        ("2018-03-01T00:00:00z", datetime(2018, 3, 1, tzinfo=UTC)),
        ("2018-03-01T10:00:00+05:30", datetime(2018, 3, 1, 10, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("2018-03-01T10:00:00-0800", datetime(2018, 3, 1, 10, tzinfo=timezone(timedelta(hours=-8)))),
        ("2018-03-01T10:00:00+02", datetime(2018, 3, 1, 10, tzinfo=timezone(timedelta(hours=2)))),
        ("2018-03-01T10:00:00.5", datetime(2018, 3, 1, 10, 0, 0, 500000)),
        ("2018-03-01T10:00:00,25", datetime(2018, 3, 1, 10, 0, 0, 250000)),
        ("2018-03-01 10:00", datetime(2018, 3, 1, 10)),
        ("2018-03-01", datetime(2018, 3, 1)),
        ("2018-3-1 9:05", datetime(2018, 3, 1, 9, 5)),
        ("  2018-03-01T00:00:00Z  ", datetime(2018, 3, 1, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_the_guide_and_iso_formats(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert isinstance(parsed, WireTime)
    assert parsed == expected
    assert parsed.tzinfo == expected.tzinfo
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2018/03/01",
        "03-01-2018",
        "2018-13-01",
        "2018-02-30",
        "2018-03-01T24:00:00",
        "2018-03-01T10:61:00",
        "2018-03-01T10:00:00+25:00",
        "2018-03-01T10:00:00 PST",
        # An offset that puts the instant outside what a datetime can hold in UTC.
        "9999-12-31T23:00:00-05:00",
        "0001-01-01T00:00:00+05:00",
    ],
)
def test_parse_time_refuses_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


class Line(msgspec.Struct, kw_only=True):
    line_id: str
    quantity: Decimal
    unit_price: Decimal


class Body(msgspec.Struct, kw_only=True):
    retailer_id: UUID
    publish: bool = False
    count: int = 0
    when: WireTime | None = None
    items: list[Line] = []
    extra: dict[str, Any] = {}


def test_decode_is_lenient_the_way_the_guide_needs() -> None:
    body = (
        b'{"retailer_id": "2D5B5A08-BECD-4837-A69A-2AB967C7773A", "publish": "true", "count": "3", '
        b'"when": "2018-06-10 9:20:00.000", "unknown_field": {"ignored": [1, 2]}, '
        b'"items": [{"line_id": "0", "quantity": "1", "unit_price": ".77"}, '
        b'{"line_id": "1", "quantity": 2, "unit_price": 2703.10}]}'
    )
    decoded = wire.decode(body, Body)
    assert decoded.retailer_id == UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
    assert decoded.publish is True
    assert decoded.count == 3
    assert decoded.when == datetime(2018, 6, 10, 9, 20)
    assert decoded.when.tzinfo is None  # the caller decides which zone a naive time is in
    assert [(i.quantity, i.unit_price) for i in decoded.items] == [
        (Decimal("1"), Decimal("0.77")),
        (Decimal("2"), Decimal("2703.10")),
    ]
    # JSON numbers arrive as exact Decimals, never floats.
    assert isinstance(decoded.items[1].unit_price, Decimal)
    assert str(decoded.items[1].unit_price) == "2703.10"


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        (b'{"retailer_id": "2D5B5A08-BECD-4837-A69A-2AB967C17773A"}', "retailer_id", "Invalid UUID"),
        (b'{"publish": true}', "body", "Object missing required field `retailer_id`"),
        (
            b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "count": "three"}',
            "count",
            "Expected `int`, got `str`",
        ),
        (
            b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "when": "soon"}',
            "when",
            "not a date or time: 'soon'",
        ),
        (
            b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "when": 5}',
            "when",
            "expected a date or time string",
        ),
        (
            b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "items": [{"line_id": "0", "quantity": "x", '
            b'"unit_price": "1"}]}',
            "items[0].quantity",
            "Invalid decimal string",
        ),
        (b"[1, 2]", "body", "Expected `object`, got `array`"),
        (b'"text"', "body", "Expected `object`, got `str`"),
    ],
)
def test_decode_errors_name_the_field(body: bytes, field: str, problem: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        wire.decode(body, Body)
    error = caught.value
    assert error.code == "VALIDATION"
    assert error.status == 400
    assert error.fields == {field: [problem]}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"retailer_id": }',
        b"\xff\xfe",
        b"nul",
        b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a"} trailing',
    ],
)
def test_malformed_json_is_a_validation_error_on_body(body: bytes) -> None:
    with pytest.raises(ValidationFailed) as caught:
        wire.decode(body, Body)
    assert caught.value.fields == {"body": ["malformed JSON"]}
    assert caught.value.message.startswith("malformed JSON: ")


def test_decode_refuses_bodies_over_one_mebibyte() -> None:
    assert MAX_BODY_BYTES == 1024 * 1024
    padding = b" " * (MAX_BODY_BYTES - 60)
    fits = b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a"}' + padding
    assert len(fits) <= MAX_BODY_BYTES
    assert wire.decode(fits, Body).retailer_id == UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
    with pytest.raises(PayloadTooLarge) as caught:
        wire.decode(fits + b" " * (MAX_BODY_BYTES - len(fits) + 1), Body)
    assert (caught.value.code, caught.value.status) == ("PAYLOAD_TOO_LARGE", 413)


RID = '"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a"'


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        (
            '"items": [{"line_id": "0", "quantity": 1, "unit_price": "NaN"}]',
            "items[0].unit_price",
            "must be a finite number",
        ),
        (
            '"items": [{"line_id": "0", "quantity": "-Infinity", "unit_price": 1}]',
            "items[0].quantity",
            "must be a finite number",
        ),
        (
            '"items": [{"line_id": "0", "quantity": 1, "unit_price": "1e400"}]',
            "items[0].unit_price",
            "must be between -1000000000000 and 1000000000000",
        ),
        (
            # Beyond Decimal's own exponent range: refused, not an Overflow (found by Schemathesis).
            '"items": [{"line_id": "0", "quantity": 1, "unit_price": "-9e1000000"}]',
            "items[0].unit_price",
            "must be between -1000000000000 and 1000000000000",
        ),
        (
            '"items": [{"line_id": "0", "quantity": 1, "unit_price": -1000000000000.01}]',
            "items[0].unit_price",
            "must be between -1000000000000 and 1000000000000",
        ),
        ('"count": 9007199254740993', "count", "must be between -9007199254740992 and 9007199254740992"),
        ('"count": 18446744073709551615', "count", "must be between -9007199254740992 and 9007199254740992"),
        (
            '"extra": {"deep": [{"n": -99999999999999999999}]}',
            "extra.deep[0].n",
            "must be between -9007199254740992 and 9007199254740992",
        ),
        (
            '"items": [{"line_id": "a\\u0000b", "quantity": 1, "unit_price": 1}]',
            "items[0].line_id",
            "must not contain the NUL character",
        ),
        ('"extra": {"k\\u0000": 1}', "extra", "must not contain the NUL character"),
    ],
)
def test_decode_refuses_numbers_and_text_no_database_can_hold(fields: str, field: str, problem: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        wire.decode(f"{{{RID}, {fields}}}".encode(), Body)
    assert caught.value.fields == {field: [problem]}


def test_decode_keeps_the_largest_values_that_are_allowed() -> None:
    body = f"""{{{RID}, "count": -9007199254740992, "extra": {{"big": 9007199254740992, "f": 1.5e300}},
        "items": [{{"line_id": "0", "quantity": "1000000000000", "unit_price": "-1000000000000.00"}}]}}"""
    decoded = wire.decode(body.encode(), Body)
    assert decoded.count == -(2**53)
    assert decoded.extra == {"big": 2**53, "f": 1.5e300}
    assert (decoded.items[0].quantity, decoded.items[0].unit_price) == (Decimal("1E+12"), Decimal("-1000000000000.00"))


def nested(levels: int) -> str:
    """`levels` arrays inside one another, as JSON text."""
    return "[" * levels + "]" * levels


def test_decode_allows_the_documented_depth_and_refuses_one_more() -> None:
    # The body is level 1 and `extra` level 2, so it may hold MAX_DEPTH - 2 levels of arrays.
    allowed = wire.MAX_DEPTH - 2
    assert wire.MAX_DEPTH == 32
    decoded = wire.decode(f'{{{RID}, "extra": {{"a": {nested(allowed)}}}}}'.encode(), Body)
    value: Any = decoded.extra["a"]
    for _ in range(allowed - 1):
        [value] = value
    assert value == []
    with pytest.raises(ValidationFailed) as caught:
        wire.decode(f'{{{RID}, "extra": {{"a": {nested(allowed + 1)}}}}}'.encode(), Body)
    assert caught.value.fields == {"extra.a" + "[0]" * allowed: ["nested deeper than 32 levels of objects and arrays"]}


@pytest.mark.parametrize("levels", [1000, 100_000])
def test_nesting_beyond_the_interpreters_limit_is_a_validation_error(levels: int) -> None:
    # msgspec gives up at Python's recursion limit; both that and an unknown field are refused alike.
    for body in (f'{{{RID}, "extra": {{"a": {nested(levels)}}}}}', f'{{{RID}, "unknown": {nested(levels)}}}'):
        with pytest.raises(ValidationFailed) as caught:
            wire.decode(body.encode(), Body)
        assert caught.value.code == "VALIDATION"
        [problem] = [message for messages in caught.value.fields.values() for message in messages]
        assert problem == "nested deeper than 32 levels of objects and arrays"


def test_convert_applies_the_same_depth() -> None:
    deep: list[Any] = []
    for _ in range(wire.MAX_DEPTH):
        deep = [deep]
    with pytest.raises(ValidationFailed) as caught:
        wire.convert({"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "extra": {"a": deep}}, Body, path="x")
    assert caught.value.fields == {"x.extra.a" + "[0]" * 30: ["nested deeper than 32 levels of objects and arrays"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # .NET's DateTime.MinValue and MaxValue, bare: clamped a day inside the range, so that the store's
        # zone, whatever it is, can still turn them into UTC.
        ("0001-01-01T00:00:00", datetime(1, 1, 2)),
        ("0001-01-01", datetime(1, 1, 2)),
        ("0001-01-01T23:59:59.9999999", datetime(1, 1, 2)),
        ("9999-12-31T23:59:59.9999999", datetime(9999, 12, 30, 23, 59, 59, 999999)),
        ("9999-12-31", datetime(9999, 12, 30, 23, 59, 59, 999999)),
        # Just inside: unchanged.
        ("0001-01-02T00:00:00", datetime(1, 1, 2)),
        ("9999-12-30T12:00:00", datetime(9999, 12, 30, 12)),
        # With an offset they are an instant: kept when UTC can hold it (refused otherwise, above).
        ("9999-12-31T23:59:59.9999999Z", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("0001-01-01T00:00:00-12:00", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-12)))),
    ],
)
def test_bare_times_at_the_ends_of_the_range_are_clamped(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert isinstance(parsed, WireTime)
    assert (parsed, parsed.tzinfo) == (expected, expected.tzinfo)
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "Asia/Manila"):  # +14, -12, and -15:56 before 1845
        if parsed.tzinfo is None:
            parsed.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_convert_applies_the_same_bounds() -> None:
    with pytest.raises(ValidationFailed) as caught:
        wire.convert({"line_id": "0", "quantity": "NaN", "unit_price": "1"}, Line, path="items[2]")
    assert caught.value.fields == {"items[2].quantity": ["must be a finite number"]}
    # A float reaches a JSON column only through convert (decode already refuses 1e400 as out of range).
    with pytest.raises(ValidationFailed) as caught:
        wire.convert({"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "extra": {"n": float("inf")}}, Body)
    assert caught.value.fields == {"extra.n": ["must be a finite number"]}


def test_convert_prefixes_the_path() -> None:
    stored = {"line_id": "0", "quantity": "1", "unit_price": "nope"}
    assert wire.convert({"line_id": "0", "quantity": "2", "unit_price": "1.50"}, Line) == Line(
        line_id="0", quantity=Decimal(2), unit_price=Decimal("1.50")
    )
    with pytest.raises(ValidationFailed) as caught:
        wire.convert(stored, Line, path="items[3]")
    assert caught.value.fields == {"items[3].unit_price": ["Invalid decimal string"]}


def test_encode_writes_numbers_utc_z_and_lower_case_ids() -> None:
    encoded = wire.encode(
        {
            "amount": Decimal("11.50"),
            "whole": Decimal("12"),
            "at": datetime(2018, 3, 1, tzinfo=UTC),
            "id": UUID("2D5B5A08-BECD-4837-A69A-2AB967C7773A"),
            "none": None,
        }
    )
    assert encoded == (
        b'{"amount":11.50,"whole":12,"at":"2018-03-01T00:00:00Z",'
        b'"id":"2d5b5a08-becd-4837-a69a-2ab967c7773a","none":null}'
    )


def test_encode_refuses_unknown_types() -> None:
    with pytest.raises(NotImplementedError, match="cannot encode"):
        wire.encode({"x": object()})


def test_decoded_times_encode_and_convert_like_datetimes() -> None:
    decoded = wire.decode(b'{"retailer_id": "2d5b5a08-becd-4837-a69a-2ab967c7773a", "when": "2018-03-01T10:00Z"}', Body)
    assert isinstance(decoded.when, WireTime)
    assert wire.encode({"when": decoded.when}) == b'{"when":"2018-03-01T10:00:00Z"}'
    naive = parse_time("2018-06-10 9:20:00.000")
    assert wire.to_builtins({"when": naive, "offset": parse_time("2018-06-10T09:20:00+02:00")}) == {
        "when": "2018-06-10T09:20:00",
        "offset": "2018-06-10T09:20:00+02:00",
    }


def test_to_builtins_keeps_decimals_only_when_asked() -> None:
    line = Line(line_id="0", quantity=Decimal("1"), unit_price=Decimal("2703.10"))
    assert wire.to_builtins(line) == {"line_id": "0", "quantity": "1", "unit_price": "2703.10"}
    kept = wire.to_builtins(line, keep_decimals=True)
    assert kept == {"line_id": "0", "quantity": Decimal("1"), "unit_price": Decimal("2703.10")}
    assert wire.encode(kept) == b'{"line_id":"0","quantity":1,"unit_price":2703.10}'


class _Pair(msgspec.Struct):
    left: Any
    right: Any


class _Text(str):
    pass


_EDGE_INTS = [wire.MAX_INT, wire.MAX_INT + 1, -wire.MAX_INT, -wire.MAX_INT - 1]
_EDGE_DECIMALS = [wire.MAX_DECIMAL, wire.MAX_DECIMAL + 1, -wire.MAX_DECIMAL - 1, Decimal("NaN"), Decimal("-Infinity")]
_SCALARS = st.one_of(
    st.text(alphabet=st.sampled_from("ab\x00")),
    st.text(alphabet=st.sampled_from("ab\x00")).map(_Text),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from(_EDGE_INTS),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(_EDGE_DECIMALS),
    st.floats(),
    st.booleans(),
    st.none(),
)


def _nested(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(alphabet=st.sampled_from("k\x00"), max_size=2), children, max_size=3),
        st.builds(_Pair, children, children),
    )


def _deep(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value]
    return value


@settings(max_examples=400)
@given(st.recursive(_SCALARS, _nested, max_leaves=12), st.sampled_from([0, wire.MAX_DEPTH - 3, wire.MAX_DEPTH]))
def test_the_quick_walk_accepts_exactly_what_the_naming_walk_accepts(value: Any, levels: int) -> None:
    """`_fine` (one walk, no paths) and `_check_values` (which names the refused field) apply the same
    rules to any value, nesting depth included: a body `_fine` passes must have nothing to refuse."""
    value = _deep(value, levels)
    try:
        wire._check_values(value, "", 1)
        accepted = True
    except ValidationFailed:
        accepted = False
    assert wire._fine(value, 1) is accepted
