"""Telling hosts: which notices a visit gets, and the worker that delivers the outbox.

When a visitor signs in (or leaves a message), the services queue one notice per channel in
the same transaction as the event (kiosk.store.outbox). The Notifier, a thread inside ``kiosk
run`` (or ``kiosk notify``), delivers what is due: a delivered notice becomes a host_notified
event, one given up on a notify_failed event, each in one transaction with the outbox row, so
every device (reception) sees the outcome. Failures that may pass are retried with exponential
backoff and full jitter, up to MAX_ATTEMPTS; a restart picks up where it stopped.

Delivery is at least once: should the power go between a channel accepting a notice and the
outcome being written, the notice goes again after the restart, with the same id (the email's
Message-ID, the webhook's Idempotency-Key), so that receivers can tell.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.notify import BadChannel, Channel, DeliveryFailed, Notice
from kiosk.notify.notice import APPROVAL, ARRIVED, answer_rows
from kiosk.settings import Settings
from kiosk.store.outbox import DELIVERED, FAILED, OutboxTable, Pending

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # about 20 minutes of tries with the delays below
BACKOFF_S = 5.0  # the first retry waits up to this; each further one up to twice as long
BACKOFF_MAX_S = 600.0
IDLE_S = 30.0  # with nothing due, look again this often (another process may have queued some)
TIMEOUT_S = 10.0


def channels_for(settings: Settings, host: Host, kind: str = ARRIVED) -> list[str]:
    """The channel URLs that tell this host: email when the host has an address, the site's
    webhook and bots (which name the host), and the host's own. An approval request carries a
    link that decides, so it goes to the host's own channels only, never a group."""
    urls = [settings.smtp] if settings.smtp and host.email else []
    if kind != APPROVAL:
        urls += settings.webhook.split() + settings.notify.split()
    urls += host.channels
    return list(dict.fromkeys(urls))  # a URL listed twice notifies once


def notices(settings: Settings, host: Host, visit_id: str, kind: str = ARRIVED, *, key: str = "",
            visitor_type=None, answers: dict | None = None, **about) -> list[tuple[Notice, str, str]]:
    """(notice, visit id, channel URL) for each channel that tells ``host`` of ``kind``;
    ``key`` tells apart several notices of one kind for one visit (messages); ``about`` holds
    the Notice fields (visitor_name, company, purpose, at, message, link); ``visitor_type``
    (kiosk.core.policy) and ``answers`` to its questions are put in the host's language."""
    entries = []
    language = host.language or settings.language
    rows = answer_rows(visitor_type, answers, language) if answers else ()
    for url in channels_for(settings, host, kind):
        channel_key = hashlib.sha256(url.encode()).hexdigest()[:8]  # stable, and reveals nothing
        notice_id = ".".join(filter(None, (visit_id, kind, key, channel_key)))
        notice = Notice(notice_id=notice_id, kind=kind, language=language, answers=rows,
                        site=settings.site, host_name=host.name, host_email=host.email, host_phone=host.phone,
                        meet_at=settings.meet_at, **about)
        entries.append((notice, visit_id, url))
    return entries


@dataclass
class Round:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.retrying} to retry, {self.failed} failed"


class Notifier:
    def __init__(self, kiosk, *, session: requests.Session | None = None, clock: Callable[[], float] = time.time,
                 rnd: random.Random | None = None, timeout: float = TIMEOUT_S):
        self.kiosk = kiosk
        self.outbox = OutboxTable(kiosk.log.db)
        self.session = session  # made with the first channel: requests is slow to import
        self.clock = clock
        self.timeout = timeout
        self._rnd = rnd or random.Random()
        self._channels: dict[str, Channel] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()

    def deliver_due(self) -> Round:
        """Try every notice that is due, once each."""
        done = Round()
        for pending in self.outbox.due(self._now()):
            try:
                self._channel(pending.channel).deliver(pending.notice)
            except Exception as exc:  # noqa: BLE001 - one bad notice must not hold up the others
                error = str(exc)
                if not isinstance(exc, (DeliveryFailed, BadChannel)):  # our mistake: say what it was
                    log.exception("notice %s could not be sent", pending.notice.notice_id)
                    error = f"{type(exc).__name__}: {exc}"
                if getattr(exc, "retry", False) and pending.attempts + 1 < MAX_ATTEMPTS:
                    self.outbox.retry_at(pending.notice.notice_id, self._now() + self._delay_ms(pending.attempts), error)
                    done.retrying += 1
                else:
                    self._settle(pending, ev.NOTIFY_FAILED, FAILED, error=error)
                    done.failed += 1
            else:
                self._settle(pending, ev.HOST_NOTIFIED, DELIVERED)
                done.delivered += 1
        return done

    def _channel(self, url: str) -> Channel:
        if url not in self._channels:
            from kiosk.notify.channels import channel_from_url

            # The directory's channels are judged again here, under this device's own allow_plain_http.
            self._channels[url] = channel_from_url(url, session=self.session, timeout=self.timeout,
                                                   plain_http=self.kiosk.settings.plain_http)
        return self._channels[url]

    def _settle(self, pending: Pending, kind: str, state: str, error: str = "") -> None:
        notice = pending.notice
        try:
            described = self._channel(pending.channel).description
        except BadChannel:
            described = "a misconfigured channel"
        data = {"notice_id": notice.notice_id, "kind": notice.kind, "channel": described}
        if error:
            data["error"] = error[:300]
        self.kiosk.log.record((kind, pending.visit_id, data),
                              also=lambda conn, _events: OutboxTable.settle(conn, notice.notice_id, state, error))

    def _delay_ms(self, attempts: int) -> int:
        return int(1000 * self._rnd.uniform(0, min(BACKOFF_MAX_S, BACKOFF_S * 2 ** attempts)))

    def _now(self) -> int:
        return int(self.clock() * 1000)

    # -- forever -------------------------------------------------------------------------

    def poke(self) -> None:
        """Something was queued: look now rather than at the next due time."""
        self._wake.set()

    def run(self, report: Callable[[str], None] = lambda line: None) -> None:
        """Rounds until stop(); a failure of our own (the disk) is reported, then tried again."""
        while not self._stop.is_set():
            try:
                done = self.deliver_due()
                if done.delivered or done.retrying or done.failed:
                    report(f"notices: {done}")
                wait = self._until_next_due()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad round
                log.exception("notifier round failed")
                report(f"notices: round failed: {exc}")
                wait = BACKOFF_S
            self._wake.wait(wait)
            self._wake.clear()

    def _until_next_due(self) -> float:
        due = self.outbox.next_due()
        return IDLE_S if due is None else min(IDLE_S, max(0.0, (due - self._now()) / 1000))

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="notifier", daemon=True)
        thread.start()
        return thread
