"""Credential secrets: random at creation, stored only as a salted SHA-256, compared in constant time.

Why not argon2 here: API and POS secrets are machine-generated with 128+ bits of entropy, so a slow
hash adds no protection against guessing, while it would cost tens of milliseconds on every POS
request. Human passwords (admin UI accounts) use argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_secret(secret: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def secret_matches(secret: str, salt: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt), stored_hash)
