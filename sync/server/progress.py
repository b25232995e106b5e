"""How far the visits projection is behind the event log, site by site, at the cost of the
sites and of the lag rather than of the history.

The sites are read off the ``events_site_seq`` index one at a time (a "skip scan": the first
site, then the first after it, and so on), since a ``DISTINCT site`` over the events read every
event (740 ms at 5,000,000); each site's newest event is the end of its range in that same index,
and the events a site's visits do not show yet are counted in that range only.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sync.server.db import Database

# Valid on SQLite and PostgreSQL alike; each step is one seek in events_site_seq.
_SITES = """
WITH RECURSIVE found(site) AS (
    SELECT MIN(site) FROM events
    UNION ALL
    SELECT (SELECT MIN(e.site) FROM events AS e WHERE e.site > found.site) FROM found WHERE found.site IS NOT NULL
)
"""
_SITES_QUERY = sa.text(_SITES + "SELECT site FROM found WHERE site IS NOT NULL ORDER BY site")
_STANDING_QUERY = sa.text(
    _SITES + "SELECT found.site, (SELECT MAX(e.server_seq) FROM events AS e WHERE e.site = found.site) AS latest,"
    " COALESCE((SELECT p.server_seq FROM projections AS p WHERE p.site = found.site), 0) AS projected"
    " FROM found WHERE found.site IS NOT NULL ORDER BY found.site")
_ONE_SITE_QUERY = sa.text(
    "SELECT (SELECT MAX(server_seq) FROM events WHERE site = :site) AS latest,"
    " COALESCE((SELECT server_seq FROM projections WHERE site = :site), 0) AS projected")
_UNFOLDED_QUERY = sa.text("SELECT COUNT(*) FROM events WHERE site = :site AND server_seq > :projected")


@dataclass(frozen=True)
class Standing:
    """A site's newest event and the newest one its visits show (server sequence numbers)."""

    site: str
    latest: int
    projected: int

    @property
    def behind(self) -> bool:
        return self.latest > self.projected


def sites(db: Database) -> list[str]:
    """Every site with an event, in order."""
    with db.read() as conn:
        return list(conn.execute(_SITES_QUERY).scalars())


def standings(db: Database, site: str | None = None) -> list[Standing]:
    """Each site's standing (or the one site's; none when it has no event)."""
    with db.read() as conn:
        if site is None:
            return [Standing(r.site, r.latest, r.projected) for r in conn.execute(_STANDING_QUERY)]
        row = conn.execute(_ONE_SITE_QUERY, {"site": site}).one()
    return [] if row.latest is None else [Standing(site, row.latest, row.projected)]


def lagging(db: Database, site: str | None = None) -> list[str]:
    """The sites (of all, or this one) whose visits do not show every event yet."""
    return [s.site for s in standings(db, site) if s.behind]


def unfolded(db: Database, site: str | None = None) -> int:
    """How many stored events of ``site`` (or of every site) the visits do not show yet: a count
    over the part of each site's range past its projection, the lag, not the log."""
    behind = [s for s in standings(db, site) if s.behind]
    if not behind:
        return 0
    with db.read() as conn:
        return sum(conn.execute(_UNFOLDED_QUERY, {"site": s.site, "projected": s.projected}).scalar_one()
                   for s in behind)


_PENDING_QUERY = sa.text(
    "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE site = :site AND server_seq >"
    " COALESCE((SELECT server_seq FROM projections WHERE site = :site), 0) LIMIT :cap) AS pending")


def unfolded_at_least(db: Database, site: str, cap: int) -> bool:
    """Whether the site's visits miss at least ``cap`` stored events: counted up to ``cap`` in
    the site's range, so that asking costs at most ``cap`` index entries however far behind."""
    with db.read() as conn:
        return conn.execute(_PENDING_QUERY, {"site": site, "cap": cap}).scalar_one() >= cap
