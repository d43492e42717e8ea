"""The OpenAPI 3.1 document, built from the `endpoint` declarations and msgspec's JSON Schema.

Litestar's generator would describe the bodies Litestar decodes; ours are decoded by `kit.wire`
(leniently, straight to exact Decimals), so the schema comes from the same Structs instead.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
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


def _decimals_as_numbers(node: Any) -> Any:
    """msgspec describes a Decimal as a string (its default encoding); ours are sent as JSON numbers and
    accepted as numbers or numeric strings."""
    if isinstance(node, list):
        return [_decimals_as_numbers(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "string" and node.get("format") == "decimal":
        rest = {k: v for k, v in node.items() if k not in ("type", "format")}
        if isinstance(rest.get("default"), str):
            default = Decimal(rest["default"])
            rest["default"] = int(default) if default == default.to_integral_value() else float(default)
        return {"type": ["number", "string"], "pattern": _DECIMAL_PATTERN, **rest}
    return {key: _decimals_as_numbers(value) for key, value in node.items()}


def build_openapi() -> dict[str, Any]:
    types = sorted({t for e in ENDPOINTS for t in (e.request, e.response) if t is not None}, key=lambda t: t.__name__)
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}", schema_hook=_schema_hook
    )
    schemas, components = _decimals_as_numbers(schemas), _decimals_as_numbers(components)
    by_type = dict(zip(types, schemas, strict=True))
    components["Error"] = _ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for doc in sorted(ENDPOINTS, key=lambda e: e.path):
        if doc.response is None:
            payload: dict[str, Any] = {"type": "null"}
        else:
            payload = by_type[doc.response]
        word = {"const": "ok"} if doc.family == "offers" else {"type": "string", "examples": ["OK", "success"]}
        success = {"type": "object", "properties": {"status": word, "payload": payload}}
        operation: dict[str, Any] = {
            "summary": doc.summary,
            "description": doc.description,
            "tags": list(doc.tags) or [doc.family],
            "security": [{"basic": []}],
            "responses": {
                "200": {"description": "success", "content": {"application/json": {"schema": success}}},
                "4XX": {
                    "description": "refused, with a code",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        if doc.request is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": by_type[doc.request]}},
            }
        paths.setdefault(doc.path, {})
        for method in doc.methods:
            paths[doc.path][method.lower()] = operation
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


def docs_html() -> str:
    """A plain, script-free reference page: every endpoint, what it does, and its JSON Schema link."""
    rows = []
    for doc in sorted(ENDPOINTS, key=lambda e: (e.family, e.path)):
        methods = ", ".join(doc.methods)
        body = doc.request.__name__ if doc.request is not None else "-"
        rows.append(
            f"<tr><td><code>{escape(doc.path)}</code></td><td>{escape(methods)}</td>"
            f"<td>{escape(doc.summary)}</td><td>{escape(doc.description)}</td><td><code>{escape(body)}</code></td></tr>"
        )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>OpenOffers API</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#1f2937}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:.4rem;"
        "text-align:left;vertical-align:top}code{font-size:13px}</style></head><body>"
        f"<h1>OpenOffers API {escape(__version__)}</h1>"
        "<p>JSON over HTTP, Basic authentication (an API key for the Offers API, a POS client for the POS API). "
        "Paths match case-insensitively. The machine-readable contract is <a href='/openapi.json'>/openapi.json</a> "
        "(OpenAPI 3.1, request schemas under <code>components.schemas</code>).</p>"
        "<table><thead><tr><th>path</th><th>methods</th><th>summary</th><th>details</th><th>request</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    )
