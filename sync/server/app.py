"""The HTTP API (FastAPI): routes, who may call them, and the rule that every error is JSON
``{"error": "..."}`` with a 4xx status naming what is wrong, whatever the input. The one
exception is the host's approval page (sync.server.approvals), which a person's browser opens:
it answers HTML, its refusals too.

``create_app(db_url)`` opens (and migrates) the database and returns the ASGI app; the routes
find the database, the clock and the mailer on ``app.state``, so tests can pass their own.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, AsyncIterator, Callable, Iterator, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from kiosk.notify.plainhttp import PlainHttp
from sync import protocol
from sync.server import approvals, auth, catchup, export, invitations, purge, revisions, store, tombstones, views
from sync.server.auth import Admin, Device, Principal
from sync.server.console import install as install_console
from sync.server.db import Database
from sync.server.projector import Projector
from sync.server.errors import Forbidden, Invalid, ServerError, TooManyRequests, UnsupportedMedia
from sync.server.intake import DEFAULT_TIMEOUT_S, BodyGuard
from sync.server.ratelimit import Limits
from sync.server.models import (MAX_CURSOR, NAME_PATTERN, DeviceIn, DeviceOut, ErrorBody, ExportRow, Health, HostsIn,
                                HostsOut, InvitationIn, InvitationOut, IsoTime, KeyIn, KeyOut, KeysOut, PullOut, PushIn,
                                PushOut, TombstoneIn, TombstoneOut, VisitsOut, WatchlistIn, WatchlistOut, local_time)

log = logging.getLogger(__name__)


def now_ms() -> int:
    """The server's clock, ms since the epoch (UTC): the one place the server reads the time."""
    return time.time_ns() // 1_000_000


def create_app(db_url: str, *, clock: Callable[[], int] = now_ms, smtp: str = "",
               allow_plain_http: str = "", read_timeout_s: float = DEFAULT_TIMEOUT_S,
               limits: Limits | None = None) -> FastAPI:
    """``smtp``: the URL invitations are emailed through (invitations.mailer); empty: none are.
    ``allow_plain_http``: the hosts an uploaded directory's channels may reach over http://
    (kiosk.notify.plainhttp; empty: https:// only). ``read_timeout_s``: how long a request body
    may take to arrive whole (sync.server.intake). ``limits``: pushes and pulls per device
    (sync.server.ratelimit; default its rates)."""
    plain_http = PlainHttp.parse(allow_plain_http)
    mailer = invitations.mailer(smtp) if smtp else None
    db = Database(db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        projector = app.state.projector = Projector(db).start()
        yield
        projector.stop()
        db.close()

    app = FastAPI(title="Visitor kiosk server", version="1", lifespan=lifespan, summary="The event log, keys, "
                  "host directory and invitations shared by the kiosks, reception desks and exit posts of every site.")
    app.state.db = db
    app.state.clock = clock
    app.state.mailer = mailer
    app.state.plain_http = plain_http
    app.state.limits = limits or Limits()
    app.include_router(router, prefix=protocol.API)
    app.include_router(pages, prefix=protocol.API)
    app.add_middleware(BodyGuard, db=db, limit=protocol.MAX_BODY_BYTES, timeout_s=read_timeout_s,
                       open_prefix=f"{protocol.API}/approvals/", error=_error)
    app.add_exception_handler(ServerError, _server_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    install_console(app)
    return app


# -- errors ------------------------------------------------------------------------------------

def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    # A message may quote what was sent; never let a lone surrogate in it make the error a 500.
    text = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse({"error": text}, status_code=status, headers=headers)


def _server_error(_request: Request, exc: ServerError) -> JSONResponse:
    if exc.status >= 500:  # the database is down or busy: the operator must hear of it
        log.error("%s", exc)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return _error(exc.status, str(exc), headers)


def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    shown = "; ".join(_describe(e) for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return _error(422, shown + more)


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "json_invalid":
        return f"the body is not valid JSON: {error['ctx']['error']} at character {error['loc'][-1]}"
    where, *path = error["loc"]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f"{where} {field}: {error['msg']}" if field else f"{where}: {error['msg']}"


def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    return _error(exc.status_code, str(exc.detail), exc.headers)


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return _error(500, "internal error; the server's log says more")


# -- who is asking -----------------------------------------------------------------------------
# Dependencies that do no IO are async: FastAPI runs a plain def in its thread pool, a hop each.

_bearer = HTTPBearer(auto_error=False, description="a device or admin token from kiosk-server add-device / add-admin")


async def _db(request: Request) -> Database:
    return request.app.state.db


async def _now(request: Request) -> int:
    return request.app.state.clock()


def principal(request: Request, credentials: HTTPAuthorizationCredentials | None = Security(_bearer)) -> Principal:
    return auth.authenticate(request.app.state.db, credentials.credentials if credentials else None)


async def device(who: Principal = Depends(principal)) -> Device:
    if not isinstance(who, Device):
        raise Forbidden("this needs a device token")
    return who


async def admin(who: Principal = Depends(principal)) -> Admin:
    if not isinstance(who, Admin):
        raise Forbidden("this needs an admin token")
    return who


async def _known_query(request: Request) -> None:
    """Refuse query parameters the operation does not take: a typo such as ?onsite=true must not
    quietly answer a different question (every visit instead of those on site)."""
    route: APIRoute = request.scope["route"]
    known = {p.alias for p in route.dependant.query_params}  # (our dependencies take none)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise Invalid(f"unknown query parameter(s): {', '.join(unknown)}")


def _site(who: Principal, site: str | None) -> str | None:
    """The site a request may read: a device's own, whatever it asks; an admin's choice."""
    if isinstance(who, Device):
        if site not in (None, who.site):
            raise Forbidden("a device may only read its own site")
        return who.site
    return site


DB = Annotated[Database, Depends(_db)]
Now = Annotated[int, Depends(_now)]
SiteQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="a site; devices may give only their own")]
NamePath = Annotated[str, Path(pattern=NAME_PATTERN)]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation documents: its own, and those any request can get (400 is
    FastAPI's for a body it cannot decode at all, such as bytes that are not UTF-8; 408 and 413
    sync.server.intake's for a body too slow or too large)."""
    return {code: {"model": ErrorBody} for code in sorted({*codes, 400, 408, 413, 422})}


_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "the copy If-None-Match names is current"}}
router = APIRouter(dependencies=[Depends(_known_query)])
# The approval page takes any query: messaging apps add their own to the links they open
# (WeChat's ?from=singlemessage), and a host must not be refused for that.
pages = APIRouter(tags=["approval page"])


# -- routes ------------------------------------------------------------------------------------

@router.get("/health", response_model=Health, responses=_errors())
def health(db: DB) -> dict[str, Any]:
    return {"status": "ok", "db": db.kind, "events": store.count_events(db)}


@router.get("/ping", responses=_errors())
async def ping() -> dict[str, str]:
    """The server answers: no token, no database work, for devices to probe while they back off."""
    return {"status": "ok"}


@router.post("/events", response_model=PushOut, responses=_errors(401, 403, 409, 415, 429), openapi_extra={
    "requestBody": {"required": True, "content": {"application/json": {"schema": PushIn.model_json_schema()}}}})
async def push_events(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
                      now: Now) -> dict[str, Any]:
    """Store a batch of this device's events; idempotent by event id. The whole batch is refused
    (403) when it holds another device's events or a kind the device's role never writes
    (README: who may write and sign what); single events whose content is refused (a payload that
    does not fit its kind, an unknown kind, a clock far behind, a second sign-in of a visit) are
    listed in ``refused`` with the reason, events dated too far ahead of the server's clock in
    ``retry`` (push them again later), and the rest is stored."""
    # The busiest route makes one trip to the thread pool for the token, the body and the database
    # together; as FastAPI's dependencies and body parameter they would cost two more hops.
    token = credentials.credentials if credentials else None
    body = await request.body()
    json_body = _is_json(request.headers.get("content-type", ""))
    state = request.app.state
    accepted, known, refused, retry = await run_in_threadpool(_push, state.db, state.projector, state.limits, token,
                                                              body, json_body, now)
    return {"accepted": accepted, "known": known, "refused": refused, "retry": retry, "server_time": now}


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _push(db: Database, projector: Projector, limits: Limits, token: str | None, body: bytes, json_body: bool,
          now: int) -> tuple[list[str], list[str], list[dict], list[dict]]:
    who = auth.authenticate(db, token)  # first: a stranger learns nothing from how the body is judged
    if not isinstance(who, Device):
        raise Forbidden("this needs a device token")
    limits.check("push", who.site, who.name)
    if not json_body:
        raise UnsupportedMedia("the body must be JSON, sent with Content-Type: application/json")
    try:  # the standard parser, as FastAPI's: it reads a lone surrogate, which the checks then name
        raw = json.loads(body)
    except (ValueError, RecursionError) as e:  # not JSON, not UTF-8, nested too deep
        raise Invalid(f"the body is not valid JSON: {e}") from None
    try:
        batch = PushIn.model_validate(raw).events
    except ValidationError as e:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in e.errors()]) from None
    accepted, known, refused, retry = store.push(db, who, batch, now)
    if accepted:
        projector.poke(who.site)
        projector.keep_pace(who.site)  # under saturation: the push folds a batch when the fold is far behind
    return accepted, known, refused, retry


@router.get("/events", response_model=PullOut, responses=_errors(401, 403, 429))
def pull_events(who: Annotated[Principal, Depends(principal)], db: DB, request: Request, now: Now,
                site: SiteQuery = None,
                after: Annotated[int, Query(ge=0, le=MAX_CURSOR, description="the cursor of the last pull")] = 0,
                limit: Annotated[int, Query(ge=1, le=protocol.PULL_LIMIT)] = protocol.PULL_LIMIT,
                hlc: Annotated[int, Query(ge=0, le=1, description="1: with each event's clock stamp")] = 0) -> Response:
    """The site's events after a cursor, in the server's order (admins name the site); an exit
    post's copy leaves out what it never shows (kiosk.core.exit_view). Events' clock stamps
    (``hlc``) only for a device that asks: older ones refuse a field they do not know."""
    if isinstance(who, Device):
        request.app.state.limits.check("pull", who.site, who.name)
    site = _site(who, site)
    if site is None:
        raise Invalid("name the site: ?site=S")
    found, cursor, more = store.pull(db, site, after, limit)
    # Written here, not by the response model: pydantic refuses a payload nested deeper than it
    # recurses, and one such event stored (by an older server) made the site's pulls a 500 for
    # ever; devices set it aside instead (kiosk.store.quarantine).
    if not hlc:
        found = [{k: v for k, v in event.items() if k != "hlc"} for event in found]
    page = json.dumps({"events": views.events_for(who, found), "cursor": cursor, "more": more, "server_time": now},
                      ensure_ascii=False, separators=(",", ":"))
    return Response(page.encode(), media_type="application/json")


@router.put("/keys", response_model=KeyOut, responses=_errors(401, 403, 409))
def register_key(body: KeyIn, who: Annotated[Device, Depends(device)], db: DB, now: Now) -> dict[str, Any]:
    """Register this device's badge-signing public key; exit posts hold none (403)."""
    return store.register_key(db, who, body.key_id, body.public_key, now)


@router.get("/keys", response_model=KeysOut, responses={**_errors(401, 403), **_NOT_MODIFIED})
def site_keys(who: Annotated[Device, Depends(device)], db: DB, request: Request, response: Response) -> Any:
    """The public keys of the device's site, revoked ones marked; the server's own (device
    "server", which signs invitations) among them once it has invited anyone there. With
    If-None-Match naming the ETag of the device's copy: 304 while it is current."""
    ring = {"keys": store.site_keys(db, who.site)}
    unchanged = _unless_current(request, response, revisions.tag(ring))
    return ring if unchanged is None else unchanged


@router.get("/retention", responses=_errors(401, 403))
def site_retention(who: Annotated[Device, Depends(device)], db: DB) -> dict[str, int]:
    """The device's site's retention policy (sync.server.purge), which its device purges by too."""
    chosen = purge.policy(db, who.site)
    return {"retention_days": chosen.days, "sensitive_retention_days": chosen.sensitive_days}


def _unless_current(request: Request, response: Response, etag: str) -> Response | None:
    """304 when the asker's copy (If-None-Match) is ``etag`` (sync.server.revisions); else None,
    and the answer carries the ETag."""
    if revisions.matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return None


def _viewer(who: Principal) -> str:
    """Whose view of a list an answer is (sync.server.views): part of its ETag."""
    return who.role if isinstance(who, Device) else "admin"


@router.get("/hosts", response_model=HostsOut, responses={**_errors(401), **_NOT_MODIFIED})
def get_hosts(who: Annotated[Principal, Depends(principal)], db: DB, request: Request, response: Response) -> Any:
    """The host directory, for the kiosks' search; contact details and notice channels only to
    the devices that tell hosts (visitor, reception) and admins (sync.server.views). With
    If-None-Match naming the ETag of the asker's copy: 304 while it is current."""
    # The revision is read before the hosts: a directory replaced in between is sent with the
    # older ETag, and so sent again next time, never kept stale.
    etag = revisions.tag("hosts", revisions.current(db, "hosts"), _viewer(who))
    unchanged = _unless_current(request, response, etag)
    return {"hosts": views.hosts_for(who, store.all_hosts(db))} if unchanged is None else unchanged


@router.put("/hosts", response_model=HostsOut, responses=_errors(401, 403))
def put_hosts(body: HostsIn, _who: Annotated[Admin, Depends(admin)], db: DB, request: Request) -> dict[str, Any]:
    """Replace the host directory whole."""
    directory = store.checked_hosts((h.model_dump() for h in body.hosts), request.app.state.plain_http)
    store.replace_hosts(db, directory)
    return {"hosts": directory}


@router.post("/invitations", response_model=InvitationOut, status_code=201, responses=_errors(401, 403))
def create_invitation(body: InvitationIn, who: Annotated[Principal, Depends(principal)], request: Request, db: DB,
                      now: Now) -> dict[str, Any]:
    """Register a visitor ahead: a signed invitation (the QR's text), an expected visit in the
    site's log, and, when the server has SMTP and an email is given, the QR sent to the visitor.
    Admins name the site; reception devices invite to their own."""
    site = _inviting_site(who, body.site)
    made = invitations.invite(db, site, now, request.app.state.mailer, **body.model_dump(exclude={"site"}))
    request.app.state.projector.poke(site)
    return made.answer()


def _inviting_site(who: Principal, site: str | None) -> str:
    if isinstance(who, Admin):
        if site is None:
            raise Invalid('name the site: "site": S')
        return site
    if who.role != "reception":
        raise Forbidden("only reception devices and admins may invite visitors")
    if site not in (None, who.site):
        raise Forbidden("a device may only invite visitors to its own site")
    return who.site


@router.get("/watchlist", response_model=WatchlistOut, responses={**_errors(401, 403), **_NOT_MODIFIED})
def get_watchlist(who: Annotated[Principal, Depends(principal)], db: DB, request: Request,
                  response: Response) -> Any:
    """The organisation's watchlist, for admins and the devices that sign visitors in (visitor
    and reception; exit posts have no use for it). With If-None-Match naming the ETag of the
    asker's copy: 304 while it is current."""
    if isinstance(who, Device) and who.role not in ("visitor", "reception"):
        raise Forbidden("only visitor and reception devices may read the watchlist")
    etag = revisions.tag("watchlist", revisions.current(db, "watchlist"))  # read first, as for hosts
    if (unchanged := _unless_current(request, response, etag)) is not None:
        return unchanged
    entries, replaced_at = store.get_watchlist(db) or ([], None)
    return {"entries": [e.to_dict() for e in entries], "replaced_at": local_time(replaced_at)}


@router.put("/watchlist", response_model=WatchlistOut, responses=_errors(401, 403))
def put_watchlist(body: WatchlistIn, _who: Annotated[Admin, Depends(admin)], db: DB, now: Now) -> dict[str, Any]:
    """Replace the watchlist whole, for every site; the devices take it on their next sync."""
    entries = store.checked_watchlist(e.model_dump() for e in body.entries)
    store.replace_watchlist(db, entries, now)
    return {"entries": [e.to_dict() for e in entries], "replaced_at": local_time(now)}


@router.get("/visits", response_model=VisitsOut, responses=_errors(401, 403))
def get_visits(who: Annotated[Principal, Depends(principal)], db: DB, response: Response, site: SiteQuery = None,
               on_site: Annotated[bool, Query(description="only visitors on site now")] = False,
               since: Annotated[IsoTime | None, Query(description="signed in at or after")] = None,
               until: Annotated[IsoTime | None, Query(description="signed in before")] = None) -> dict[str, Any]:
    """Visits (never phone numbers): reception and exit devices see their site, admins any.
    Header Visits-Behind: stored events not yet in them (sync.server.catchup; 0: up to date)."""
    if isinstance(who, Device) and who.role not in ("reception", "exit"):
        raise Forbidden("only reception and exit devices may list visits")
    site = _site(who, site)
    response.headers[catchup.HEADER] = str(catchup.catch_up(db, site))
    found = store.find_visits(db, site, on_site, _ms(since), _ms(until), fold=False)
    return {"visits": found}


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


@router.get("/export", response_model=list[ExportRow], responses={
    **_errors(401, 403), 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_visits(_who: Annotated[Admin, Depends(admin)], db: DB, response: Response, site: SiteQuery = None,
                  format: Literal[export.FORMATS] = "json") -> Any:  # type: ignore[valid-type]
    """Every visit of every site (or one), for audit; CSV is UTF-8 with a BOM for Excel. Streamed
    from one snapshot of the visits, a batch at a time (sync.server.export). Header
    Visits-Behind: stored events not yet in them (sync.server.catchup; 0: up to date)."""
    behind = str(catchup.catch_up(db, site))
    pieces = export.stream(store.export_rows(db, site, fold=False), format)
    if format == "json":
        return StreamingResponse(_closing(pieces), media_type="application/json", headers={catchup.HEADER: behind})
    return StreamingResponse(_closing(pieces), media_type=export.CSV_MEDIA_TYPE,
                             headers={"Content-Disposition": 'attachment; filename="visits.csv"', catchup.HEADER: behind})


async def _closing(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    """``pieces`` from the thread pool, closed however the answer ends, a client gone mid-way
    included, so that its read transaction ends then and not when the collector finds it."""
    try:
        while (piece := await run_in_threadpool(next, pieces, None)) is not None:
            yield piece
    finally:
        pieces.close()


@router.post("/devices", response_model=DeviceOut, status_code=201, responses=_errors(401, 403, 409))
def add_device(body: DeviceIn, _who: Annotated[Admin, Depends(admin)], db: DB, now: Now) -> dict[str, Any]:
    """Register a device; its token is in the answer, and only there."""
    token = auth.add_device(db, body.site, body.name, body.role, now)
    return {**body.model_dump(), "token": token}


@router.delete("/devices/{site}/{name}", status_code=204, response_class=Response, responses=_errors(401, 403, 404))
def revoke_device(site: NamePath, name: NamePath, _who: Annotated[Admin, Depends(admin)], db: DB, now: Now) -> Response:
    """Revoke a device: its token stops working at once and its keys are reported revoked."""
    auth.revoke_device(db, site, name, now)
    return Response(status_code=204)


@router.post("/events/{event_id}/tombstone", response_model=TombstoneOut, responses=_errors(401, 403, 404, 409))
def tombstone_event(event_id: Annotated[str, Path(pattern=protocol.ID.pattern)], body: TombstoneIn,
                    who: Annotated[Admin, Depends(admin)], db: DB, now: Now) -> dict[str, Any]:
    """Withdraw a stored event (as ``kiosk-server events tombstone``): kept with the reason, served
    to no device again, and left out of every device's fold (a ``tombstoned`` event of the
    server's), the visits and the export."""
    done = tombstones.tombstone(db, event_id, body.reason, who.name, now)
    return {**vars(done), "at": local_time(done.at)}


# -- the approval page -------------------------------------------------------------------------

_PAGE = {"content": {"text/html": {"schema": {"type": "string"}}}}
_PAGE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {**_PAGE, "description": "the visit, with approve and deny buttons while it awaits approval"},
    403: {**_PAGE, "description": "the link expired, its kiosk was revoked, or it names another site"},
    404: {**_PAGE, "description": "not a link a kiosk of its site signed, or the visit has not reached the server"}}


@pages.get("/approvals/{token}", response_class=HTMLResponse, responses=_PAGE_ANSWERS)
def approval_page(token: str, db: DB, now: Now) -> HTMLResponse:
    """The page an approval notice links to, for the host's browser: no bearer token, since the
    link, signed by the kiosk that asks, is the credential (kiosk.core.approvals)."""
    return approvals.answer(lambda: approvals.show(db, token, now))


@pages.post("/approvals/{token}", response_class=HTMLResponse, responses={
    **_PAGE_ANSWERS, 200: {**_PAGE, "description": "the decision, stored"},
    409: {**_PAGE, "description": "the visit was already decided: nothing is stored"},
    415: {**_PAGE, "description": "not the page's form"}, 422: {**_PAGE, "description": "no decision, or a bad note"}},
    openapi_extra={"requestBody": {"required": True, "content": {approvals.FORM_MEDIA_TYPE: {"schema": {
        "type": "object", "required": ["decision"], "properties": {
            "decision": {"type": "string", "enum": ["approve", "deny"]},
            "note": {"type": "string", "maxLength": approvals.MAX_NOTE}}}}}}})
async def approval_decision(token: str, request: Request, db: DB, now: Now) -> HTMLResponse:
    """The host's answer from the page: an approved or denied event in the site's log (device
    "server"), which the kiosk pulls; once per visit."""
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    return await run_in_threadpool(approvals.answer, lambda: approvals.decide(db, token, now, body, content_type))
