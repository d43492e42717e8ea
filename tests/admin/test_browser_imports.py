"""File imports with progress, and the pickers of comma-separated id fields, in headless Chromium against
`openoffers serve --workers 2` (the progress needs no state shared between server processes), at desktop
and 390 px. Screenshots go to tests/artifacts/ (imports-*.png)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.admin.test_browser import (  # the module's browser fixture (it uses this module's server), and helpers
    LAPTOP,
    Server,
    _follow,
    _import_file,
    _page,
    _shot,
    _sign_in,
    browser,
    demo_server,
)

__all__ = ["browser"]  # a fixture used by name below

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ROWS = 3000  # the catalog file's lines: six progress steps per stage

# Every text the progress line shows, in order (a text node is replaced at each step; the records keep
# the nodes that were added, whatever happened to them afterwards).
WATCH = """() => {
    window.progressTexts = [];
    new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
        if (n.nodeType === Node.TEXT_NODE) { window.progressTexts.push(n.data); }
    }))).observe(document.getElementById("import-stage"), {childList: true});
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Two server processes: an import's progress is its own request's answer, whichever process has it.
    with demo_server(tmp_path_factory.mktemp("imports"), {"OPENOFFERS_WEBHOOK_POLL_MS": "0"}, workers=2) as served:
        yield served


def _catalog_file(path: Path, rows: int, bad_line: int = 0) -> Path:
    lines = ["item_id,name,category_ids"]
    for n in range(rows):
        lines.append(",No id,x" if n + 2 == bad_line else f"sku-{n:05d},Item {n},cat-{n % 7}")
    lines += ["latte,Latte,coffee", "muffin,Blueberry muffin,bakery", "tea,Green tea,hot"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _percent(text: str) -> int | None:
    found = re.match(r"Sending the file: (\d+)%", text)
    return int(found.group(1)) if found else None


def test_a_catalog_import_shows_its_progress_then_the_result(
    browser: Any, server: Server, artifacts_dir: Path, tmp_path: Path
) -> None:
    good = _catalog_file(tmp_path / "catalog.csv", ROWS)
    bad = _catalog_file(tmp_path / "bad.csv", ROWS, bad_line=2500)
    total = ROWS + 3
    steps = [f"{n:,} of {total:,}" for n in (0, 500, 1000, 1500, 2000, 2500, 3000, total)]
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            _follow(page, "nav >> text=Catalog")
            # The upload slowed to 64 KiB/s, so the bar is seen moving while the file goes up.
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            conditions = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 65536}
            cdp.send("Network.emulateNetworkConditions", conditions)
            page.evaluate(WATCH)
            page.set_input_files("#catalog-file", str(good))
            page.click("button:text('Import')")
            part_way = r"/Sending the file: [1-9][0-9]?%/.test(document.getElementById('import-stage').textContent)"
            page.wait_for_function(f"() => {part_way}")
            _shot(page, artifacts_dir, f"imports-{name}-01-sending")
            page.wait_for_selector("#import-progress[data-stage=done]", state="attached")
            cdp.send("Network.emulateNetworkConditions", {**conditions, "uploadThroughput": -1})
            texts: list[str] = page.evaluate("() => window.progressTexts")
            sent = [p for p in map(_percent, texts) if p is not None]
            assert any(0 < p < 100 for p in sent), texts  # the upload seen part way
            assert sent == sorted(sent), texts
            server_steps = [t for t in texts if not t.startswith(("Sending", "File sent"))]
            assert server_steps == [f"Checking lines: {s}" for s in steps] + [
                f"Writing items: {s} (nothing is kept unless all are written)" for s in steps
            ], texts
            result = page.inner_text("#import-result")
            assert result.startswith(f"Imported {total} items: new ids were added, known ids updated."), result
            assert page.is_hidden("#import-progress") and page.is_enabled("button:text('Import')")
            assert server.count("SELECT count(*) FROM catalog_items") == total
            # The list under the form is read again: it shows what the import wrote.
            page.wait_for_function(f"() => document.getElementById('item-count')?.textContent === '{total} items.'")
            assert page.locator("#catalog-items tbody tr").count() == 50
            _shot(page, artifacts_dir, f"imports-{name}-02-imported")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            # A file with one bad line: the report says which, and nothing at all is written.
            before = server.rows()
            page.evaluate(WATCH)
            _import_file(page, "#catalog-file", bad)
            rows = page.locator("#import-problems tbody tr")
            assert rows.count() == 1 and rows.locator("th").inner_text() == "2500"
            assert "Nothing was imported." in page.inner_text("#import-problems")
            texts = page.evaluate("() => window.progressTexts")
            assert [t for t in texts if t.startswith("Checking")][-1] == f"Checking lines: {total:,} of {total:,}"
            assert not [t for t in texts if t.startswith("Writing")], texts
            assert server.rows() == before
            _shot(page, artifacts_dir, f"imports-{name}-03-refused")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        finally:
            context.close()


def test_without_javascript_the_import_posts_and_shows_the_same_result(
    browser: Any, server: Server, artifacts_dir: Path, tmp_path: Path
) -> None:
    bad = _catalog_file(tmp_path / "bad.csv", 40, bad_line=7)
    good = _catalog_file(tmp_path / "good.csv", 40)
    context, page = _page(browser, viewport=PHONE, java_script_enabled=False)
    try:
        _sign_in(page, server)
        _follow(page, "nav >> text=Catalog")
        before = server.rows()
        page.set_input_files("#catalog-file", str(bad))
        _follow(page, "button:text('Import')")
        assert page.locator("#import-problems tbody th").all_inner_texts() == ["7"]
        assert server.rows() == before
        page.set_input_files("#catalog-file", str(good))
        _follow(page, "button:text('Import')")
        assert page.inner_text("#import-result").startswith("Imported 43 items: new ids were added")
        assert page.is_hidden("#import-progress")
        _shot(page, artifacts_dir, "imports-phone-04-no-javascript")
    finally:
        context.close()


def _suggestions(page: Any, field: str) -> list[str]:
    return list(page.evaluate(f"() => [...document.querySelector('{field}').list.options].map(o => o.value)"))


def _pick(page: Any, field: str, typed: str, wanted: str) -> None:
    """Type the start of an id, as a marketer does, and take the picker's suggestion for it.

    The browser's list of suggestions is a native popup that headless Chromium does not open, so the
    test checks that the suggestion is there for what was typed (the browser lists the options whose
    value starts with it), then does what choosing it does: the option's value into the field, with
    the input event the browser sends."""
    page.click(field)
    page.keyboard.type(typed)
    offered = [v for v in _suggestions(page, field) if v.startswith(page.input_value(field))]
    assert wanted in offered, offered
    page.evaluate(
        """([field, value]) => { const el = document.querySelector(field); el.value = value;
            el.dispatchEvent(new InputEvent("input", {bubbles: true, inputType: "insertReplacementText"})); }""",
        [field, wanted],
    )


def _definition(server: Server, sql: str, name: str) -> Any:
    with sqlite3.connect(server.db_path) as conn:
        (definition,) = conn.execute(sql, (name,)).fetchone()
    return json.loads(definition)


def _small_catalog(server: Server) -> None:
    """latte, muffin and tea in the catalog, whatever ran before."""
    with sqlite3.connect(server.db_path) as conn:
        retailer = str(UUID(conn.execute("SELECT id FROM retailers").fetchone()[0]))
    items = [
        {"item_id": "latte", "name": "Latte", "category_ids": ["coffee"]},
        {"item_id": "muffin", "name": "Blueberry muffin", "category_ids": ["bakery"]},
        {"item_id": "tea", "name": "Green tea", "category_ids": ["hot"]},
    ]
    response = httpx.post(
        server.url + "/api/2.0/catalog/import",
        json={"retailer_id": retailer, "items": items},
        auth=("demo-admin", "demo-secret"),
    )
    assert response.status_code == 200, response.text


def test_pickers_suggest_the_next_id_after_a_comma(browser: Any, server: Server, artifacts_dir: Path) -> None:
    _small_catalog(server)
    for viewport, name in ((LAPTOP, "desktop"), (PHONE, "phone")):
        context, page = _page(browser, viewport=viewport)
        try:
            _sign_in(page, server)
            # An offer on two items, both picked from the catalog.
            page.goto(server.url + "/admin/offers/new")
            page.select_option("#f-offer-type", "percent_item_discount")
            title = f"Two items, {name}"
            page.fill("#f-text-0-title", title)
            page.fill("#f-discount-config-percent", "10")
            page.click("#f-catalog-restrictions > summary")
            field = "#f-items-0-item-ids"
            _pick(page, field, "lat", "latte")
            page.keyboard.type(", ")
            # After the comma: the earlier id kept, the next suggested, the chosen one no longer offered.
            offered = _suggestions(page, field)
            assert offered[0] == "latte, muffin" and all(v.startswith("latte, ") for v in offered), offered
            assert "latte, latte" not in offered
            labels = page.evaluate(f"() => [...document.querySelector('{field}').list.options].map(o => o.textContent)")
            assert labels[0] == "Blueberry muffin"  # the name beside the id, as before
            _pick(page, field, "muf", "latte, muffin")
            _shot(page, artifacts_dir, f"imports-{name}-05-offer-picker")
            page.keyboard.press("Tab")  # on to the next field: the browser's list of suggestions closes
            page.click("button:text('Save draft')")
            page.wait_for_url("**notice=created")
            offer = _definition(server, "SELECT definition FROM offers WHERE title = ?", title)
            items = [r for r in offer["catalog_restrictions"] if r["type"] == "items"]
            assert [(r["mode"], r["item_ids"]) for r in items] == [("include", ["latte", "muffin"])]
            # A rule whose multiplier names two categories, picked the same way.
            page.goto(server.url + "/admin/rules/new?kind=earn")
            rule_name = f"Double points on coffee and bakery, {name}"
            page.fill("#f-name", rule_name)
            page.fill("#f-rate", "1")
            page.fill("#f-multipliers-0-factor", "2")
            field = "#f-multipliers-0-category-ids"
            _pick(page, field, "cof", "coffee")
            page.keyboard.type(",")
            assert "coffee,bakery" in _suggestions(page, field) and "coffee,coffee" not in _suggestions(page, field)
            _pick(page, field, "bak", "coffee,bakery")
            _shot(page, artifacts_dir, f"imports-{name}-06-rule-picker")
            page.keyboard.press("Tab")
            page.click("button:text('Create rule')")
            page.wait_for_url("**notice=rule_created")
            rule = _definition(server, "SELECT definition FROM loyalty_rules WHERE name = ?", rule_name)
            multipliers = rule["multipliers"]
            assert [m["category_ids"] for m in multipliers] == [["coffee", "bakery"]], multipliers
        finally:
            context.close()
