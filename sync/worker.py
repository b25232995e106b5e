"""Keeping one device's log in step with the central server, in the background.

One round: fetch the site's retention policy and purge what it makes due here (kiosk.retention;
the server's own purges arrive with the pull, which applies and scrubs them), register this
device's key, push its own events not yet acknowledged (in order, in batches; those the server
refuses one by one are marked refused, kept and not pushed again; at one the server asks for
again later, dated ahead of its clock, the push stops, to go on from it next round), pull the
site's events after the saved cursor into the local log, then refresh the key ring, the host
directory and the watchlist. Each part is tried whatever became of the others (a failing pull
must not keep a revoked key in the ring), and a pulled event this device cannot ingest is set
aside (kiosk.store.quarantine) rather than stopping the pull. Both cursors live in the local
SQLite file and move only after the server has answered, so a crash, a dropped connection or a
retried batch can repeat work but never skip or double an event (the server and the log both
deduplicate by event id).

Between rounds the worker waits; after a failure it backs off exponentially with full jitter,
so a site's devices do not all hammer a server that has just come back, at most 15 s for a
server on the site's own network and 2 minutes beyond it (sync.backoff); while the network is
down it probes the server every few seconds and syncs as soon as it answers. A server that asks it to
slow down (429, Retry-After: sync.server.ratelimit) is not a failure: the round waits as long
as it says (at most BACKOFF_MAX) and goes on. Events the server refuses because their visit is
full (sync.server.bounds) are set aside, kept in this device's log but never pushed again, and
the rest of the batch is pushed: one runaway visit does not stop the device's sync.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, TypeVar

from kiosk import retention
from kiosk.core import hlc
from kiosk.core.exit_view import exit_view
from kiosk.core.purge import DAY_MS
from kiosk.errors import KioskError
from kiosk.services import Kiosk
from kiosk.store import purge, quarantine
from kiosk.store.refused import RefusedTable
from sync import backoff
from sync.client import AuthError, RateLimited, Rejected, ServerFailed, SyncClient, SyncError, Unreachable
from sync.protocol import MAX_BATCH

PUSHED = "sync.pushed_rowid"
PULLED = "sync.pulled_cursor"
KEY_REGISTERED = "sync.key_registered"
DIRECTORY_HASH = "sync.directory_hash"
WATCHLIST_HASH = "sync.watchlist_hash"
DIRECTORY_ETAG = "sync.directory_etag"  # the server's ETag of the copy stored (sync.server.revisions)
WATCHLIST_ETAG = "sync.watchlist_etag"
KEYS_ETAG = "sync.keys_etag"
KEYS_COUNT = "sync.keys_count"  # the site's keys in the ring last fetched, for the round's report
POLICY_EVERY_MS = 3_600_000
PURGED_DAY = "sync.purged_day"  # the day this device last purged by the site's policy
EXIT_VIEW = "sync.exit_view_rowid"  # an exit post's log holds only the exit view up to here
INTERVAL = backoff.INTERVAL  # seconds between rounds when all is well
BACKOFF_MAX = backoff.WAN_MAX  # the longest a server's Retry-After is heeded
T = TypeVar("T")


@dataclass
class Round:
    pushed: int = 0
    refused: int = 0  # own events the server refused this round (kiosk.store.refused)
    pulled: int = 0
    keys: int = 0
    hosts: int | None = None  # set when the directory changed
    watchlist: int | None = None  # set when the watchlist changed
    quarantined: int = 0  # pulled events set aside this round (kiosk.store.quarantine)
    held: int = 0  # own events the server asked for again later (dated ahead of its clock): pushed next round
    failed: dict[str, SyncError | KioskError] = field(default_factory=dict)  # by part: "push", "keys", ...

    def __str__(self) -> str:
        parts = [f"pushed {self.pushed}", f"pulled {self.pulled}", f"{self.keys} keys"]
        if self.refused:
            parts.insert(1, f"{self.refused} refused by the server")
        if self.held:
            parts.insert(1, f"{self.held} held until the server's clock reaches them (check this device's clock)")
        if self.hosts is not None:
            parts.append(f"directory now {self.hosts} hosts")
        if self.watchlist is not None:
            parts.append(f"watchlist now {self.watchlist} entries")
        if self.quarantined:
            parts.append(f"{self.quarantined} events set aside")
        return ", ".join(parts)

    @property
    def error(self) -> str:
        """Every part's failure, one after another ("" when none failed)."""
        return "; ".join(f"{part}: {exc}" for part, exc in self.failed.items())


@dataclass
class SyncStatus:
    """What reception shows: when we last reached the server, and what is wrong if anything."""

    last_success: float | None = None  # time.time()
    last_error: str = ""
    needs_attention: bool = False  # a person must act (token refused)
    server_failed: bool = False  # the last round's error is the server's own words (5xx): shown at once
    pending: int = 0
    set_aside: quarantine.Summary = field(default_factory=quarantine.Summary)  # pulled events quarantined
    rate_limited: int = 0  # times the server asked us to wait (429), since start
    refused: int = 0  # this device's events the server refused (kiosk.store.refused): kept, never pushed again
    held: int = 0  # this device's events the server asked for again later (dated ahead of its clock), last push
    held_reason: str = ""


class Syncer:
    def __init__(self, kiosk: Kiosk, client: SyncClient, *, sleep: Callable[[float], bool] | None = None,
                 rnd: random.Random | None = None):
        self.kiosk = kiosk
        self.client = client
        self.backoff_max = backoff.backoff_max(client.base, kiosk.settings.sync_backoff_max)
        self.status = SyncStatus(set_aside=quarantine.summary(kiosk.log.db))
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._rnd = rnd or random.Random()
        self._policy_asked_at: int | None = None  # the site's retention policy: asked first thing, then hourly
        self._back_from_away = True  # pull before pushing in the next round (the first, or after a failure)

    # -- one round -----------------------------------------------------------------------

    def sync_once(self) -> Round:
        """One round (sync_round); then the first part's failure, if any, is raised."""
        done = self.sync_round()
        if done.failed:
            raise next(iter(done.failed.values()))
        return done

    def sync_round(self) -> Round:
        """One round in which every part is tried whatever happens to the others, so that a
        pull that fails (or a push the server refuses) never keeps a revoked key, a changed
        directory or watchlist from the device; each part's failure is in ``failed``."""
        before = self.status.set_aside.count
        parts: dict[str, Callable[[], object]] = {
            "retention": self._purge_by_site_policy, "key": self._register_key, "push": self._push, "pull": self._pull,
            "exit view": self._hold_exit_view, "keys": self._refresh_keys, "directory": self._refresh_directory,
            "watchlist": self._refresh_watchlist}
        results: dict[str, object] = {}
        failed: dict[str, SyncError | KioskError] = {}
        for part, run in parts.items():
            try:
                results[part] = run()
            except (SyncError, KioskError) as exc:  # network, server, or our own disk
                failed[part] = exc
        self._back_from_away = bool(failed)
        pushed, refused = results.get("push") or (0, 0)
        done = Round(pushed=pushed, refused=refused, held=self.status.held if "push" in results else 0,
                     pulled=(results.get("pull") or 0) + (results.get("retention") or 0), keys=results.get("keys") or 0,
                     hosts=results.get("directory"), watchlist=results.get("watchlist"), failed=failed)
        try:
            self.status.pending = self._pending()
            self.status.set_aside = quarantine.summary(self.kiosk.log.db)
            self.status.refused = RefusedTable(self.kiosk.log.db).count()
        except KioskError as exc:
            done.failed["status"] = exc
        done.quarantined = max(0, self.status.set_aside.count - before)
        return done

    def _purge_by_site_policy(self) -> int:
        """First of all (before this device pushes anything): the site's retention policy, and
        the purge it makes due here (kiosk.retention); then, in the first round and after one
        that failed (a device back from offline), the pull, so that the server's purges made
        meanwhile are applied here before anything of this device is sent. Events pulled."""
        changed = False
        now = self.kiosk.clock()
        if self._policy_asked_at is None or now - self._policy_asked_at >= POLICY_EVERY_MS:  # not every round
            try:
                changed = retention.keep_site_policy(self.kiosk.log.db, self.client.retention())
            except (KeyError, TypeError, ValueError) as exc:
                raise Rejected(f"the server sent an unusable retention policy: {exc}") from None
            self._policy_asked_at = now
        if changed or self.kiosk.log.db.get_meta(PURGED_DAY, "") != str(self.kiosk.clock() // DAY_MS):
            retention.purge_now(self.kiosk)
            self.kiosk.log.db.set_meta(PURGED_DAY, str(self.kiosk.clock() // DAY_MS))
        if not self._back_from_away:
            return 0
        try:
            return self._pull()
        except (SyncError, KioskError):  # the round's own pull tries again and reports it
            return 0

    def _register_key(self) -> None:
        db = self.kiosk.log.db
        signer = self.kiosk.signer
        if signer is not None and db.get_meta(KEY_REGISTERED) != signer.key_id:  # exit posts have none
            self.client.register_key(signer.key_id, signer.public_key.public_bytes_raw())
            db.set_meta(KEY_REGISTERED, signer.key_id)

    def _push(self) -> tuple[int, int]:
        """(events the server stored, events it refused). Sets ``status.held``."""
        db, total, refused = self.kiosk.log.db, 0, 0
        self.status.held, self.status.held_reason = 0, ""
        while True:
            cursor = int(db.get_meta(PUSHED, "0"))
            batch = self.kiosk.log.own_events_after(cursor, MAX_BATCH)
            if not batch:
                return total, refused
            result = self._patiently(lambda: self.client.push([event for _, event in batch]))
            self._heard(result.server_time)
            # Events the server asks for again later (dated ahead of its clock: ours jumped) are
            # not refused: the cursor stops before the first of them, and they and all after
            # them are pushed again next round (those stored meanwhile come back as known).
            stop = next((i for i, (_, event) in enumerate(batch) if event.event_id in result.retry), len(batch))
            done = batch[:stop]
            # Refused events stay in the log, marked, and the cursor moves past them: the server
            # said why it will never store them (a payload it cannot read, a visit already full),
            # and pushing them again would change nothing.
            ids = {event.event_id for _, event in done}
            now_refused = {i: why for i, why in result.refused.items() if i in ids}
            RefusedTable(db).add(now_refused, self.kiosk.clock())
            if done:
                db.set_meta(PUSHED, str(done[-1][0]))  # only once the server has them
            total += sum(1 for i in result.accepted if i in ids)
            refused += len(now_refused)
            if stop < len(batch):
                self.status.held = len(batch) - stop
                self.status.held_reason = result.retry[batch[stop][1].event_id]
                return total, refused

    def _patiently(self, call: Callable[[], T]) -> T:
        """``call()``, waiting as long as the server asks each time it answers 429."""
        while True:
            try:
                return call()
            except RateLimited as exc:
                if self._sleep(min(BACKOFF_MAX, max(exc.retry_after, 0.1))):
                    raise  # stopping: the round ends here, to be resumed next time
                self.status.rate_limited += 1

    def _pull(self) -> int:
        db, total = self.kiosk.log.db, 0
        while True:
            after = int(db.get_meta(PULLED, "0"))
            page = self._patiently(lambda: self.client.pull(after))
            self._heard(page.server_time)
            total += len(self.kiosk.log.ingest(page.events, refused=page.refused))  # the bad set aside
            db.set_meta(PULLED, str(page.cursor))  # after the events are on disk
            if not page.more:
                if purge.scrub_if_needed(self.kiosk.log):  # the server's purges left no byte behind
                    self.kiosk._visitor_index = None
                    retention.forget_previews(self.kiosk, badge_ids=getattr(self.kiosk.log, "purged_badges", ()))
                    self.kiosk.log.purged_badges = set()
                return total

    def _heard(self, server_time: hlc.ServerTime | None) -> None:
        """The server's clock bounds this device's stamps from now on (kiosk.core.hlc)."""
        if server_time is not None:
            self.kiosk.log.heard_server(server_time)

    def _hold_exit_view(self) -> None:
        """On an exit post, keep of what it pulled only what it shows (kiosk.core.exit_view):
        the server hands it no more, but its log may hold copies from before."""
        if self.kiosk.settings.role != "exit":
            return
        db = self.kiosk.log.db
        while True:
            last = self.kiosk.log.rewrite_others(exit_view, int(db.get_meta(EXIT_VIEW, "0")), MAX_BATCH)
            if last is None:
                return
            db.set_meta(EXIT_VIEW, str(last))

    # The key ring, the directory and the watchlist are fetched only when they changed: each copy's
    # ETag is kept beside it (set after the copy is stored) and sent back (sync.server.revisions).

    def _refresh_keys(self) -> int:
        db = self.kiosk.log.db
        changed = self.client.keys_if_changed(db.get_meta(KEYS_ETAG, ""))
        if changed is None:  # the ring we trusted is current
            return int(db.get_meta(KEYS_COUNT, "0"))
        ring, etag = changed
        keys = [k for k in ring if k.site == self.kiosk.settings.site]
        for key in keys:
            self.kiosk.trust(key)
        db.set_meta(KEYS_COUNT, str(len(keys)))
        db.set_meta(KEYS_ETAG, etag)
        return len(keys)

    def _refresh_directory(self) -> int | None:
        db = self.kiosk.log.db
        changed = self.client.hosts_if_changed(db.get_meta(DIRECTORY_ETAG, ""))
        if changed is None:
            return None
        hosts, etag = changed
        count = None
        if hosts:  # none on the server: keep what was imported here
            count = self._store_if_changed(DIRECTORY_HASH, [asdict(h) for h in hosts],
                                           lambda: self.kiosk.import_hosts(hosts))
        db.set_meta(DIRECTORY_ETAG, etag)
        return count

    def _refresh_watchlist(self) -> int | None:
        if self.kiosk.settings.role == "exit":  # it signs nobody in, and the server keeps the list from it
            return None
        db = self.kiosk.log.db
        changed = self.client.watchlist_if_changed(db.get_meta(WATCHLIST_ETAG, ""))
        if changed is None:
            return None
        entries, etag = changed
        count = None
        if entries is not None:  # none was ever uploaded: keep what was imported here
            count = self._store_if_changed(WATCHLIST_HASH, [e.to_dict() for e in entries],
                                           lambda: self.kiosk.entry.replace_watchlist(entries))
        db.set_meta(WATCHLIST_ETAG, etag)
        return count

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

    def run(self, report: Callable[[str], None] = lambda line: None,
            alert: Callable[[str], None] | None = None) -> None:
        """Rounds until stop(); never raises for sync failures: they go to ``status`` and
        ``alert`` (default ``report``; one line each), and the next round is tried after a
        back-off. Events set aside are alerted too; what was synced is reported."""
        alert = alert or report
        failures = 0
        while not self._stop.is_set():
            done = self.sync_round()
            if done.failed:
                self._failed(done.error, attention=any(isinstance(e, AuthError) for e in done.failed.values()),
                             server=any(isinstance(e, ServerFailed) for e in done.failed.values()))
                failures += 1
            else:
                failures = 0
                self.status.last_success, self.status.last_error = time.time(), ""
                self.status.needs_attention = self.status.server_failed = False
            if done.quarantined:
                alert(f"sync: {quarantine.describe(self.status.set_aside)}")
            if not done.failed and (done.pushed or done.refused or done.held or done.pulled or done.hosts is not None
                                    or done.watchlist is not None):
                report(f"synced: {done}")
            delay = self._delay(failures)
            if failures:
                alert(f"sync failed: {self.status.last_error} (next try in {delay:.0f} s)")
            if self._wait(delay, probe=_network_down(done)):
                return

    def _failed(self, message: str, *, attention: bool, server: bool = False) -> None:
        self.status.last_error = message
        self.status.needs_attention = attention
        self.status.server_failed = server

    def _delay(self, failures: int) -> float:
        return backoff.delay(failures, self.backoff_max, self._rnd)

    def _wait(self, delay: float, *, probe: bool) -> bool:
        """Sleep ``delay`` seconds (True: stop() was called). With ``probe``, ask the server
        every PROBE_S whether it answers, and end the wait as soon as it does: the network
        healed, and the next round should not wait out a back-off drawn while it was down."""
        waited = 0.0
        while True:
            step = min(delay - waited, backoff.PROBE_S) if probe else delay - waited
            if self._sleep(step):
                return True
            waited += step
            if waited >= delay or probe and self.client.reachable():
                return False

    def stop(self) -> None:
        self._stop.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="sync", daemon=True)
        thread.start()
        return thread


def _network_down(done: Round) -> bool:
    """Whether the round failed only because the server could not be reached: a server that
    answered with a failure (5xx, 429) is reachable, and a probe would not say it works again."""
    return bool(done.failed) and all(isinstance(e, Unreachable) and not isinstance(e, (ServerFailed, RateLimited))
                                     for e in done.failed.values())
