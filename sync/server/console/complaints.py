"""The complaints page: every complaint recorded at reception or the kiosk, of the sites the
account sees, filtered by site, status and owner; each one's page with its visit, notes and the
form that sets owner and status and appends a note (sync.server.console.followup). Reception and
admin act; the auditor reads. Another site's complaint is a 404; every change is in the audit
log with the page's view of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.console import audit, followup, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.board import visible_sites
from sync.server.console.pages import address, posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.errors import Invalid

router = APIRouter(prefix=f"{web.PREFIX}/complaints", include_in_schema=False)
VIEW_ROLES = ("admin", "reception", "auditor")
ACT_ROLES = ("admin", "reception")
STATUS_LABELS = {"open": web.N_("Open"), "in_progress": web.N_("In progress"), "resolved": web.N_("Resolved")}
web.NAV.append(web.NavItem(f"{web.PREFIX}/complaints", web.N_("Complaints"), VIEW_ROLES))
web.ACTION_LABELS.update({"complaints_view": web.N_("Listed complaints"),
                          "complaint_view": web.N_("Opened a complaint"),
                          "complaint": web.N_("Followed up a complaint")})


def duration(ms: int | None, _) -> str:
    """A resolution time as people say it: days, hours and minutes."""
    if ms is None:
        return ""
    minutes = ms // 60000
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return _("{d} d {h} h", d=days, h=hours)
    if hours:
        return _("{h} h {m} min", h=hours, m=mins)
    return _("{m} min", m=mins)


@router.get("")
def list_page(request: Request, user: Annotated[User, Depends(page_user)], site: str = "", status: str = "",
              owner: str = "") -> Response:
    sessions.may(user, *VIEW_ROLES)
    sites = visible_sites(request, user)
    chosen = (sessions.visible_site(user, site),) if site else tuple(sites)
    if status and status not in followup.STATUSES:
        raise Invalid("no such status")
    db = request.app.state.db
    rows = followup.listed(db, followup.Filter(chosen, status, owner)) if chosen else []
    audit.record(db, user.name, "complaints_view", request.app.state.clock(), target=site or "*",
                 detail={k: v for k, v in (("status", status), ("owner", owner)) if v}, address=address(request))
    owners = sorted({name for s in chosen for name in followup.possible_owners(db, s)})
    return web.render(request, "complaints.html", {
        "rows": rows, "sites": sites, "owners": owners, "query": {"site": site, "status": status, "owner": owner},
        "statuses": STATUS_LABELS, "duration": duration, "more": len(rows) == followup.PAGE})


def _visible(user: User, site: str) -> None:
    sessions.may(user, *VIEW_ROLES)
    sessions.visible_site(user, site)


@router.get("/{site}/{event_id}")
def complaint_page(site: str, event_id: str, request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    _visible(user, site)
    db = request.app.state.db
    complaint, notes = followup.get(db, site, event_id)
    audit.record(db, user.name, "complaint_view", request.app.state.clock(), target=f"{site}/{event_id}",
                 address=address(request))
    return web.render(request, "complaint.html", {
        "c": complaint, "notes": notes, "statuses": STATUS_LABELS, "duration": duration,
        "owners": followup.possible_owners(db, site), "may_act": user.role in ACT_ROLES,
        "saved": request.query_params.get("saved") == "1"})


@router.post("/{site}/{event_id}")
async def change(site: str, event_id: str, request: Request,
                 session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    user = session.user
    _visible(user, site)
    sessions.may(user, *ACT_ROLES)
    db, now = request.app.state.db, request.app.state.clock()

    def logged(conn, changes) -> None:
        audit.record(db, user.name, "complaint", now, target=f"{site}/{event_id}", detail=changes,
                     address=address(request), conn=conn)
    followup.change(db, site, event_id, user.name, now, owner=fields.get("owner", ""),
                    status=fields.get("status", ""), note=fields.get("note", ""),
                    owners=lambda: followup.possible_owners(db, site), logged=logged)
    return RedirectResponse(f"{web.PREFIX}/complaints/{site}/{event_id}?saved=1", status_code=303)
