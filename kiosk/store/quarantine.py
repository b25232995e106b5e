"""Events this device pulled but cannot ingest, kept aside: the quarantine.

An event that fails the protocol's checks, whose payload the fold cannot read, or with which
its visit cannot be folded would otherwise fail the whole page it came in, and every sync after
it: one poison event would stop every device of a site. Such an event is kept here instead,
with the reason, for reception to see (sync status) and an admin to remove at its source (on
the server); the rest of its page is ingested and the pull moves on. Nothing is taken out
again: the device's log stays append-only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Mapping

from kiosk.core.readable import text
from kiosk.store.db import Database

MAX_RAW = 64 * 1024  # characters of an event kept (a hostile one can be much bigger)
MAX_REASON = 300
_MAX_ID = 64


@dataclass(frozen=True)
class Summary:
    """What reception is shown: how many events are set aside, why (the latest distinct
    reasons), and when the last one arrived (ms)."""

    count: int = 0
    reasons: tuple[str, ...] = ()
    latest_ms: int | None = None


def raw_text(raw: Any) -> str:
    """The event as received, as ASCII JSON (a lone surrogate cannot reach SQLite), cut at MAX_RAW."""
    try:
        written = json.dumps(raw, ensure_ascii=True, sort_keys=True, default=repr)
    except (ValueError, TypeError, RecursionError):  # nested too deep, keys that are not text
        written = f"<{type(raw).__name__} that cannot be written as JSON>"
    return written if len(written) <= MAX_RAW else written[:MAX_RAW] + "…(cut)"


def _plain(value: Any, limit: int) -> str:
    """Text safe to store and show: within ``limit``, with lone surrogates escaped."""
    return text(value)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def add(conn: sqlite3.Connection, raw: Any, reason: str, now_ms: int) -> None:
    """Keep ``raw`` (a JSON object as pulled, or an event's to_dict()) aside with ``reason``,
    once however often it is pulled, in the caller's transaction."""
    written = raw_text(raw)
    fields = raw if isinstance(raw, Mapping) else {}
    conn.execute("INSERT OR IGNORE INTO quarantine (digest, event_id, kind, visit_id, reason, raw, received_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (hashlib.sha256(written.encode()).hexdigest(), _plain(fields.get("event_id"), _MAX_ID),
                  _plain(fields.get("kind"), _MAX_ID), _plain(fields.get("visit_id"), _MAX_ID),
                  _plain(reason, MAX_REASON), written, now_ms))


def summary(db: Database, reasons: int = 3) -> Summary:
    count, latest = db.read("SELECT COUNT(*), MAX(received_at) FROM quarantine")[0]
    if not count:
        return Summary()
    rows = db.read("SELECT reason FROM quarantine GROUP BY reason ORDER BY MAX(received_at) DESC LIMIT ?",
                   (reasons,))
    return Summary(count, tuple(reason for (reason,) in rows), latest)


def listed(db: Database) -> list[dict[str, Any]]:
    """Every event set aside, oldest first: id, kind, visit, reason, when, and the raw JSON."""
    rows = db.read("SELECT event_id, kind, visit_id, reason, received_at, raw FROM quarantine"
                   " ORDER BY received_at, digest")
    return [dict(zip(("event_id", "kind", "visit_id", "reason", "received_at", "raw"), row)) for row in rows]


def describe(found: Summary) -> str:
    """One line for a terminal or the console's status ("" when nothing is set aside)."""
    if not found.count:
        return ""
    return (f"{found.count} pulled event{'s' if found.count != 1 else ''} could not be ingested and "
            f"{'are' if found.count != 1 else 'is'} set aside: {'; '.join(found.reasons)}")
