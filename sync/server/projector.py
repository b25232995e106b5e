"""Folding pushed events into the visits table off the request path.

A push stores events and returns; the Projector, one thread per server process, brings the
sites it was told about up to date (store.project) once pushes pause for QUIET_S, or at the
latest MAX_LAG_S after the first one, so that a device catching up after a day offline shares
one fold and one commit across many batches; while pushes keep coming it goes on round after
round without waiting. Reads never wait for it: they call store.project themselves before they
answer (sync.server.catchup, within a time budget).

Under saturation the pushes, which share the process (and Python's one interpreter lock) with
it, could still store events faster than it folds them: it fell 167,000 events behind on
PostgreSQL. So a push to a site whose visits miss MAX_BEHIND events or more folds one bounded
batch of them (store.project) before it answers (``keep_pace``): the pushes slow to the pace of
the fold, and the lag stays bounded whatever the load.
"""

from __future__ import annotations

import logging
import threading
import time

from sync.server import progress, store
from sync.server.db import Database

log = logging.getLogger(__name__)

QUIET_S = 0.2
MAX_LAG_S = 2.0
MAX_BEHIND = 2 * store.PROJECT_CHUNK  # events of a site not yet folded past which its pushes fold too


class Projector:
    def __init__(self, db: Database):
        self.db = db
        self._sites: set[str] = set()
        self._first = 0.0  # when the oldest unprojected push came
        self._last = 0.0  # when the latest did
        self._changed = threading.Condition()
        self._stopping = False
        self._eager = False  # pushes came during the last round: project them without waiting
        self._thread = threading.Thread(target=self._run, name="projector", daemon=True)

    def start(self) -> "Projector":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()
        self._thread.join()

    def poke(self, site: str) -> None:
        """Events of ``site`` were stored."""
        with self._changed:
            now = time.monotonic()
            if not self._sites:
                self._first = now
            self._sites.add(site)
            self._last = now
            self._changed.notify()

    def keep_pace(self, site: str) -> None:
        """Called by a push to ``site`` once its events are stored, on the push's own thread:
        fold one bounded batch first when the site's visits are MAX_BEHIND events or more
        behind (the check counts at most that many)."""
        if progress.unfolded_at_least(self.db, site, MAX_BEHIND):
            store.project(self.db, site)

    def _run(self) -> None:
        while True:
            sites = self._due()
            if sites is None:
                return
            for site in sorted(sites):
                try:
                    store.project_all(self.db, site)
                except Exception:  # noqa: BLE001 - the next read or poke tries again; the thread must live
                    log.exception("could not bring the visits of site %s up to date", site)
            with self._changed:
                self._eager = True

    def _due(self) -> set[str] | None:
        """The sites to project once pushes pause, or at once when pushes came while it was
        projecting (None: stop). Waiting for a pause only pays while the projector keeps up:
        under a steady stream of pushes, waiting after each round left it idle up to MAX_LAG_S
        a round while the pushes went on, and it fell ever further behind."""
        with self._changed:
            while not self._stopping:
                if not self._sites:
                    self._eager = False  # caught up: the next pushes may share a fold again
                if self._sites:
                    now = time.monotonic()
                    wait = min(self._last + QUIET_S, self._first + MAX_LAG_S) - now
                    if wait <= 0 or self._eager:
                        sites, self._sites = self._sites, set()
                        return sites
                    self._changed.wait(wait)
                else:
                    self._changed.wait()
            return None
