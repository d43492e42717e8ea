"""/openapi.json documents every endpoint declared with kit.http.endpoint, and every /api/ route the app has."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest

from openoffers import __version__
from openoffers.app import create_app
from openoffers.kit.http import ENDPOINTS
from openoffers.offers.schemas import OFFER_TYPES
from openoffers.settings import Settings
from tests.conftest import asgi_transport
from tests.sdk.conftest import guide_check
from tests.test_guide_e2e import GUIDE_CREATE_FIXED

IGNORED_METHODS = {"OPTIONS", "HEAD"}


@pytest.fixture
async def served(sqlite_url: str) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    app = create_app(Settings(database_url=sqlite_url))
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://t") as client:
        response = await client.get("/openapi.json")
        # Paths are case-insensitive only under /api/; the document's own path is exact.
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        yield app, response.json()
    await app.state["ctx"].db.dispose()


def api_routes(app: Any) -> dict[str, set[str]]:
    """Every /api/ route Litestar serves, with its methods."""
    routes: dict[str, set[str]] = {}
    for route in app.app.routes:
        if route.path.startswith("/api/"):
            routes.setdefault(route.path, set()).update(set(route.methods) - IGNORED_METHODS)
    return routes


def refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "$ref":
                yield child
            else:
                yield from refs(child)
    elif isinstance(value, list):
        for child in value:
            yield from refs(child)


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


async def test_every_api_route_is_documented_and_nothing_else(served: tuple[Any, dict[str, Any]]) -> None:
    app, document = served
    routes = api_routes(app)
    documented = {path: {m.upper() for m in ops} for path, ops in document["paths"].items()}
    assert routes, "the app serves no /api/ route"
    assert documented == routes
    assert {e.path for e in ENDPOINTS} == set(routes)
    assert "/health" not in document["paths"]
    assert "/metrics" not in document["paths"]


def test_endpoint_declarations_are_unique_and_lower_case() -> None:
    keys = [(e.path, m) for e in ENDPOINTS for m in e.methods]
    assert len(keys) == len(set(keys))
    assert all(e.path == e.path.lower() and e.path.startswith("/api/") for e in ENDPOINTS)
    assert all(e.family in ("offers", "pos") for e in ENDPOINTS)


async def test_every_operation_has_a_request_body_schema_and_responses(served: tuple[Any, dict[str, Any]]) -> None:
    _, document = served
    assert (document["openapi"], document["info"]["version"]) == ("3.1.0", __version__)
    assert document["components"]["securitySchemes"] == {"basic": {"type": "http", "scheme": "basic"}}
    for endpoint in ENDPOINTS:
        for method in endpoint.methods:
            operation = document["paths"][endpoint.path][method.lower()]
            assert operation["summary"] == endpoint.summary
            assert operation["security"] == [{"basic": []}]
            body = operation["requestBody"]
            assert body["required"] is True
            schema = resolve(document, body["content"]["application/json"]["schema"])
            assert schema["type"] == "object", endpoint.path
            assert schema["properties"], endpoint.path
            assert set(operation["responses"]) == {"200", "4XX", "503"}
            error = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}
    # Every reference in the document resolves.
    names = set(document["components"]["schemas"])
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in names


async def test_the_offer_create_schema_describes_the_wire(served: tuple[Any, dict[str, Any]]) -> None:
    _, document = served
    operation = document["paths"]["/api/2.0/offers/management/create"]["post"]
    schema = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
    assert "retailer_id" in schema["required"]
    assert schema["properties"]["retailer_id"] == {"type": "string", "format": "uuid"}
    for field in (
        "offer_type",
        "publish",
        "text_config",
        "media_config",
        "common_config",
        "discount_config",
        "offer_config",
        "use_restrictions",
        "purchase_restrictions",
        "catalog_restrictions",
        "location_restrictions",
        "issuance_restrictions",
    ):
        assert field in schema["properties"], field
    offer_type = schema["properties"]["offer_type"]
    enums = [option.get("enum") for option in offer_type.get("anyOf", [offer_type]) if "enum" in option]
    assert sorted(enums[0]) == sorted(OFFER_TYPES)
    success = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert success["properties"]["status"] == {"const": "ok"}
    payload = resolve(document, success["properties"]["payload"])
    assert set(payload["properties"]) == {
        "offer_id",
        "root_offer_id",
        "validation_errors",
        "revisioned",
        "new_status",
        "state_transition",
    }


async def test_every_operation_has_a_unique_operation_id(served: tuple[Any, dict[str, Any]]) -> None:
    _, document = served
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == sum(len(e.methods) for e in ENDPOINTS)
    lock = document["paths"]["/api/2.0/lock"]
    assert (lock["post"]["operationId"], lock["patch"]["operationId"]) == ("lock", "lock_patch")
    assert document["paths"]["/api/2.0/offers/management/create"]["post"]["operationId"] == "offers_management_create"


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON Schema validator for one schema of the document, its references resolved in the document."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


async def test_the_lenient_forms_the_guide_sends_are_documented(served: tuple[Any, dict[str, Any]]) -> None:
    _, document = served
    create = document["paths"]["/api/2.0/offers/management/create"]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]
    guide_body = json.loads(GUIDE_CREATE_FIXED)
    assert guide_body["publish"] == "true"
    assert list(_validator(document, schema).iter_errors(guide_body)) == []
    for publish in ("true", "False", "1", True, 0):
        assert _validator(document, schema).is_valid({**guide_body, "publish": publish}), publish
    assert not _validator(document, schema).is_valid({**guide_body, "publish": "yes"})
    # The guide's Lock envelope: "guest_count": "1", "quantity": "1", "subtotal": "11.77", "TaxTotal": ".77".
    lock = document["paths"]["/api/2.0/lock"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    envelope: dict[str, Any] = {
        "store_id": "332b6ee0-e981-4f96-8047-d0d358cfb3e0",
        "client_id": "686ed454-ecab-4e86-8abe-c9470e8dd787",
        "request_id": "1",
        "request_payload": {
            "offer_lookup_code": "757144c2-6693-4a29-9f2c-f1d3aa2fa24f",
            "offer_lookup_type": "userofferid",
            "transaction": guide_check("3b0bdfb0-8c40-4960-bcf1-3b31627a7e83"),
        },
    }
    assert list(_validator(document, lock).iter_errors(envelope)) == []
    item = envelope["request_payload"]["transaction"]["items"][0]
    assert (item["quantity"], item["unit_price"]) == ("1", "10")
    broken = json.loads(json.dumps(envelope))
    broken["request_payload"]["transaction"]["guest_count"] = "one"
    assert not _validator(document, lock).is_valid(broken)


async def test_responses_document_plain_types_and_decimals_as_numbers(served: tuple[Any, dict[str, Any]]) -> None:
    _, document = served
    lock = document["paths"]["/api/2.0/lock"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    discount = resolve(document, lock["properties"]["payload"])
    # Sent as a JSON number (msgspec alone would document a decimal string), accepted as either.
    assert discount["properties"]["amount"] == {"type": "number"}
    assert lock["properties"]["errors"] == {"type": "null"}
    # A response's booleans and integers are plain: the lenient forms are for requests only.
    created = document["paths"]["/api/2.0/offers/management/create"]["post"]["responses"]["200"]
    result = resolve(document, created["content"]["application/json"]["schema"]["properties"]["payload"])
    assert result["properties"]["revisioned"] == {"type": "boolean"}
    assert result["properties"]["new_status"] == {"type": "integer"}
