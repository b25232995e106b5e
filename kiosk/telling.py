"""Who a visit's sign-in really tells, so that the visitor's screens promise nothing that will
not happen: "we are letting your host know" only when a notice to the host is queued on a
channel (kiosk.notifier), "we have asked your host" only when an approval request with a link
that decides went to them, "reception can approve it" only when the visit reaches a reception
desk (the device syncs with the site's server). Read from the outbox after the sign-in is
recorded: what was queued is what will be sent."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.notify.notice import APPROVAL, ARRIVED, MESSAGE
from kiosk.store.outbox import FAILED, OutboxTable


@dataclass(frozen=True)
class Telling:
    host_told: bool = False       # the host hears of the visit: an arrival or an approval request
    host_asked: bool = False      # the host was sent a link that approves or denies the visit
    message_sent: bool = False    # the visitor's note goes to the host on a channel
    reception_sees: bool = False  # a reception desk sees the visit (and its note, its approval)

    @property
    def can_message(self) -> bool:
        """A note left for the host reaches someone: the host's channels or reception."""
        return self.host_told or self.reception_sees


NOBODY = Telling()


def reception_sees(settings) -> bool:
    """The device's log reaches the site's reception desks: it syncs with a server."""
    return bool(settings.server and settings.token)


def telling(kiosk, visit_id: str) -> Telling:
    """Who is told of ``visit_id``, from the notices queued for it (a notice that has failed
    already tells nobody). Reads the log database: call it off the UI thread."""
    queued = [notice for notice, state in OutboxTable(kiosk.log.db).queued_for(visit_id) if state != FAILED]
    kinds = {notice.kind for notice in queued}
    return Telling(host_told=bool(kinds & {ARRIVED, APPROVAL}),
                   host_asked=any(notice.kind == APPROVAL and notice.link for notice in queued),
                   message_sent=MESSAGE in kinds,
                   reception_sees=reception_sees(kiosk.settings))
