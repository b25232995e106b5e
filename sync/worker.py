"""Keeping one device's log in step with the central server, in the background.

One round: register this device's key, push its own events not yet acknowledged (in order,
in batches; those the server refuses one by one are marked refused, kept and not pushed again), pull the site's events after the saved cursor into the local log, then refresh
the key ring, the host directory and the watchlist. Both cursors live in the local SQLite file
and move only after the server has answered, so a crash, a dropped connection or a retried
batch can repeat work but never skip or double an event (the server and the log both
deduplicate by event id).

Between rounds the worker waits; after a failure it backs off exponentially with full jitter,
so a site's devices do not all hammer a server that has just come back.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable

from kiosk.errors import KioskError
from kiosk.services import Kiosk
from kiosk.store.refused import RefusedTable
from sync.client import AuthError, SyncClient, SyncError
from sync.protocol import MAX_BATCH

PUSHED = "sync.pushed_rowid"
PULLED = "sync.pulled_cursor"
KEY_REGISTERED = "sync.key_registered"
DIRECTORY_HASH = "sync.directory_hash"
WATCHLIST_HASH = "sync.watchlist_hash"
INTERVAL = 5.0  # seconds between rounds when all is well
BACKOFF_MAX = 120.0


@dataclass
class Round:
    pushed: int = 0
    refused: int = 0
    pulled: int = 0
    keys: int = 0
    hosts: int | None = None  # set when the directory changed
    watchlist: int | None = None  # set when the watchlist changed

    def __str__(self) -> str:
        parts = [f"pushed {self.pushed}", f"pulled {self.pulled}", f"{self.keys} keys"]
        if self.refused:
            parts.insert(1, f"{self.refused} refused by the server")
        if self.hosts is not None:
            parts.append(f"directory now {self.hosts} hosts")
        if self.watchlist is not None:
            parts.append(f"watchlist now {self.watchlist} entries")
        return ", ".join(parts)


@dataclass
class SyncStatus:
    """What reception shows: when we last reached the server, and what is wrong if anything."""

    last_success: float | None = None  # time.time()
    last_error: str = ""
    needs_attention: bool = False  # a person must act (token refused)
    pending: int = 0
    refused: int = 0  # this device's events the server refused (kiosk.store.refused): kept, never pushed again


class Syncer:
    def __init__(self, kiosk: Kiosk, client: SyncClient, *, sleep: Callable[[float], bool] | None = None,
                 rnd: random.Random | None = None):
        self.kiosk = kiosk
        self.client = client
        self.status = SyncStatus()
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._rnd = rnd or random.Random()

    # -- one round -----------------------------------------------------------------------

    def sync_once(self) -> Round:
        done = Round()
        self._register_key()
        done.pushed, done.refused = self._push()
        done.pulled = self._pull()
        done.keys = self._refresh_keys()
        done.hosts = self._refresh_directory()
        done.watchlist = self._refresh_watchlist()
        self.status.pending = self._pending()
        self.status.refused = RefusedTable(self.kiosk.log.db).count()
        return done

    def _register_key(self) -> None:
        db = self.kiosk.log.db
        signer = self.kiosk.signer
        if signer is not None and db.get_meta(KEY_REGISTERED) != signer.key_id:  # exit posts have none
            self.client.register_key(signer.key_id, signer.public_key.public_bytes_raw())
            db.set_meta(KEY_REGISTERED, signer.key_id)

    def _push(self) -> tuple[int, int]:
        """(events the server stored, events it refused)."""
        db, total, refused = self.kiosk.log.db, 0, 0
        while True:
            batch = self.kiosk.log.own_events_after(int(db.get_meta(PUSHED, "0")), MAX_BATCH)
            if not batch:
                return total, refused
            result = self.client.push(event for _, event in batch)
            # Refused events stay in the log, marked, and the cursor moves past them: the server
            # said why it will never store them, and pushing them again would change nothing.
            RefusedTable(db).add(result.refused, self.kiosk.clock())
            db.set_meta(PUSHED, str(batch[-1][0]))  # only once the server has them
            total, refused = total + len(result.accepted), refused + len(result.refused)

    def _pull(self) -> int:
        db, total = self.kiosk.log.db, 0
        while True:
            page = self.client.pull(int(db.get_meta(PULLED, "0")))
            total += len(self.kiosk.log.ingest(page.events))
            db.set_meta(PULLED, str(page.cursor))  # after the events are on disk
            if not page.more:
                return total

    def _refresh_keys(self) -> int:
        keys = [k for k in self.client.keys() if k.site == self.kiosk.settings.site]
        for key in keys:
            self.kiosk.trust(key)
        return len(keys)

    def _refresh_directory(self) -> int | None:
        hosts = self.client.hosts()
        if not hosts:  # no directory on the server: keep what was imported here
            return None
        return self._store_if_changed(DIRECTORY_HASH, [asdict(h) for h in hosts],
                                      lambda: self.kiosk.import_hosts(hosts))

    def _refresh_watchlist(self) -> int | None:
        if self.kiosk.settings.role == "exit":  # it signs nobody in, and the server keeps the list from it
            return None
        entries = self.client.watchlist()
        if entries is None:  # none was ever uploaded: keep what was imported here
            return None
        return self._store_if_changed(WATCHLIST_HASH, [e.to_dict() for e in entries],
                                      lambda: self.kiosk.entry.replace_watchlist(entries))

    def _store_if_changed(self, meta: str, listed: list[dict], store: Callable[[], int]) -> int | None:
        """``store()``'s count when ``listed`` differs from what it stored last time, by digest
        (kept under ``meta``), so an unchanged list is neither stored nor indexed again."""
        digest = hashlib.sha256(json.dumps(listed, ensure_ascii=False).encode()).hexdigest()
        if digest == self.kiosk.log.db.get_meta(meta):
            return None
        count = store()
        self.kiosk.log.db.set_meta(meta, digest)
        return count

    def _pending(self) -> int:
        return self.kiosk.log.count_own_events_after(int(self.kiosk.log.db.get_meta(PUSHED, "0")))

    # -- forever -------------------------------------------------------------------------

    def run(self, report: Callable[[str], None] = lambda line: None) -> None:
        """Rounds until stop(); never raises for sync failures: they go to ``status`` and
        ``report`` (one line each), and the next round is tried after a back-off."""
        failures = 0
        while not self._stop.is_set():
            try:
                done = self.sync_once()
            except AuthError as exc:
                self._failed(str(exc), attention=True)
                failures += 1
            except (SyncError, KioskError) as exc:  # network, server, or our own disk
                self._failed(str(exc), attention=False)
                failures += 1
            else:
                failures = 0
                self.status.last_success, self.status.last_error = time.time(), ""
                self.status.needs_attention = False
                if done.pushed or done.refused or done.pulled or done.hosts is not None or done.watchlist is not None:
                    report(f"synced: {done}")
            delay = self._delay(failures)
            if failures:
                report(f"sync failed: {self.status.last_error} (next try in {delay:.0f} s)")
            if self._sleep(delay):
                return

    def _failed(self, message: str, *, attention: bool) -> None:
        self.status.last_error = message
        self.status.needs_attention = attention

    def _delay(self, failures: int) -> float:
        if failures == 0:
            return INTERVAL
        return self._rnd.uniform(0, min(BACKOFF_MAX, INTERVAL * 2 ** failures))

    def stop(self) -> None:
        self._stop.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="sync", daemon=True)
        thread.start()
        return thread
