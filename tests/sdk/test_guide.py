"""The partner guide's six steps, driven through the SDK (sync and async) against `openoffers serve`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from openoffers_client import (
    AsyncClient,
    AuthenticationFailed,
    Client,
    InvalidRequest,
    NotFound,
    OfferNotRedeemable,
    OpenOffersError,
)
from tests.sdk.conftest import RETAILER_ID, credentials, guide_check, offer_definition


def check_created(created: dict[str, Any]) -> str:
    offer_id: str = created["offer_id"]
    assert created == {
        "offer_id": offer_id,
        "root_offer_id": offer_id,
        "validation_errors": {},
        "revisioned": False,
        "new_status": 1,
        "state_transition": "created_new-(unknown_status>published)",
    }
    return offer_id


def check_fetched(fetched: dict[str, Any], offer_id: str) -> None:
    offer = fetched["offer"]
    assert (offer["id"], offer["root_offer_id"], offer["retailer_id"]) == (offer_id, offer_id, RETAILER_ID)
    assert (offer["offer_type_id"], offer["title"], offer["status"]) == (
        "fixed_amount_check_discount",
        "$5 off Check",
        1,
    )
    assert offer["custom_data"] == '{"CustomAttribute":"CustomValue"}'
    assert [text["terms"] for text in offer["offer_text"]] == ["One per visit."]


def check_issued(issued: dict[str, Any], user_id: str, offer_id: str) -> str:
    [status] = issued["status_list"]
    assert (status["user_id"], status["offer_id"], status["root_offer_id"]) == (user_id, offer_id, offer_id)
    assert (status["fail_reason"], status["fail_reason_code"]) == (0, None)
    user_offer_id: str = status["user_offer_id"]
    return user_offer_id


def check_looked_up(customers: list[dict[str, Any]], user_id: str, user_offer_id: str) -> None:
    [customer] = customers
    assert (customer["user_reference_id"], customer["first_name"], customer["last_name"]) == (user_id, "J", "H")
    [offer] = customer["offers"]
    assert (offer["reference_id"], offer["reference_id_type"], offer["user_id"]) == (
        user_offer_id,
        "userofferid",
        user_id,
    )
    assert (offer["status"], offer["display_name"], offer["amount"], offer["discount_source"]) == (
        "INFO",
        "$5 off Check",
        0,
        "sessionm",
    )


def check_locked(discount: dict[str, Any], user_offer_id: str) -> None:
    assert (discount["reference_id"], discount["status"], discount["amount"]) == (user_offer_id, "LOCKED", 5)
    assert discount["discounted_line_ids"] == ["0", "1"]
    assert discount["applied_time"] is not None


def check_history(history: dict[str, Any], user_offer_id: str) -> None:
    assert history["total_records"] == 1
    [row] = history["results"]
    assert (row["user_offer_id"], row["status"], row["status_description"]) == (user_offer_id, 3, "Redeemed")


def test_the_guides_six_steps_with_the_sync_client(served: str) -> None:
    customer = f"sync-{uuid.uuid4().hex[:8]}"
    transaction_id = str(uuid.uuid4())
    with Client(served, **credentials()) as client:
        offer_id = check_created(client.offers.create(offer_definition(), publish="true"))  # step 1
        check_fetched(client.offers.fetch(offer_id, culture="en-us"), offer_id)  # step 2
        user = client.users.create(external_customer_id=customer, first_name="J", last_name="H")  # step 3
        user_offer_id = check_issued(client.wallet.issue(user["user_id"], offer_id), user["user_id"], offer_id)
        check_looked_up(client.pos.lookup(external_customer_id=customer), user["user_id"], user_offer_id)  # step 4
        discount = client.pos.lock(user_offer_id, guide_check(transaction_id))  # step 5
        check_locked(discount, user_offer_id)
        closed = guide_check(transaction_id, is_closed="true", discounts=[discount])
        assert client.pos.send_transaction(closed) is None  # step 6
        check_history(client.wallet.history([user["user_id"]]), user_offer_id)
        [after] = client.pos.lookup(external_customer_id=customer)
        assert after["offers"] == []
        # The redeemed offer cannot be locked again: a typed error with the server's code and reason.
        with pytest.raises(OfferNotRedeemable) as refused:
            client.pos.lock(user_offer_id, guide_check(str(uuid.uuid4())))
        assert (refused.value.status_code, refused.value.code, refused.value.reason) == (
            422,
            "OFFER_NOT_REDEEMABLE",
            "REDEEMED",
        )


async def test_the_guides_six_steps_with_the_async_client(served: str) -> None:
    customer = f"async-{uuid.uuid4().hex[:8]}"
    transaction_id = str(uuid.uuid4())
    async with AsyncClient(served, **credentials()) as client:
        offer_id = check_created(await client.offers.create(offer_definition(), publish="true"))
        check_fetched(await client.offers.fetch(offer_id, culture="en-us"), offer_id)
        user = await client.users.create(external_customer_id=customer, first_name="J", last_name="H")
        issued = await client.wallet.issue(user["user_id"], offer_id)
        user_offer_id = check_issued(issued, user["user_id"], offer_id)
        check_looked_up(await client.pos.lookup(external_customer_id=customer), user["user_id"], user_offer_id)
        discount = await client.pos.lock(user_offer_id, guide_check(transaction_id))
        check_locked(discount, user_offer_id)
        closed = guide_check(transaction_id, is_closed="true", discounts=[discount])
        assert await client.pos.send_transaction(closed) is None
        check_history(await client.wallet.history([user["user_id"]]), user_offer_id)


def test_refusals_are_typed_errors_with_code_and_fields(served: str) -> None:
    with Client(served, **credentials()) as client:
        missing = str(uuid.uuid4())
        with pytest.raises(NotFound) as not_found:
            client.offers.fetch(missing)
        assert (not_found.value.status_code, not_found.value.code) == (404, "NOT_FOUND")
        assert not_found.value.request_id

        with pytest.raises(InvalidRequest) as invalid:
            client.offers.create({**offer_definition(), "offer_type": "nonsense"})
        assert (invalid.value.status_code, invalid.value.code) == (400, "VALIDATION")
        assert list(invalid.value.fields) == ["offer_type"]
        assert client.offers.list(search="nonsense")["total_records"] == 0

        with pytest.raises(NotFound) as no_user:
            client.pos.lookup(external_customer_id="nobody-at-all")
        assert no_user.value.code == "USER_NOT_FOUND"

    with Client(served, **credentials(api_secret="wrong", pos_secret="wrong")) as wrong:
        with pytest.raises(AuthenticationFailed) as denied:
            wrong.offers.list()
        assert (denied.value.status_code, denied.value.code) == (401, "INVALID_API_KEY")
        with pytest.raises(AuthenticationFailed):
            wrong.pos.lookup(external_customer_id="14311211")

    with Client(served, retailer_id=RETAILER_ID) as anonymous:
        with pytest.raises(OpenOffersError) as no_credentials:
            anonymous.offers.list()
        assert no_credentials.value.code == "MISSING_CREDENTIALS"


def test_points_rules_and_wallet_calls(served: str) -> None:
    with Client(served, **credentials()) as client:
        user = client.users.create(external_customer_id=f"points-{uuid.uuid4().hex[:8]}")
        user_id = user["user_id"]
        reference = str(uuid.uuid4())
        client.points.deposit(user_id, 120, reason="welcome", reference_id=reference)
        client.points.deposit(user_id, 120, reason="welcome", reference_id=reference)  # not applied twice
        client.points.spend(user_id, "20", reason="coffee")
        balances = client.points.balances(user_id)
        assert (balances["available_points"], balances["lifetime_points"]) == (100, 120)
        [account] = balances["accounts"]
        assert (account["available_balance"], account["lifetime_value"]) == (100, 120)
        assert client.points.history(user_id)["total_records"] == 2
        rule = client.rules.create({"kind": "earn", "name": "1 point per dollar", "rate": 1})
        assert client.rules.get(rule["rule_id"])["name"] == "1 point per dollar"
        assert client.rules.deactivate(rule["rule_id"])["active"] is False
        wallet = client.wallet.user_offers(user_id)
        assert (wallet["total_records"], wallet["available_points"]) == (0, 100)
