"""One `openoffers serve` per engine for the SDK's tests, holding the demo retailer (made with the CLI)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from openoffers import demo
from tests.conftest import _truncate_pg
from tests.serve_support import OPENOFFERS, serving

RETAILER_ID = str(demo.RETAILER_ID)
STORE_ID = str(demo.LOCK_STORE_ID)
POS_CLIENT_ID = str(demo.LOCK_CLIENT_ID)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a server whose database holds the demo retailer. Shared by a module's tests,
    which therefore each use their own customers and checks."""
    tmp = tmp_path_factory.mktemp("sdk")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'sdk.db'}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    done = subprocess.run(
        [OPENOFFERS, "demo", "--database-url", url, "--json"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with serving(url, tmp) as base_url:
        yield base_url


def credentials(**overrides: Any) -> dict[str, Any]:
    """The demo's credentials as client keyword arguments: its admin key, and the guide's Lock client."""
    return {
        "retailer_id": RETAILER_ID,
        "api_key": demo.API_KEY,
        "api_secret": demo.API_SECRET,
        "pos_client_id": POS_CLIENT_ID,
        "pos_secret": demo.LOCK_CLIENT_SECRET,
        "store_id": STORE_ID,
        **overrides,
    }


def offer_definition() -> dict[str, Any]:
    """A $5 check discount, with the lenient forms the guide sends (a decimal as a string, its date form)."""
    return {
        "offer_type": "fixed_amount_check_discount",
        "text_config": [
            {
                "title": "$5 off Check",
                "description": "Five dollars off your check",
                "terms_and_conditions": "One per visit.",
                "culture": "en",
            }
        ],
        "media_config": [],
        "common_config": {
            "acquisition_start_date": "2018-03-01 00:00:00.0",
            "does_not_expire": False,
            "valid_after_end_date": False,
            "reward_store": False,
            "validity_unit": "days",
            "validity_period": 30,
            "custom_data": '{"CustomAttribute":"CustomValue"}',
        },
        "discount_config": {"amount": "5"},
        "offer_config": {"type": "fixed_amount_check_discount"},
        "use_restrictions": [],
        "purchase_restrictions": [],
        "catalog_restrictions": [],
        "location_restrictions": [],
    }


def guide_check(transaction_id: str, **overrides: Any) -> dict[str, Any]:
    """The guide's Lock transaction (step 5), under another transaction id."""
    check: dict[str, Any] = {
        "pos_employee_id": "1000",
        "table_id": "12",
        "channel": "STORE",
        "transaction_id": transaction_id,
        "guest_count": "1",
        "subtotal": "11.77",
        "TaxTotal": ".77",
        "open_time": "2018-06-10 9:20:00.000",
        "modified_time": "2018-06-10 9:30:00.000",
        "items": [
            {
                "line_id": "0",
                "item_id": "1",
                "quantity": "1",
                "unit_price": "10",
                "subtotal": "10",
                "tax_included": ".70",
                "modifies_line_id": "",
            },
            {
                "line_id": "1",
                "item_id": "2",
                "quantity": "1",
                "unit_price": "1",
                "subtotal": "1",
                "tax_included": ".07",
                "modifies_line_id": "0",
            },
        ],
        "discounts": [],
        "payments": [],
    }
    check.update(overrides)
    return check
