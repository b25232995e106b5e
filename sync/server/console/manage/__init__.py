"""The management pages (README, "The web console"): hosts (the directory: CSV upload, edit one),
devices (add, showing the token once; revoke; last seen), the watchlist (list, add, remove,
CSV import), invitations (create, resend, cancel) and console users. Admins manage everything;
reception manages the invitations of their sites. Each page reuses what the ``kiosk-server``
commands and the API do (sync.server.auth, store, invitations; kiosk.hostcsv, kiosk.watchcsv),
and every change is written to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from sync.server.console import web
from sync.server.console.accounts import User
from sync.server.console.manage import devices, hosts, invites, users, watch
from sync.server.console.manage.common import ADMIN, MANAGE_ROLES, PREFIX
from sync.server.console.session import page_user

router = APIRouter(include_in_schema=False)
for _part in (hosts, devices, watch, invites, users):
    router.include_router(_part.router)
web.NAV.append(web.NavItem(PREFIX, web.N_("Management"), MANAGE_ROLES))


@router.get(PREFIX)
def start(user: Annotated[User, Depends(page_user)]) -> Response:
    """Admins start at the hosts, reception at the invitations."""
    first = "hosts" if user.role in ADMIN else "invitations"
    return RedirectResponse(f"{PREFIX}/{first}", status_code=303)
