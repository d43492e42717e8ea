"""The OpenAPI 3.1 document, built from the `endpoint` declarations and msgspec's JSON Schema.

Litestar's generator would describe the bodies Litestar decodes; ours are decoded by `kit.wire`
(leniently, straight to exact Decimals), so the schema comes from the same Structs instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from openoffers import __version__
from openoffers.kit.http import ENDPOINTS
from openoffers.kit.wire import WireTime

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "payload", "errors"],
    "properties": {
        "status": {"const": "error"},
        "payload": {"type": "null"},
        "errors": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["VALIDATION", "NOT_FOUND", "OFFER_NOT_REDEEMABLE"]},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "reason": {"type": "string"},
            },
        },
    },
}


def _schema_hook(target: type) -> dict[str, Any]:
    # The lenient times `kit.wire` decodes: msgspec knows no schema for this custom type.
    if target is WireTime:
        return {
            "type": "string",
            "description": "ISO 8601, or the guide's forms such as `2018-06-10 9:20:00.000`",
            "examples": ["2018-03-01T00:00:00Z", "2018-03-01 00:00:00.0"],
        }
    raise NotImplementedError(f"no JSON schema for {target!r}")


# What `kit.wire` accepts beyond each schema's own type, and sends: written once, shown in the document.
LENIENT_FORMS = (
    "Decoding is lenient the way POS systems need: an integer or a decimal may be sent as a numeric string "
    '(`"quantity": "1"`, `"amount": ".77"`); a boolean as `"true"` / `"false"`; ids (UUIDs) in any case; '
    "times as ISO 8601 or the guide's forms (`2018-06-10 9:20:00.000`), a time without an offset being the "
    "store's local time on the POS API and UTC elsewhere; unknown fields are ignored. Decimals are always sent "
    "as JSON numbers. Limits: a body of at most 1 MiB, nesting at most 32 levels, decimals within 10^12, "
    "integers within 2^53, no NUL character in text."
)
_DECIMAL_PATTERN = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"


def _decimals_as_numbers(node: Any, *, accept_strings: bool) -> Any:
    """msgspec describes a Decimal as a string (its default encoding); ours are sent as JSON numbers, and
    accepted as numbers or numeric strings (`accept_strings`, for requests)."""
    if isinstance(node, list):
        return [_decimals_as_numbers(item, accept_strings=accept_strings) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("format") == "decimal":
        rest = {k: v for k, v in node.items() if k not in ("type", "format")}
        if isinstance(rest.get("default"), str):
            default = Decimal(rest["default"])
            rest["default"] = int(default) if default == default.to_integral_value() else float(default)
        if not accept_strings:
            return {"type": "number", **rest}
        return {"type": ["number", "string"], "pattern": _DECIMAL_PATTERN, **rest}
    return {key: _decimals_as_numbers(value, accept_strings=accept_strings) for key, value in node.items()}


_LENIENT_BOOLEAN = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)$"}
_LENIENT_INTEGER = {"type": "string", "pattern": r"^-?[0-9]+$"}


def _lenient(node: Any) -> Any:
    """What a request may send besides each schema's own type: a boolean as `"true"` / `"false"` (any
    case) or `"1"` / `"0"`, an integer as a string of digits (the guide's `"publish": "true"`,
    `"quantity": "1"`). Applied to request schemas only: responses send the plain types."""
    if isinstance(node, list):
        return [_lenient(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _lenient(value) for key, value in node.items()}
    kind = node.get("type")
    if kind == "boolean":
        rest = {k: v for k, v in node.items() if k not in ("type", "default")}
        lenient = {"anyOf": [{"type": "boolean"}, _LENIENT_BOOLEAN, {"enum": [0, 1]}], **rest}
        return {**lenient, "default": node["default"]} if "default" in node else lenient
    if kind == "integer":
        # Bounds stay on the integer form; a string form out of bounds is refused the same way (400).
        return {"anyOf": [node, _LENIENT_INTEGER]}
    return node


def _components(types: list[Any], *, lenient: bool) -> tuple[list[Any], dict[str, Any]]:
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}", schema_hook=_schema_hook
    )
    schemas = _decimals_as_numbers(schemas, accept_strings=lenient)
    components = _decimals_as_numbers(components, accept_strings=lenient)
    if lenient:
        schemas, components = _lenient(schemas), _lenient(components)
    return schemas, components


def operation_id(path: str, method: str, methods: tuple[str, ...]) -> str:
    """`/api/2.0/offers/management/create` -> `offers_management_create`; a second method of one path
    (Lock's PATCH) gets its method as a suffix."""
    name = path.removeprefix("/api/2.0/").replace("/", "_")
    return name if method == methods[0] else f"{name}_{method.lower()}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def build_openapi() -> dict[str, Any]:
    requests = sorted({e.request for e in ENDPOINTS if e.request is not None}, key=repr)
    responses = sorted({e.response for e in ENDPOINTS if e.response is not None}, key=repr)
    request_schemas, request_components = _components(requests, lenient=True)
    response_schemas, components = _components(responses, lenient=False)
    # Request and response Structs are distinct types, so their components never share a name.
    shared = set(components) & set(request_components)
    if shared:
        raise ValueError(f"request and response schemas share names: {sorted(shared)}")
    components.update(request_components)
    by_type = {
        **dict(zip(requests, request_schemas, strict=True)),
        **dict(zip(responses, response_schemas, strict=True)),
    }
    components["Error"] = _ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for doc in sorted(ENDPOINTS, key=lambda e: e.path):
        if doc.response is None:
            payload: dict[str, Any] = {"type": "null"}
        else:
            payload = by_type[doc.response]
        word = {"const": "ok"} if doc.family == "offers" else {"type": "string", "examples": ["OK", "success"]}
        success: dict[str, Any] = {
            "type": "object",
            "required": ["status", "payload"],
            "properties": {"status": word, "payload": payload},
        }
        if doc.family == "pos":
            success["required"].append("errors")
            success["properties"]["errors"] = {"type": "null"}
        for method in doc.methods:
            operation: dict[str, Any] = {
                "operationId": operation_id(doc.path, method, doc.methods),
                "summary": doc.summary,
                "description": doc.description,
                "tags": list(doc.tags) or [doc.family],
                "security": [{"basic": []}],
                "responses": {
                    "200": {"description": "success", "content": {"application/json": {"schema": success}}},
                    "4XX": _error("refused, with a code"),
                    "503": _error(
                        "`UNAVAILABLE`: overloaded or the database is busy; nothing changed, retry after `Retry-After`"
                    ),
                },
            }
            if doc.request is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": by_type[doc.request]}},
                }
            paths.setdefault(doc.path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenOffers",
            "version": __version__,
            "description": "Offers and loyalty API compatible with the SessionM offer-management and POS protocol. "
            "Paths match case-insensitively; every path is also served under SessionM's service prefixes "
            "`/offers/api/2.0/` and `/incentives/api/1.0/` in place of `/api/2.0/`. "
            "Authentication: HTTP Basic with an API key (Offers API) or a "
            "POS client id and secret (POS API). " + LENIENT_FORMS,
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
    }
