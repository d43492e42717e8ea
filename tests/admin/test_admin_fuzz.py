"""Bad input never breaks the admin UI: every page with odd query strings, every form with odd fields.

Pages are found by following the links of the signed-in UI from the offers list, not from a list
kept by hand, so a new page is fuzzed as soon as it is linked. Every form on those pages is then
submitted with each of its fields in turn replaced by each value of `BAD_VALUES`. An answer must
never be a 500, must be HTML, and must not leak a stack trace; an answer that did not redirect (the
form came back with its errors, or was refused) must leave every table as it was; the pages that show
a new secret once are the only successes that do not redirect.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from openoffers.kit.db import Database
from tests.admin.conftest import Browser
from tests.conftest import Tenant, snapshot
from tests.pos.pos_support import api, create_offer, create_user, issue

BAD_VALUES = ("", "\u0000", "-1", "1" + "0" * 30, "NaN", "1e400", "2026-02-30", "x" * 5000, "<script>")
QUERY_NAMES = ("q", "status", "offer_type", "kind", "store_id", "page", "skip", "take", "run", "notice", "customer")
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "sqlite3", 'File "')
# Following these would end the session or change data without a form.
NOT_FOLLOWED = re.compile(r"/admin/(logout|static/|.*/csv/)")  # CSV downloads are not pages


class Page(HTMLParser):
    """The links and forms of one page (fields with the value the page gives them)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/admin"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}})
        elif not self.forms or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self.forms[-1]["fields"].setdefault(a["name"], None)
            elif kind not in ("submit", "button"):
                self.forms[-1]["fields"][a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self.forms[-1]["fields"][a["name"]] = None  # filled in by `feed_options`
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1]["fields"][a["name"]] = ""
        elif tag == "button" and a.get("value"):
            self.forms[-1]["fields"].setdefault(a["name"], a["value"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def feed_options(self, html: str) -> None:
        """Selects: the selected option, else the first (HTMLParser gives no tree, so a second pass)."""
        for form in self.forms:
            for name, value in form["fields"].items():
                if value is not None:
                    continue
                select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
                if select is None:
                    continue
                options = re.findall(r'<option([^>]*)value="([^"]*)"', select.group(1))
                chosen = [v for attrs, v in options if "selected" in attrs] or [v for _, v in options[:1]]
                form["fields"][name] = chosen[0] if chosen else ""


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.feed_options(html)
    return page


def assert_html_answer(label: str, status: int, content_type: str, text: str) -> None:
    assert status < 500, (label, status, text[:500])
    assert not any(leak in text for leak in LEAKS), (label, text[:2000])
    if status not in (301, 302, 303, 307):
        assert content_type.startswith("text/html"), (label, status, content_type, text[:300])


async def seeded(admin: Browser, tenant: Tenant) -> list[str]:
    """A customer holding an offer and a rule, so every list has rows to link to; the pages that no
    plain link reaches (a customer is found by searching, a rule's form by choosing its kind)."""
    client = admin.http
    offer_id = await create_offer(client, tenant)
    user_id = await create_user(client, tenant, external_customer_id="c-1", email="c@example.com")
    await issue(client, tenant, user_id, offer_id)
    await api(client, tenant, "/api/2.0/rules/create", {"kind": "earn", "name": "base", "rate": "1"})
    return [
        "/admin/offers",
        f"/admin/customers/{user_id}",
        "/admin/rules/new?kind=earn",
        "/admin/rules/new?kind=issuance",
    ]


async def crawl(admin: Browser, starts: list[str]) -> dict[str, str]:
    """Every admin page reachable by links from `starts`: path -> HTML."""
    pages: dict[str, str] = {}
    queue = list(reversed(starts))
    while queue:
        path = queue.pop()
        if path in pages or NOT_FOLLOWED.search(path):
            continue
        response = await admin.get(path)
        assert_html_answer(path, response.status_code, response.headers.get("content-type", ""), response.text)
        if response.status_code != 200:
            continue
        pages[path] = response.text
        for link in parse(response.text).links:
            target = urlsplit(urljoin(path, link))
            if not target.query:  # query variants are fuzzed below, not crawled
                queue.append(target.path)
    return pages


async def test_every_page_survives_odd_query_strings(admin: Browser, db: Database, tenant: Tenant) -> None:
    pages = await crawl(admin, await seeded(admin, tenant))
    # The crawl reached the pages of every area of the UI.
    for area in ("offers", "customers", "rules", "transactions", "stores", "pos-clients", "keys"):
        assert f"/admin/{area}" in pages, sorted(pages)
    assert any(re.fullmatch(r"/admin/customers/[0-9a-f-]{36}/edit", path) for path in pages), sorted(pages)
    before = await snapshot(db)
    for path in sorted(pages):
        for index, name in enumerate(QUERY_NAMES):
            # Three values a name, rotating, so consecutive names together meet every value.
            for value in (BAD_VALUES[(3 * index + shift) % len(BAD_VALUES)] for shift in (0, 1, 2)):
                response = await admin.get(path, params={name: value})
                label = f"GET {path}?{name}={value[:20]!r}"
                assert_html_answer(label, response.status_code, response.headers.get("content-type", ""), response.text)
    assert await snapshot(db) == before  # looking never writes


async def test_every_form_survives_odd_fields(admin: Browser, db: Database, tenant: Tenant) -> None:
    pages = await crawl(admin, await seeded(admin, tenant))
    forms = {
        (urljoin(path, form["action"] or path), tuple(sorted(form["fields"]))): form
        for path, html in pages.items()
        for form in parse(html).forms
        if form["method"] == "get" or "csrf_token" in form["fields"]
    }
    # The forms of every area, search forms (GET) included; sign-out is left out below.
    actions = {re.sub(r"[0-9a-f-]{36}", "{id}", urlsplit(action).path) for action, _ in forms}
    for expected in (
        "/admin/offers/new",
        "/admin/offers/{id}/edit",
        "/admin/customers/{id}/edit",
        "/admin/customers/{id}/issue",
        "/admin/customers/{id}/points",
        "/admin/rules/new",
        "/admin/rules/simulate",
        "/admin/stores/new",
        "/admin/pos-clients/new",
        "/admin/keys/new",
    ):
        assert expected in actions, sorted(actions)
    submitted = 0
    before = await snapshot(db)
    for (action, _), form in sorted(forms.items()):
        if action.endswith("/admin/logout"):
            continue
        names = [name for name in form["fields"] if name != "csrf_token"]
        for index, name in enumerate(names):
            # Two values a field, rotating, so consecutive fields together meet every value.
            for value in (BAD_VALUES[(2 * index + shift) % len(BAD_VALUES)] for shift in (0, 1)):
                fields = {k: v for k, v in form["fields"].items() if v is not None}
                fields[name] = value
                if form["method"] == "get":
                    response = await admin.get(action, params=fields)
                else:
                    fields["csrf_token"] = admin.csrf
                    response = await admin.http.post(action, data=fields)
                submitted += 1
                label = f"POST {action} {name}={value[:20]!r}"
                assert_html_answer(label, response.status_code, response.headers.get("content-type", ""), response.text)
                after = await snapshot(db)
                # Success redirects, except where a new secret is shown once on the answer itself.
                saved = response.status_code in (302, 303) or 'id="secret-value"' in response.text
                if not saved:
                    assert after == before, f"{label} answered {response.status_code} but wrote"
                before = after
    assert submitted > 200, submitted


async def test_a_nul_character_is_a_400_page_that_changes_nothing(admin: Browser, db: Database, tenant: Tenant) -> None:
    starts = await seeded(admin, tenant)
    customer = starts[1]
    before = await snapshot(db)
    search = await admin.get("/admin/customers", params={"q": "c-\u00001"})
    assert (search.status_code, search.headers["content-type"]) == (400, "text/html; charset=utf-8")
    assert "The address contains a NUL character, which is never valid here." in search.text
    [form] = [f for f in parse((await admin.get(customer + "/edit")).text).forms if f["action"].endswith("/edit")]
    assert {"first_name", "email", "phone"} <= set(form["fields"])
    fields = {k: v for k, v in form["fields"].items() if v is not None}
    edited = await admin.post(customer + "/edit", {**fields, "first_name": "Ad\u0000a"})
    assert edited.status_code == 400
    assert "The form contains a NUL character, which is never valid here." in edited.text
    assert await snapshot(db) == before
