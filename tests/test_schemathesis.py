"""Schemathesis against `/openapi.json` of a real `openoffers serve` (SQLite, the demo retailer): for every
operation, a bounded number of generated requests, authenticated with the demo's credentials and aimed at
the demo's retailer, store and POS client. No answer may be a 5xx, and every answer must match the schema
documented for its status."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Err

from openoffers import demo
from tests.conftest import QUEUEING_ENV
from tests.serve_support import OPENOFFERS, serving

# Per operation; about 45 operations. Bounded so the whole test stays well under two minutes of CI.
EXAMPLES = 8
OFFERS_AUTH = (demo.API_KEY, demo.API_SECRET)
POS_AUTH = (str(demo.LOCK_CLIENT_ID), demo.LOCK_CLIENT_SECRET)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """The base URL, and the ids of the demo's objects by the field names that refer to them."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{tmp / 'st.db'}"
    done = subprocess.run(
        [OPENOFFERS, "demo", "--database-url", url, "--json"], check=True, capture_output=True, timeout=120
    )
    made = json.loads(done.stdout)
    known = {
        "user_id": made["user_id"],
        "user_ids": [made["user_id"]],
        "offer_id": made["offer_id"],
        "offer_ids": [made["offer_id"]],
        "user_offer_id": str(demo.USER_OFFER_ID),
        "offer_lookup_code": str(demo.USER_OFFER_ID),
        "external_customer_id": demo.EXTERNAL_CUSTOMER_ID,
    }
    with serving(url, tmp, env=QUEUEING_ENV) as base:
        yield base, known


def aim_at_the_demo(body: Any, known: dict[str, Any]) -> tuple[str, str]:
    """Point a generated body at the demo tenant and, where it names a customer, offer or user offer, at
    the demo's (else nearly every request is refused before any work); answers the credentials its
    family needs."""
    if not isinstance(body, dict):
        return OFFERS_AUTH
    for holder in (body, body.get("request_payload")):
        if isinstance(holder, dict):
            holder.update({key: value for key, value in known.items() if key in holder})
    if "request_payload" in body:
        body["store_id"] = str(demo.LOCK_STORE_ID)
        body["client_id"] = str(demo.LOCK_CLIENT_ID)
        return POS_AUTH
    body["retailer_id"] = str(demo.RETAILER_ID)
    return OFFERS_AUTH


def test_every_operation_answers_per_its_schema_and_never_5xx(served: tuple[str, dict[str, Any]]) -> None:
    base_url, known = served
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    checks = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation schemathesis cannot read
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            auth = aim_at_the_demo(case.body, known)
            response = case.call(base_url=base_url, auth=auth, timeout=30)
            statuses.setdefault(f"{case.method.upper()} {case.path}", set()).add(response.status_code)
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as error:  # every operation's failure, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert operations >= 40
    # Aimed at the demo's objects, most operations get past refusal to a 200 whose body is checked too.
    answered = sorted(name for name, codes in statuses.items() if 200 in codes)
    assert len(answered) >= 25, statuses
    assert failures == [], "\n\n".join(failures)
