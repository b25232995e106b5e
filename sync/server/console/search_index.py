"""The register's search index, kept in step with the visits table by the projector (in the
same transaction as the visits it folds) and filled once for the visits already folded
(sync.server.db's migration).

A search must answer from an index, never by reading a million names: each visit gets a row in
``register`` (its time, company and host, for time-ordered pages), each key its visitor's name is
found by (kiosk.core.hosts.name_keys: 张三 under 张三, 三, zhangsan, zsan, san) and each of its
badge ids a row in ``register_terms``; companies and host names, few and shared by many visits,
have their keys once each in ``register_words``. The keys are the kiosk's own, so the console
finds a visitor every way reception's desk does (kiosk.core.visitor_search).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.core.hosts import department_keys, name_keys
from kiosk.core.visits import EXPECTED, USED, Visit
from kiosk.store.log import visit_from_json
from sync.server.db import register, register_terms, register_words, visits

NAME, BADGE = "n", "b"  # register_terms.field
COMPANY, HOST = "c", "h"  # register_words.field
# An invitation's own visit is not a visit anyone made: the register lists the visits it became.
_NOT_VISITS = frozenset({EXPECTED, USED})
FILL_BATCH = 2000
MAX_KEYS_TEXT = 500


@lru_cache(maxsize=1 << 16)
def _name_keys(name: str) -> tuple[str, ...]:
    return tuple(name_keys(name))


@lru_cache(maxsize=1 << 12)
def _word_keys(field: str, text: str) -> tuple[str, ...]:
    return tuple(department_keys(text) if field == COMPANY else name_keys(text))


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    return value.replace("\x00", "") if isinstance(value, str) else ""


def register_row(visit: Visit) -> dict[str, Any] | None:
    """The visit's row in ``register``; None for what is not a visit (an invitation's own)."""
    if visit.state in _NOT_VISITS:
        return None
    return {"site": visit.site, "visit_id": visit.visit_id, "at": visit.signed_in_at or visit.blocked_at or 0,
            "left_at": visit.signed_out_at, "state": visit.state, "company": _text(visit.visitor, "company"),
            "host": _text(visit.host, "name"), "department": _text(visit.host, "department"),
            "visitor_type": visit.visitor_type if isinstance(visit.visitor_type, str) else "",
            "rating": visit.rating, "keys": joined_keys(_name_keys(_text(visit.visitor, "name")))}


def joined_keys(keys: Iterable[str]) -> str:
    """A name's keys as ``register.keys`` holds them: each after a space, so that " zs" is in
    the text exactly when a key starts with zs; at most MAX_KEYS_TEXT characters (an index entry
    has a size limit; a longer name's later keys are still in register_terms)."""
    text = " "
    for key in keys:
        if len(text) + len(key) + 1 > MAX_KEYS_TEXT:
            break
        text += key + " "
    return text


def term_rows(visit: Visit, at: int) -> list[dict[str, Any]]:
    """The visit's rows in ``register_terms``: its visitor's name keys and its badge ids."""
    where = {"site": visit.site, "visit_id": visit.visit_id, "at": at}
    terms = [(NAME, key) for key in _name_keys(_text(visit.visitor, "name"))]
    terms += [(BADGE, badge.badge_id) for badge in visit.badges]
    return [{"field": field, "term": term, **where} for field, term in dict.fromkeys(terms)]


def word_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``register_words`` rows for these register rows' companies and hosts."""
    values = {(COMPANY, row["company"]) for row in rows} | {(HOST, row["host"]) for row in rows}
    return [{"field": field, "term": key, "value": value}
            for field, value in sorted(values) if value for key in _word_keys(field, value)]


def index_visits(conn: Connection, folded: list[Visit]) -> None:
    """Bring the index up to date with these visits of one site, just folded (in the projector's
    transaction): every row of theirs replaced, and a company or host name no visit is indexed
    under any more taken out (a withdrawn or purged visit's company is personal data)."""
    if folded:
        site, ids = folded[0].site, [v.visit_id for v in folded]
        before = _words_of(conn, site, ids)
        _delete(conn, site, ids)
        rows = _insert(conn, folded)
        drop_unused_words(conn, before - {(COMPANY, r["company"]) for r in rows} - {(HOST, r["host"]) for r in rows})


def forget(conn: Connection, site: str, visit_ids: list[str]) -> None:
    """Take these visits of ``site`` out of the index (every event withdrawn, or purged)."""
    before = _words_of(conn, site, visit_ids)
    _delete(conn, site, visit_ids)
    drop_unused_words(conn, before)


def _delete(conn: Connection, site: str, visit_ids: list[str]) -> None:
    for table in (register, register_terms):
        conn.execute(table.delete().where(table.c.site == site, table.c.visit_id.in_(visit_ids)))


def _words_of(conn: Connection, site: str, visit_ids: list[str]) -> set[tuple[str, str]]:
    """The companies and hosts these visits are indexed under, as (field, value)."""
    rows = conn.execute(sa.select(register.c.company, register.c.host)
                        .where(register.c.site == site, register.c.visit_id.in_(visit_ids))).all()
    return {(COMPANY, r.company) for r in rows} | {(HOST, r.host) for r in rows}


def drop_unused_words(conn: Connection, words: set[tuple[str, str]]) -> None:
    """Take out of ``register_words`` those of ``words`` no visit is indexed under any more (a
    purged visit's company is personal data: it must not outlive the visit in the index)."""
    for field, value in words:
        column = register.c.company if field == COMPANY else register.c.host
        if value and conn.execute(sa.select(sa.literal(1)).where(column == value).limit(1)).first() is None:
            conn.execute(register_words.delete().where(register_words.c.field == field,
                                                        register_words.c.value == value))


def fill(conn: Connection) -> None:
    """Index every visit already folded (the migration that brings the index in), a batch at a time."""
    last: tuple[str, str] = ("", "")
    while True:
        batch = conn.execute(sa.select(visits.c.site, visits.c.visit_id, visits.c.doc)
                             .where(sa.tuple_(visits.c.site, visits.c.visit_id) > sa.tuple_(*last))
                             .order_by(visits.c.site, visits.c.visit_id).limit(FILL_BATCH)).all()
        if not batch:
            return
        _insert(conn, [visit_from_json(row.doc) for row in batch])
        last = (batch[-1].site, batch[-1].visit_id)


def _insert(conn: Connection, folded: Iterable[Visit]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    for visit in folded:
        row = register_row(visit)
        if row is not None:
            rows.append(row)
            terms += term_rows(visit, row["at"])
    if rows:
        conn.execute(register.insert(), rows)
    if terms:
        conn.execute(register_terms.insert(), terms)
    words = word_rows(rows)
    if words:  # shared with other visits: already there, most of the time
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(register_words).on_conflict_do_nothing(), words)
    return rows
