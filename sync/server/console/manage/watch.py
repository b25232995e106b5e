"""The watchlist, one for every site: list it (phones masked, as kiosk.watchcsv shows entries),
add one entry, remove one, or replace it with a CSV file (kiosk.watchcsv, as ``kiosk-server
watchlist import`` reads one). Each change replaces the stored list whole
(store.replace_watchlist), which devices then download."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from kiosk.core.watchlist import APPROVE, BLOCK
from kiosk.errors import KioskError, ValidationError
from kiosk.hostcsv import ALIAS_SEPARATORS
from kiosk.watchcsv import read_watchlist_csv, shown, watch_entry
from sync.server import store
from sync.server.console.accounts import User
from sync.server.console.manage.common import PREFIX, admin_only, back, logged, render
from sync.server.console.manage.hosts import MAX_UPLOAD
from sync.server.console.pages import posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.errors import NotFound

router = APIRouter(prefix=f"{PREFIX}/watchlist", include_in_schema=False)


def _entries(request: Request) -> list:
    return (store.get_watchlist(request.app.state.db) or ([], None))[0]


def _page(request: Request, problem: str = "", done: str = "", status: int = 200) -> Response:
    rows = [(e.entry_id, shown(e)) for e in _entries(request)]
    return render(request, "manage_watchlist.html", {"rows": rows, "actions": (BLOCK, APPROVE), "problem": problem,
                                                      "done": done}, status=status)


@router.get("")
def watchlist_page(request: Request, user: Annotated[User, Depends(page_user)], done: str = "") -> Response:
    admin_only(user)
    return _page(request, done=done)


@router.post("/add")
async def add(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    admin_only(session.user)
    try:
        entry = watch_entry({**{k: fields.get(k, "") for k in ("name", "company", "phone", "note")},
                             "aliases": ALIAS_SEPARATORS.split(fields.get("aliases", "")),
                             "action": fields.get("action") or BLOCK})
    except (ValidationError, ValueError) as e:
        return _page(request, str(e), status=422)
    kept = [e for e in _entries(request) if e.entry_id != entry.entry_id]
    _replace(request, [*kept, entry])
    logged(request, session.user, "watchlist_add", entry.entry_id, action=entry.action)
    return back("watchlist", "added")


@router.post("/{entry_id}/remove")
async def remove(entry_id: str, request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    admin_only(session.user)
    entries = _entries(request)
    kept = [e for e in entries if e.entry_id != entry_id]
    if len(kept) == len(entries):
        raise NotFound("no such watchlist entry")
    _replace(request, kept)
    logged(request, session.user, "watchlist_remove", entry_id)
    return back("watchlist", "removed")


@router.post("/upload")
async def upload(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    admin_only(session.user)
    sent = (await request.form()).get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return _page(request, "choose a CSV file to upload", status=422)
    data = await sent.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _page(request, f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB", status=422)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(sent.filename).name or "watchlist.csv")
        path.write_bytes(data)
        try:
            entries = read_watchlist_csv(path)
        except KioskError as e:
            return _page(request, str(e).replace(str(Path(folder)) + "/", ""), status=422)
    _replace(request, entries)
    logged(request, session.user, "watchlist_upload", sent.filename[:200], entries=len(entries))
    return back("watchlist", "uploaded")


def _replace(request: Request, entries: list) -> None:
    checked = store.checked_watchlist(e.to_dict() for e in entries)
    store.replace_watchlist(request.app.state.db, checked, request.app.state.clock())
