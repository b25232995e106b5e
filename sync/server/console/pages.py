"""The console's own pages: log in and out, the language switch, the start page, the audit log
(page and CSV), and unmasking a visitor's phone number."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from kiosk.core.validation import mask_phone
from sync.server import store
from sync.server.console import accounts, audit, session as sessions, web
from sync.server.console.accounts import User
from sync.server.console.session import Session, api_session, page_session, page_user
from sync.server.errors import Forbidden, Invalid, NotFound

router = APIRouter(prefix=web.PREFIX, include_in_schema=False)
PageUser = Annotated[User, Depends(page_user)]
MAX_REASON = 500
UNMASK_ROLES = ("admin", "security")  # who may see a visitor's whole phone number, giving a reason
AUDIT_ROLES = ("admin", "auditor")


def address(request: Request) -> str:
    return request.client.host if request.client else ""


def _now(request: Request) -> int:
    return request.app.state.clock()


async def posted(request: Request, session: Session) -> dict[str, str]:
    """The form's fields, once its CSRF token is checked (the field, or the script's header)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    sessions.check_csrf(session, fields.get(sessions.CSRF_FIELD) or request.headers.get(sessions.CSRF_HEADER))
    return fields


# -- logging in and out ------------------------------------------------------------------------

@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    return _login_form(request, next, "")


def _login_form(request: Request, next: str, error: str, status: int = 200) -> Response:
    # The login form has no session to hold its CSRF token: a cookie of its own holds one, and
    # the form must send it back (double submit); SameSite=Strict keeps it off other sites' posts.
    token = secrets.token_urlsafe(32)
    page = web.render(request, "login.html", {"next": sessions.local_path(next), "error": error, "login_csrf": token},
                      status=status)
    page.set_cookie(sessions.PRELOGIN, token, httponly=True, samesite="strict", path=f"{web.PREFIX}/login",
                    secure=sessions.settings(request).secure_cookies)
    return page


@router.post("/login")
async def log_in(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    sent, kept = fields.get(sessions.CSRF_FIELD, ""), request.cookies.get(sessions.PRELOGIN, "")
    if not (sent and kept and hmac.compare_digest(sent.encode(), kept.encode())):
        raise Forbidden("the form's security token is missing or wrong: reload the page and try again")
    db, now, where = request.app.state.db, _now(request), address(request)
    throttle: sessions.AddressThrottle = request.app.state.console_throttle
    throttle.check(where)
    name, password, next = fields.get("name", "").strip(), fields.get("password", ""), fields.get("next", "")
    _ = web.translator(web.language(request))
    known = accounts.get_user(db, name) is not None
    target = name if known else ""  # a password typed into the name field must not reach the log
    try:
        user = accounts.verify(db, name, password, now)
    except accounts.Locked as locked:
        throttle.failed(where)
        audit.record(db, name, "login_locked", now, target=target, address=where)
        return _login_form(request, next, _("Too many wrong passwords: this account is locked until {time}.",
                                            time=web.shown_time(locked.until)), status=429)
    if user is None:
        throttle.failed(where)
        audit.record(db, name if known else "?", "login_failed", now, target=target, address=where)
        return _login_form(request, next, _("Wrong name or password."), status=401)
    old = request.cookies.get(sessions.settings(request).cookie)
    if old:  # whatever session the browser had before is ended: a new id at every login
        sessions.end(db, old)
    session_id, _csrf = sessions.start(db, user, now)
    audit.record(db, user.name, "login", now, address=where)
    answer = RedirectResponse(sessions.local_path(next), status_code=303)
    settings = sessions.settings(request)
    answer.set_cookie(settings.cookie, session_id, httponly=True, samesite="strict", path="/",
                      secure=settings.secure_cookies)
    answer.delete_cookie(sessions.PRELOGIN, path=f"{web.PREFIX}/login")
    return answer


@router.post("/logout")
async def log_out(request: Request, session: Annotated[Session, Depends(page_session)]) -> Response:
    await posted(request, session)
    settings = sessions.settings(request)
    sessions.end(request.app.state.db, request.cookies.get(settings.cookie, ""))
    audit.record(request.app.state.db, session.user.name, "logout", _now(request), address=address(request))
    answer = RedirectResponse(f"{web.PREFIX}/login", status_code=303)
    answer.delete_cookie(settings.cookie, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict")
    return answer


@router.get("/lang")
def switch_language(to: str = "", next: str = "") -> Response:
    """Choose the console's language (a cookie, a year); then back to the page."""
    answer = RedirectResponse(sessions.local_path(next), status_code=303)
    if to in web.LANGUAGES:
        answer.set_cookie(web.LANG_COOKIE, to, max_age=365 * 24 * 3600, samesite="strict", path=web.PREFIX)
    return answer


@router.get("/")
def start(user: PageUser) -> Response:
    """Each role's first page."""
    first = next((item.path for item in web.NAV if item.offered_to(user)), f"{web.PREFIX}/account")
    return RedirectResponse(first, status_code=303)


# -- the audit log -----------------------------------------------------------------------------

def _audit_filter(who: str, action: str, target: str, since: str, until: str, before: str) -> audit.Filter:
    try:
        return audit.Filter(who=who.strip(), action=action.strip(), target=target.strip(),
                            since=web.parse_day(since), until=web.parse_day(until, end=True),
                            before=int(before) if before else None)
    except ValueError:
        raise Invalid("a date is YYYY-MM-DD") from None


@router.get("/audit")
def audit_page(request: Request, user: PageUser, who: str = "", action: str = "", target: str = "",
               since: str = "", until: str = "", before: str = "") -> Response:
    sessions.may(user, *AUDIT_ROLES)
    sessions.every_site(user, "the audit log")  # its entries have no site to keep a scoped account to
    chosen = _audit_filter(who, action, target, since, until, before)
    rows = audit.entries(request.app.state.db, chosen)
    audit.record(request.app.state.db, user.name, "audit_view", _now(request), address=address(request),
                 detail={k: v for k, v in (("who", who), ("action", action), ("target", target), ("since", since),
                                           ("until", until)) if v})
    query = {"who": who, "action": action, "target": target, "since": since, "until": until}
    more = f"{web.PREFIX}/audit?" + web.query({**query, "before": rows[-1].entry}) if len(rows) == audit.PAGE else ""
    return web.render(request, "audit.html", {"rows": rows, "query": query, "more": more,
                                               "csv": f"{web.PREFIX}/audit.csv?" + web.query(query)})


@router.get("/audit.csv")
def audit_csv(request: Request, user: PageUser, who: str = "", action: str = "", target: str = "",
              since: str = "", until: str = "") -> Response:
    sessions.may(user, *AUDIT_ROLES)
    sessions.every_site(user, "the audit log")  # its entries have no site to keep a scoped account to
    db = request.app.state.db
    rows = audit.entries(db, _audit_filter(who, action, target, since, until, ""), limit=None)
    audit.record(db, user.name, "audit_export", _now(request), address=address(request), detail={"rows": len(rows)})
    return StreamingResponse((s.encode() for s in audit.csv_lines(rows, web.shown_time)),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


# -- phone numbers -----------------------------------------------------------------------------

def masked(phone: str) -> str:
    """A phone number as pages show it by default (kiosk.core.validation.mask_phone)."""
    return mask_phone(phone) if phone else ""


def unmask_phone(request: Request, user: User, site: str, visit_id: str, reason: str) -> str:
    """The visit's whole phone number, for a role that may see it and a reason given, recorded in
    the audit log first: no number leaves without its entry."""
    sessions.may(user, *UNMASK_ROLES)
    sessions.visible_site(user, site)
    reason = " ".join(reason.split())
    if not reason:
        raise Invalid("give the reason you need the number")
    if len(reason) > MAX_REASON:
        raise Invalid(f"a reason may have at most {MAX_REASON} characters")
    db = request.app.state.db
    visit = store.get_visit(db, site, visit_id)
    if visit is None:
        raise NotFound("no such visit")
    audit.record(db, user.name, "unmask", _now(request), target=f"{site}/{visit_id}", reason=reason,
                 detail={"field": "phone"}, address=address(request))
    return str(visit.visitor.get("phone", ""))


@router.post("/api/visits/{site}/{visit_id}/phone")
async def unmask(request: Request, site: str, visit_id: str,
                 session: Annotated[Session, Depends(api_session)]) -> Response:
    """The whole number, once: answered as JSON {"phone": ...}, never stored in a page."""
    fields = await posted(request, session)
    phone = unmask_phone(request, session.user, site, visit_id, fields.get("reason", ""))
    return JSONResponse({"phone": phone})


@router.get("/account")
def account_page(request: Request, user: PageUser) -> Response:
    """Who is logged in: name, role and sites."""
    return web.render(request, "account.html")
