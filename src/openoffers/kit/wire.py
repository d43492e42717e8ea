"""Lenient wire decoding and exact encoding.

Partners' POS systems send numbers and booleans as strings (`"quantity": "1"`, `"publish": "true"`),
money as `".77"`, and times as `2018-06-10 9:20:00.000`. Every request body is decoded here, straight
from bytes into msgspec Structs (so JSON numbers become exact `Decimal`s, never floats), with
`strict=False` coercions, a parser for the guide's loose time formats, and errors that name the field.
Unknown fields are ignored (msgspec's default), which keeps old and new clients compatible.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from openoffers.kit.errors import PayloadTooLarge, ValidationFailed

T = TypeVar("T")

MAX_BODY_BYTES = 1024 * 1024

# Paging of every listing. Bounded so that an absurd `skip` is a 400 naming the field, not an
# integer that the database driver cannot bind (SQLite and PostgreSQL stop at 64 bits).
Skip = Annotated[int, Meta(ge=0, le=1_000_000_000)]
Take = Annotated[int, Meta(ge=1, le=1000)]


class WireTime(datetime):
    """A datetime decoded from any of the guide's formats.

    Naive when the sender gave no offset: the caller decides what zone that means (offer dates are
    UTC, POS transaction times are the store's local time).
    """


_TIME = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


# Naive times are the sender's local time; a zone's offset from UTC is under a day (the widest ever in
# the tz database is about 16 hours), so these two convert to UTC from every zone.
NAIVE_EARLIEST = datetime.min + timedelta(days=1)
NAIVE_LATEST = datetime.max - timedelta(days=1)


def parse_time(text: str) -> WireTime:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"not a date or time: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    tz: timezone | None = None
    if offset:
        if offset in ("Z", "z"):
            tz = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    value = WireTime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micros, tz)
    if tz is None:
        if not NAIVE_EARLIEST <= value <= NAIVE_LATEST:
            # .NET's DateTime.MinValue and MaxValue ("0001-01-01T00:00:00", "9999-12-31T23:59:59.9999999")
            # are what .NET clients send for a time they have not set. In the store's zone they may lie
            # outside what UTC can hold, and the zone is not known here: clamp to the nearest time that
            # every zone can convert, which keeps "the beginning" and "the end of time" meaning just that.
            clamped = min(max(value, NAIVE_EARLIEST), NAIVE_LATEST)
            value = WireTime.combine(clamped.date(), clamped.time())
    else:
        try:
            # Year 9999 at -05:00 is after the last instant a datetime can hold in UTC.
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"out of range in UTC: {text!r}") from None
    return value


def _dec_hook(target: type, value: Any) -> Any:
    if target is WireTime:
        if isinstance(value, str):
            return parse_time(value)
        raise ValueError("expected a date or time string")
    raise NotImplementedError(f"no decoder for {target!r}")


_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


def _field_path(message: str) -> tuple[str, str]:
    """Split msgspec's 'Expected `int`, got `str` - at `$.items[0].quantity`' into path and problem."""
    match = _PATH.search(message)
    if match is None:
        return "body", message
    path = match.group("path") or "body"
    return path, message[: match.start()]


def decode(body: bytes, target: type[T]) -> T:
    """Decode a request body into `target`, raising VALIDATION (400) that names the bad field."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        value = msgspec.json.decode(body, type=target, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        path, problem = _field_path(str(exc))
        raise ValidationFailed.field(path, problem) from None
    except msgspec.DecodeError as exc:
        raise ValidationFailed(f"malformed JSON: {exc}", fields={"body": ["malformed JSON"]}) from None
    except RecursionError:
        # msgspec's C decoder counts against the interpreter's recursion limit (about 1,000 levels).
        raise _too_deep("body") from None
    _check(value, "")
    return value


# How deeply objects and arrays may nest in a request, the top-level object being level 1. The deepest
# document of the API (an offer's restriction lists, a POS envelope's check lines) nests 5 levels; the
# free-form fields (`profile_fields`, `properties`, an unknown extra field) get the rest. The limit is
# what keeps every later walk over a decoded value (this module's checks, JSON columns, encoding) far
# from Python's recursion limit.
MAX_DEPTH = 32


def _too_deep(path: str) -> ValidationFailed:
    return ValidationFailed.field(path or "body", f"nested deeper than {MAX_DEPTH} levels of objects and arrays")


# msgspec cannot bound a Decimal with `Meta`, and accepts "NaN", "Infinity" and "1e400" for one; an
# unannotated int may be as large as 2**64. Neither is a price, a quantity or a count a till can send,
# and both would fail deep inside (a 64-bit database column, Decimal's 28-digit context). PostgreSQL
# refuses the NUL character in any text or JSON value. So every decoded request is walked once here
# and such values are a VALIDATION error naming the field, on every engine alike.
MAX_DECIMAL = Decimal(10) ** 12
MAX_INT = 2**53


def _check(value: Any, path: str) -> None:
    """Walk a decoded value once without naming anything; only when it holds a value refused below is it
    walked again by `_check_values`, which names the field (a 20-line check has some 250 values, and
    building each one's path cost more than the checks)."""
    if not _fine(value, 1):
        _check_values(value, path, 1)


def _fine(value: Any, depth: int) -> bool:
    """Whether `_check_values` would accept `value` (the same rules, without paths). The exact types
    decoding gives (str, int, Decimal, structs, lists) are tested first, with loops rather than `all`
    over a generator: this walk was most of a POS body's decoding."""
    kind = type(value)
    if kind is str:
        return "\x00" not in value
    if kind is int:
        return bool(-MAX_INT <= value <= MAX_INT)
    if value is None or kind is bool:
        return True
    if kind is Decimal:
        return bool(value.is_finite() and value.copy_abs() <= MAX_DECIMAL)  # exact: abs() could overflow
    if kind is list or isinstance(value, msgspec.Struct):
        if depth > MAX_DEPTH:
            return False
        items = value if kind is list else [getattr(value, name) for name in value.__struct_fields__]
        for item in items:
            if not _fine(item, depth + 1):
                return False
        return True
    return _fine_other(value, depth)


def _fine_other(value: Any, depth: int) -> bool:
    """`_fine` for the rarer types, subclasses included."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_INT
    if isinstance(value, Decimal):
        return value.is_finite() and value.copy_abs() <= MAX_DECIMAL
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return depth <= MAX_DEPTH and all(_fine(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return depth <= MAX_DEPTH and all(
            _fine(key, depth + 1) and _fine(item, depth + 1) for key, item in value.items()
        )
    return True


def _check_values(value: Any, path: str, depth: int) -> None:
    """`depth` is the nesting level of `value` when it is a container (see MAX_DEPTH)."""
    if isinstance(value, (msgspec.Struct, list, tuple, dict)) and depth > MAX_DEPTH:
        raise _too_deep(path)
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed.field(path or "body", "must not contain the NUL character")
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationFailed.field(path or "body", "must be a finite number")
        # copy_abs is exact: abs() rounds in the context, which overflows on an exponent like 1e1000000.
        if value.copy_abs() > MAX_DECIMAL:
            raise ValidationFailed.field(path or "body", f"must be between -{MAX_DECIMAL} and {MAX_DECIMAL}")
    elif isinstance(value, float):
        if not math.isfinite(value):  # 1e400 where any JSON is allowed: no database stores it
            raise ValidationFailed.field(path or "body", "must be a finite number")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise ValidationFailed.field(path or "body", f"must be between -{MAX_INT} and {MAX_INT}")
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _check_values(getattr(value, name), f"{path}.{name}" if path else name, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_values(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_values(key, path, depth + 1)
            _check_values(item, f"{path}.{key}" if path else str(key), depth + 1)


def convert(value: Any, target: type[T], *, path: str = "") -> T:
    """Convert already-decoded builtins (for example a stored JSON column) into `target`."""
    try:
        result = msgspec.convert(value, type=target, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        field, problem = _field_path(str(exc))
        raise ValidationFailed.field(f"{path}.{field}" if path else field, problem) from None
    except RecursionError:
        raise _too_deep(path) from None
    _check(result, path)
    return result


def _enc_hook(value: Any) -> Any:
    # msgspec encodes `datetime` itself but not subclasses such as WireTime: hand it a plain one.
    if isinstance(value, datetime) and type(value) is not datetime:
        return datetime.combine(value.date(), value.timetz())
    raise NotImplementedError(f"cannot encode {type(value)!r}")


_encoder = msgspec.json.Encoder(decimal_format="number", enc_hook=_enc_hook)


def encode(value: Any) -> bytes:
    """JSON bytes: Decimals as numbers, datetimes as RFC 3339 (UTC ends in Z), UUIDs lower-case."""
    return _encoder.encode(value)


def to_builtins(value: Any, *, keep_decimals: bool = False) -> Any:
    """A Struct to plain JSON-compatible values (for JSON columns, where Decimals become strings).

    `keep_decimals` leaves Decimals as they are, for a response that `encode` writes as JSON numbers.
    """
    return msgspec.to_builtins(value, builtin_types=(Decimal,) if keep_decimals else (), enc_hook=_enc_hook)
