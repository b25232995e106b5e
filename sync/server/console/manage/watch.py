"""The watchlist, one for every site: list it (phones masked, as kiosk.watchcsv shows entries),
add one entry, remove one, or replace it with a CSV file (kiosk.watchcsv, as ``kiosk-server
watchlist import`` reads one). Each change replaces the stored list whole
(store.replace_watchlist), which devices then download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.core.watchlist import APPROVE, BLOCK
from kiosk.errors import ValidationError
from kiosk.hostcsv import ALIAS_SEPARATORS
from kiosk.watchcsv import read_watchlist_csv, shown, watch_entry
from sync.server import store
from sync.server.console.accounts import User
from sync.server.console.manage.common import PREFIX, Refused, admin_only, back, logged, render, uploaded_csv
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
    try:
        name, entries = await uploaded_csv(request, read_watchlist_csv)
    except Refused as e:
        return _page(request, str(e), status=422)
    _replace(request, entries)
    logged(request, session.user, "watchlist_upload", name[:200], entries=len(entries))
    return back("watchlist", "uploaded")


def _replace(request: Request, entries: list) -> None:
    checked = store.checked_watchlist(e.to_dict() for e in entries)
    store.replace_watchlist(request.app.state.db, checked, request.app.state.clock())
