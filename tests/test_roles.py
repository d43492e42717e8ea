"""The role matrix of docs/API-ROLES.md, enforced: every endpoint called with every kind of credentials.

The table is read from the document itself, so the docs cannot drift from what the server does. A call
the credentials may not make is 403 ACCESS_DENIED and changes nothing; one they may make is never 403.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from openoffers.kit.db import Database
from openoffers.kit.http import ENDPOINTS
from openoffers.tenancy import service as tenancy
from tests.conftest import FrozenClock, Tenant, basic, snapshot
from tests.test_fuzz import _envelope, offers_bodies, pos_payloads, seed

CREDENTIALS = ("admin", "offers", "pos", "POS client")
_ROW = re.compile(r"^\| `(?P<path>/api/[^`]+)` \| (?P<cells>.*) \|$")


def matrix() -> dict[str, dict[str, bool]]:
    text = (Path(__file__).parent.parent / "docs" / "API-ROLES.md").read_text()
    rows: dict[str, dict[str, bool]] = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            cells = [cell.strip() for cell in match.group("cells").split("|")]
            assert set(cells) <= {"yes", "no"} and len(cells) == len(CREDENTIALS), line
            rows[match.group("path")] = dict(zip(CREDENTIALS, (cell == "yes" for cell in cells), strict=True))
    return rows


MATRIX = matrix()


def test_the_matrix_names_every_endpoint_once() -> None:
    assert sorted(MATRIX) == sorted({e.path for e in ENDPOINTS})
    # POS endpoints take a POS client and nothing else; Offers API endpoints never take one.
    for endpoint in ENDPOINTS:
        allowed = MATRIX[endpoint.path]
        assert allowed["POS client"] == (endpoint.family == "pos"), endpoint.path
        assert allowed["admin"] == (endpoint.family == "offers"), endpoint.path


@pytest.mark.parametrize("path", sorted(MATRIX))
async def test_every_endpoint_against_every_role(
    path: str, client: httpx.AsyncClient, db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    ids = await seed(client, tenant, db)
    headers: dict[str, dict[str, str]] = {"admin": tenant.auth, "POS client": tenant.pos_auth}
    for role in ("offers", "pos"):
        key, secret = await tenancy.create_api_key(db, retailer_id=tenant.retailer_id, role=role, now=clock())
        headers[role] = basic(key.key, secret)
    pos = path in pos_payloads(ids)
    body: dict[str, Any] = _envelope(tenant, pos_payloads(ids)[path]) if pos else offers_bodies(ids, tenant)[path]

    allowed = MATRIX[path]
    for credentials in sorted(CREDENTIALS, key=lambda c: allowed[c]):  # the refusals first, on a known state
        before = await snapshot(db)
        if pos:
            body["request_id"] = f"roles-{credentials}"
        response = await client.post(path, json=body, headers=headers[credentials])
        if allowed[credentials]:
            assert response.status_code != 403, (credentials, response.text)
        else:
            assert response.status_code == 403, (credentials, response.text)
            assert response.json()["errors"]["code"] == "ACCESS_DENIED"
            assert await snapshot(db) == before, f"{credentials} was refused {path} but changed the database"
