"""Hosts: the directory every site's kiosks search. Upload a CSV file (read by kiosk.hostcsv, as
``kiosk-server hosts import`` reads one: refused whole, its bad lines named) or edit one host.
Phone numbers are shown masked; channel URLs (which hold secrets) are never shown, only their
number, and an edit keeps them as they are."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.hostcsv import ALIAS_SEPARATORS, read_hosts_csv
from sync.server import store
from sync.server.console.manage.common import PREFIX, Refused, admin_only, back, logged, render, uploaded_csv
from sync.server.console.pages import masked, posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.console.accounts import User
from sync.server.errors import Invalid, NotFound

router = APIRouter(prefix=f"{PREFIX}/hosts", include_in_schema=False)
EDITED = ("name", "english_name", "department", "email", "phone", "language")


@router.get("")
def hosts_page(request: Request, user: Annotated[User, Depends(page_user)], done: str = "") -> Response:
    admin_only(user)
    return _page(request, "", done)


def _page(request: Request, problem: str, done: str = "", status: int = 200) -> Response:
    directory = store.all_hosts(request.app.state.db)
    return render(request, "manage_hosts.html", {"hosts": directory, "masked": masked, "problem": problem,
                                                  "done": done}, status=status)


@router.post("/upload")
async def upload(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    admin_only(session.user)
    plain_http = request.app.state.plain_http
    try:
        name, directory = await uploaded_csv(request, lambda path: store.checked_hosts(
            (dataclasses.asdict(h) for h in read_hosts_csv(path, plain_http)), plain_http))
    except Refused as e:
        return _page(request, str(e), status=422)
    store.replace_hosts(request.app.state.db, directory)
    logged(request, session.user, "hosts_upload", name[:200], hosts=len(directory))
    return back("hosts", "uploaded")


@router.get("/{host_id}")
def edit_page(host_id: str, request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    admin_only(user)
    return render(request, "manage_host.html", {"host": _host(request, host_id), "problem": ""})


def _host(request: Request, host_id: str):
    found = store.get_host(request.app.state.db, host_id)
    if found is None:
        raise NotFound("no such host")
    return found


@router.post("/{host_id}")
async def edit(host_id: str, request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    admin_only(session.user)
    db = request.app.state.db
    old = _host(request, host_id)
    entry = {**dataclasses.asdict(old), **{k: fields.get(k, "") for k in EDITED},
             "aliases": ALIAS_SEPARATORS.split(fields.get("aliases", ""))}
    if fields.get("phone", "") == masked(old.phone):  # the form shows the number masked: unchanged
        entry["phone"] = old.phone
    directory = store.all_hosts(db)
    try:
        changed = store.checked_hosts([entry], request.app.state.plain_http)[0]
    except Invalid as e:
        return render(request, "manage_host.html", {"host": old, "problem": str(e).removeprefix("hosts[0]: ")},
                      status=422)
    store.replace_hosts(db, [changed if h.host_id == host_id else h for h in directory])
    what = sorted(k for k in (*EDITED, "aliases") if getattr(old, k) != getattr(changed, k))
    logged(request, session.user, "host_edit", host_id, changed=what)
    return back("hosts", "saved")
