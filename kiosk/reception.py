"""What reception does with visits: the queue, search, sign-out by hand, host met, approvals,
complaints, messages, lost and confirmed badges, the roll call and the end-of-day sign-out.

Part of kiosk.services.Kiosk (a mixin on its log, directory, printer and clock), kept apart by
role so each part stays short enough to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.unconfirmed import NOTE as UNCONFIRMED_NOTE, badge_unconfirmed
from kiosk.core.validation import clean_text
from kiosk.core.visitor_search import VisitorIndex
from kiosk.core.visits import AWAITING_APPROVAL, BLOCKED, ON_SITE_STATES, SIGNED_OUT, WAITING, WITH_HOST, Visit
from kiosk.errors import KioskError
from kiosk.notify import notice

# Who counts as in the building: also those still waiting for approval (roll call, end of day).
IN_BUILDING = ON_SITE_STATES | {AWAITING_APPROVAL}


# Reception's search without a date covers this many days (today: 1) and whoever is still in
# the building from before: what it costs then does not grow with the log's history. A date
# searches that day.
SEARCH_INDEX_DAYS = 1


@dataclass(frozen=True)
class Queue:
    """What reception watches: who waits for whom (longest first), who waits for approval, who
    is with their host, and who left today."""

    waiting: list[Visit]
    awaiting_approval: list[Visit]
    with_host: list[Visit]
    signed_out_today: list[Visit]
    blocked_today: list[Visit]  # stopped by the entry policy: never in the building

    @property
    def in_building(self) -> int:
        return len(self.waiting) + len(self.awaiting_approval) + len(self.with_host)


class ReceptionDesk:
    """Reception's side of a Kiosk."""

    def leave_message(self, visit_id: str, text: str) -> Visit:
        """A note from a visitor whose host is away: kept with the visit (reception sees it) and
        sent to the host on every channel that reaches them."""
        text = clean_text(text, "message", 500, required=True)
        visit = self.log.visit(visit_id)
        if visit is None:
            raise KioskError(f"visit {visit_id} is not in this kiosk's log")
        host = self._host_of(visit)
        queue = self._notices(host, visit_id, notice.MESSAGE, key=f"m{len(visit.messages) + 1}",
                              visitor_name=visit.visitor.get("name", ""), company=visit.visitor.get("company", ""),
                              at=visit.signed_in_at or self.clock(), message=text)
        self.log.record((ev.MESSAGE_LEFT, visit_id, {"text": text}), also=queue)
        self.notices_queued()
        return self.log.visit(visit_id)

    def confirm_printed(self, visit_id: str, by: str = "reception") -> Visit:
        """Reception saw the badge whose printing was not confirmed come out whole: it is
        printed, and no reprint (which would revoke it) is needed."""
        visit = self._visit_on_site(visit_id)
        badge = visit.current_badge
        if badge is None or badge.printed:
            raise KioskError(f"visit {visit_id} has no badge waiting for its printing to be confirmed")
        self.log.record((ev.BADGE_PRINTED, visit_id, {"badge_id": badge.badge_id, "by": clean_text(by, "by", 100)}))
        return self.log.visit(visit_id)

    def mark_lost(self, badge_id: str) -> Visit:
        visits = [v for v in self.log.visits_of_badge(badge_id) if v.badge(badge_id) is not None]
        live = [v for v in visits if not v.badge(badge_id).revoked and v.state != SIGNED_OUT] or visits
        if not live:
            raise KioskError(f"badge {tokens.badge_number(badge_id)} is not in this kiosk's log")
        if len(live) > 1:
            names = ", ".join(v.visitor.get("name", v.visit_id) for v in live)
            raise KioskError(f"badge {tokens.badge_number(badge_id)} was issued to more than one visitor ({names}): "
                             "scan the badge instead of typing its number")
        self.log.record((ev.BADGE_LOST, live[0].visit_id, {"badge_id": badge_id}))
        return self.log.visit(live[0].visit_id)

    def sign_out_by_hand(self, visit_id: str, note: str) -> Visit:
        """Reception signs out a visitor who cannot scan (badge expired, lost, taken home)."""
        note = clean_text(note, "reason", 200, required=True)
        visit = self.log.visit(visit_id)
        if visit is None or visit.state not in IN_BUILDING:  # one who waited for approval and left, too
            raise KioskError(f"visit {visit_id} is not on site (nor waiting for approval)")
        self.log.record((ev.SIGNED_OUT, visit_id, {"by": "manual", "note": note}))
        return self.log.visit(visit_id)

    def queue(self, day_start_ms: int) -> Queue:
        present = self.log.visits_in(ON_SITE_STATES | {AWAITING_APPROVAL, BLOCKED})  # oldest first
        return Queue(waiting=[v for v in present if v.state == WAITING],
                     awaiting_approval=[v for v in present if v.state == AWAITING_APPROVAL],
                     with_host=[v for v in present if v.state == WITH_HOST],
                     signed_out_today=self.log.signed_out_since(day_start_ms),
                     blocked_today=[v for v in present if v.state == BLOCKED and (v.blocked_at or 0) >= day_start_ms])

    def host_met(self, visit_id: str) -> Visit:
        self._visit_on_site(visit_id)
        self.log.record((ev.HOST_MET, visit_id, {}), unless=lambda visit: visit is not None and
                        visit.host_met_at is not None)
        return self.log.visit(visit_id)

    def decide(self, visit_id: str, approve: bool, by: str, note: str = "") -> Visit:
        """Reception's answer to a visit waiting for approval."""
        visit = self.log.visit(visit_id)
        if visit is None or visit.state != AWAITING_APPROVAL:
            raise KioskError(f"visit {visit_id} is not waiting for approval")
        data = {"by": clean_text(by, "by", 40), "note": clean_text(note, "note", 200)}
        self.log.record((ev.APPROVED if approve else ev.DENIED, visit_id, data))
        return self.log.visit(visit_id)

    def complain(self, visit_id: str, text: str) -> Visit:
        """A complaint about (or from) a visit, kept with it: the front-desk rules record them."""
        text = clean_text(text, "complaint", 500, required=True)
        if self.log.visit(visit_id) is None:
            raise KioskError(f"visit {visit_id} is not in this kiosk's log")
        self.log.record((ev.COMPLAINT, visit_id, {"text": text}))
        return self.log.visit(visit_id)

    def search(self, text: str, since_ms: int | None = None, until_ms: int | None = None,
               limit: int = 200) -> list[Visit]:
        """The log by name, company, host, or the last digits of a phone number (3 or more),
        newest first; with a time range and no text, every visit signed in within it."""
        text = " ".join(clean_text(text, "search", 64).split())
        if not text and since_ms is None and until_ms is None:
            return []
        dated = since_ms is not None or until_ms is not None
        lo, hi = self._search_window(since_ms, until_ms)
        found = self.log.search(text, lo, hi, limit)
        if not dated:
            found += [v for v in self.log.search_in(text, IN_BUILDING, limit) if (v.signed_in_at or 0) < lo]
        if text:  # and as the host search finds hosts: pinyin, initials, company, badge number
            badge_id = tokens.parse_badge_number(text)
            by_badge = self.log.visits_of_badge(badge_id) if badge_id else []
            # Punctuation is literal text (100%), which the index folds away: SQL alone then.
            spelled = self.visitors_index(since_ms, until_ms).search(text, limit) \
                if text.replace(" ", "").isalnum() else []
            more = [v for v in by_badge + spelled
                    if lo <= (v.signed_in_at or 0) < hi or (not dated and v.state in IN_BUILDING)]
            seen = {v.visit_id for v in found}
            found += [v for v in more if v.visit_id not in seen and not seen.add(v.visit_id)]
            found.sort(key=lambda v: -(v.signed_in_at or 0))
        return found[:limit]

    def _search_window(self, since_ms: int | None, until_ms: int | None) -> tuple[int, int]:
        """[from, until) of signing in that a search covers: the range asked for, else from
        local midnight SEARCH_INDEX_DAYS - 1 days ago."""
        if since_ms is None and until_ms is None:
            today = datetime.fromtimestamp(self.clock() / 1000).astimezone()
            midnight = today.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=SEARCH_INDEX_DAYS - 1)
            return int(midnight.timestamp() * 1000), 2**62
        return since_ms or 0, until_ms if until_ms is not None else 2**62

    def visitors_index(self, since_ms: int | None, until_ms: int | None) -> VisitorIndex:
        """The pinyin index over the visits searched (the search window's, and without a date
        whoever is still in the building); kept while the log is unchanged, so typing costs no
        rebuild."""
        window = self._search_window(since_ms, until_ms)
        dated = since_ms is not None or until_ms is not None
        position = self.log.last_change()
        cached = self._visitor_index
        if cached is None or cached[:2] != ((window, dated), position):
            visits = self.log.signed_in_between(*window)
            if not dated:
                visits += [v for v in self.log.visits_in(IN_BUILDING) if (v.signed_in_at or 0) < window[0]]
            cached = self._visitor_index = ((window, dated), position, VisitorIndex(visits))
        return cached[2]

    def on_site(self) -> list[Visit]:
        return self.log.on_site()

    def in_building(self) -> list[Visit]:
        """Everyone physically here: on site, and those still waiting in the lobby for approval."""
        return self.log.visits_in(IN_BUILDING)

    def count_in_building(self) -> int:
        return self.log.count_in(IN_BUILDING)

    def print_roll_call(self, visits: list[Visit]) -> None:
        """Print the evacuation list from this device's own log, so it works with the network
        down; the caller shows the same list on screen whether or not the printer works."""
        from printer.lists import RollCallEntry, render_roll_call

        tz = datetime.now().astimezone().tzinfo
        entries = [RollCallEntry(name=v.visitor.get("name") or v.visit_id, company=v.visitor.get("company", ""),
                                 host_name=v.host.get("name", ""), host_department=v.host.get("department", ""),
                                 since=datetime.fromtimestamp((v.signed_in_at or 0) / 1000, tz),
                                 state="with_host" if v.state == WITH_HOST else "waiting")
                   for v in visits]
        def pages(width: int):
            return render_roll_call(entries, width=width, printed_at=datetime.fromtimestamp(self.clock() / 1000, tz),
                                    site=self.settings.site, organisation=self.settings.organisation,
                                    lang=self.settings.language)

        self.printer.print_rendered(pages, name="roll-call")

    def auto_sign_out(self, before_ms: int) -> list[Visit]:
        """End of day: sign out everyone still on site who signed in before ``before_ms``."""
        stale = [v for v in self.log.visits_in(IN_BUILDING) if (v.signed_in_at or 0) < before_ms]
        if stale:
            self.log.record(*[(ev.SIGNED_OUT, v.visit_id, self._auto_sign_out_data(v)) for v in stale])
        return [self.log.visit(v.visit_id) for v in stale]

    def _auto_sign_out_data(self, visit: Visit) -> dict[str, str]:
        # A check-in that never finished: the record says its badge may be out there.
        if badge_unconfirmed(visit, self.clock()):
            return {"by": "auto", "note": UNCONFIRMED_NOTE}
        return {"by": "auto"}
