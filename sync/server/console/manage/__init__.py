"""The management pages (README, "The web console"): hosts (the directory: CSV upload, edit one),
devices (add, showing the token once; revoke; last seen), the watchlist (list, add, remove,
CSV import), invitations (create, resend, cancel) and console users. Admins of all sites manage
everything; admins kept to some sites and reception manage the invitations of their sites (the
rest reaches every site). Each page reuses what the ``kiosk-server`` commands and the API do
(sync.server.auth, store, invitations; kiosk.hostcsv, kiosk.watchcsv), and every change is
written to the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from sync.server.console import web
from sync.server.console.accounts import User
from sync.server.console.manage import common, devices, hosts, invites, users, watch
from sync.server.console.manage.common import MANAGE_ROLES, PREFIX
from sync.server.console.session import page_user
from sync.server.errors import Forbidden

router = APIRouter(include_in_schema=False)
for _part in (hosts, devices, watch, invites, users):
    router.include_router(_part.router)
web.NAV.append(web.NavItem(PREFIX, web.N_("Management"), MANAGE_ROLES))
web.ACTION_LABELS.update({
    "hosts_upload": web.N_("Uploaded the host directory"), "host_edit": web.N_("Edited a host"),
    "device_add": web.N_("Added a device"), "device_revoke": web.N_("Revoked a device"),
    "watchlist_add": web.N_("Added to the watchlist"), "watchlist_remove": web.N_("Removed from the watchlist"),
    "watchlist_upload": web.N_("Uploaded the watchlist"), "invitation_add": web.N_("Made an invitation"),
    "invitation_resend": web.N_("Sent an invitation again"), "invitation_cancel": web.N_("Cancelled an invitation"),
    "user_change": web.N_("Changed an account")})


@router.get(PREFIX)
def start(user: Annotated[User, Depends(page_user)]) -> Response:
    """Each account at the first section it may open (admins of all sites the hosts; admins of
    some sites and reception the invitations)."""
    offered = common.offered(user)
    if not offered:
        raise Forbidden("your role may not do this")
    return RedirectResponse(f"{PREFIX}/{offered[0][0]}", status_code=303)
