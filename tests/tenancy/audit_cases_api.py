"""The management API's changes and the audit rows each must leave (`test_audit_complete.py` runs them).

Each case prepares what its change needs, calls `w.start()`, makes one valid change with the tenant's
admin key, and answers the rows expected, in order. Bodies are the fuzz test's valid ones
(`tests.test_fuzz.offers_bodies`), so every route is called as a client would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.tenancy.audit_support import Row, World
from tests.test_fuzz import offers_bodies

Case = Callable[[World], Awaitable[list[Row]]]
API_CASES: dict[str, Case] = {}

A = "/api/2.0"


def case(path: str) -> Callable[[Case], Case]:
    def register(act: Case) -> Case:
        API_CASES[f"POST {path}"] = act
        return act

    return register


def body(w: World, path: str, **changes: Any) -> dict[str, Any]:
    return {**offers_bodies(w.ids, w.tenant)[path], **changes}


async def call(w: World, path: str, **changes: Any) -> Any:
    return await w.api(path, body(w, path, **changes))


# --------------------------------------------------------------------------------------- customers


@case(f"{A}/users/create")
async def _users_create(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/users/create")
    profile = {
        "external_customer_id": "ext-2",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "+1 555 0101",
        "profile_fields": {"tier": "gold"},
    }
    return [w.by_key("customer", made["user_id"], "created", None, profile)]


@case(f"{A}/users/update")
async def _users_update(w: World) -> list[Row]:
    await w.start()
    await call(w, f"{A}/users/update")
    # Only what changed: the name and the profile fields; the e-mail and phone sent unchanged are not.
    before, after = {"last_name": "", "profile_fields": {}}, {"last_name": "Lovelace", "profile_fields": {"a": 1}}
    return [w.by_key("customer", w.ids.user_id, "updated", before, after)]


# ------------------------------------------------------------------------------------- user offers


async def user_offer(w: World, user_offer_id: str) -> dict[str, Any]:
    return dict(await w.api(f"{A}/offers/get_user_offer", {"user_offer_id": user_offer_id}))


def issued_view(w: World, held: dict[str, Any]) -> dict[str, Any]:
    """What an issued user offer's row must say, from the wallet API's answer about it."""
    return {
        "user_id": w.ids.user_id,
        "offer_id": held["offer_id"],
        "root_offer_id": held["root_offer_id"],
        "status": "issued",
        "redemption_start": held["redemption_start_date"],
        "redemption_end": held["redemption_end_date"],
    }


@case(f"{A}/offers/acquisition/issue")
async def _issue(w: World) -> list[Row]:
    await w.start()
    # Two copies: one row each (the documented number is the copies made).
    answer = await call(w, f"{A}/offers/acquisition/issue", quantity=2)
    made = [s["user_offer_id"] for s in answer["status_list"]]
    assert len(made) == 2 and None not in made, answer
    return [w.by_key("user_offer", uo, "issued", None, issued_view(w, await user_offer(w, uo))) for uo in made]


@case(f"{A}/offers/acquisition/revoke")
async def _revoke(w: World) -> list[Row]:
    await w.start()
    await call(w, f"{A}/offers/acquisition/revoke")
    after = {"status": "revoked", "reason": "fraud"}
    return [w.by_key("user_offer", w.ids.user_offer_id, "revoked", {"status": "issued"}, after)]


@case(f"{A}/offers/acquisition/update")
async def _attach(w: World) -> list[Row]:
    await call(w, f"{A}/offers/acquisition/update", custom_data="first")
    await w.start()
    await call(w, f"{A}/offers/acquisition/update")
    before, after = {"custom_data": "first"}, {"custom_data": '{"system_transaction_id": "T-1"}'}
    return [w.by_key("user_offer", w.ids.user_offer_id, "updated", before, after)]


@case(f"{A}/offers/redemption/manual_redeem")
async def _manual_redeem(w: World) -> list[Row]:
    await w.start()
    await call(w, f"{A}/offers/redemption/manual_redeem", reason="gift at the desk")
    after = {"status": "redeemed", "reason": "gift at the desk"}
    return [w.by_key("user_offer", w.ids.user_offer_id, "redeemed", {"status": "issued"}, after)]


# ------------------------------------------------------------------------------------------ offers


@case(f"{A}/offers/management/create")
async def _offer_create(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/offers/management/create")
    return [w.by_key("offer", made["offer_id"], "created", None, await w.offer_view(made["offer_id"]))]


@case(f"{A}/offers/management/update")
async def _offer_update(w: World) -> list[Row]:
    before = await w.offer_view(w.ids.offer_id)
    await w.start()
    # The offer has user offers: the change is a new revision, recorded against the root offer.
    made = await call(w, f"{A}/offers/management/update")
    assert made["revisioned"] is True
    after = await w.offer_view(made["offer_id"])
    assert after["revision"] == 2
    return [w.by_key("offer", w.ids.offer_id, "revisioned", before, after)]


def status_case(action: str, path: str, was: str, now: str, prepare: str | None = None) -> None:
    """publish / deactivate / reactivate / delete: the revision's status before and after."""

    @case(f"{A}/offers/management/{path}")
    async def act(w: World) -> list[Row]:
        offer_id = w.ids.offer_id
        if was == "draft":
            offer_id = await w.draft_offer(body(w, f"{A}/offers/management/create"))
        if prepare:
            await w.api(f"{A}/offers/management/{prepare}", {"offer_id": offer_id})
        await w.start()
        await w.api(f"{A}/offers/management/{path}", {"offer_id": offer_id})
        revision = (await w.offer_view(offer_id))["revision"]
        before, after = {"revision": revision, "status": was}, {"revision": revision, "status": now}
        return [w.by_key("offer", offer_id, action, before, after)]


status_case("published", "publish", "draft", "published")
status_case("deactivated", "deactivate", "published", "deactivated")
status_case("reactivated", "reactivate", "deactivated", "published", prepare="deactivate")
# Deleting revokes the offer's unredeemed user offers: that is the deletion's consequence, in each user
# offer's history; the audit row is the deletion.
status_case("deleted", "delete", "published", "deleted")


# ---------------------------------------------------------------------------------- points, rules


@case(f"{A}/point_accounts/create")
async def _point_account(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/point_accounts/create")
    after = {"name": "Coffee", "grouping_label": "drinks"}
    return [w.by_key("point_account", made["point_account_id"], "created", None, after)]


def points_row(w: World, action: str, was: int, now: int, entry_id: Any) -> Row:
    account = w.ids.point_account_id
    before = {"point_account_id": account, "available": was}
    after = {"point_account_id": account, "available": now, "entry_id": int(entry_id)}
    return w.by_key("points", w.ids.user_id, action, before, after)


@case(f"{A}/user_points/deposit")
async def _deposit(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/user_points/deposit")
    return [points_row(w, "adjust", 500, 510, made["entry_id"])]


@case(f"{A}/user_points/spend")
async def _spend(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/user_points/spend")
    return [points_row(w, "spend", 500, 499, made["entry_id"])]


@case(f"{A}/user_points/spend_multiple")
async def _spend_multiple(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/user_points/spend_multiple")
    [spent] = made["details"]
    return [points_row(w, "spend", 500, 490, spent["tracking_id"])]


@case(f"{A}/rules/create")
async def _rule_create(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/rules/create")
    return [w.by_key("rule", made["rule_id"], "created", None, await w.rule_view(made["rule_id"]))]


@case(f"{A}/rules/update")
async def _rule_update(w: World) -> list[Row]:
    before = await w.rule_view(w.ids.rule_id)
    await w.start()
    await call(w, f"{A}/rules/update")
    after = await w.rule_view(w.ids.rule_id)
    assert (after["name"], after["revision"]) == ("double", 2)
    return [w.by_key("rule", w.ids.rule_id, "updated", before, after)]


def rule_status_case(path: str, action: str) -> None:
    @case(f"{A}/rules/{path}")
    async def act(w: World) -> list[Row]:
        if path == "activate":
            await w.api(f"{A}/rules/deactivate", {"rule_id": w.ids.rule_id})
        before = await w.rule_view(w.ids.rule_id)
        await w.start()
        await w.api(f"{A}/rules/{path}", {"rule_id": w.ids.rule_id})
        after = await w.rule_view(w.ids.rule_id)
        assert after["active"] is (path == "activate")
        return [w.by_key("rule", w.ids.rule_id, action, before, after)]


rule_status_case("activate", "activated")
rule_status_case("deactivate", "deactivated")


# ------------------------------------------------------------------------------ catalog, webhooks


@case(f"{A}/catalog/import")
async def _catalog(w: World) -> list[Row]:
    await w.api(f"{A}/catalog/import", {"items": [{"item_id": "9", "name": "Tea", "category_ids": []}]})
    await w.start()
    await w.api(f"{A}/catalog/import", {"items": [{"item_id": "9", "name": "Green tea"}, {"item_id": "1"}]})
    # Against the retailer (its one catalog): the counts, not the items.
    return [w.by_key("catalog", w.retailer, "imported", None, {"imported": 2, "new": 1})]


def without_secret(endpoint: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in endpoint.items() if k != "secret"}


@case(f"{A}/webhooks/create")
async def _webhook_create(w: World) -> list[Row]:
    await w.start()
    made = await call(w, f"{A}/webhooks/create")
    return [w.by_key("webhook", made["webhook_id"], "created", None, without_secret(made))]


def webhook_case(path: str, action: str, prepare: str | None = None) -> None:
    @case(f"{A}/webhooks/{path}")
    async def act(w: World) -> list[Row]:
        hook = w.ids.webhook_id
        if prepare:
            await w.api(f"{A}/webhooks/{prepare}", {"webhook_id": hook})
        before = await w.webhook(hook)
        w.clock.advance(minutes=1)  # so that `updated_at` tells the two apart
        await w.start()
        made = await call(w, f"{A}/webhooks/{path}")
        after = None if path == "delete" else without_secret(made)
        assert after is None or after["updated_at"] != before["updated_at"]
        return [w.by_key("webhook", hook, action, before, after)]


webhook_case("update", "updated")
webhook_case("rotate_secret", "secret_rotated")
webhook_case("pause", "paused")
webhook_case("resume", "resumed", prepare="pause")
webhook_case("delete", "deleted")


@case(f"{A}/webhooks/resend")
async def _resend(w: World) -> list[Row]:
    hook, delivery = w.ids.webhook_id, w.ids.delivery_id
    before = await w.delivery(hook, delivery)
    assert before["status"] == "failed"
    await w.start()
    made = await call(w, f"{A}/webhooks/resend")
    [after] = made["results"]
    assert after["status"] == "pending"
    return [w.by_key("webhook", hook, "resent", before, after)]
