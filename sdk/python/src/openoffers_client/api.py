"""The API's operations, written once for both clients.

Each namespace builds a `Call` and hands it to the client's `send`: the sync client's returns the
payload, the async client's an awaitable of it, so `R` is `Any` for `Client` and `Awaitable[Any]` for
`AsyncClient`. Payloads are the server's JSON as documented at `/openapi.json`. Arguments left `None`
are not sent, so the server's defaults apply.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from openoffers_client._core import Call

R = TypeVar("R")
Send = Callable[[Call], R]
Json = Mapping[str, Any]


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class _Offers(Generic[R]):
    def __init__(self, send: Send[R], retailer_id: str) -> None:
        self._send = send
        self._retailer_id = retailer_id

    def _call(self, path: str, **body: Any) -> R:
        return self._send(Call(f"/api/2.0/{path}", {"retailer_id": self._retailer_id, **_clean(body)}))


class Offers(_Offers[R]):
    """Offer definitions: `api/2.0/offers/management/*`, `fetch_offer`, `list`, `fetch_offers_details`."""

    def create(self, definition: Json, *, publish: bool | str | None = None) -> R:
        """Create an offer from its definition (`offer_type`, `text_config`, `common_config`, ...)."""
        return self._call("offers/management/create", **definition, publish=publish)

    def update(self, offer_id: str, definition: Json, *, publish: bool | str | None = None) -> R:
        return self._call("offers/management/update", **definition, offer_id=offer_id, publish=publish)

    def publish(self, offer_id: str) -> R:
        return self._call("offers/management/publish", offer_id=offer_id)

    def deactivate(self, offer_id: str) -> R:
        return self._call("offers/management/deactivate", offer_id=offer_id)

    def reactivate(self, offer_id: str) -> R:
        return self._call("offers/management/reactivate", offer_id=offer_id)

    def delete(self, offer_id: str) -> R:
        return self._call("offers/management/delete", offer_id=offer_id)

    def fetch(self, offer_id: str, *, culture: str | None = None) -> R:
        return self._call("offers/fetch_offer", offer_id=offer_id, culture=culture)

    def list(
        self,
        *,
        status: int | None = None,
        offer_type: str | None = None,
        search: str | None = None,
        reward_store: bool | None = None,
        skip: int | None = None,
        take: int | None = None,
    ) -> R:
        return self._call(
            "offers/list",
            status=status,
            offer_type=offer_type,
            search=search,
            reward_store=reward_store,
            skip=skip,
            take=take,
        )

    def details(self, offer_ids: Sequence[str], *, skip: int | None = None, take: int | None = None) -> R:
        return self._call("offers/fetch_offers_details", offer_ids=list(offer_ids), skip=skip, take=take)


class Users(_Offers[R]):
    """Customers: `api/2.0/users/*`."""

    def create(
        self,
        *,
        external_customer_id: str | None = None,
        user_id: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        profile_fields: Json | None = None,
    ) -> R:
        return self._call(
            "users/create",
            external_customer_id=external_customer_id,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            profile_fields=profile_fields,
        )

    def update(self, user_id: str, **changes: Any) -> R:
        """Change any of `external_customer_id`, `first_name`, `last_name`, `email`, `phone`, `profile_fields`."""
        return self._call("users/update", **changes, user_id=user_id)

    def get(
        self,
        *,
        user_id: str | None = None,
        external_customer_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> R:
        return self._call(
            "users/get", user_id=user_id, external_customer_id=external_customer_id, email=email, phone=phone
        )


class Wallet(_Offers[R]):
    """User offers: issuance, revocation, the wallet, its history, claim codes and the reward store."""

    def issue(
        self, user_id: str, offer_id: str, *, quantity: int | None = None, issue_exact_version: bool | None = None
    ) -> R:
        return self._call(
            "offers/acquisition/issue",
            user_id=user_id,
            offer_id=offer_id,
            quantity=quantity,
            issue_exact_version=issue_exact_version,
        )

    def revoke(self, user_offer_id: str, *, reason: str | None = None) -> R:
        return self._call("offers/acquisition/revoke", user_offer_id=user_offer_id, reason=reason)

    def user_offers(
        self, user_id: str, *, skip: int | None = None, take: int | None = None, culture: str | None = None
    ) -> R:
        return self._call("offers/get_user_offers", user_id=user_id, skip=skip, take=take, culture=culture)

    def user_offer(self, user_offer_id: str, *, culture: str | None = None) -> R:
        return self._call("offers/get_user_offer", user_offer_id=user_offer_id, culture=culture)

    def history(
        self,
        user_ids: Sequence[str],
        *,
        rollback_option: int | None = None,
        skip: int | None = None,
        take: int | None = None,
        culture: str | None = None,
    ) -> R:
        return self._call(
            "offers/user_offer_history",
            user_ids=list(user_ids),
            rollback_option=rollback_option,
            skip=skip,
            take=take,
            culture=culture,
        )

    def claim_code(self, user_offer_id: str) -> R:
        return self._call("offers/claim_code", user_offer_id=user_offer_id)

    def reward_store_offers(
        self,
        *,
        user_id: str | None = None,
        culture: str | None = None,
        skip: int | None = None,
        take: int | None = None,
    ) -> R:
        return self._call(
            "offers/rewardstores/get_reward_store_offers", user_id=user_id, culture=culture, skip=skip, take=take
        )

    def purchase(
        self, user_id: str, offer_id: str, *, quantity: int | None = None, point_account_id: str | None = None
    ) -> R:
        return self._call(
            "offers/rewardstores/purchase_offer",
            user_id=user_id,
            offer_id=offer_id,
            quantity=quantity,
            point_account_id=point_account_id,
        )


class Points(_Offers[R]):
    """Point accounts and each customer's ledger: `api/2.0/point_accounts/*`, `api/2.0/user_points/*`."""

    def create_account(self, name: str, *, grouping_label: str | None = None) -> R:
        return self._call("point_accounts/create", name=name, grouping_label=grouping_label)

    def list_accounts(self, *, skip: int | None = None, take: int | None = None) -> R:
        return self._call("point_accounts/list", skip=skip, take=take)

    def deposit(
        self,
        user_id: str,
        amount: int | str,
        *,
        point_account_id: str | None = None,
        reason: str | None = None,
        reference_id: str | None = None,
    ) -> R:
        """A repeated `reference_id` is not applied twice."""
        return self._call(
            "user_points/deposit",
            user_id=user_id,
            amount=amount,
            point_account_id=point_account_id,
            reason=reason,
            reference_id=reference_id,
        )

    def spend(
        self,
        user_id: str,
        amount: int | str,
        *,
        point_account_id: str | None = None,
        reason: str | None = None,
        reference_id: str | None = None,
    ) -> R:
        return self._call(
            "user_points/spend",
            user_id=user_id,
            amount=amount,
            point_account_id=point_account_id,
            reason=reason,
            reference_id=reference_id,
        )

    def balances(self, user_id: str) -> R:
        return self._call("user_points/balances", user_id=user_id)

    def history(
        self,
        user_id: str,
        *,
        point_account_id: str | None = None,
        skip: int | None = None,
        take: int | None = None,
    ) -> R:
        return self._call(
            "user_points/history", user_id=user_id, point_account_id=point_account_id, skip=skip, take=take
        )


class Rules(_Offers[R]):
    """Earn and issuance rules (`api/2.0/rules/*`) and custom events (`api/2.0/user_events/trigger`)."""

    def create(self, rule: Json) -> R:
        """A rule: `kind` (`earn` or `issue`), `name`, `rate`, `trigger`, `offer_id`, ..."""
        return self._call("rules/create", **rule)

    def update(self, rule_id: str, rule: Json) -> R:
        return self._call("rules/update", **rule, rule_id=rule_id)

    def get(self, rule_id: str) -> R:
        return self._call("rules/get", rule_id=rule_id)

    def list(
        self, *, kind: str | None = None, active: bool | None = None, skip: int | None = None, take: int | None = None
    ) -> R:
        return self._call("rules/list", kind=kind, active=active, skip=skip, take=take)

    def activate(self, rule_id: str) -> R:
        return self._call("rules/activate", rule_id=rule_id)

    def deactivate(self, rule_id: str) -> R:
        return self._call("rules/deactivate", rule_id=rule_id)

    def simulate(
        self,
        user_id: str,
        *,
        store_id: str | None = None,
        transaction: Json | None = None,
        event: Json | None = None,
        occurred_at: str | None = None,
    ) -> R:
        """What a check or event would earn and issue, changing nothing."""
        return self._call(
            "rules/simulate",
            user_id=user_id,
            store_id=store_id,
            transaction=transaction,
            event=event,
            occurred_at=occurred_at,
        )

    def trigger_event(
        self,
        user_id: str,
        event_name: str,
        *,
        properties: Json | None = None,
        event_id: str | None = None,
        occurred_at: str | None = None,
    ) -> R:
        return self._call(
            "user_events/trigger",
            user_id=user_id,
            event_name=event_name,
            properties=properties,
            event_id=event_id,
            occurred_at=occurred_at,
        )


class Catalog(_Offers[R]):
    def import_items(self, items: Sequence[Json]) -> R:
        """Items `{item_id, name, category_ids}`, added or replaced."""
        return self._call("catalog/import", items=list(items))


class Pos(Generic[R]):
    """The POS API, as one POS client at one store. Every call carries a `request_id`: given, or a new
    random one; retries of that call send the same one, so the server does the work at most once and
    answers a repeat with its stored reply."""

    def __init__(self, send: Send[R], client_id: str, store_id: str, culture: str | None) -> None:
        self._send = send
        self._client_id = client_id
        self._store_id = store_id
        self._culture = culture

    def _call(self, path: str, payload: Json, request_id: str | None, culture: str | None) -> R:
        body = _clean(
            {
                "store_id": self._store_id,
                "client_id": self._client_id,
                "request_id": request_id or uuid.uuid4().hex,
                "culture": culture or self._culture,
            }
        )
        body["request_payload"] = _clean(payload)
        return self._send(Call(f"/api/2.0/{path}", body, pos=True, retry=True))

    def lookup(
        self,
        *,
        external_customer_id: str | None = None,
        user_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        transaction: Json | None = None,
        request_id: str | None = None,
        culture: str | None = None,
    ) -> R:
        """The customer and their redeemable offers (priced against `transaction` when given)."""
        payload = {
            "external_customer_id": external_customer_id,
            "user_id": user_id,
            "email": email,
            "phone": phone,
            "transaction": transaction,
        }
        return self._call("lookup", payload, request_id, culture)

    def lock(
        self,
        offer_lookup_code: str,
        transaction: Json,
        *,
        offer_lookup_type: str = "userofferid",
        request_id: str | None = None,
        culture: str | None = None,
    ) -> R:
        """Lock a user offer (or a `ttlcode` claim code) to the check; answers the discount object."""
        payload = {"offer_lookup_code": offer_lookup_code, "offer_lookup_type": offer_lookup_type}
        return self._call("lock", {**payload, "transaction": transaction}, request_id, culture)

    def redeem(
        self,
        offer_lookup_code: str,
        transaction: Json,
        *,
        offer_lookup_type: str = "userofferid",
        request_id: str | None = None,
        culture: str | None = None,
    ) -> R:
        """Lock and redeem in one call."""
        payload = {"offer_lookup_code": offer_lookup_code, "offer_lookup_type": offer_lookup_type}
        return self._call("redeem", {**payload, "transaction": transaction}, request_id, culture)

    def unlock(
        self,
        user_offer_id: str,
        *,
        employee_id: str | None = None,
        transaction_id: str | None = None,
        request_id: str | None = None,
    ) -> R:
        payload = {"user_offer_id": user_offer_id, "employee_id": employee_id, "transaction_id": transaction_id}
        return self._call("unlock", payload, request_id, None)

    def reinstate(self, user_offer_id: str, *, employee_id: str | None = None, request_id: str | None = None) -> R:
        return self._call("reinstate", {"user_offer_id": user_offer_id, "employee_id": employee_id}, request_id, None)

    def send_transaction(self, transaction: Json, *, request_id: str | None = None) -> R:
        """Store an open check, or close it (`is_closed`): its `sessionm` discounts are redeemed."""
        return self._call("send_transaction", transaction, request_id, None)
