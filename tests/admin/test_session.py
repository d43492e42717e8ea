import base64
import json
from uuid import UUID

import pytest

from openoffers.admin.session import (
    MAX_AGE_SECONDS,
    Session,
    SessionSigner,
    new_session,
    signed_out,
    signing_key,
)

RETAILER = UUID("2d5b5a08-becd-4837-a69a-2ab967c7773a")
NOW = 1_800_000_000


def test_round_trip_signed_in_and_anonymous() -> None:
    signer = SessionSigner("s3cret")
    session = Session(csrf="token", issued_at=NOW, retailer_id=RETAILER, key="demo-admin", token="tk")
    value = signer.dumps(session)
    assert value.startswith("v1.") and value.count(".") == 2
    assert signer.loads(value, NOW + 10) == session
    anonymous = Session(csrf="t2", issued_at=NOW)
    assert signer.loads(signer.dumps(anonymous), NOW) == anonymous
    assert not anonymous.signed_in and session.signed_in


def test_cookie_carries_no_secret_only_public_fields() -> None:
    value = SessionSigner("k").dumps(
        Session(csrf="tok", issued_at=NOW, retailer_id=RETAILER, key="demo-admin", token="tk")
    )
    payload = value.split(".")[1]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    # The server-side session's token is the only bearer part; the database keeps only its hash.
    assert data == {"c": "tok", "k": "demo-admin", "r": str(RETAILER), "s": "tk", "t": NOW}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature changed
        lambda v: (
            "v1." + base64.urlsafe_b64encode(b'{"c":"x","t":1800000000}').decode().rstrip("=") + "." + v.split(".")[2]
        ),  # payload swapped, old signature
        lambda v: "v2" + v[2:],  # unknown version
        lambda v: v + ".extra",
        lambda v: "",
        lambda v: "garbage",
        lambda v: "v1..",
    ],
)
def test_tampered_or_malformed_cookies_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    signer = SessionSigner("k")
    value = signer.dumps(Session(csrf="tok", issued_at=NOW, retailer_id=RETAILER, key="demo-admin", token="tk"))
    assert signer.loads(mangle(value), NOW) is None
    assert signer.loads(None, NOW) is None


def test_another_key_cannot_read_it() -> None:
    value = SessionSigner("one").dumps(Session(csrf="tok", issued_at=NOW))
    assert SessionSigner("two").loads(value, NOW) is None
    assert SessionSigner("one").loads(value, NOW) is not None


def test_expiry_is_absolute_with_a_minute_of_clock_tolerance() -> None:
    signer = SessionSigner("k")
    value = signer.dumps(Session(csrf="tok", issued_at=NOW))
    assert signer.loads(value, NOW + MAX_AGE_SECONDS - 1) is not None
    assert signer.loads(value, NOW + MAX_AGE_SECONDS) is None
    assert signer.loads(value, NOW - 60) is not None
    assert signer.loads(value, NOW - 61) is None


def test_signing_key_derived_or_random_per_process() -> None:
    assert signing_key("") == signing_key("")  # one random key per process
    assert len(signing_key("")) == 32
    assert signing_key("a") == signing_key("a") != signing_key("b")
    assert signing_key("a") != signing_key("")


def test_new_session_has_fresh_csrf_and_sign_out_keeps_nothing() -> None:
    one, two = new_session(NOW), new_session(NOW, retailer_id=RETAILER, key="k", token="tk")
    assert one.csrf != two.csrf and len(one.csrf) >= 40
    assert two.signed_in and not one.signed_in
    assert not signed_out(two).signed_in
    assert signed_out(two).retailer_id is None and signed_out(two).key is None
