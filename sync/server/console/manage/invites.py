"""Invitations: visitors registered ahead, of the sites the account sees. Create one (as
``kiosk-server invite`` and POST /v1/invitations do: sync.server.invitations.invite), email it
again, or cancel one nobody used yet. Admins and reception (their sites only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.core import events as ev
from kiosk.core.visits import EXPECTED
from kiosk.store.log import visit_from_json
from sync.server import catchup, invitations, store
from sync.server.console import session as sessions
from sync.server.console.accounts import User
from sync.server.console.board import visible_sites
from sync.server.console.manage.common import MANAGE_ROLES, PREFIX, back, logged, render
from sync.server.console.pages import posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.db import Database, events, visits
from sync.server.errors import Invalid, ServerError
from sync.server.models import DEFAULT_HOURS, MAX_HOURS

router = APIRouter(prefix=f"{PREFIX}/invitations", include_in_schema=False)
SHOWN = 200
FIELDS = ("name", "company", "phone", "purpose", "visitor_type", "email")


@dataclass(frozen=True)
class Listed:
    site: str
    invite_id: str
    name: str
    company: str
    host: str
    state: str  # "open", "used" or "cancelled"
    valid_from: int | None
    expires: int | None


def listed(db: Database, sites: list[str]) -> list[Listed]:
    """The sites' invitations, open ones first (from the folded visits; each one's window from
    its ``expected`` event)."""
    for site in sites:
        catchup.catch_up(db, site)
    with db.read() as conn:
        docs = conn.execute(sa.select(visits.c.doc).where(visits.c.site.in_(sites),
                                                          visits.c.state.in_((EXPECTED, "used")))
                            .order_by(visits.c.state, visits.c.site, visits.c.visit_id).limit(SHOWN)).scalars().all()
        found = [visit_from_json(d) for d in docs]
        windows = {(r.site, r.visit_id): ev.decode_data(r.data) for r in conn.execute(
            sa.select(events.c.site, events.c.visit_id, events.c.data)
            .where(events.c.site.in_(sites), events.c.visit_id.in_([v.visit_id for v in found]),
                   events.c.kind == ev.EXPECTED))}
    rows = []
    for v in found:
        w = windows.get((v.site, v.visit_id), {})
        state = "open" if v.state == EXPECTED else "cancelled" if v.invitation_uses == (v.visit_id,) else "used"
        rows.append(Listed(v.site, v.visit_id, str(v.visitor.get("name", "")), str(v.visitor.get("company", "")),
                           str(v.host.get("name", "")), state, w.get("valid_from"), w.get("expires")))
    return rows


def _sites(request: Request, user: User) -> list[str]:
    sessions.may(user, *MANAGE_ROLES)
    return visible_sites(request, user)


def _page(request: Request, user: User, problem: str = "", done: str = "", made=None, form=None,
          status: int = 200) -> Response:
    db = request.app.state.db
    sites = _sites(request, user)
    return render(request, "manage_invitations.html", {
        "rows": listed(db, sites) if sites else [], "sites": sites, "hosts": store.all_hosts(db), "problem": problem,
        "done": done, "made": made, "form": form or {}, "default_hours": DEFAULT_HOURS, "max_hours": MAX_HOURS},
        status=status)


@router.get("")
def invitations_page(request: Request, user: Annotated[User, Depends(page_user)], done: str = "") -> Response:
    return _page(request, user, done=done)


@router.post("")
async def create(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    user = session.user
    site = fields.get("site", "")
    sessions.may(user, *MANAGE_ROLES)
    sessions.visible_site(user, site)
    chosen = {k: fields.get(k, "").strip() for k in FIELDS}
    try:
        valid_from = datetime.fromisoformat(fields["valid_from"]).astimezone() if fields.get("valid_from") else None
        hours = int(fields.get("hours") or DEFAULT_HOURS)
    except ValueError:
        return _page(request, user, "a time is YYYY-MM-DDTHH:MM and hours a whole number", form=fields, status=422)
    host_id, host = fields.get("host_id", "") or None, fields.get("host", "").strip() or None
    try:
        made = invitations.invite(request.app.state.db, site, request.app.state.clock(), request.app.state.mailer,
                                  host_id=host_id, host=host, valid_from=valid_from, hours=hours,
                                  **{**chosen, "visitor_type": chosen["visitor_type"] or "guest"})
    except ServerError as e:
        return _page(request, user, str(e), form=fields, status=e.status)
    request.app.state.projector.poke(site)
    invite_id = made.invitation.invite_id
    logged(request, user, "invitation_add", f"{site}/{invite_id}", emailed=made.emailed)
    return _page(request, user, made=made)


@router.post("/{site}/{invite_id}/resend")
async def resend(site: str, invite_id: str, request: Request,
                 session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    user = session.user
    sessions.may(user, *MANAGE_ROLES)
    sessions.visible_site(user, site)
    try:
        made = invitations.resend(request.app.state.db, site, invite_id, request.app.state.clock(),
                                  request.app.state.mailer, fields.get("email", "").strip())
    except (Invalid, ServerError) as e:
        return _page(request, user, str(e), status=e.status)
    logged(request, user, "invitation_resend", f"{site}/{invite_id}", emailed=made.emailed)
    return _page(request, user, made=made)


@router.post("/{site}/{invite_id}/cancel")
async def cancel(site: str, invite_id: str, request: Request,
                 session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    user = session.user
    sessions.may(user, *MANAGE_ROLES)
    sessions.visible_site(user, site)
    db = request.app.state.db
    invitations.cancel(db, site, invite_id, request.app.state.clock())
    request.app.state.projector.poke(site)
    logged(request, user, "invitation_cancel", f"{site}/{invite_id}")
    return back("invitations", "cancelled")
