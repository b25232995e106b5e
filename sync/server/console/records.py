"""The register's pages: the search form and its results a page at a time, a visit's detail with
its whole history, and the register's export (CSV, XLSX). Every look is recorded in the audit
log: the search with its filters, the visit opened, the export with its filters.

A visit or a site outside the user's sites answers 404, as if it did not exist. Exports are for
the roles that may take personal data away (admin, auditor); the others search and read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from kiosk.core.tokens import badge_number
from sync.server.console import audit, detail, exports, register, web
from sync.server.console import session as sessions
from sync.server.console.accounts import User
from sync.server.console.pages import UNMASK_ROLES, address
from sync.server.console.session import page_user
from sync.server.errors import Invalid, NotFound

router = APIRouter(prefix=web.PREFIX, include_in_schema=False)
PageUser = Annotated[User, Depends(page_user)]
REGISTER_ROLES = ("admin", "security", "reception", "auditor")
EXPORT_ROLES = ("admin", "auditor")
FIELDS = ("name", "company", "host", "badge", "site", "since", "until")
MAX_FIELD = 100

N_ = web.N_
STATES = {"waiting": N_("Waiting for host"), "with_host": N_("With host"), "signed_out": N_("Signed out"),
          "awaiting_approval": N_("Awaiting approval"), "denied": N_("Denied"), "blocked": N_("Blocked")}

TYPES = {"guest": N_("Guest"), "contractor": N_("Contractor"), "interview": N_("Interview"), "delivery": N_("Delivery")}

web.NAV.append(web.NavItem(f"{web.PREFIX}/register", web.N_("Register"), REGISTER_ROLES))


def _search(user: User, fields: dict[str, str]) -> register.Search:
    """The search a form asked for; a site the user may not see answers 404."""
    text = {k: " ".join(fields.get(k, "").split())[:MAX_FIELD] for k in FIELDS}
    if text["site"]:
        sessions.visible_site(user, text["site"])
    try:
        since, until = web.parse_day(text["since"]), web.parse_day(text["until"], end=True)
    except ValueError:
        raise Invalid("a date is YYYY-MM-DD") from None
    return register.Search(name=text["name"], company=text["company"], host=text["host"], badge=text["badge"],
                           site=text["site"], since_ms=since, until_ms=until)


def _filled(fields: dict[str, str]) -> dict[str, str]:
    return {k: fields[k] for k in FIELDS if fields.get(k)}


# What a search typed about a person (a name, a company) would be personal data in a log that can
# never forget it (the audit log is append-only, and an erasure must reach every byte): the log
# keeps which of these filters were used, the others as typed, and the visits the page listed.
_ABOUT_A_PERSON = frozenset({"name", "company", "badge"})


def _logged(fields: dict[str, str]) -> dict[str, Any]:
    filled = _filled(fields)
    kept: dict[str, Any] = {k: v for k, v in filled.items() if k not in _ABOUT_A_PERSON}
    used = sorted(_ABOUT_A_PERSON & filled.keys())
    return {**kept, **({"searched_by": used} if used else {})}


@router.get("/register")
def register_page(request: Request, user: PageUser, name: str = "", company: str = "", host: str = "",
                  badge: str = "", site: str = "", since: str = "", until: str = "", after: str = "") -> Response:
    sessions.may(user, *REGISTER_ROLES)
    fields = {"name": name, "company": company, "host": host, "badge": badge, "site": site, "since": since,
              "until": until}
    query = _search(user, fields)
    db = request.app.state.db
    error = ""
    try:
        page = register.search(db, user.sites, query, after or None)
    except Invalid as e:  # a badge number mistyped: said on the page, the form kept
        page, error = register.Page(), str(e)
    audit.record(db, user.name, "search", request.app.state.clock(), address=address(request),
                 detail={**_logged(fields), "rows": len(page.rows), "visits": [r["visit_id"] for r in page.rows],
                         **({"after": after} if after else {})})
    filled = _filled(fields)
    return web.render(request, "register.html", {
        "rows": page.rows, "fields": fields, "states": STATES, "error": error, "sites": user.sites,
        "masked": detail.masked, "may_export": user.role in EXPORT_ROLES,
        "next": f"{web.PREFIX}/register?" + web.query({**filled, "after": page.next}) if page.next else "",
        "first": f"{web.PREFIX}/register?" + web.query(filled) if after else "",
        "csv": f"{web.PREFIX}/register.csv?" + web.query(filled),
        "xlsx": f"{web.PREFIX}/register.xlsx?" + web.query(filled)})


@router.get("/visits/{site}/{visit_id}")
def visit_page(request: Request, user: PageUser, site: str, visit_id: str) -> Response:
    sessions.may(user, *REGISTER_ROLES)
    sessions.visible_site(user, site)
    db = request.app.state.db
    found = detail.visit_detail(db, user.sites, site, visit_id)
    if found is None:
        raise NotFound("no such visit")
    audit.record(db, user.name, "view_visit", request.app.state.clock(), target=f"{site}/{visit_id}",
                 address=address(request))
    return web.render(request, "visit.html", {"d": found, "v": found.visit, "states": STATES, "types": TYPES,
                                               "may_unmask": user.role in UNMASK_ROLES, "badge_number": badge_number})


@router.get("/register.{fmt}")
def register_export(request: Request, user: PageUser, fmt: str, name: str = "", company: str = "", host: str = "",
                    badge: str = "", site: str = "", since: str = "", until: str = "") -> Response:
    sessions.may(user, *EXPORT_ROLES)
    if fmt not in exports.FORMATS:
        raise NotFound("no such page")
    fields = {"name": name, "company": company, "host": host, "badge": badge, "site": site, "since": since,
              "until": until}
    query = _search(user, fields)
    db = request.app.state.db
    register.search(db, user.sites, query, limit=1)  # a mistyped badge is a 400 here, not a broken download
    audit.record(db, user.name, "export", request.app.state.clock(), target="register", address=address(request),
                 detail={**_logged(fields), "format": fmt})
    _ = web.translator(web.language(request))
    header = [_(label) for label in COLUMN_LABELS]
    rows = exports.register_rows(db, user.sites, query)
    return _download(f"register.{fmt}", fmt, header, rows, _("Register"))


COLUMN_LABELS = (web.N_("Site"), web.N_("Visit"), web.N_("State"), web.N_("Full name"), web.N_("Company"),
                 web.N_("Host"), web.N_("Department"), web.N_("Signed in"), web.N_("Signed out"))


def _download(filename: str, fmt: str, header: list[str], rows: Any, title: str) -> Response:
    if fmt == "csv":
        body, media = exports.csv_stream(header, rows), exports.CSV_TYPE
    else:
        body, media = exports.xlsx_stream([(title, header, rows)]), exports.XLSX_TYPE
    return StreamingResponse(body, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
