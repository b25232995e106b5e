"""One person's rights in the web console (issue 15 item 3; ``kiosk-server person find|export|
erase`` on the command line): reception or an admin finds every visit of one person, by phone or
by name and company, across the sites they see; downloads them for the person (the right of
access, the same JSON as ``person export``, phones masked); and erases them now (the right of
erasure, the same purge as ``person erase``: every device forgets them when it next syncs).

Reception reaches only its own sites' visits: another site's visit of the same person is neither
listed, exported nor erased. The phone, name or company typed travel in POSTed forms (with the
CSRF token), never in a URL a log or a browser's history keeps; and the audit log records which
of them were used and the visits found, exported or erased, never what was typed: it is
append-only and could never forget them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.core import purge as core
from kiosk.core.visits import Visit
from sync.server import person as people, purge
from sync.server.console import audit, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.pages import MAX_REASON, address, posted
from sync.server.console.session import Session, page_session, page_user
from sync.server.errors import Invalid

router = APIRouter(prefix=f"{web.PREFIX}/people", include_in_schema=False)
ROLES = ("admin", "reception")  # reception within its sites, as at the desk
MAX_FIELD = 100
N_ = web.N_
web.NAV.append(web.NavItem(f"{web.PREFIX}/people", N_("Personal data"), ROLES))
web.ACTION_LABELS.update({"person_find": N_("Searched for a person"),
                          "person_export": N_("Exported a person's visits"),
                          "person_erase": N_("Erased a person's visits")})


def _typed(fields: dict[str, str]) -> dict[str, str]:
    return {k: " ".join(fields.get(k, "").split())[:MAX_FIELD] for k in ("phone", "name", "company")}


def _found(request: Request, user: User, typed: dict[str, str]) -> tuple[people.Who, list[Visit]]:
    """The person asked for and their visits on the sites this account sees."""
    person = people.who(typed["phone"] or None, typed["name"] or None, typed["company"] or None)
    found = people.find_person(request.app.state.db, person)
    return person, [v for v in found if user.may_see(v.site)]


def _logged(typed: dict[str, str], found: list[Visit]) -> dict[str, Any]:
    """What the audit log keeps: which fields were used and the visits, not what was typed."""
    return {"searched_by": sorted(k for k, v in typed.items() if v),
            "visits": [f"{v.site}/{v.visit_id}" for v in found]}


def _page(request: Request, typed: dict[str, str], found: list[Visit] | None, status: int = 200,
          **context: Any) -> Response:
    rows = [{**people.listed(v), "signed_in_ms": v.signed_in_at, "signed_out_ms": v.signed_out_at}
            for v in found or []]
    return web.render(request, "people.html", {"typed": typed, "rows": rows, "searched": found is not None,
                                                **context}, status=status)


@router.get("")
def search_form(request: Request, user: Annotated[User, Depends(page_user)]) -> Response:
    sessions.may(user, *ROLES)
    return _page(request, _typed({}), None)


@router.post("")
async def search(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    fields = await posted(request, session)
    user = session.user
    sessions.may(user, *ROLES)
    typed = _typed(fields)
    try:
        _person, found = _found(request, user, typed)
    except Invalid as e:  # said on the page, the form kept
        return _refused(request, typed, str(e))
    audit.record(request.app.state.db, user.name, "person_find", request.app.state.clock(), target="person",
                 detail=_logged(typed, found), address=address(request))
    return _page(request, typed, found)


@router.post("/export")
async def export(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    """The person's visits as ``kiosk-server person export`` writes them (phones masked)."""
    fields = await posted(request, session)
    user = session.user
    sessions.may(user, *ROLES)
    typed = _typed(fields)
    person, found = _found(request, user, typed)
    db, now = request.app.state.db, request.app.state.clock()
    audit.record(db, user.name, "person_export", now, target="person", detail=_logged(typed, found),
                 address=address(request))
    document = people.export_document(db, person, found, now)
    return Response(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                    media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="person-export.json"'})


@router.post("/erase")
async def erase(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    """Erase the visits the search finds now on the account's sites and the page listed (one
    signed in since is not erased unseen), with a reason and the box ticked; the audit entry is
    written first, so no erasure happens unrecorded."""
    fields = await posted(request, session)
    user = session.user
    sessions.may(user, *ROLES)
    typed = _typed(fields)
    reason = " ".join(fields.get("reason", "").split())
    _ = web.translator(web.language(request))
    if typed["name"] and not typed["company"] and not typed["phone"]:
        return _refused(request, typed, _("To erase by name, give the company too."))
    if not reason or len(reason) > MAX_REASON:
        return _refused(request, typed, _("Give the reason for the erasure."))
    if fields.get("confirm") != "yes":
        return _refused(request, typed, _("Tick the box to confirm the erasure."))
    _person, found = _found(request, user, typed)
    confirmed = set((await request.form()).getlist("visit"))  # the visits the page listed when the box was ticked
    found = [v for v in found if f"{v.site}/{v.visit_id}" in confirmed]
    db, now = request.app.state.db, request.app.state.clock()
    audit.record(db, user.name, "person_erase", now, target="person", reason=reason, detail=_logged(typed, found),
                 address=address(request))
    erase_visits(db, found, now)
    return _page(request, _typed({}), None, erased=len(found))


def erase_visits(db, found: list[Visit], now: int) -> None:
    """As purge.erase_person does, for exactly the visits the page found and showed (a phone
    typed with or without its country code, reception's sites only): each purged in its own
    transaction, then no byte of them left in the files."""
    for visit in found:
        purge.purge_visit(db, visit.site, visit.visit_id, core.ALL, "erasure", now)
    if found:
        purge.scrub(db)


def _refused(request: Request, typed: dict[str, str], error: str) -> Response:
    """The form again with what is missing; nothing searched (a look at the person is audited)."""
    return _page(request, typed, None, error=error, status=400)
