"""The item catalog: api/2.0/catalog/import and `openoffers catalog import` (CSV and JSON Lines)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from typer.testing import CliRunner

from openoffers.catalog import service as catalog
from openoffers.cli import app
from openoffers.kit.db import Database
from tests.conftest import Tenant, snapshot
from tests.wallet.wallet_support import post

runner = CliRunner()


async def _categories(db: Database, retailer_id: UUID, *item_ids: str) -> dict[str, list[str]]:
    async with db.read() as conn:
        return await catalog.categories_for(conn, retailer_id, item_ids)


async def test_import_upserts_by_item_id(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, db: Database
) -> None:
    items = [
        {"item_id": "latte", "name": "Latte", "category_ids": ["coffee", "hot", "coffee"]},
        {"item_id": 1001, "name": "Bagel", "category_ids": [7]},
    ]
    assert await post(client, tenant, "/api/2.0/catalog/import", {"items": items}) == {"imported": 2}
    assert await _categories(db, tenant.retailer_id, "latte", "1001", "unknown") == {
        "latte": ["coffee", "hot"],
        "1001": ["7"],
    }
    again = [
        {"item_id": "latte", "name": "Latte", "category_ids": ["coffee"]},
        {"item_id": "latte", "category_ids": []},
    ]
    assert await post(client, tenant, "/api/2.0/catalog/import", {"items": again}) == {"imported": 1}
    assert await _categories(db, tenant.retailer_id, "latte") == {"latte": []}
    assert await _categories(db, other_tenant.retailer_id, "latte") == {}
    before = await snapshot(db, "catalog_items")
    error = await post(
        client,
        tenant,
        "/api/2.0/catalog/import",
        {"items": [{"item_id": "ok"}, {"item_id": "  ", "category_ids": ["x"]}]},
        status=400,
    )
    assert error["errors"]["fields"] == {"items[1].item_id": ["must not be blank"]}
    empty = await post(client, tenant, "/api/2.0/catalog/import", {"items": []}, status=400)
    assert "items" in empty["errors"]["fields"]
    assert await snapshot(db, "catalog_items") == before


def _run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    return data


def _categories_sync(url: str, retailer_id: UUID, *item_ids: str) -> dict[str, list[str]]:
    async def main() -> dict[str, list[str]]:
        db = Database(url, pool_size=1)
        try:
            return await _categories(db, retailer_id, *item_ids)
        finally:
            await db.dispose()

    return asyncio.run(main())


def test_cli_imports_csv_and_jsonl_in_batches(database_url: str, tmp_path: Path) -> None:
    retailer = _run_json("retailer", "create", "--name", "Cafe", "--database-url", database_url)["retailer_id"]
    csv_file = tmp_path / "items.csv"
    rows = ["item_id,name,category_ids"] + [f"sku-{i},Item {i},cat-{i % 3}|all" for i in range(25)] + ["", "solo,Solo,"]
    csv_file.write_text("\n".join(rows) + "\n")
    done = _run_json(
        "catalog", "import", str(csv_file), "--retailer", retailer, "--batch-size", "10", "--database-url", database_url
    )
    assert (done["items"], done["imported"]) == (26, 26)
    found = _categories_sync(database_url, UUID(retailer), "sku-4", "solo")
    assert found == {"sku-4": ["cat-1", "all"], "solo": []}
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text('{"item_id": "sku-4", "name": "Four", "category_ids": ["new"]}\n\n{"item_id": 77}\n')
    again = _run_json("catalog", "import", str(jsonl), "--retailer", retailer, "--database-url", database_url)
    assert (again["items"], again["imported"]) == (2, 2)
    assert _categories_sync(database_url, UUID(retailer), "sku-4", "77") == {"sku-4": ["new"], "77": []}
    # Running the same file again is harmless (upsert by item_id).
    _run_json("catalog", "import", str(jsonl), "--retailer", retailer, "--database-url", database_url)
    human = runner.invoke(
        app, ["catalog", "import", str(jsonl), "--retailer", retailer, "--database-url", database_url]
    )
    assert human.exit_code == 0 and "imported" in human.output


def test_cli_refuses_a_bad_file_and_imports_nothing(database_url: str, tmp_path: Path) -> None:
    retailer = _run_json("retailer", "create", "--name", "Cafe", "--database-url", database_url)["retailer_id"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"item_id": "a"}\n{"item_id": "b", "category_ids": "notalist"}\n')
    result = runner.invoke(app, ["catalog", "import", str(bad), "--retailer", retailer, "--database-url", database_url])
    assert result.exit_code == 1
    assert "line 2" in " ".join(result.output.split())
    assert _categories_sync(database_url, UUID(retailer), "a") == {}
    no_header = tmp_path / "bad.csv"
    no_header.write_text("sku,name\n1,x\n")
    result = runner.invoke(
        app, ["catalog", "import", str(no_header), "--retailer", retailer, "--database-url", database_url]
    )
    assert result.exit_code == 1 and "item_id" in result.output
    other = tmp_path / "items.xml"
    other.write_text("<items/>")
    result = runner.invoke(
        app, ["catalog", "import", str(other), "--retailer", retailer, "--database-url", database_url]
    )
    assert result.exit_code == 1
    unknown = runner.invoke(
        app,
        [
            "catalog",
            "import",
            str(tmp_path / "bad.csv"),
            "--retailer",
            str(UUID(int=1)),
            "--database-url",
            database_url,
        ],
    )
    assert unknown.exit_code == 1
    missing = tmp_path / "ok.csv"
    missing.write_text("item_id\nz\n")
    result = runner.invoke(
        app, ["catalog", "import", str(missing), "--retailer", str(UUID(int=1)), "--database-url", database_url]
    )
    assert result.exit_code == 1 and "NOT_FOUND" in result.output
