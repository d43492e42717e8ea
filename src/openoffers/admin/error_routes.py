"""Routes that exist so that every mistaken request under /admin gets an HTML page, never JSON.

Litestar settles "no such route" and "wrong method" while routing, before any router's exception
handlers run, so left alone those reach the app's handlers, which answer in the API's JSON envelope.
So the admin router answers them itself, with handlers that only raise (its exception handlers render
the page):

- a 404 handler at every address that is a prefix of an admin route but not a route itself
  (`/admin/rules/{rule_id}`), and below every address that has no `{parameter}` after it
  (`/admin/offers/{offer_id}/{rest:path}`): Litestar's router does not backtrack to a shorter
  catch-all once a longer route's prefix matched, so one `/admin/{rest:path}` is not enough;
- a 405 handler (with `Allow`) for the methods each admin route does not take.
"""

from __future__ import annotations

from typing import Any

from litestar import Router, route
from litestar.enums import HttpMethod
from litestar.exceptions import MethodNotAllowedException
from litestar.response import Response
from litestar.routes import HTTPRoute

from openoffers.admin.web import Req
from openoffers.kit.errors import NotFound

# What a browser, a form or a script may send. HEAD and OPTIONS are left to Litestar: OPTIONS answers
# every route by itself, and a HEAD response has no body to show a page in.
METHODS = (HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE)
REST = "{rest:path}"


async def _unknown_page(request: Req) -> Response[Any]:
    raise NotFound("There is no such page.")


async def _wrong_method(request: Req) -> Response[Any]:
    allowed: frozenset[str] = request.route_handler.opt["allowed"]
    raise MethodNotAllowedException(headers={"Allow": ", ".join(sorted(allowed))})


def _join(parent: str, segment: str) -> str:
    return f"{parent.rstrip('/')}/{segment}"


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def add_error_routes(router: Router) -> None:
    """Give `router` the 404 and 405 handlers described above. Call it once all its routes are in."""
    routes = [r for r in router.routes if isinstance(r, HTTPRoute)]
    relative = {r.path.removeprefix(router.path) or "/": r for r in routes}
    for path, existing in relative.items():
        missing = [m for m in METHODS if m not in existing.methods]
        if missing:
            allowed = frozenset(existing.methods - {HttpMethod.OPTIONS})
            opt = {"allowed": allowed}
            router.register(
                route(path, http_method=missing, status_code=405, include_in_schema=False, opt=opt)(_wrong_method)
            )
    # Every node of the routing tree: the routes and each of their prefixes (a catch-all ends a branch).
    nodes = {"/"}
    has_param_child: set[str] = set()
    for path in relative:
        parent = "/"
        for segment in [s for s in path.split("/") if s]:
            if segment.endswith(":path}"):
                has_param_child.add(parent)
                break
            if _is_param(segment):
                has_param_child.add(parent)
            parent = _join(parent, segment)
            nodes.add(parent)
    for node in sorted(nodes):
        targets = [] if node in relative else [node]
        if node not in has_param_child:
            targets.append(_join(node, REST))
        for target in targets:
            router.register(
                route(target, http_method=list(METHODS), status_code=404, include_in_schema=False)(_unknown_page)
            )
