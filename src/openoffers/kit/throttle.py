"""Throttling failed credentials so that a guesser slows only themself.

Failures are counted per (client address, account): the owner of an account signs in from another
address at full speed however much someone else guesses at it, and people behind one NAT or proxy do
not share a count across accounts. A pair's first `free` failures within the window cost nothing; after
that each attempt must wait a delay that doubles with every further failure (1 s, 2 s, 4 s, ... up to
`MAX_DELAY_SECONDS`) counted from the pair's latest failure. Nothing is ever locked: waiting the delay
out always gets an attempt checked. The admin sign-in keeps its failures in the database (exact across
processes); the API's Basic auth keeps them in each process's memory (`FailureCounter`), since a write
per wrong secret would let a guesser load the database.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass

UNKNOWN_ADDRESS = "unknown"
MAX_DELAY_SECONDS = 300.0


def client_address(host: str | None) -> str:
    """The address failures are counted by. An IPv6 address counts as its /64 network, which one
    machine usually holds whole; anything that is not an IP address (a test client, a Unix socket)
    is kept as given, shortened to fit."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def delay_seconds(failures: int, free: int) -> float:
    """How long after its latest failure a pair with `failures` failures must wait (0: not at all)."""
    if failures < free:
        return 0.0
    return min(2.0 ** min(failures - free, 30), MAX_DELAY_SECONDS)


@dataclass(slots=True)
class _Pair:
    failures: int
    last_failure: float


class FailureCounter:
    """Failures per (address, account) in one process's memory, for at most `capacity` pairs (the least
    recently failed are forgotten first, so a flood of made-up names cannot grow it without bound)."""

    def __init__(self, *, free: int, window_seconds: float, capacity: int = 10_000) -> None:
        self.free, self.window, self.capacity = max(free, 1), window_seconds, capacity
        self._pairs: OrderedDict[tuple[str, str], _Pair] = OrderedDict()

    def wait(self, pair: tuple[str, str], now: float) -> float:
        """Seconds this pair must still wait before an attempt is checked (0: it may try now)."""
        entry = self._pairs.get(pair)
        if entry is None:
            return 0.0
        if now - entry.last_failure >= self.window:
            del self._pairs[pair]
            return 0.0
        return max(entry.last_failure + delay_seconds(entry.failures, self.free) - now, 0.0)

    def failed(self, pair: tuple[str, str], now: float) -> None:
        entry = self._pairs.pop(pair, None)
        fresh = entry is None or now - entry.last_failure >= self.window
        self._pairs[pair] = _Pair(1 if fresh or entry is None else entry.failures + 1, now)
        while len(self._pairs) > self.capacity:
            self._pairs.popitem(last=False)

    def succeeded(self, pair: tuple[str, str]) -> None:
        self._pairs.pop(pair, None)
