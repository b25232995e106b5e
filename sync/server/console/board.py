"""The live board: for each site the user may see, who is on site and waiting for whom (and how
long), who awaits approval (approve / deny here, as the host's approval page does: an event of
the server's in the site's log, which the kiosk pulls and then prints the badge), whose host was
not told, and devices that are quiet or cannot print. The page reloads its board from
``/console/board/live`` every few seconds (static/board.js), without reloading the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from kiosk.core import events as ev
from kiosk.core.validation import clean_text
from kiosk.core.visits import AWAITING_APPROVAL
from kiosk.errors import ValidationError
from sync.server import store
from sync.server.approvals import MAX_NOTE
from sync.server.console import audit, lobby, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.pages import address, posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.errors import Conflict, Invalid, NotFound

router = APIRouter(prefix=f"{web.PREFIX}/board", include_in_schema=False)
BOARD_ROLES = ("admin", "security", "reception")
DECIDE_ROLES = ("admin", "reception")  # security watches the board; reception decides, as at the desk
REFRESH_S = 5


def visible_sites(request: Request, user: User) -> list[str]:
    return list(user.sites) if user.sites is not None else lobby.known_sites(request.app.state.db)


def _boards(request: Request, user: User, site: str | None) -> list[lobby.SiteBoard]:
    sessions.may(user, *BOARD_ROLES)
    chosen = [sessions.visible_site(user, site)] if site else visible_sites(request, user)
    now = request.app.state.clock()
    return [lobby.site_board(request.app.state.db, each, now) for each in chosen]


def _context(request: Request, user: User, site: str | None) -> dict:
    return {"boards": _boards(request, user, site), "site": site or "", "sites": visible_sites(request, user),
            "now": request.app.state.clock(), "may_decide": user.role in DECIDE_ROLES, "refresh_s": REFRESH_S}


@router.get("")
def all_sites(request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    return _page(request, user, None)


@router.get("/live")
def live(request: Request, user: Annotated[User, Depends(page_user)], site: str = "") -> Response:
    """The board alone (an HTML fragment), for the page's script to swap in."""
    return web.render(request, "board_live.html", _context(request, user, site or None))


@router.get("/{site}")
def one_site(site: str, request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    return _page(request, user, site)


def _page(request: Request, user: User, site: str | None) -> Response:
    context = _context(request, user, site)
    audit.record(request.app.state.db, user.name, "board_view", request.app.state.clock(), target=site or "*",
                 address=address(request))
    return web.render(request, "board.html", context)


@router.post("/{site}/{visit_id}/decide")
async def decide(site: str, visit_id: str, request: Request,
                 session: Annotated[Session, Depends(page_session)]) -> Response:
    """Approve or deny a visit awaiting approval: stored once (a second answer is a 409)."""
    fields = await posted(request, session)
    user = session.user
    sessions.may(user, *DECIDE_ROLES)
    sessions.visible_site(user, site)
    decision = fields.get("decision", "")
    if decision not in ("approve", "deny"):
        raise Invalid("choose approve or deny")
    try:
        note = clean_text(fields.get("note", ""), "note", MAX_NOTE)
    except ValidationError as e:
        raise Invalid(str(e)) from None
    db, now = request.app.state.db, request.app.state.clock()
    kind = ev.APPROVED if decision == "approve" else ev.DENIED

    def logged(conn, event) -> None:  # the audit entry stands or falls with the decision
        # The note is in the decision's event, which a purge strips; the append-only log keeps
        # only that there was one.
        audit.record(db, user.name, decision, now, target=f"{site}/{visit_id}",
                     detail={"event": event.event_id, "note": len(note)}, address=address(request), conn=conn)
    stored = store.append(db, site, kind, visit_id, {"by": f"{user.name} (console)"[:100], "note": note}, now,
                          unless=lambda visit: visit is None or visit.state != AWAITING_APPROVAL, also=logged)
    if stored is None:
        if store.get_visit(db, site, visit_id) is None:
            raise NotFound("no such visit")
        raise Conflict("this visit was already decided")
    request.app.state.projector.poke(site)
    back = sessions.local_path(fields.get("next") or f"{web.PREFIX}/board/{site}")
    return RedirectResponse(back, status_code=303)
