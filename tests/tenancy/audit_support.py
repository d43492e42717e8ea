"""The world the audit completeness test (`test_audit_complete.py`) acts in: a seeded retailer, its admin
API key, a person with the admin role signed in to the admin UI, the command line on the same database,
and the audit log read row by row.

Expected rows are written from what the caller sent and what the API answers or the tables hold, never
from the audit code's own views, so a wrong before or after cannot agree with itself.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from openoffers.cli import app as cli_app
from openoffers.kit.db import Database
from openoffers.offers.repository import STATUS_NAMES
from openoffers.tables.accounts import audit_log
from openoffers.tables.offers import offers
from openoffers.tables.rules import loyalty_rules as rules
from openoffers.tenancy import accounts as people
from tests.admin.conftest import Browser
from tests.admin.test_accounts import PASSWORD, open_browser, signed_in
from tests.conftest import FrozenClock, Tenant
from tests.test_fuzz import Seeded

# (retailer, actor, object type, object id, action, before, after)
Row = tuple[str, str, str, str, str, Any, Any]
OWNER = "owner@example.com"


class Log:
    """The audit rows written since the last look, oldest first."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.seen = 0

    async def new(self) -> list[Row]:
        c = audit_log.c
        async with self.db.read() as conn:
            found = (
                await conn.execute(
                    select(c.id, c.retailer_id, c.actor, c.object_type, c.object_id, c.action, c.before, c.after)
                    .where(c.id > self.seen)
                    .order_by(c.id)
                )
            ).all()
        if found:
            self.seen = found[-1][0]
        return [(str(r[1]), *r[2:]) for r in found]


@dataclass
class World:
    app: Any
    db: Database
    clock: FrozenClock
    http: httpx.AsyncClient
    tenant: Tenant
    ids: Seeded
    owner: Browser
    owner_id: str
    url: str
    tmp: Path
    log: Log

    # ------------------------------------------------------------------ who the rows name

    @property
    def retailer(self) -> str:
        return str(self.tenant.retailer_id)

    def by_key(self, kind: str, object_id: Any, action: str, before: Any, after: Any) -> Row:
        """A change made through the management API with the tenant's admin key."""
        return (self.retailer, f"api_key:{self.tenant.key}", kind, str(object_id), action, before, after)

    def by_owner(self, kind: str, object_id: Any, action: str, before: Any, after: Any) -> Row:
        """A change made in the admin UI by the signed-in person."""
        return (self.retailer, f"account:{self.owner_id}", kind, str(object_id), action, before, after)

    def by_system(self, kind: str, object_id: Any, action: str, before: Any, after: Any, retailer: Any = None) -> Row:
        """A change made on the command line."""
        return (str(retailer or self.retailer), "system", kind, str(object_id), action, before, after)

    async def start(self) -> None:
        """What the case prepared is not what it measures: the rows so far are set aside."""
        await self.log.new()

    # ------------------------------------------------------------------ the three surfaces

    async def api(self, path: str, body: dict[str, Any]) -> Any:
        answer = await self.http.post(path, json={"retailer_id": self.retailer, **body}, headers=self.tenant.auth)
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()["payload"]

    async def form(self, path: str, data: dict[str, Any] | None = None, *, status: int = 303) -> httpx.Response:
        answer = await self.owner.post(path, data or {})
        assert answer.status_code == status, (path, answer.status_code, answer.text[-2000:])
        return answer

    async def upload(self, path: str, name: str, content: str) -> httpx.Response:
        answer = await self.owner.http.post(
            path, data={"csrf_token": self.owner.csrf}, files={"file": (name, content.encode(), "text/csv")}
        )
        assert answer.status_code == 200, (path, answer.text[-2000:])
        return answer

    async def cli(self, *args: str) -> Any:
        """An `openoffers` command against this database; its `--json` answer. (In a thread: the command
        runs its own event loop.)"""
        argv = [*args, "--database-url", self.url, "--json"]
        result = await asyncio.to_thread(CliRunner().invoke, cli_app, argv)
        assert result.exit_code == 0, (argv, result.output)
        return json.loads(result.stdout)

    # ------------------------------------------------------------------ objects as their tables hold them

    async def offer_view(self, offer_id: Any) -> dict[str, Any]:
        """An offer's revision as stored: what its audit rows must show."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(offers).where(offers.c.id == UUID(str(offer_id))))).one()
        return {
            "revision": row.revision,
            "status": STATUS_NAMES[row.status],
            "title": row.title,
            "offer_type": row.offer_type,
            "definition": row.definition,
        }

    async def latest_offer_id(self, root_offer_id: Any) -> str:
        async with self.db.read() as conn:
            found = await conn.scalar(
                select(offers.c.id).where(offers.c.root_offer_id == UUID(str(root_offer_id)), offers.c.is_latest)
            )
        return str(found)

    async def rule_view(self, rule_id: Any) -> dict[str, Any]:
        async with self.db.read() as conn:
            row = (await conn.execute(select(rules).where(rules.c.id == UUID(str(rule_id))))).one()
        return {"name": row.name, "active": row.active, "revision": row.revision, "definition": row.definition}

    async def webhook(self, webhook_id: str) -> dict[str, Any]:
        """An endpoint as the webhooks API lists it."""
        listed = await self.api("/api/2.0/webhooks/list", {})
        return next(e for e in listed["results"] if e["webhook_id"] == webhook_id)

    async def delivery(self, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        listed = await self.api("/api/2.0/webhooks/deliveries", {"webhook_id": webhook_id, "take": 100})
        return next(d for d in listed["results"] if str(d["delivery_id"]) == delivery_id)

    async def draft_offer(self, body: dict[str, Any]) -> str:
        made = await self.api("/api/2.0/offers/management/create", {**body, "publish": False})
        return str(made["offer_id"])


async def owner_of(app: Any, db: Database, tenant: Tenant, clock: FrozenClock) -> tuple[Browser, str]:
    """A person with the admin role, signed in to the admin UI in a browser of their own."""
    account = await people.create_account(
        db, retailer_id=tenant.retailer_id, email=OWNER, role="admin", password=PASSWORD, now=clock()
    )
    return await signed_in(await open_browser(app), OWNER), str(account.id)
