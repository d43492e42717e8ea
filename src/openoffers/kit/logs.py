"""Logs as JSON lines, one object per line, each with the request id of the request it is about.

Every log record, ours (`logging.getLogger(...)`, `structlog.get_logger()`) and uvicorn's access and
error lines alike, goes through one structlog `ProcessorFormatter` that renders JSON. `RequestIds` takes
the caller's `X-Request-ID` (or makes one), keeps it in a context variable for the lines written while
the request runs, and echoes it in the response. A line written outside any request (startup, the
housekeeping loop) has `"request_id": null`.
"""

from __future__ import annotations

import logging
import logging.config
import re
import uuid
from contextvars import ContextVar
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor, WrappedLogger

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept only if it is short and plain: it is echoed in a header and written in logs.
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("openoffers_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def _add_request_id(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    event.setdefault("request_id", _request_id.get())
    return event


def _uvicorn_access_fields(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """uvicorn's access line as fields: `client`, `method`, `path`, `http_version`, `status`."""
    args = event.pop("positional_args", None)
    if event.get("logger") == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, http_version, status = args
        event.update(client=client, method=method, path=path, http_version=http_version, status=status)
    return event


_SHARED: list[Processor] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    _add_request_id,
]


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """The one formatter of every handler: a JSON object per line, traces as an `exception` string."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            processors=[
                _uvicorn_access_fields,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*_SHARED, structlog.processors.StackInfoRenderer()],
            pass_foreign_args=True,
        )


def log_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the root logger and uvicorn's loggers, given to uvicorn as its
    `log_config` so that each worker process applies it too."""
    level = level.upper()
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "openoffers")
        },
    }


def configure_structlog() -> None:
    """structlog's own loggers hand their events to the standard library, so they share the formatter."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure(level: str) -> None:
    """Both halves, for a process that is not started by uvicorn (uvicorn applies `log_config` itself)."""
    logging.config.dictConfig(log_config(level))
    configure_structlog()


class RequestIds:
    """ASGI wrapper, outermost: the request id of every HTTP request, echoed as `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        given = next((bytes(v) for k, v in scope["headers"] if bytes(k).lower() == REQUEST_ID_HEADER), b"")
        text = given.decode("latin-1")
        request_id = text if _ACCEPTED_ID.match(text) else uuid.uuid4().hex
        # Not reset afterwards: each request runs in its own task (its own copy of the context), and
        # uvicorn's own line for a request that crashed the app is written after this call returns.
        _request_id.set(request_id)
        echoed = request_id.encode()

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if bytes(k).lower() != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, echoed)]}
            await send(message)

        await self.app(scope, receive, with_id)
