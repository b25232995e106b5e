"""The register: search the visits every site folded, newest first, a page at a time, within the
sites a console user may see.

Searches by the visitor's name (Chinese, full pinyin, initials: ``zs`` finds 张三, as at the
kiosk's reception desk), company, host, badge number, date range and site read the index the
projector keeps (sync.server.console.search_index), never the names themselves. A page is a
keyset over (time, site, visit id), so page 1,000 costs what page 1 does.

Which index leads depends on how much a filter matches, found by counting its index entries up
to DRIVE_LIMIT: a narrow filter (张三, a badge, one host) reads its matches and sorts them; when
every filter is broad (``z`` matches a quarter of all names) the visits are walked newest first
and each is checked against the filters by its keys, which finds a page within a few hundred
rows. (Two broad filters whose overlap is rare, such as everyone named z... visiting hosts
named l..., walk further: the one case not bounded.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from kiosk.core.hosts import query_keys
from kiosk.core.tokens import parse_badge_number
from sync.server.console.search_index import BADGE, COMPANY, HOST, NAME
from sync.server.db import (Database, devices, projections, register, register_terms, register_words, signers,
                            visits)
from sync.server.errors import Invalid
from sync.server.store import project_all

PAGE = 50
MAX_PAGE = 500
DRIVE_LIMIT = 20_000  # index entries a filter may match and still lead the query
MAX_WORDS = 2000  # companies (hosts) one company (host) filter may name
_PAST = "\U0010ffff"  # after every key that starts with a given prefix
_SEP = "~"  # in a cursor: never in a site name (sync.protocol.NAME) nor a visit id

Scope = Sequence[str] | None  # the sites a user may see; None: all of them


@dataclass(frozen=True)
class Search:
    """What a user asked for; empty fields do not filter."""

    name: str = ""
    company: str = ""
    host: str = ""
    badge: str = ""
    site: str = ""
    since_ms: int | None = None  # signed in at or after
    until_ms: int | None = None  # signed in before

    def is_empty(self) -> bool:
        return not (self.name or self.company or self.host or self.badge or self.site
                    or self.since_ms is not None or self.until_ms is not None)


@dataclass
class Page:
    rows: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None  # the cursor of the following page; None: this is the last


def search(db: Database, scope: Scope, query: Search, after: str | None = None, limit: int = PAGE,
           *, fold: bool = True) -> Page:
    """A page of the visits in ``scope`` that match ``query``, newest first, after cursor
    ``after`` (a page's ``next``)."""
    limit = max(1, min(limit, MAX_PAGE))
    sites = _sites(scope, query.site)
    if sites is not None and not sites:
        return Page()
    if fold:
        up_to_date(db, sites)
    with db.read() as conn:
        keys = _page_keys(db, conn, sites, query, _cursor(after), limit + 1)
        rows = _rows(conn, keys[:limit])
    more = len(keys) > limit
    return Page(rows, _encode(keys[limit - 1]) if more else None)


def up_to_date(db: Database, sites: Scope) -> None:
    """Fold what devices pushed to these sites (None: all) that the Projector has not yet: the
    console never answers from behind the log (a read per site when nothing is pending)."""
    if sites is None:
        # Every event comes from a device of its site or from the server's own signer there: the
        # sites are these small tables', where a DISTINCT over the events would read them all.
        with db.read() as conn:
            sites = sorted(set(conn.execute(sa.union(sa.select(devices.c.site), sa.select(signers.c.site),
                                                     sa.select(projections.c.site))).scalars()))
    for site in sites:
        project_all(db, site)


def _sites(scope: Scope, site: str) -> list[str] | None:
    if not site:
        return None if scope is None else list(scope)
    return [site] if scope is None or site in scope else []


def _page_keys(db: Database, conn: sa.Connection, sites: list[str] | None, query: Search,
               after: tuple[int, str, str] | None, n: int) -> list[tuple[int, str, str]]:
    filters = _filters(conn, query)
    if any(f is None for f in filters):  # a filter nothing can match
        return []
    narrowest = min(filters, key=lambda f: f.count(conn), default=None)
    walking = narrowest is None or narrowest.count(conn) >= DRIVE_LIMIT
    r = register.alias("r")
    if walking:  # every filter broad (or none): walk the visits newest first, checking each
        stmt = sa.select(r.c.at, r.c.site, r.c.visit_id).where(
            *_where(r, sites, query, after, walking), *(f.check(r, walking) for f in filters))
    else:
        others = [f for f in filters if f is not narrowest]
        stmt = narrowest.lead(r, lambda keyed: _where(keyed, sites, query, after, walking),
                              lambda: [f.check(r, walking) for f in others])
    cols = stmt.selected_columns
    return [tuple(row) for row in conn.execute(stmt.order_by(cols[0].desc(), cols[1].desc(), cols[2].desc()).limit(n))]


def _where(keyed: sa.FromClause, sites: list[str] | None, query: Search, after: tuple[int, str, str] | None,
           walking: bool) -> list[sa.ColumnElement[bool]]:
    """The site, date and page conditions on a table keyed by (at, site, visit_id)."""
    c = keyed.c
    where: list[sa.ColumnElement[bool]] = []
    if sites is not None and len(sites) == 1:
        where.append(c.site == sites[0])  # register_site_at walks one site in time order
    elif sites is not None:
        where.append((_unindexed(c.site) if walking else c.site).in_(sites))
    if query.since_ms is not None:
        where.append(c.at >= query.since_ms)
    if query.until_ms is not None:
        where.append(c.at < query.until_ms)
    if after is not None:
        where.append(sa.tuple_(c.at, c.site, c.visit_id) < sa.tuple_(*after))
    return where


def _unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """The column as an expression no index answers: a planner that sees an index on it (the
    sites', a company's) would read every visit it matches and sort them, where walking the
    time index stops after a page."""
    return column.op("||")("")


class _Terms:
    """A filter on register_terms: the visitor's name keys (any spelling of the query as a
    prefix), or a badge id (exactly)."""

    def __init__(self, field_: str, prefixes: list[str], exact: bool = False):
        self.field, self.prefixes, self.exact = field_, prefixes, exact
        self._count: int | None = None

    def _match(self, t: sa.FromClause) -> sa.ColumnElement[bool]:
        if self.exact:
            return sa.and_(t.c.field == self.field, t.c.term.in_(self.prefixes))
        return sa.and_(t.c.field == self.field,
                       sa.or_(*(sa.and_(t.c.term >= p, t.c.term < p + _PAST) for p in self.prefixes)))

    def count(self, conn: sa.Connection) -> int:
        if self._count is None:
            t = register_terms.alias("t")
            some = sa.select(sa.literal(1)).select_from(t).where(self._match(t)).limit(DRIVE_LIMIT).subquery()
            self._count = conn.execute(sa.select(sa.func.count()).select_from(some)).scalar_one()
        return self._count

    def check(self, r: sa.FromClause, walking: bool) -> sa.ColumnElement[bool]:
        if self.field == NAME and walking:  # from the walked index entry itself (register.keys)
            return sa.or_(*(r.c["keys"].contains(" " + p, autoescape=True) for p in self.prefixes))
        t = register_terms.alias()
        return sa.exists().where(t.c.site == r.c.site, t.c.visit_id == r.c.visit_id, self._match(t))

    def lead(self, r: sa.FromClause, where: Callable[[sa.FromClause], list], checks: Callable[[], list]) -> sa.Select:
        """The page from the matching keys alone (the index holds each visit's time), joined to
        the register only when another filter must be checked."""
        t = register_terms.alias("t")
        stmt = sa.select(t.c.at, t.c.site, t.c.visit_id).where(self._match(t), *where(t)).distinct()
        more = checks()
        if more:
            stmt = stmt.join(r, sa.and_(r.c.site == t.c.site, r.c.visit_id == t.c.visit_id)).where(*more)
        return stmt


class _Words:
    """A filter on a company or host: the values whose keys the query is a prefix of."""

    def __init__(self, column: str, values: list[str]):
        self.column, self.values = column, values
        self._count: int | None = None

    def count(self, conn: sa.Connection) -> int:
        if self._count is None:
            some = (sa.select(sa.literal(1)).where(register.c[self.column].in_(self.values))
                    .limit(DRIVE_LIMIT).subquery())
            self._count = conn.execute(sa.select(sa.func.count()).select_from(some)).scalar_one()
        return self._count

    def check(self, r: sa.FromClause, walking: bool) -> sa.ColumnElement[bool]:
        column = r.c[self.column]
        return (_unindexed(column) if walking else column).in_(self.values)

    def lead(self, r: sa.FromClause, where: Callable[[sa.FromClause], list], checks: Callable[[], list]) -> sa.Select:
        return sa.select(r.c.at, r.c.site, r.c.visit_id).where(self.check(r, False), *where(r), *checks())


def _filters(conn: sa.Connection, query: Search) -> list[Any]:
    """The text filters the query holds; None for one nothing can match."""
    filters: list[Any] = []
    if query.name.strip():
        keys = query_keys(query.name)
        filters.append(_Terms(NAME, keys) if keys else None)
    if query.badge.strip():
        badge_id = parse_badge_number(query.badge)
        if badge_id is None:
            raise Invalid(f"{query.badge!r} is not a badge number (8 letters and digits, as printed: K7QF-2M9X)")
        filters.append(_Terms(BADGE, [badge_id], exact=True))
    for text, word_field, column in ((query.company, COMPANY, "company"), (query.host, HOST, "host")):
        if text.strip():
            values = _words(conn, word_field, text)
            filters.append(_Words(column, values) if values else None)
    return filters


def _words(conn: sa.Connection, word_field: str, text: str) -> list[str]:
    keys = query_keys(text)
    w = register_words
    ranges = [sa.and_(w.c.term >= k, w.c.term < k + _PAST) for k in keys]
    if not ranges:
        return []
    return list(conn.execute(sa.select(w.c.value).where(w.c.field == word_field, sa.or_(*ranges))
                             .distinct().limit(MAX_WORDS)).scalars())


_COLUMNS = (visits.c.site, visits.c.visit_id, visits.c.state, visits.c.name, visits.c.company, visits.c.host_name,
            visits.c.host_department, visits.c.signed_in_at, visits.c.signed_out_at)


def _rows(conn: sa.Connection, keys: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    if not keys:
        return []
    by_site: dict[str, list[str]] = {}
    for _, site, visit_id in keys:
        by_site.setdefault(site, []).append(visit_id)
    # Per site, not (site, visit_id) IN (...): SQLite scans the table for a list of row values.
    found = {(row.site, row.visit_id): dict(row._mapping) for row in conn.execute(
        sa.select(*_COLUMNS).where(sa.or_(*(sa.and_(visits.c.site == site, visits.c.visit_id.in_(ids))
                                            for site, ids in by_site.items()))))}
    return [found[s, v] for _, s, v in keys if (s, v) in found]


def _encode(key: tuple[int, str, str]) -> str:
    return _SEP.join(map(str, key))


def _cursor(text: str | None) -> tuple[int, str, str] | None:
    if not text:
        return None
    parts = text.split(_SEP)
    if len(parts) != 3 or not parts[0].isascii() or not parts[0].isdigit() or int(parts[0]) >= 2**63:
        raise Invalid("not a register page cursor")
    return int(parts[0]), parts[1], parts[2]
