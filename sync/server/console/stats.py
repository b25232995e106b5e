"""Visitor statistics for the console: visits per day, week and month, by site, department, host
and visitor type, peak hours, average stay and satisfaction ratings, over a period and the sites
a user may see.

Counted in the database from the register rows the projector keeps (sync.server.console.
search_index), one GROUP BY each, never by reading visits one by one. Days and hours are the
server's local time (what the office calls a day), at the period's UTC offset. A visit counts
where it was signed in; visitors the entry policy blocked or reception denied are not visits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Sequence

import sqlalchemy as sa

from sync.server.console.register import up_to_date
from sync.server.db import Database, register

Scope = Sequence[str] | None
DAY_MS, HOUR_MS = 86_400_000, 3_600_000
TOP = 15  # hosts, departments, ... shown by name; the rest are added up as one
_NOT_VISITS = ("blocked", "denied")

Series = list[tuple[str, int]]  # (label, count), in the order shown


@dataclass
class Stats:
    since: date
    until: date  # the last day counted
    total: int = 0
    per_day: Series = field(default_factory=list)
    per_week: Series = field(default_factory=list)  # labelled by the week's Monday
    per_month: Series = field(default_factory=list)
    by_site: Series = field(default_factory=list)
    by_department: Series = field(default_factory=list)
    by_host: Series = field(default_factory=list)
    by_type: Series = field(default_factory=list)
    by_hour: Series = field(default_factory=list)  # 00-23
    ratings: Series = field(default_factory=list)  # 1-5 stars
    average_stay_minutes: float | None = None
    average_rating: float | None = None
    others: str = ""  # the label that stands for every name past TOP


def local_offset_ms(day: date) -> int:
    """The server's UTC offset on ``day``, in ms."""
    moment = datetime(day.year, day.month, day.day, 12).astimezone()
    return int(moment.utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]


def period_ms(since: date, until: date) -> tuple[int, int, int]:
    """(first ms, ms past the end, UTC offset ms) of the local days since..until, both included."""
    offset = local_offset_ms(until)
    start = int(datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp() * 1000) - offset
    end = int(datetime(until.year, until.month, until.day, tzinfo=timezone.utc).timestamp() * 1000) + DAY_MS - offset
    return start, end, offset


def statistics(db: Database, scope: Scope, since: date, until: date, *, others: str = "others") -> Stats:
    """The statistics of the visits signed in on the local days ``since``..``until`` at the
    sites in ``scope`` (None: all). ``others`` labels what is past the top names."""
    stats = Stats(since=since, until=until, others=others)
    if scope is not None and not scope:
        return stats
    up_to_date(db, scope)
    start, end, offset = period_ms(since, until)
    r = register.c
    where = [r.at >= start, r.at < end, r.state.not_in(_NOT_VISITS)]
    if scope is not None:
        where.append(r.site.in_(list(scope)))
    with db.read() as conn:
        def grouped(key: sa.ColumnElement) -> list[tuple]:
            return conn.execute(sa.select(key.label("k"), sa.func.count()).where(*where).group_by("k")).all()

        days = dict(grouped((r.at + offset) // DAY_MS))  # integer division: PostgreSQL rounds a NUMERIC cast
        stats.by_site = _top(grouped(r.site), others)
        stats.by_department = _top(grouped(r.department), others)
        stats.by_host = _top(grouped(r.host), others)
        stats.by_type = _top(grouped(r.visitor_type), others)
        hours = dict(grouped((r.at + offset) // HOUR_MS % 24))
        ratings = dict(grouped(r.rating))
        stats.average_stay_minutes = _minutes(conn.execute(
            sa.select(sa.func.avg(r.left_at - r.at)).where(*where, r.left_at.is_not(None), r.left_at >= r.at)).scalar())
    _calendar(stats, {int(k): v for k, v in days.items()})
    stats.by_hour = [(f"{h:02d}", int(hours.get(h, 0))) for h in range(24)]
    stats.ratings = [(str(n), int(ratings.get(n, 0))) for n in range(1, 6)]
    rated = sum(v for _, v in stats.ratings)
    stats.average_rating = sum(int(k) * v for k, v in stats.ratings) / rated if rated else None
    return stats


def _minutes(ms: object) -> float | None:
    return None if ms is None else float(ms) / 60_000  # type: ignore[arg-type]


def _top(rows: list[tuple], others: str) -> Series:
    counted = sorted(((str(k or "-"), int(v)) for k, v in rows), key=lambda kv: (-kv[1], kv[0]))
    if len(counted) <= TOP + 1:
        return counted
    return counted[:TOP] + [(others, sum(v for _, v in counted[TOP:]))]


def _calendar(stats: Stats, days: dict[int, int]) -> None:
    """Per day (every day of the period, none left out), per week and per month."""
    epoch = date(1970, 1, 1)
    weeks: Counter[date] = Counter()
    months: Counter[str] = Counter()
    day = stats.since
    while day <= stats.until:
        count = days.get((day - epoch).days, 0)
        stats.per_day.append((day.isoformat(), count))
        weeks[day - timedelta(days=day.weekday())] += count
        months[day.strftime("%Y-%m")] += count
        day += timedelta(days=1)
    stats.total = sum(v for _, v in stats.per_day)
    stats.per_week = [(monday.isoformat(), n) for monday, n in sorted(weeks.items())]
    stats.per_month = sorted(months.items())
