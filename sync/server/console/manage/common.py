"""What the management pages share: who may use them, the page's sub-menu, audit entries, and
reading an uploaded CSV file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from kiosk.errors import KioskError

from sync.server.console import audit, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.pages import address, masked
from sync.server.errors import Invalid

PREFIX = f"{web.PREFIX}/manage"
ADMIN = ("admin",)
MANAGE_ROLES = ("admin", "reception")
MAX_UPLOAD = 2 * 1024 * 1024
T = TypeVar("T")
# The sub-menu: (path under PREFIX, label, roles, for accounts of all sites only). Hosts, the
# watchlist, devices and users reach every site (one directory, one watchlist; a device or an
# account of any site), so an admin kept to some sites must not change them.
SECTIONS = (("hosts", web.N_("Hosts"), ADMIN, True), ("devices", web.N_("Devices"), ADMIN, True),
            ("watchlist", web.N_("Watchlist"), ADMIN, True),
            ("invitations", web.N_("Invitations"), MANAGE_ROLES, False), ("users", web.N_("Users"), ADMIN, True))


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200) -> Response:
    found = sessions.current(request)
    shared = {"sections": offered(found.user) if found else [], "manage": PREFIX, "masked": masked, "done": "",
              "problem": ""}
    return web.render(request, template, {**shared, **(context or {})}, status=status)


def admin_only(user: User) -> None:
    """An admin of all sites: what these pages change (hosts, devices, the watchlist, accounts)
    reaches every site, so a scoped admin would act beyond their sites (403)."""
    sessions.may(user, *ADMIN)
    sessions.every_site(user, "this management page")


def offered(user: User) -> list[tuple[str, str]]:
    """The sub-menu's (path, label) the user may open."""
    return [(path, label) for path, label, roles, all_sites in SECTIONS
            if user.role in roles and (not all_sites or user.sites is None)]


def logged(request: Request, user: User, what: str, target: str = "", /, *, conn=None, **detail: Any) -> None:
    """One audit entry for a change made on these pages (never with a password or a token)."""
    audit.record(request.app.state.db, user.name, what, request.app.state.clock(), target=target,
                 detail=detail, address=address(request), conn=conn)


def back(path: str, done: str = "") -> Response:
    """After a change: the page again (303), saying what was done."""
    return RedirectResponse(f"{PREFIX}/{path}" + (f"?done={done}" if done else ""), status_code=303)


class Refused(Exception):
    """An upload the page answers with its form again and these words (422)."""


async def uploaded_csv(request: Request, read: Callable[[Path], T]) -> tuple[str, T]:
    """The CSV file the form sent, as its name and what ``read`` made of it. ``read`` gets the
    file under its own name in a folder of its own, so that the readers' messages name the file
    as it was uploaded. Refused, in words, when no file came, it is too large, or ``read`` failed."""
    sent = (await request.form()).get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        raise Refused("choose a CSV file to upload")
    data = await sent.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Refused(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB")
    name = Path(sent.filename).name or "upload.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return name, read(path)
        except (KioskError, Invalid) as e:
            raise Refused(str(e).replace(folder + "/", "")) from None
