"""The file imports' progress stream (`admin/file_uploads.py`): the page's script asks for NDJSON and gets
one line per progress step, then the result with the HTML a plain form post shows. Refused files write
nothing, a viewer and a wrong CSRF token are refused before any line, and a file over the API's 1 MiB
body limit goes through."""

from __future__ import annotations

import json
import re
from contextlib import aclosing
from typing import Any

import httpx
from sqlalchemy import select, text

from openoffers.app import create_app
from openoffers.catalog import upload
from openoffers.kit.db import Database, Timeouts
from openoffers.kit.file_import import WRITING, Progress
from openoffers.settings import Settings
from openoffers.tables.catalog import catalog_items
from tests.admin.conftest import Browser, sign_in
from tests.admin.test_accounts import person
from tests.conftest import FrozenClock, Tenant, asgi_transport, snapshot
from tests.pos.pos_support import create_user

STREAM = {"Accept": "application/x-ndjson"}


def _catalog(count: int, name: str = "Item") -> bytes:
    lines = "".join(f"sku-{n:05d},{name} {n},cat-{n % 3}\n" for n in range(count))
    return ("item_id,name,category_ids\n" + lines).encode()


async def _post(admin: Browser, path: str, name: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
    return await admin.http.post(
        path, data={"csrf_token": admin.csrf}, files={"file": (name, content, "text/csv")}, headers=headers
    )


def _lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text[-1500:]
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


def _steps(stage: str, total: int, *done: int) -> list[dict[str, Any]]:
    return [{"stage": stage, "done": n, "total": total} for n in done]


async def _item_ids(db: Database) -> list[str]:
    async with db.read() as conn:
        return sorted((await conn.execute(select(catalog_items.c.item_id))).scalars())


async def test_a_catalog_import_streams_each_step_then_the_pages_own_result(admin: Browser, db: Database) -> None:
    # 1,201 lines, the last repeating the first id (the last of repeated ids wins): 1,200 items written.
    content = _catalog(1200) + b"sku-00000,Renamed,cat-9\n"
    lines = _lines(await _post(admin, "/admin/catalog/import", "items.csv", content, STREAM))
    assert lines[:-1] == _steps("checking", 1201, 0, 500, 1000, 1201) + _steps("writing", 1200, 0, 500, 1000, 1200)
    last = lines[-1]
    assert (last["result"], last["imported"], sorted(last)) == ("imported", 1200, ["html", "imported", "result"])
    assert re.sub(r"\s+", " ", last["html"]).strip() == (
        '<div id="import-outcome"> <div class="notice" role="status" id="import-result">Imported 1200 items: new ids'
        " were added, known ids updated.</div> </div>"
    )
    ids = await _item_ids(db)
    assert len(ids) == 1200 and ids[0] == "sku-00000" and ids[-1] == "sku-01199"
    # The same file posted without the script: the page holds the very fragment the stream ended with.
    page = await _post(admin, "/admin/catalog/import", "items.csv", content, {})
    assert page.status_code == 200 and last["html"] in page.text


async def test_a_refused_catalog_file_streams_its_bad_lines_and_writes_nothing(admin: Browser, db: Database) -> None:
    await _post(admin, "/admin/catalog/import", "items.csv", _catalog(3), {})
    before = await snapshot(db)
    content = _catalog(600) + b",No id,x\nlong," + b"n" * 300 + b",\n"
    lines = _lines(await _post(admin, "/admin/catalog/import", "items.csv", content, STREAM))
    assert lines[:-1] == _steps("checking", 602, 0, 500, 602)  # refused before any writing
    last = lines[-1]
    assert last["result"] == "refused" and last["more"] == 0
    assert last["problems"] == [
        [602, "item_id: Expected `str` of length >= 1"],
        [603, "name: Expected `str` of length <= 200"],
    ]
    assert "Nothing was imported." in last["html"]
    rows = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]+)</td></tr>", last["html"])
    # The page says it in plain words, the column named as the file names it (admin.web.import_problem).
    assert rows == [("602", "item_id: This cannot be empty."), ("603", "name: Use at most 200 characters.")]
    # A file refused as a whole says so in its one line.
    lines = _lines(await _post(admin, "/admin/catalog/import", "items.txt", b"x", STREAM))
    assert [(line["result"], line["problems"]) for line in lines] == [("refused", [[0, "give a .csv or .jsonl file"]])]
    assert await snapshot(db) == before
    # The page without the script lists the same lines.
    page = await _post(admin, "/admin/catalog/import", "items.csv", content, {})
    assert page.status_code == 400
    assert re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]+)</td></tr>", page.text) == rows
    assert await snapshot(db) == before


async def test_a_customer_import_streams_its_steps_and_a_taken_id_rolls_it_all_back(
    admin: Browser, client: httpx.AsyncClient, db: Database, tenant: Tenant
) -> None:
    good = b"external_customer_id,first_name\nC-1,Ada\n\nC-2,Bob\nC-3,Cy\n"
    lines = _lines(await _post(admin, "/admin/customers/import", "c.csv", good, STREAM))
    assert lines[:-1] == _steps("checking", 3, 0, 3) + _steps("writing", 3, 0, 3)
    assert (lines[-1]["result"], lines[-1]["imported"]) == ("imported", 3)
    assert "Imported 3 customers." in lines[-1]["html"]
    await create_user(client, tenant, external_customer_id="TAKEN", first_name="Old")
    before = await snapshot(db)
    taken = b"external_customer_id,first_name\nN-1,Fine\nTAKEN,Again\n"
    lines = _lines(await _post(admin, "/admin/customers/import", "c.csv", taken, STREAM))
    # Every line was written in the transaction before the taken id was found; then all rolled back.
    assert lines[:-1] == _steps("checking", 2, 0, 2) + _steps("writing", 2, 0, 2)
    assert lines[-1]["result"] == "refused"
    assert lines[-1]["problems"] == [[3, "another user has this external_customer_id"]]
    assert await snapshot(db) == before
    # No file chosen: the one line says so.
    response = await admin.http.post(
        "/admin/customers/import", data={"csrf_token": admin.csrf}, files={"file": ("", b"")}, headers=STREAM
    )
    assert [(line["result"], line["problems"]) for line in _lines(response)] == [
        ("refused", [[0, "choose a file to import"]])
    ]
    assert await snapshot(db) == before


async def test_a_viewer_and_a_wrong_token_get_no_stream_and_change_nothing(
    app: Any, admin: Browser, db: Database
) -> None:
    viewer = await person(app, admin, "v@example.com", "viewer")
    before = await snapshot(db)
    try:
        for page in ("/admin/catalog", "/admin/customers/import"):  # the form is not offered to a viewer
            shown = await viewer.get(page)
            assert shown.status_code == 200 and 'enctype="multipart/form-data"' not in shown.text, page
        for path, content in (("/admin/catalog/import", _catalog(2)), ("/admin/customers/import", b"first_name\nA\n")):
            refused = await _post(viewer, path, "f.csv", content, STREAM)
            assert refused.status_code == 403, path
            assert refused.headers["content-type"].startswith("text/html")
            assert "you can look at everything, but not change it" in refused.text
            forged = await admin.http.post(
                path, data={"csrf_token": "wrong"}, files={"file": ("f.csv", content)}, headers=STREAM
            )
            assert forged.status_code == 403 and "This form has expired" in forged.text
    finally:
        await viewer.http.aclose()
    assert await snapshot(db) == before


async def test_a_catalog_file_over_one_mebibyte_is_imported(admin: Browser, db: Database) -> None:
    """The app's 1 MiB limit is for API bodies: the import pages take up to 20 MiB."""
    content = _catalog(20_000, name="A rather long item name as retailers' catalogs have them")
    assert len(content) > 1024 * 1024
    page = await _post(admin, "/admin/catalog/import", "items.csv", content, {})
    assert page.status_code == 200 and "Imported 20000 items" in page.text
    assert len(await _item_ids(db)) == 20_000


async def test_a_write_that_fails_once_the_stream_has_begun_ends_it_with_failed(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    """The status is sent with the first line, so a failure while writing is said by the last line.
    Here the catalog is locked by another transaction longer than the server waits for a lock."""
    impatient = Database(db.url, timeouts=Timeouts(pool_ms=2_000, lock_ms=300, statement_ms=10_000))
    app = create_app(Settings(database_url=db.url, max_in_flight=0), database=impatient, clock=clock)
    try:
        transport = asgi_transport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            admin = await sign_in(http, tenant.key, tenant.secret)
            before = await snapshot(db)
            async with db.write() as conn:  # on SQLite this holds the one write lock
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("LOCK TABLE catalog_items IN SHARE ROW EXCLUSIVE MODE"))
                response = await _post(admin, "/admin/catalog/import", "items.csv", _catalog(3), STREAM)
            lines = _lines(response)
            message = "The database did not answer in time. Try again shortly."
            # SQLite refuses the transaction's BEGIN; PostgreSQL begins, then the first INSERT waits.
            began = _steps("writing", 3, 0) if db.dialect == "postgresql" else []
            assert lines[:-1] == _steps("checking", 3, 0, 3) + began
            assert (lines[-1]["result"], lines[-1]["message"]) == ("failed", message)
            assert f"<strong>Nothing was imported.</strong> {message}" in lines[-1]["html"]
            assert await snapshot(db) == before
    finally:
        await impatient.dispose()


async def test_an_import_left_part_way_through_its_writing_writes_nothing(
    db: Database, tenant: Tenant, clock: FrozenClock
) -> None:
    """What happens when the browser goes away mid-stream: the import is closed at its last step, inside
    its transaction, which rolls back."""
    before = await snapshot(db)
    steps = upload.import_file(db, tenant.retailer_id, _catalog(1200), "items.csv", clock())
    seen = []
    async with aclosing(steps):
        async for step in steps:
            seen.append(step)
            if step == Progress(WRITING, 500, 1200):
                break
    assert seen[-2:] == [Progress(WRITING, 0, 1200), Progress(WRITING, 500, 1200)]
    assert await snapshot(db) == before
