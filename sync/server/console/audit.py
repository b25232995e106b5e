"""The audit log: who looked at, searched, exported or unmasked personal data, and every change
made in the console, with when, the target, the reason given and details.

It is append-only: ``record`` is the only writer, and the database itself refuses UPDATE and
DELETE on the table (triggers made by the migration, sync.server.db._console).

Actions recorded (``action``): login, login_failed, login_locked, logout, search, view_visit,
export, unmask, approve, deny, audit_view, audit_export, user_add, user_remove, and whatever the
other console pages add; keep them short verbs a filter can match.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.server.db import Database, audit_log

PAGE = 200  # entries shown at a time on the audit page


@dataclass(frozen=True)
class Entry:
    entry: int
    at: int
    who: str
    action: str
    target: str
    reason: str
    detail: dict[str, Any]
    address: str


def record(db: Database, who: str, action: str, now: int, *, target: str = "", reason: str = "",
           detail: Mapping[str, Any] | None = None, address: str = "", conn: Connection | None = None) -> None:
    """Append one entry; with ``conn``, inside that transaction (it stands or falls with the change)."""
    values = {"at": now, "who": who[:64], "action": action[:32], "target": target, "reason": reason,
              "detail": json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True),
              "address": (address or "")[:64]}
    if conn is not None:
        conn.execute(audit_log.insert().values(**values))
        return
    with db.write() as conn:
        conn.execute(audit_log.insert().values(**values))


@dataclass(frozen=True)
class Filter:
    who: str = ""
    action: str = ""
    target: str = ""  # a part of the target
    since: int | None = None  # ms
    until: int | None = None  # ms, exclusive
    before: int | None = None  # entries older than this one (paging)

    def where(self, query: sa.Select) -> sa.Select:
        if self.who:
            query = query.where(audit_log.c.who == self.who)
        if self.action:
            query = query.where(audit_log.c.action == self.action)
        if self.target:
            escaped = self.target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(audit_log.c.target.like(f"%{escaped}%", escape="\\"))
        if self.since is not None:
            query = query.where(audit_log.c.at >= self.since)
        if self.until is not None:
            query = query.where(audit_log.c.at < self.until)
        if self.before is not None:
            query = query.where(audit_log.c.entry < self.before)
        return query


def entries(db: Database, chosen: Filter = Filter(), limit: int | None = PAGE) -> list[Entry]:
    """The entries ``chosen`` picks, newest first."""
    query = chosen.where(sa.select(audit_log)).order_by(audit_log.c.entry.desc())
    if limit is not None:
        query = query.limit(limit)
    with db.read() as conn:
        return [_entry(row) for row in conn.execute(query)]


def _entry(row: sa.Row) -> Entry:
    return Entry(row.entry, row.at, row.who, row.action, row.target, row.reason, json.loads(row.detail), row.address)


COLUMNS = ("entry", "at", "who", "action", "target", "reason", "detail", "address")


def csv_lines(rows: list[Entry], shown_time) -> Iterator[str]:
    """The entries as CSV (UTF-8 with a BOM for Excel), cells a spreadsheet would read as a
    formula neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in rows:
        writer.writerow([safe_cell(str(v)) for v in (e.entry, shown_time(e.at), e.who, e.action, e.target, e.reason,
                                                     json.dumps(e.detail, ensure_ascii=False), e.address)])
    yield "\ufeff" + out.getvalue()


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading quote."""
    return "'" + text if text.startswith(_FORMULA) else text
