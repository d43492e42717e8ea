"""Every setting, read from OPENOFFERS_* environment variables, with defaults that work on a bare machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from openoffers.kit.db import DEFAULT_TIMEOUTS, Timeouts

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./openoffers.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Connections per server process; PostgreSQL deployments size it to the worker count.
    db_pool_size: int = 10
    # How long a request may wait for the database (see kit.db.Timeouts) before it is answered 503
    # UNAVAILABLE with Retry-After: for a connection, for a lock, and for any one statement.
    db_pool_timeout_ms: int = DEFAULT_TIMEOUTS.pool_ms
    db_lock_timeout_ms: int = DEFAULT_TIMEOUTS.lock_ms
    db_statement_timeout_ms: int = DEFAULT_TIMEOUTS.statement_ms
    # Requests one server process works on at once; more are answered 503 UNAVAILABLE with Retry-After
    # at once rather than queued (kit.admission). 0: no limit.
    max_in_flight: int = 64
    # How long a client may take to send a whole request, headers and body (server.ReadDeadlineProtocol).
    request_read_timeout_seconds: int = 15
    lock_ttl_seconds: int = 900
    # How long a ttlcode (api/2.0/offers/claim_code) stays valid for a Lock.
    claim_code_ttl_seconds: int = 600
    idempotency_ttl_hours: int = 24
    # How long a POS process may answer a POS client's credentials (with its store and retailer) from
    # memory after reading them: a client revoked, or a secret replaced, by another process is refused
    # within this many seconds (tenancy/pos_credentials.py, docs/DECISIONS.md). 0 reads them every call.
    pos_credentials_cache_seconds: int = 5
    # Background housekeeping per process (expiry events, stale locks, old POS replies); 0 turns it off.
    maintenance_interval_seconds: int = 60
    # The webhook worker of each process (openoffers.webhooks.delivery): how often it looks for events
    # and due deliveries (0 turns it off in this process), how long a receiver may take to answer, and
    # after how long of failures with no success between an endpoint is disabled.
    webhook_poll_ms: int = 1000
    webhook_timeout_seconds: int = 10
    webhook_disable_after_hours: int = 24
    # 1 lets webhooks go to loopback and private addresses (a receiver on the same host or network);
    # 0 refuses them, so a retailer cannot make the server call into the operator's network.
    webhook_allow_private_urls: int = 0
    log_level: str = "info"
    # Signs admin session cookies; random per start when unset (sessions end on restart).
    secret_key: str = ""
    # Throttling of wrong credentials, admin sign-in and API Basic auth alike (kit.throttle): per
    # (client address, key), this many failures within the window cost nothing; after them each attempt
    # waits a delay that doubles with every further failure (429 with Retry-After until it has passed).
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses or
    # networks, as uvicorn's forwarded_allow_ips). Empty: none, the peer's own address counts.
    trusted_proxies: str = ""

    @property
    def db_timeouts(self) -> Timeouts:
        return Timeouts(
            pool_ms=max(self.db_pool_timeout_ms, 1),
            lock_ms=max(self.db_lock_timeout_ms, 1),
            statement_ms=max(self.db_statement_timeout_ms, 1),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then OPENOFFERS_<NAME> variables, then explicit non-None overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for spec in fields(cls):
            raw = env.get(f"OPENOFFERS_{spec.name.upper()}")
            if raw is None or raw == "":
                continue
            if spec.type in (int, "int"):
                try:
                    values[spec.name] = int(raw)
                except ValueError:
                    raise SystemExit(f"OPENOFFERS_{spec.name.upper()} must be a whole number, got {raw!r}") from None
            else:
                values[spec.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
