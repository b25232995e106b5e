"""Folding pushed events into the visits table off the request path.

A push stores events and returns; the Projector, one thread per server process, brings the
sites it was told about up to date (store.project) once pushes pause for QUIET_S, or at the
latest MAX_LAG_S after the first one, so that a device catching up after a day offline shares
one fold and one commit across many batches. Reads never wait for it: they call store.project
themselves before they answer.
"""

from __future__ import annotations

import logging
import threading
import time

from sync.server import store
from sync.server.db import Database

log = logging.getLogger(__name__)

QUIET_S = 0.2
MAX_LAG_S = 2.0


class Projector:
    def __init__(self, db: Database):
        self.db = db
        self._sites: set[str] = set()
        self._first = 0.0  # when the oldest unprojected push came
        self._last = 0.0  # when the latest did
        self._changed = threading.Condition()
        self._stopping = False
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

    def _due(self) -> set[str] | None:
        """The sites to project once pushes pause (None: stop)."""
        with self._changed:
            while not self._stopping:
                if self._sites:
                    now = time.monotonic()
                    wait = min(self._last + QUIET_S, self._first + MAX_LAG_S) - now
                    if wait <= 0:
                        sites, self._sites = self._sites, set()
                        return sites
                    self._changed.wait(wait)
                else:
                    self._changed.wait()
            return None
