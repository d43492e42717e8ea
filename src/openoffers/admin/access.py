"""What each role may reach in the admin UI, decided in one place before every admin request.

- admin: everything.
- marketer: everything but the sections in `ADMIN_ONLY` (tenancy, webhooks, people, the audit log,
  loyalty settings).
- viewer: what a marketer may read, and nothing that changes: every POST (every form in the admin UI
  is a POST, and nothing else changes anything; GET pages never change anything) is refused before
  the page's handler runs.

Pages stay responsible for signing in (`web.require_admin`); this check only narrows what a
signed-in person may do, so a page cannot forget it. Pages also hide what a role cannot use, but
that is a courtesy: this is the rule.
"""

from __future__ import annotations

from openoffers.admin.web import Req, current_admin, refuse_nul
from openoffers.kit.errors import AccessDenied

# Sections anyone may reach, signed in or not (signing in, an invitation, the style sheet).
PUBLIC = frozenset({"", "login", "logout", "invitation", "static"})
# Sections only an admin may open, even to read.
ADMIN_ONLY = frozenset({"stores", "pos-clients", "keys", "webhooks", "people", "audit", "settings"})
# Methods that never change anything on these pages.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def section_of(path: str) -> str:
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "admin" else ""


async def check_access(request: Req) -> None:
    """Before every admin request: refuse what the signed-in role may not do (403, nothing changes)."""
    await refuse_nul(request)
    section = section_of(request.url.path)
    if section in PUBLIC:
        return
    admin = await current_admin(request)
    if admin is None:
        return  # the page sends the browser to sign in
    if section in ADMIN_ONLY and not admin.is_admin:
        raise AccessDenied(f"This page is for admins. You are signed in as a {admin.role}.")
    if request.method not in SAFE_METHODS and not admin.can_change:
        raise AccessDenied(f"You are signed in as a {admin.role}: you can look at everything, but not change it.")
