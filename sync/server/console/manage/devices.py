"""Devices: every kiosk, reception desk and exit post of every site, when each was last heard
from, add one (its token shown once, on the answer to the form, never stored or logged: the
server keeps only its hash) and revoke one (its token refused from then on). The same functions
as ``kiosk-server add-device`` and ``revoke-device`` (sync.server.auth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.settings import ROLES
from sync.server import auth
from sync.server.console.accounts import User
from sync.server.console.manage.common import PREFIX, admin_only, back, logged, render
from sync.server.console.pages import posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.db import Database, devices, events
from sync.server.errors import ServerError

router = APIRouter(prefix=f"{PREFIX}/devices", include_in_schema=False)


@dataclass(frozen=True)
class DeviceRow:
    site: str
    name: str
    role: str
    created_at: int
    revoked_at: int | None
    last_seen: int | None  # when its newest event was received


def listed(db: Database) -> list[DeviceRow]:
    newest = (sa.select(events.c.received_at)
              .where(events.c.site == sa.bindparam("site"), events.c.device == sa.bindparam("name"))
              .order_by(events.c.server_seq.desc()).limit(1))  # one probe of events_site_device each
    with db.read() as conn:
        rows = conn.execute(sa.select(devices).order_by(devices.c.site, devices.c.name)).all()
        return [DeviceRow(r.site, r.name, r.role, r.created_at, r.revoked_at,
                          conn.execute(newest, {"site": r.site, "name": r.name}).scalar()) for r in rows]


def _page(request: Request, problem: str = "", done: str = "", new: dict | None = None, status: int = 200) -> Response:
    return render(request, "manage_devices.html", {"devices": listed(request.app.state.db), "roles": ROLES,
                                                    "problem": problem, "done": done, "new": new}, status=status)


@router.get("")
def devices_page(request: Request, user: Annotated[User, Depends(page_user)], done: str = "") -> Response:
    admin_only(user)
    return _page(request, done=done)


@router.post("/add")
async def add(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    admin_only(session.user)
    site, name, role = (fields.get(k, "").strip() for k in ("site", "name", "role"))
    try:
        token = auth.add_device(request.app.state.db, site, name, role, request.app.state.clock())
    except ServerError as e:
        return _page(request, str(e), status=e.status)
    logged(request, session.user, "device_add", f"{site}/{name}", role=role)
    # The token, once, in this answer alone (no-store): whoever sets the device up types or pastes it.
    return _page(request, new={"site": site, "name": name, "role": role, "token": token})


@router.post("/{site}/{name}/revoke")
async def revoke(site: str, name: str, request: Request,
                 session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    admin_only(session.user)
    auth.revoke_device(request.app.state.db, site, name, request.app.state.clock())
    logged(request, session.user, "device_revoke", f"{site}/{name}")
    return back("devices", "revoked")
