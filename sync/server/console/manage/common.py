"""What the management pages share: who may use them, the page's sub-menu, and audit entries."""

from __future__ import annotations

from typing import Any, Mapping

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from sync.server.console import audit, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.pages import address, masked

PREFIX = f"{web.PREFIX}/manage"
ADMIN = ("admin",)
MANAGE_ROLES = ("admin", "reception")
# The sub-menu: (path under PREFIX, label, roles).
SECTIONS = (("hosts", web.N_("Hosts"), ADMIN), ("devices", web.N_("Devices"), ADMIN),
            ("watchlist", web.N_("Watchlist"), ADMIN), ("invitations", web.N_("Invitations"), MANAGE_ROLES),
            ("users", web.N_("Users"), ADMIN))


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200) -> Response:
    shared = {"sections": SECTIONS, "manage": PREFIX, "masked": masked, "done": "", "problem": ""}
    return web.render(request, template, {**shared, **(context or {})}, status=status)


def admin_only(user: User) -> None:
    sessions.may(user, *ADMIN)


def logged(request: Request, user: User, what: str, target: str = "", /, *, conn=None, **detail: Any) -> None:
    """One audit entry for a change made on these pages (never with a password or a token)."""
    audit.record(request.app.state.db, user.name, what, request.app.state.clock(), target=target,
                 detail=detail, address=address(request), conn=conn)


def back(path: str, done: str = "") -> Response:
    """After a change: the page again (303), saying what was done."""
    return RedirectResponse(f"{PREFIX}/{path}" + (f"?done={done}" if done else ""), status_code=303)
