"""The emergency roll call: everyone on site at one site now, by host's department and host,
printable from the browser (static/print.css) and with a tick-off mode for a phone: each row's
box, kept in the browser's storage (static/rollcall.js), so a warden outside with a weak signal
loses nothing by reloading."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.console import audit, lobby, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.board import visible_sites
from sync.server.console.pages import address
from sync.server.console.session import page_user

router = APIRouter(prefix=f"{web.PREFIX}/rollcall", include_in_schema=False)
ROLL_CALL_ROLES = ("admin", "security", "reception")


@router.get("")
def choose_site(request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    sessions.may(user, *ROLL_CALL_ROLES)
    sites = visible_sites(request, user)
    if len(sites) == 1:
        return RedirectResponse(f"{web.PREFIX}/rollcall/{sites[0]}", status_code=303)
    return web.render(request, "rollcall_sites.html", {"sites": sites})


@router.get("/{site}")
def roll_call(site: str, request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    sessions.may(user, *ROLL_CALL_ROLES)
    sessions.visible_site(user, site)
    db, now = request.app.state.db, request.app.state.clock()
    people, behind = lobby.on_site(db, site)
    audit.record(db, user.name, "rollcall_view", now, target=site, detail={"people": len(people)},
                 address=address(request))
    return web.render(request, "rollcall.html", {"site": site, "people": people, "behind": behind, "now": now})
