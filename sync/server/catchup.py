"""Reads that answer while the server cannot write, or is saturated.

Reads of visits (GET /v1/visits, the on-site list, GET /v1/export, ``kiosk-server export``)
first fold the events stored since the last time into the visits table (store.project_all), a
write. When the database cannot write (its disk is full, it is read-only) or is too busy to,
failing the read would take reception's and the auditors' lists away exactly when the server is
in trouble: they answer from the visits already folded instead, and say how many stored events
those do not show yet (the ``Visits-Behind`` header; a line on the CLI's stderr). So do they
when folding takes longer than READ_BUDGET_S, as under a saturating stream of pushes: the fold
goes on (the Projector), and the next read shows more.
"""

from __future__ import annotations

import logging
import time

from sync.server import progress, store
from sync.server.db import Database
from sync.server.errors import DatabaseError

log = logging.getLogger(__name__)

HEADER = "Visits-Behind"  # stored events the answer's visits do not show yet (0: up to date)
READ_BUDGET_S = 2.0  # how long a read folds before it answers from what is folded (saying how far behind)


def catch_up(db: Database, site: str | None) -> int:
    """Bring the visits of ``site`` (or of every site) up to date as far as the database lets,
    and for about READ_BUDGET_S seconds at most; the number of
    stored events they do not show yet (0 when up to date). Each fold is a bounded batch
    (store.project), and the budget is checked after each: under saturation a read answers in
    about the budget, saying how far behind it is, instead of waiting for the fold to catch up
    with pushes that keep coming. A database that cannot be read at all still fails
    (DatabaseError), from the count."""
    deadline = time.monotonic() + READ_BUDGET_S
    try:
        for each in progress.lagging(db, site):
            while not store.project(db, each):
                if time.monotonic() >= deadline:
                    return unfolded(db, site)
        return 0
    except DatabaseError as exc:
        behind = unfolded(db, site)
        log.warning("answering from the visits as folded so far, %d events behind: %s", behind, exc)
        return behind


def unfolded(db: Database, site: str | None) -> int:
    """Stored events of ``site`` (or of every site) not yet folded into the visits."""
    return progress.unfolded(db, site)


def describe(behind: int) -> str:
    """The CLI's warning, or "" when up to date."""
    if not behind:
        return ""
    return (f"warning: the server cannot fold new events into the visits now (it cannot write, or pushes keep it "
            f"busy; see its log): {behind} stored events are not shown yet")
