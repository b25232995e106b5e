"""The statistics page: visits per day, week and month, by site, department, host and visitor
type, peak hours, average stay and ratings, as charts drawn on the server (sync.server.console.
charts), each downloadable as its SVG picture and its numbers (CSV), and all of them as one
workbook (XLSX). Looking and downloading are recorded in the audit log.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from sync.server.console import audit, charts, exports, stats, web
from sync.server.console import session as sessions
from sync.server.console.accounts import User
from sync.server.console.pages import address
from sync.server.console.records import TYPES
from sync.server.console.session import page_user
from sync.server.errors import Invalid, NotFound

router = APIRouter(prefix=web.PREFIX, include_in_schema=False)
PageUser = Annotated[User, Depends(page_user)]
STATS_ROLES = ("admin", "auditor")
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366

web.NAV.append(web.NavItem(f"{web.PREFIX}/stats", web.N_("Statistics"), STATS_ROLES))
web.ACTION_LABELS["stats_view"] = web.N_("Opened the statistics")

N_ = web.N_
# (name, title, how it is drawn), in the order shown.
CHARTS: list[tuple[str, str, Callable[..., str]]] = [
    ("per_day", N_("Visits per day"), charts.line_chart),
    ("per_week", N_("Visits per week"), charts.column_chart),
    ("per_month", N_("Visits per month"), charts.column_chart),
    ("by_hour", N_("Peak hours (sign-ins by hour)"), charts.column_chart),
    ("by_site", N_("By site"), charts.bar_chart),
    ("by_department", N_("By department"), charts.bar_chart),
    ("by_host", N_("By host"), charts.bar_chart),
    ("by_type", N_("By visitor type"), charts.bar_chart),
    ("ratings", N_("Satisfaction (stars)"), charts.column_chart),
]


def _period(since: str, until: str) -> tuple[date, date]:
    try:
        last = date.fromisoformat(until) if until else date.today()
        first = date.fromisoformat(since) if since else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise Invalid("a date is YYYY-MM-DD") from None
    if first > last:
        raise Invalid("the period ends before it starts")
    if (last - first).days >= MAX_DAYS:
        raise Invalid(f"a period of at most {MAX_DAYS} days, please")
    return first, last


def _counted(request: Request, user: User, since: str, until: str, site: str) -> stats.Stats:
    sessions.may(user, *STATS_ROLES)
    scope = user.sites
    if site:
        sessions.visible_site(user, site)
        scope = (site,)
    first, last = _period(since, until)
    _ = web.translator(web.language(request))
    counted = stats.statistics(request.app.state.db, scope, first, last, others=_("Others"))
    counted.by_type = [(_(TYPES[k]) if k in TYPES else k, n) for k, n in counted.by_type]
    # MM-DD: the year is in the period (a week by its Monday)
    counted.per_day = [(day[5:], n) for day, n in counted.per_day]
    counted.per_week = [(monday[5:], n) for monday, n in counted.per_week]
    return counted


def _drawn(request: Request, counted: stats.Stats) -> list[dict[str, str]]:
    _ = web.translator(web.language(request))
    return [{"name": name, "title": _(title), "svg": draw(_(title), getattr(counted, name))}
            for name, title, draw in CHARTS]


@router.get("/stats")
def stats_page(request: Request, user: PageUser, since: str = "", until: str = "", site: str = "") -> Response:
    counted = _counted(request, user, since, until, site)
    query = {"since": counted.since.isoformat(), "until": counted.until.isoformat(), "site": site}
    audit.record(request.app.state.db, user.name, "stats_view", request.app.state.clock(), address=address(request),
                 detail=query)
    return web.render(request, "stats.html", {
        "s": counted, "charts": _drawn(request, counted), "query": query, "sites": user.sites,
        "link": lambda tail: f"{web.PREFIX}/stats/{tail}?" + web.query(query)})


@router.get("/stats/{name}.{fmt}")
def chart_download(request: Request, user: PageUser, name: str, fmt: str, since: str = "", until: str = "",
                   site: str = "") -> Response:
    """One chart: its picture (svg) or its numbers (csv); ``all.xlsx``: every table, a sheet each."""
    known = {n: (title, draw) for n, title, draw in CHARTS}
    if not ((name in known and fmt in ("svg", "csv")) or (name == "all" and fmt == "xlsx")):
        raise NotFound("no such page")
    counted = _counted(request, user, since, until, site)
    audit.record(request.app.state.db, user.name, "export", request.app.state.clock(), target=f"stats/{name}.{fmt}",
                 address=address(request), detail={"since": counted.since.isoformat(),
                                                   "until": counted.until.isoformat(), "site": site})
    _ = web.translator(web.language(request))
    header = (_("Label"), _("Visits"))
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "svg":
        title, draw = known[name]
        return Response(draw(_(title), getattr(counted, name)), media_type="image/svg+xml", headers=disposition)
    if fmt == "csv":
        body = exports.csv_stream(header, getattr(counted, name))
        return StreamingResponse(body, media_type=exports.CSV_TYPE, headers=disposition)
    sheets = [(_(title), header, getattr(counted, n)) for n, title, _draw in CHARTS]
    return StreamingResponse(exports.xlsx_stream(sheets), media_type=exports.XLSX_TYPE, headers=disposition)
