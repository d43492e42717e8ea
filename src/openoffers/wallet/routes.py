"""Users, issuance and history routes (API.md 4): decode, authorize, call one
service function, encode."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from openoffers.kit.envelopes import ok
from openoffers.kit.http import endpoint
from openoffers.offers.schemas import MutationResult, OfferRef
from openoffers.tenancy.guards import ADMIN_ROLES, READ_ROLES, WRITE_ROLES, offers_call
from openoffers.wallet import history, offer_status, service, user_offer_actions
from openoffers.wallet.schemas import (
    GetUserRequest,
    HistoryOut,
    HistoryRequest,
    IssueRequest,
    IssueResult,
    ManualRedeemRequest,
    RevokeRequest,
    UpdatedUserOffer,
    UpdateUserOfferRequest,
    UpdateUserRequest,
    UserOfferDetail,
    UserOfferOut,
    UserOfferRequest,
    UserOut,
)

Req = Request[Any, Any, Any]
USERS = ("users",)
WALLET = ("wallet",)


@endpoint("/api/2.0/users/update", summary="Update a user", request=UpdateUserRequest, response=UserOut, tags=USERS)
async def update_user(request: Req) -> Response[bytes]:
    """Changes the fields sent (null clears an optional one); `profile_fields` is replaced whole."""
    call = await offers_call(request, UpdateUserRequest, ADMIN_ROLES)
    return ok(await service.update_user(call.db, call.body, call.now))


@endpoint("/api/2.0/users/get", summary="Get a user", request=GetUserRequest, response=UserOut, tags=USERS)
async def get_user(request: Req) -> Response[bytes]:
    """By `user_id`, `external_customer_id`, `email` or `phone` (the first given, in that order)."""
    call = await offers_call(request, GetUserRequest, READ_ROLES)
    return ok(await service.get_user(call.db, call.body))


@endpoint(
    "/api/2.0/offers/acquisition/issue",
    summary="Issue an offer to a user",
    request=IssueRequest,
    response=IssueResult,
    tags=WALLET,
)
async def issue_user_offer(request: Req) -> Response[bytes]:
    """One `status_list` entry per copy: its `user_offer_id`, or a `fail_reason` (OFFER_NOT_PUBLISHED,
    ACQUISITION_NOT_STARTED, ACQUISITION_ENDED, INVENTORY_EXHAUSTED, PER_CUSTOMER_LIMIT, FREQUENCY_LIMIT)."""
    call = await offers_call(request, IssueRequest, WRITE_ROLES)
    return ok(await service.issue(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/acquisition/revoke",
    summary="Revoke a user offer",
    request=RevokeRequest,
    response=UserOfferOut,
    tags=WALLET,
)
async def revoke_user_offer(request: Req) -> Response[bytes]:
    """Issued or Locked -> Revoked (5), recorded with the reason. Repeating it changes nothing."""
    call = await offers_call(request, RevokeRequest, WRITE_ROLES)
    return ok(await service.revoke(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/acquisition/update",
    summary="Attach data to a user offer",
    request=UpdateUserOfferRequest,
    response=UpdatedUserOffer,
    tags=WALLET,
)
async def update_user_offer(request: Req) -> Response[bytes]:
    """Attaches `custom_data` (opaque text, kept as sent) to the user offer, recorded as an `updated` event
    of its history; its status and window stay. `update_redemption_dates: true` is refused (VALIDATION)."""
    call = await offers_call(request, UpdateUserOfferRequest, WRITE_ROLES)
    return ok(await user_offer_actions.update(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/redemption/manual_redeem",
    summary="Redeem a user offer without a check",
    request=ManualRedeemRequest,
    response=UserOfferOut,
    tags=WALLET,
)
async def manual_redeem(request: Req) -> Response[bytes]:
    """Issued -> Redeemed (3), outside any POS check. Locked: ALREADY_LOCKED (the POS redeems it);
    Redeemed, Expired or Revoked: OFFER_NOT_REDEEMABLE with that `reason`. A refusal changes nothing."""
    call = await offers_call(request, ManualRedeemRequest, WRITE_ROLES)
    return ok(await user_offer_actions.manual_redeem(call.db, call.body, call.now, call.actor))


@endpoint(
    "/api/2.0/offers/get_user_offer",
    summary="One user offer with its events",
    request=UserOfferRequest,
    response=UserOfferDetail,
    tags=WALLET,
)
async def get_user_offer(request: Req) -> Response[bytes]:
    """Any status, with every event of its history (issued, locked, redeemed, expired, revoked...)."""
    call = await offers_call(request, UserOfferRequest, READ_ROLES)
    return ok(await history.get_user_offer(call.db, call.body, call.now))


@endpoint(
    "/api/2.0/offers/user_offer_history",
    summary="User offer history",
    request=HistoryRequest,
    response=HistoryOut,
    tags=WALLET,
)
async def user_offer_history(request: Req) -> Response[bytes]:
    """The guide's shape: every user offer of the users, newest first, paged. `rollback_option` 0 all,
    1 without those reinstated or voided, 2 only those."""
    call = await offers_call(request, HistoryRequest, READ_ROLES)
    return ok(await history.user_offer_history(call.db, call.body, call.now))


# The offer lifecycle routes live here, not in `offers`: deleting an offer revokes its user offers.
OFFER_TAGS = ("offers",)


def _lifecycle(path: str, action: str, summary: str) -> Any:
    async def handler(request: Req) -> Response[bytes]:
        call = await offers_call(request, OfferRef, WRITE_ROLES)
        return ok(
            await offer_status.change_status(call.db, call.body.retailer_id, call.body.offer_id, action, call.now)
        )

    # Litestar names handlers after their function; four lifecycle routes need four names.
    handler.__name__ = handler.__qualname__ = f"{action}_offer"
    return endpoint(
        path,
        summary=summary,
        request=OfferRef,
        response=MutationResult,
        tags=OFFER_TAGS,
        description=f"{summary}. Repeating the call once it has taken effect changes nothing.",
    )(handler)


publish_offer = _lifecycle("/api/2.0/offers/management/publish", "published", "Publish a draft offer")
deactivate_offer = _lifecycle("/api/2.0/offers/management/deactivate", "deactivated", "Deactivate an offer")
reactivate_offer = _lifecycle("/api/2.0/offers/management/reactivate", "reactivated", "Reactivate an offer")
delete_offer = _lifecycle("/api/2.0/offers/management/delete", "deleted", "Delete an offer")


ROUTES = [
    publish_offer,
    deactivate_offer,
    reactivate_offer,
    delete_offer,
    update_user,
    get_user,
    issue_user_offer,
    revoke_user_offer,
    update_user_offer,
    manual_redeem,
    get_user_offer,
    user_offer_history,
]
