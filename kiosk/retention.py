"""This device's retention purge: which policy holds, at start, daily inside `kiosk run`, and
`kiosk purge`.

The policy is the site's, as the server last sent it (kept in the log's ``meta`` by the sync
worker), or, on a device that never heard one (stand-alone), the device's own settings
``retention_days`` and ``sensitive_retention_days``. The server purges by the same site policy
and its ``purged`` events reach every device with the pull; a device also purges by itself, so
one cut off for a year forgets on time and does so before it shows anything at start.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote

from kiosk.core.purge import DAY_MS, Retention
from kiosk.store import purge

SITE_POLICY = "retention.site_policy"  # meta: {"retention_days": N, "sensitive_retention_days": M}
log = logging.getLogger(__name__)


def policy(kiosk) -> Retention:
    """The site's policy from the server, else this device's settings."""
    stored = kiosk.log.db.get_meta(SITE_POLICY, "")
    if stored:
        try:
            raw = json.loads(stored)
            return Retention(int(raw["retention_days"]), int(raw["sensitive_retention_days"]))
        except (ValueError, KeyError, TypeError):
            log.warning("the site's retention policy kept on this device is unreadable: using the settings")
    return Retention(kiosk.settings.retention_days, kiosk.settings.sensitive_retention_days)


def keep_site_policy(db, raw: dict) -> bool:
    """Store the policy the server sent (sync); True when it changed."""
    days, sensitive = int(raw["retention_days"]), int(raw["sensitive_retention_days"])
    Retention(days, sensitive)  # ValueError for a policy that makes no sense
    text = json.dumps({"retention_days": days, "sensitive_retention_days": sensitive}, sort_keys=True)
    if db.get_meta(SITE_POLICY, "") == text:
        return False
    db.set_meta(SITE_POLICY, text)
    return True


def purge_now(kiosk, *, dry_run: bool = False) -> purge.Purged:
    """Purge what the policy makes due now (see kiosk.store.purge.purge_due), and the preview
    printer's pages (badges, roll calls: names drawn in PNGs) older than ``retention_days``."""
    chosen = policy(kiosk)
    done = purge.purge_due(kiosk.log, chosen, kiosk.clock(), dry_run=dry_run)
    if not dry_run:
        forget_previews(kiosk, older_than_ms=chosen.cutoffs(kiosk.clock())["all"])
        if done.visits:
            kiosk._visitor_index = None  # reception's search index holds the purged names in memory
    return done


def forget_previews(kiosk, *, older_than_ms: int | None = None, badge_ids: Iterable[str] = ()) -> int:
    """Delete the preview printer's PNGs (``preview://DIR``) older than a time or of these badges:
    a badge's page shows its visitor's name. How many were deleted."""
    opened = kiosk._printer  # the printer in use, if one was opened (never opened here for this)
    url = getattr(opened, "url", "") if opened is not None else kiosk.settings.printer_url
    if not url.startswith("preview://"):
        return 0
    directory = Path(unquote(url[len("preview://"):]))
    if not directory.is_dir():
        return 0
    wanted = {f"badge-{b}" for b in badge_ids}
    gone = 0
    for page in directory.glob("*.png"):
        named = any(page.stem.endswith(w) or f"{w}-p" in page.stem for w in wanted)
        try:
            if named or (older_than_ms is not None and page.stat().st_mtime * 1000 < older_than_ms):
                page.unlink()
                gone += 1
        except OSError:
            continue  # gone already, or not ours to delete: the next purge tries again
    return gone


class DailyPurge:
    """A thread that purges once at start and then every day, off the UI thread."""

    def __init__(self, kiosk, interval_s: float = DAY_MS / 1000):
        self.kiosk = kiosk
        self.interval_s = interval_s
        self._stop = threading.Event()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="daily-purge", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                done = purge_now(self.kiosk)
                if done.visits:
                    log.info("purged %d visits past their retention", done.visits)
            except Exception:  # noqa: BLE001 - a failed purge is tried again tomorrow; the kiosk runs on
                log.exception("the daily purge failed")
