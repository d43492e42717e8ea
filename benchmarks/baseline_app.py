"""The same-run baseline: a bare ASGI app that answers a fixed JSON body, served exactly like ours.

Every benchmark prints its results as a ratio to this, measured in the same run on the same
machine, because absolute numbers on a shared 2-core machine mean little.
"""

from __future__ import annotations

from typing import Any

BODY = b'{"status":"OK","payload":null,"errors":null}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    # Drain the request body so the comparison includes reading a POST like ours does.
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": BODY})
