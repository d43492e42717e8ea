"""CSRF protection for the admin forms.

One random token per session, kept in the signed session cookie and sent back by every form as a
hidden field. A cross-site page can make a browser send the cookie (SameSite=Lax still allows
top-level navigations) but cannot read the token, so it cannot forge the field.
"""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_valid(expected: str | None, given: str | None) -> bool:
    """True only when both are present and equal; compared in constant time."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
