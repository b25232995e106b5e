"""Console users: add one (the admin types the first password, sent in the form and never
logged), remove one (their sessions end with them), and change a role or the sites an account
sees (in force at its next page: sessions look the account up on every request). The same
accounts as ``kiosk-server add-user``, ``users`` and ``remove-user`` (sync.server.console.accounts).
An admin cannot remove or change their own account here, so the console never loses its last
admin by a slip."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync import protocol
from sync.server.console import accounts
from sync.server.console.accounts import ROLES, User
from sync.server.console.manage.common import PREFIX, admin_only, back, logged, render
from sync.server.console.pages import posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.db import console_users
from sync.server.errors import Forbidden, Invalid, NotFound, ServerError

router = APIRouter(prefix=f"{PREFIX}/users", include_in_schema=False)


def sites_from(text: str) -> list[str] | None:
    """The sites typed in a form ("A, B" or "A B"); None (every site) when left empty or "*"."""
    sites = [s for s in text.replace(",", " ").split() if s]
    if not sites or sites == ["*"]:
        return None
    for site in sites:
        if not protocol.NAME.fullmatch(site):
            raise Invalid(f"not a site name: {site[:30]!r}")
    return sorted(set(sites))


def _page(request: Request, problem: str = "", done: str = "", status: int = 200) -> Response:
    return render(request, "manage_users.html", {"accounts": accounts.users(request.app.state.db), "roles": ROLES,
                                                  "problem": problem, "done": done}, status=status)


@router.get("")
def users_page(request: Request, user: Annotated[User, Depends(page_user)], done: str = "") -> Response:
    admin_only(user)
    return _page(request, done=done)


@router.post("/add")
async def add(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    admin_only(session.user)
    try:
        made = accounts.add_user(request.app.state.db, fields.get("name", ""), fields.get("role", ""),
                                 sites_from(fields.get("sites", "")), fields.get("password", ""),
                                 request.app.state.clock())
    except ServerError as e:  # its message never holds the password
        return _page(request, str(e), status=e.status)
    logged(request, session.user, "user_add", made.name, role=made.role, sites=made.sites_shown)
    return back("users", "added")


def _other(session: Session, name: str) -> None:
    admin_only(session.user)
    if name == session.user.name:
        raise Forbidden("you cannot remove or change your own account here (kiosk-server can)")


@router.post("/{name}/remove")
async def remove(name: str, request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    _other(session, name)
    accounts.remove_user(request.app.state.db, name)
    logged(request, session.user, "user_remove", name)
    return back("users", "removed")


@router.post("/{name}")
async def change(name: str, request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    _other(session, name)
    role = fields.get("role", "")
    if role not in ROLES:
        return _page(request, f"role must be one of {', '.join(ROLES)}", status=422)
    try:
        sites = sites_from(fields.get("sites", ""))
    except Invalid as e:
        return _page(request, str(e), status=422)
    db = request.app.state.db
    with db.write() as conn:
        done = conn.execute(console_users.update().where(console_users.c.name == name).values(
            role=role, sites=None if sites is None else json.dumps(sites)))
        if done.rowcount == 0:
            raise NotFound(f"there is no account named {name}")
        logged(request, session.user, "user_change", name, conn=conn, role=role,
               sites="*" if sites is None else ",".join(sites))
    return back("users", "saved")
