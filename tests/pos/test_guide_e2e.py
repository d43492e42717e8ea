"""The guide's six steps over HTTP against a real `openoffers serve` process, on SQLite and PostgreSQL: create,
fetch, issue, Lookup (with the guide's own Authorization header), Lock, send_transaction; then the history
shows the offers Redeemed. The tenant is the demo retailer (`openoffers demo`), whose second POS client is the
one the guide's Lock and send_transaction name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openoffers import demo
from tests.conftest import _truncate_pg, basic
from tests.pos.test_guide_requests import (
    GUIDE_LOCK,
    GUIDE_LOOKUP,
    GUIDE_LOOKUP_AUTHORIZATION,
    LOCK_CLIENT_ID,
)
from tests.serve_support import serving
from tests.test_guide_e2e import GUIDE_CREATE_FIXED, check_step_1_fixed, cli, guide_fetch_body

JSON = {"Content-Type": "application/json"}
# The guide's history request, verbatim (its user id is the demo customer's).
GUIDE_HISTORY = (
    '{"retailer_id":"2D5B5A08-BECD-4837-A69A-2AB967C7773A","user_ids":["7802673c-0c37-11e8-8ca7-26'
    '05c0686dd6"],"rollback_option":0,"skip":0,"take":1}'
)


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'e2e.db'}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    with serving(url, tmp_path) as base_url:
        yield base_url, url


def test_the_guides_six_steps_against_openoffers_serve(served: tuple[str, str]) -> None:
    base_url, database_url = served
    made = cli("demo", "--database-url", database_url)
    assert made["pos_client_id"] == str(demo.POS_CLIENT_ID)
    admin = {**JSON, **basic(demo.API_KEY, demo.API_SECRET)}
    pos_headers = {**JSON, **basic(str(LOCK_CLIENT_ID), demo.LOCK_CLIENT_SECRET)}
    # Step 1's offer, still acquirable today so that step 3 can issue it.
    create = GUIDE_CREATE_FIXED.replace("2019-03-31 23:59:00.0", "2099-03-31 23:59:00.0")

    with httpx.Client(base_url=base_url, timeout=20) as http:
        # 1. Create an offer.
        offer_id = check_step_1_fixed(http.post("/api/2.0/offers/management/create", content=create, headers=admin))
        # 2. Get its details.
        fetched = http.post("/api/2.0/offers/fetch_offer", content=guide_fetch_body(offer_id), headers=admin)
        assert fetched.json()["payload"]["offer"]["title"] == "Test Image URL"
        # 3. Issue it to the guide's customer.
        issued = http.post(
            "/api/2.0/offers/acquisition/issue",
            json={
                "retailer_id": str(demo.RETAILER_ID),
                "user_id": str(demo.USER_ID),
                "offer_id": offer_id,
                "quantity": 1,
            },
            headers=admin,
        )
        [entry] = issued.json()["payload"]["status_list"]
        assert entry["fail_reason"] == 0
        manual = entry["user_offer_id"]

        # 4. Lookup, verbatim, with the guide's own Authorization header.
        looked = http.post(
            "/api/2.0/Lookup", content=GUIDE_LOOKUP, headers={**JSON, "Authorization": GUIDE_LOOKUP_AUTHORIZATION}
        )
        assert looked.status_code == 200, looked.text
        assert looked.json()["status"] == "success"
        [customer] = looked.json()["payload"]
        assert customer["user_reference_id"] == str(demo.USER_ID)
        assert [(o["reference_id"], o["status"]) for o in customer["offers"]] == [
            (manual, "INFO"),
            (str(demo.USER_OFFER_ID), "INFO"),
        ]
        assert customer["accounts"][0]["AvailableBalance"] == 10

        # 5. Lock, verbatim (the demo's $5 offer), and the offer issued in step 3 on the same check.
        locked = http.post("/api/2.0/Lock", content=GUIDE_LOCK, headers=pos_headers)
        assert locked.status_code == 200, locked.text
        five = locked.json()["payload"]
        assert (five["status"], five["amount"], five["discounted_line_ids"]) == ("LOCKED", 5, ["0", "1"])
        second = json.loads(GUIDE_LOCK)
        second["request_id"] = "2"
        second["request_payload"]["offer_lookup_code"] = manual
        second["request_payload"]["transaction"]["discounts"] = [five]
        also = http.patch("/api/2.0/offers/redemption/lock", json=second, headers=pos_headers)
        assert also.status_code == 200, also.text
        assert (also.json()["payload"]["amount"], also.json()["payload"]["stack_order"]) == (0, 1)

        # 6. send_transaction: the Lock's check, closed, with both discounts.
        closed = json.loads(GUIDE_LOCK)
        closed["request_id"] = "3"
        transaction = closed["request_payload"].pop("transaction")
        closed["request_payload"] = {
            **transaction,
            "is_closed": "true",
            "discounts": [five, also.json()["payload"]],
            "payments": [
                {
                    "payment_id": "p-1",
                    "amount": "7.54",
                    "type": "CREDIT",
                    "user_id": str(demo.USER_ID),
                    "user_id_type": "SessionM_ID",
                }
            ],
        }
        sent = http.post("/api/2.0/offers/send_transaction", json=closed, headers=pos_headers)
        assert (sent.status_code, sent.content) == (200, b'{"status":"OK","payload":null,"errors":null}')

        # The history (the guide's own request, then all of it) shows both Redeemed.
        history = http.post("/api/2.0/offers/user_offer_history", content=GUIDE_HISTORY, headers=admin)
        [newest] = history.json()["payload"]["results"]
        assert (newest["user_offer_id"], newest["status"], newest["status_description"]) == (manual, 3, "Redeemed")
        everything = json.loads(GUIDE_HISTORY) | {"take": 10}
        history = http.post("/api/2.0/offers/user_offer_history", json=everything, headers=admin)
        assert {r["user_offer_id"]: r["status_description"] for r in history.json()["payload"]["results"]} == {
            manual: "Redeemed",
            str(demo.USER_OFFER_ID): "Redeemed",
        }
        # And Lookup no longer offers them.
        looked = http.post(
            "/api/2.0/lookup", content=GUIDE_LOOKUP, headers={**JSON, "Authorization": GUIDE_LOOKUP_AUTHORIZATION}
        )
        assert looked.json()["payload"][0]["offers"] == []
