"""Schemathesis against `/openapi.json` of a real `openoffers serve` (SQLite, the demo retailer): for every
operation, a bounded number of generated requests, authenticated with the demo's credentials and aimed at
the demo's retailer, store and POS client. No answer may be a 5xx, and every answer must match the schema
documented for its status."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from openoffers import demo
from tests.conftest import QUEUEING_ENV
from tests.serve_support import OPENOFFERS, serving

# Per operation; about 45 operations. Bounded so the whole test stays well under two minutes of CI.
EXAMPLES = 12
OFFERS_AUTH = (demo.API_KEY, demo.API_SECRET)
POS_AUTH = (str(demo.LOCK_CLIENT_ID), demo.LOCK_CLIENT_SECRET)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{tmp / 'st.db'}"
    subprocess.run([OPENOFFERS, "demo", "--database-url", url, "--json"], check=True, capture_output=True, timeout=120)
    with serving(url, tmp, env=QUEUEING_ENV) as base:
        yield base


def aim_at_the_demo(body: Any) -> tuple[str, str]:
    """Point a generated body at the demo tenant (else nearly every request is refused before any work);
    answers the credentials its family needs."""
    if not isinstance(body, dict):
        return OFFERS_AUTH
    if "request_payload" in body:
        body["store_id"] = str(demo.LOCK_STORE_ID)
        body["client_id"] = str(demo.LOCK_CLIENT_ID)
        return POS_AUTH
    body["retailer_id"] = str(demo.RETAILER_ID)
    return OFFERS_AUTH


def test_every_operation_answers_per_its_schema_and_never_5xx(base_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    checks = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
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
            auth = aim_at_the_demo(case.body)
            response = case.call(base_url=base_url, auth=auth, timeout=30)
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as error:  # every operation's failure, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert operations >= 40
    assert failures == [], "\n\n".join(failures)
