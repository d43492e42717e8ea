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
    if tz is not None:
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
    _check_values(value, "")
    return value


# msgspec cannot bound a Decimal with `Meta`, and accepts "NaN", "Infinity" and "1e400" for one; an
# unannotated int may be as large as 2**64. Neither is a price, a quantity or a count a till can send,
# and both would fail deep inside (a 64-bit database column, Decimal's 28-digit context). PostgreSQL
# refuses the NUL character in any text or JSON value. So every decoded request is walked once here
# and such values are a VALIDATION error naming the field, on every engine alike.
MAX_DECIMAL = Decimal(10) ** 12
MAX_INT = 2**53


def _check_values(value: Any, path: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed.field(path or "body", "must not contain the NUL character")
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationFailed.field(path or "body", "must be a finite number")
        if abs(value) > MAX_DECIMAL:
            raise ValidationFailed.field(path or "body", f"must be between -{MAX_DECIMAL} and {MAX_DECIMAL}")
    elif isinstance(value, float):
        if not math.isfinite(value):  # 1e400 where any JSON is allowed: no database stores it
            raise ValidationFailed.field(path or "body", "must be a finite number")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_INT:
            raise ValidationFailed.field(path or "body", f"must be between -{MAX_INT} and {MAX_INT}")
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _check_values(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_values(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_values(key, path)
            _check_values(item, f"{path}.{key}" if path else str(key))


def convert(value: Any, target: type[T], *, path: str = "") -> T:
    """Convert already-decoded builtins (for example a stored JSON column) into `target`."""
    try:
        result = msgspec.convert(value, type=target, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        field, problem = _field_path(str(exc))
        raise ValidationFailed.field(f"{path}.{field}" if path else field, problem) from None
    _check_values(result, path)
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
