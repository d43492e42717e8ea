"""Signed cookie sessions for the admin UI, with the standard library's HMAC-SHA256.

The cookie holds `v1.<base64url JSON>.<base64url HMAC>`: the CSRF token and when the session began,
and once signed in the retailer, the API key's public half and the token of the server-side session
(`admin.session_store`), without which a signed-in cookie is worth nothing: signing out, revoking the
key or changing its role ends the session on the server, whatever the cookie says. It is signed, not
encrypted, so it carries nothing else secret. The key is derived from `settings.secret_key`; when that
is empty a random key is made once per process, so sessions end when the server restarts and are not
shared between worker processes (multi-worker deployments set OPENOFFERS_SECRET_KEY).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from uuid import UUID

from openoffers.admin import csrf

COOKIE_NAME = "openoffers_admin"
COOKIE_PATH = "/admin"
# Absolute lifetime: a session ends this long after sign-in, however active it is.
MAX_AGE_SECONDS = 12 * 3600
_VERSION = "v1"
_PROCESS_KEY = secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class Session:
    """A browser's session. Before sign-in it only carries the CSRF token for the sign-in form."""

    csrf: str
    issued_at: int  # Unix seconds
    retailer_id: UUID | None = None
    key: str | None = None
    token: str | None = None  # the server-side session's (admin.session_store)

    @property
    def signed_in(self) -> bool:
        return self.retailer_id is not None and self.key is not None and self.token is not None


def new_session(
    now: int, *, retailer_id: UUID | None = None, key: str | None = None, token: str | None = None
) -> Session:
    """A fresh session with a new CSRF token (sign-in always starts one: no session fixation)."""
    return Session(csrf=csrf.new_token(), issued_at=now, retailer_id=retailer_id, key=key, token=token)


def signed_out(session: Session) -> Session:
    return replace(session, retailer_id=None, key=None, token=None)


def signing_key(secret_key: str) -> bytes:
    """The HMAC key: derived from the configured secret, or this process's random key."""
    if not secret_key:
        return _PROCESS_KEY
    return hashlib.sha256(b"openoffers admin session\x00" + secret_key.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = signing_key(secret_key)

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{_VERSION}.{payload}".encode(), hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        data: dict[str, object] = {"c": session.csrf, "t": session.issued_at}
        if session.signed_in:
            data["r"] = str(session.retailer_id)
            data["k"] = session.key
            data["s"] = session.token
        payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return f"{_VERSION}.{payload}.{self._sign(payload)}"

    def loads(self, value: str | None, now: int) -> Session | None:
        """The session, or None when the cookie is missing, tampered with, malformed or expired."""
        if not value:
            return None
        parts = value.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            return None
        _, payload, signature = parts
        if not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            return None
        try:
            data = json.loads(_unb64(payload))
            token, issued_at = data["c"], data["t"]
            retailer = UUID(data["r"]) if "r" in data else None
            key = data.get("k")
            server_token = data.get("s")
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None
        if not isinstance(token, str) or not isinstance(issued_at, int):
            return None
        if not all(value is None or isinstance(value, str) for value in (key, server_token)):
            return None
        # A minute of tolerance for clocks that differ slightly between processes.
        if not issued_at - 60 <= now < issued_at + MAX_AGE_SECONDS:
            return None
        if not (retailer is None) == (key is None) == (server_token is None):
            return None
        return Session(csrf=token, issued_at=issued_at, retailer_id=retailer, key=key, token=server_token)
