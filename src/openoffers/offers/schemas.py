"""Wire structs of the Offers API (API.md section 3).

Shapes are part of the contract: field names follow the partner guide, including its quirks
(`terms_and_conditions` in, `terms` out). Anything malformed here is a 400 before work starts;
whether a well-formed offer can be *published* is decided in `validation.py`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

from openoffers.kit.wire import Skip, Take, WireTime
from openoffers.pricing import OFFER_TYPE_NAMES

# The offer types are the pricing registry's (`pricing.kinds`); the wire accepts exactly those names.
OFFER_TYPES: tuple[str, ...] = OFFER_TYPE_NAMES
if TYPE_CHECKING:
    # mypy cannot read a Literal built at run time; to it an offer type is a str.
    OfferType = str
else:
    OfferType = Literal[OFFER_TYPES]

PeriodUnit = Literal["minutes", "hours", "days", "weeks", "months", "years"]
Mode = Literal["include", "exclude"]
DayName = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

Short = Annotated[str, Meta(max_length=200)]
Text = Annotated[str, Meta(max_length=8000)]
Culture = Annotated[str, Meta(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$", max_length=35)]
Ident = Annotated[str, Meta(min_length=1, max_length=100)]
ClockTime = Annotated[str, Meta(pattern=r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")]
Count = Annotated[int, Meta(ge=0, le=1_000_000_000)]
Money = Decimal  # ranges are checked in validation.py: msgspec cannot bound Decimals
IdList = Annotated[list[Ident], Meta(max_length=1000)]
# Bounded so that a huge offset is a 400, not a database overflow (SQL OFFSET is a 64-bit integer).


class TextConfig(Struct, kw_only=True):
    title: Short = ""
    description: Text = ""
    terms_and_conditions: Text = ""
    culture: Culture = "en"


class MediaConfig(Struct, kw_only=True):
    uri: Annotated[str, Meta(max_length=2000)]
    culture: Annotated[str, Meta(max_length=35)] = ""
    media_type: Annotated[str, Meta(max_length=50)] = "image"


class CommonConfig(Struct, kw_only=True):
    acquisition_start_date: WireTime | None = None
    acquisition_end_date: WireTime | None = None
    does_not_expire: bool = False
    valid_after_end_date: bool = False
    reward_store: bool = False
    points_cost: Count | None = None
    validity_unit: PeriodUnit | None = None
    validity_period: Count | None = None
    custom_data: Annotated[str, Meta(max_length=65536)] | None = None


class DiscountConfig(Struct, kw_only=True):
    amount: Money | None = None
    percent: Decimal | None = None
    price: Money | None = None
    max_discount: Money | None = None
    max_items: Count | None = None
    buy_count: Count | None = None
    get_count: Count | None = None
    recurrence: Count | None = None


class OfferConfig(Struct, kw_only=True):
    type: OfferType | None = None


# Restrictions: each list holds objects tagged by "type" (API.md 3.1).
class StoresRestriction(Struct, kw_only=True, tag_field="type", tag="stores"):
    mode: Mode = "include"
    store_ids: Annotated[list[UUID], Meta(max_length=1000)] = []
    store_tags: IdList = []


class ItemsRestriction(Struct, kw_only=True, tag_field="type", tag="items"):
    mode: Mode = "include"
    item_ids: IdList = []
    category_ids: IdList = []


class MinSubtotal(Struct, kw_only=True, tag_field="type", tag="min_subtotal"):
    amount: Money


class MinQuantity(Struct, kw_only=True, tag_field="type", tag="min_quantity"):
    quantity: Count
    item_ids: IdList = []
    category_ids: IdList = []


class RequiredItems(Struct, kw_only=True, tag_field="type", tag="required_items"):
    item_ids: IdList = []
    category_ids: IdList = []


class DaysOfWeek(Struct, kw_only=True, tag_field="type", tag="days_of_week"):
    days: Annotated[list[DayName], Meta(max_length=7)]


class TimeOfDay(Struct, kw_only=True, tag_field="type", tag="time_of_day"):
    start: ClockTime
    end: ClockTime


class Channels(Struct, kw_only=True, tag_field="type", tag="channels"):
    channels: Annotated[list[Annotated[str, Meta(min_length=1, max_length=50)]], Meta(max_length=50)]


class MaxUses(Struct, kw_only=True, tag_field="type", tag="max_uses"):
    uses: Count
    period_unit: PeriodUnit = "days"
    period_value: Count = 1


class Inventory(Struct, kw_only=True, tag_field="type", tag="inventory"):
    total: Count


class PerCustomer(Struct, kw_only=True, tag_field="type", tag="per_customer"):
    max: Count


class Frequency(Struct, kw_only=True, tag_field="type", tag="frequency"):
    max: Count
    period_unit: PeriodUnit = "days"
    period_value: Count = 1


LocationRestriction = StoresRestriction
CatalogRestriction = ItemsRestriction
PurchaseRestriction = MinSubtotal | MinQuantity | RequiredItems
UseRestriction = DaysOfWeek | TimeOfDay | Channels | MaxUses
IssuanceRestriction = Inventory | PerCustomer | Frequency

Restrictions = Annotated[list[Any], Meta(max_length=100)]


class OfferDefinition(Struct, kw_only=True):
    """Everything that defines an offer: the create and update bodies without their envelope fields."""

    offer_type: OfferType | None = None
    text_config: Annotated[list[TextConfig], Meta(max_length=50)] = []
    media_config: Annotated[list[MediaConfig], Meta(max_length=50)] = []
    common_config: CommonConfig = msgspec.field(default_factory=CommonConfig)
    discount_config: DiscountConfig = msgspec.field(default_factory=DiscountConfig)
    offer_config: OfferConfig = msgspec.field(default_factory=OfferConfig)
    location_restrictions: Annotated[list[LocationRestriction], Meta(max_length=100)] = []
    catalog_restrictions: Annotated[list[CatalogRestriction], Meta(max_length=100)] = []
    purchase_restrictions: Annotated[list[PurchaseRestriction], Meta(max_length=100)] = []
    use_restrictions: Annotated[list[UseRestriction], Meta(max_length=100)] = []
    issuance_restrictions: Annotated[list[IssuanceRestriction], Meta(max_length=100)] = []
    exclusive: bool = False
    stack_priority: Annotated[int, Meta(ge=-1000, le=1000)] = 0


class CreateOfferRequest(OfferDefinition, kw_only=True):
    retailer_id: UUID
    publish: bool = False


class UpdateOfferRequest(OfferDefinition, kw_only=True):
    """A full replacement of the definition (send every field, as create does)."""

    retailer_id: UUID
    offer_id: UUID
    publish: bool = False


class OfferRef(Struct, kw_only=True):
    retailer_id: UUID
    offer_id: UUID


class FetchOfferRequest(Struct, kw_only=True):
    retailer_id: UUID
    offer_id: UUID
    culture: Annotated[str, Meta(max_length=35)] | None = None


class ListOffersRequest(Struct, kw_only=True):
    retailer_id: UUID
    status: Annotated[int, Meta(ge=0, le=3)] | None = None
    offer_type: OfferType | None = None
    search: Annotated[str, Meta(max_length=200)] | None = None
    reward_store: bool | None = None
    skip: Skip = 0
    take: Take = 50


class OfferDetailsRequest(Struct, kw_only=True):
    retailer_id: UUID
    offer_ids: Annotated[list[UUID], Meta(max_length=1000)] = []
    skip: Skip = 0
    take: Take = 50


# Responses


class MutationResult(Struct, kw_only=True):
    offer_id: UUID
    root_offer_id: UUID
    validation_errors: dict[str, list[str]]
    revisioned: bool
    new_status: int
    state_transition: str


class OfferTextOut(Struct, kw_only=True):
    id: UUID
    offer_id: UUID
    culture: str
    title: str
    description: str
    terms: str


class OfferMediaOut(Struct, kw_only=True):
    id: UUID
    offer_id: UUID
    culture: str
    uri: str
    media_type: str


class OfferOut(Struct, kw_only=True):
    """fetch_offer's `offer`: the guide's fields first, in the guide's order, then ours."""

    offer_type_id: str
    id: UUID
    root_offer_id: UUID
    retailer_id: UUID
    title: str
    status: int
    acquisition_start_date: str | None
    acquisition_end_date: str | None
    validity_period: int | None
    validity_unit: str | None
    reward_store: bool
    custom_data: str | None
    requires_extended_data: bool
    all_items_eligible: bool
    parent_offer_ids: list[UUID]
    check_level: bool
    offer_text: list[OfferTextOut]
    offer_media: list[OfferMediaOut]
    start_date: str | None
    end_date: str | None
    valid_after_end_date: bool
    does_not_expire: bool
    status_description: str
    revision: int
    points_cost: int | None
    exclusive: bool
    stack_priority: int
    discount_config: dict[str, Any]
    location_restrictions: list[dict[str, Any]]
    catalog_restrictions: list[dict[str, Any]]
    purchase_restrictions: list[dict[str, Any]]
    use_restrictions: list[dict[str, Any]]
    issuance_restrictions: list[dict[str, Any]]
    validation_errors: dict[str, list[str]]
    created_at: str
    updated_at: str


class FetchOfferResult(Struct, kw_only=True):
    offer: OfferOut


class OfferSummary(Struct, kw_only=True):
    id: UUID
    root_offer_id: UUID
    revision: int
    title: str
    offer_type: str
    status: int
    status_description: str
    reward_store: bool
    acquisition_start_date: str | None
    acquisition_end_date: str | None
    updated_at: str


class OfferList(Struct, kw_only=True):
    total_records: int
    results: list[OfferSummary]


class OfferDetails(Struct, kw_only=True):
    offer_id: UUID
    root_offer_id: UUID
    title: str
    status: int
    acquisition_count: int
    redemption_count: int
    total_inventory: int | None
    available_inventory_remaining: int | None


class OfferDetailsList(Struct, kw_only=True):
    total_records: int
    results: list[OfferDetails]
