"""The admin's file imports (catalog items, customers), answered in one of two ways from one run of the
import (`kit.file_import`):

- a plain form post (no script): the import runs to its end and the page comes back with the result;
- the page's script (`admin.js`) posts the same form, CSRF field included, asking for NDJSON (`Accept`):
  the answer is a stream of JSON lines, one per progress step, then the result as the last line with
  its HTML, the very fragment the plain page shows (`_import_result.html`). The status is 200 once the
  stream has begun, so the last line says how it ended.

Nothing about an import in flight is kept anywhere but in the request that runs it: any server process
answers it, and the import's one transaction keeps it all-or-nothing (a dropped connection closes the
import, which rolls back what it had not committed).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar.datastructures import UploadFile
from litestar.response import Response, Stream

from openoffers.admin import csrf
from openoffers.admin.web import ENV, PAGE_HEADERS, Admin, FormRejected, Req, explain
from openoffers.kit.file_import import ImportReport, Progress, outcome

NDJSON = "application/x-ndjson"
MAX_UPLOAD = 20 * 1024 * 1024  # 20 MiB: far more than 20,000 customers or 100,000 items
# The whole multipart body: the file, the part headers and the CSRF field. The app's limit for API
# bodies (1 MiB) would refuse a 20,000-item catalog before the import saw it.
MAX_BODY = MAX_UPLOAD + 64 * 1024
STREAM_HEADERS = {**PAGE_HEADERS, "X-Accel-Buffering": "no"}  # a proxy must pass each line on as it comes

R = TypeVar("R", bound=ImportReport)


@dataclass(frozen=True, slots=True)
class Words:
    """How a page names its import (`_import_result.html`)."""

    what: str  # one thing imported: "item"
    after: str  # said after "Imported 3 items"
    list_href: str  # where the imported things are listed
    list_text: str
    too_large: str  # what to do with a file over MAX_UPLOAD


async def import_answer(
    request: Req,
    admin: Admin,
    start: Callable[[bytes, str], AsyncGenerator[Progress | R, None]],
    empty: Callable[[], R],
    page: Callable[[R], Awaitable[Response[Any]]],
    words: Words,
) -> Response[Any]:
    """Run the import `start` makes of the posted file (`empty` is its report type): the `page` with
    the result, or, for the page's script, the import's progress as it goes, the result last."""
    sent = await _received_file(request, admin, words)
    if isinstance(sent, str):
        report = empty()
        report.refuse(0, sent)
        steps = _refused(report)
    else:
        steps = start(*sent)
    if NDJSON not in request.headers.get("accept", ""):
        return await page(await outcome(steps))
    return Stream(_lines(request, steps, words), status_code=200, media_type=NDJSON, headers=STREAM_HEADERS)


async def _received_file(request: Req, admin: Admin, words: Words) -> tuple[bytes, str] | str:
    """The posted file and its name, the form's CSRF token checked first; or why there is no file."""
    form = await request.form()
    token = form.get(csrf.FIELD)
    if not isinstance(token, str) or not csrf.is_valid(admin.csrf, token):
        raise FormRejected()
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return "choose a file to import"
    data = await sent.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return f"the file is larger than 20 MiB; {words.too_large}"
    return data, sent.filename


async def _refused(report: R) -> AsyncGenerator[Progress | R, None]:
    """An import that ends before it starts (no file, too large): its report alone."""
    yield report


def result_html(report: ImportReport | None, failure: str | None, words: Words) -> str:
    """What an import came to, as the page shows it."""
    return ENV.get_template("_import_result.html").render(report=report, failure=failure, words=words)


def _line(value: dict[str, Any]) -> bytes:
    return msgspec.json.encode(value) + b"\n"


async def _lines(request: Req, steps: AsyncGenerator[Progress | R, None], words: Words) -> AsyncIterator[bytes]:
    try:
        async with aclosing(steps):
            async for step in steps:
                if isinstance(step, Progress):
                    yield _line({"stage": step.stage, "done": step.done, "total": step.total})
                    continue
                html = result_html(step, None, words)
                if step.problems:
                    problems = [list(p) for p in step.problems]
                    yield _line({"result": "refused", "problems": problems, "more": step.more_problems, "html": html})
                else:
                    yield _line({"result": "imported", "imported": step.imported, "html": html})
                return
    except Exception as error:  # the transaction was rolled back: nothing of the file was written
        _status, _title, message = explain(request, error)
        yield _line({"result": "failed", "message": message, "html": result_html(None, message, words)})
