"""When a shared list last changed, so that devices download it only then: the host directory,
the watchlist and a site's key ring are answered with an ETag, and a device that sends its
copy's ETag back (If-None-Match) gets 304 and no body while it is current. Every round of every
device asked for them whole, which at 2,000 hosts cost the server most of its ingest rate.

The directory and the watchlist carry a revision (db.revisions) that each replacement raises in
its own transaction, so an unchanged one is answered from one row without reading the list; a
key ring is small and changes by several paths (a key registered, a device revoked, the
server's own key made), so its ETag is a digest of the answer itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from sync.server.db import Database, revisions


def bump(db: Database, conn: sa.Connection, name: str) -> None:
    """Raise ``name``'s revision, in the transaction that replaces the list."""
    start = {"name": name, "revision": 1}
    conn.execute(db.insert(revisions).on_conflict_do_update(
        index_elements=["name"], set_={"revision": revisions.c.revision + 1}), start)


def current(db: Database, name: str) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(revisions.c.revision).where(revisions.c.name == name)).scalar() or 0


def tag(*parts: Any) -> str:
    """A strong ETag naming ``parts`` (what the answer depends on), or a digest of an answer."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether a request's If-None-Match names ``etag`` (RFC 9110: weak comparison, or ``*``)."""
    if not if_none_match:
        return False
    listed = [t.strip() for t in if_none_match.split(",")]
    return "*" in listed or etag in (t[2:] if t.startswith("W/") else t for t in listed)
