"""Running the app under uvicorn, with the limits a public server needs that uvicorn does not set.

uvicorn bounds how long an idle keep-alive connection stays open, but not how long a client may take
to send a request: a client that opens connections and sends its headers or body a byte at a time
holds them forever (slowloris). `ReadDeadlineProtocol` gives every request a deadline: from the
connection opening (or the request's first byte, on a kept-alive connection) until the request,
headers and body, has arrived. Past it the client gets 408 and the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from openoffers.kit.envelopes import error_body
from openoffers.kit.errors import RequestTimeout
from openoffers.settings import Settings

_TIMED_OUT_BODY = error_body(RequestTimeout("the request did not arrive in time"))
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_TIMED_OUT_BODY), _TIMED_OUT_BODY)
)


class ReadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for receiving each request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timeout = float(Settings.from_env().request_read_timeout_seconds)
        self._read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if self._read_timeout > 0:
            self._read_deadline = self.loop.call_later(self._read_timeout, self._expired)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _expired(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMED_OUT)
        self.transport.close()
