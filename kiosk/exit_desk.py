"""Signing visitors out by their badge: the verdict on a scan (at an exit post or the lobby
kiosk), the sign-out it makes, a badge number typed by staff, and the visitor's rating.

Part of kiosk.services.Kiosk (a mixin on its log, keys and clock), kept apart by role so each
part stays short enough to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.scan_verdict import badge_verdict
from kiosk.core.tokens import Claims, Verdict
from kiosk.core.visits import SIGNED_OUT, Visit
from kiosk.errors import ValidationError

UNKNOWN_BADGE = "unknown_badge"  # a typed badge number this device's log has never issued


@dataclass(frozen=True)
class CheckOut:
    """The verdict on one scan; ``ok`` means the visitor is signed out now."""

    reason: str
    visit: Visit | None = None
    claims: Claims | None = None
    detail: str = ""
    signed_out_at: int | None = None  # when, for already_signed_out and ok

    @property
    def ok(self) -> bool:
        return self.reason == tokens.OK


class ExitDesk:
    """The exit side of a Kiosk."""

    def verdict(self, scan: str) -> CheckOut:
        """What one scan would do, without doing it: the exit post's decision."""
        checked: Verdict = tokens.verify(scan, self.keyring(), self.settings.site, self.clock() / 1000)
        if not checked.ok:
            return self._refused(checked)
        claims = checked.claims
        visit = self.log.visit(claims.visit_id)
        reason, detail = badge_verdict(visit, claims.badge_id)
        if visit is not None and visit.purged:
            return CheckOut(reason, None, claims, detail=detail)  # no one to show
        return CheckOut(reason, visit, claims, detail=detail,
                        signed_out_at=visit.signed_out_at if reason == tokens.ALREADY_SIGNED_OUT else None)

    def _refused(self, checked: Verdict) -> CheckOut:
        """An expired badge (genuine, signed here) whose visit has ended says so: a badge
        signed out yesterday is "already signed out", not "not signed out"."""
        visit = self.log.visit(checked.claims.visit_id) if checked.reason == tokens.EXPIRED else None
        if visit is not None and visit.purged:
            return CheckOut(tokens.EXPIRED, None, checked.claims, detail="purged")
        if visit is not None and visit.state == SIGNED_OUT:
            return CheckOut(tokens.ALREADY_SIGNED_OUT, visit, checked.claims, signed_out_at=visit.signed_out_at)
        return CheckOut(checked.reason, visit, checked.claims, detail=checked.detail)

    def check_out(self, scan: str) -> CheckOut:
        """Sign out whoever this badge belongs to, if the badge says they may leave. A valid
        badge this device has never seen (issued at another kiosk, not yet synced) signs out
        too: the event carries the visit id, and the logs reconcile when they meet."""
        decision = self.verdict(scan)
        if not decision.ok:
            return decision
        return self._sign_out(decision.claims.visit_id, decision.claims.badge_id, "scan", decision.claims)

    def check_out_by_number(self, typed: str) -> CheckOut:
        """Sign out by the badge number a visitor types when the scanner cannot read the badge.
        Only this device's log can answer (the number carries no signature), so a badge issued
        elsewhere and not yet synced is sent to reception."""
        badge_id = tokens.parse_badge_number(typed)
        if badge_id is None:
            return CheckOut(tokens.MALFORMED, detail="not a badge number")
        visits = [v for v in self.log.visits_of_badge(badge_id) if v.badge(badge_id) is not None]
        if not visits:  # never issued here, or withdrawn by the server since
            return CheckOut(UNKNOWN_BADGE)
        visit = next((v for v in visits if v.state != SIGNED_OUT and not v.badge(badge_id).revoked), visits[0])
        badge = visit.badge(badge_id)
        reason, detail = badge_verdict(visit, badge_id)
        if visit.purged:
            return CheckOut(reason, None, detail=detail)
        if reason != tokens.OK:
            return CheckOut(reason, visit, detail=detail,
                            signed_out_at=visit.signed_out_at if reason == tokens.ALREADY_SIGNED_OUT else None)
        if badge.expires_at <= self.clock():
            return CheckOut(tokens.EXPIRED, visit)
        return self._sign_out(visit.visit_id, badge_id, "number")

    def _sign_out(self, visit_id: str, badge_id: str, by: str, claims: Claims | None = None) -> CheckOut:
        # Decided again inside the write transaction: two scans of one badge at once (two
        # threads, two processes) must not both say "signed out".
        recorded = self.log.record((ev.SIGNED_OUT, visit_id, {"by": by, "badge_id": badge_id}),
                                   unless=lambda visit: visit is not None and visit.state == SIGNED_OUT)
        visit = self.log.visit(visit_id)
        if not recorded:
            return CheckOut(tokens.ALREADY_SIGNED_OUT, visit, claims, signed_out_at=visit.signed_out_at)
        # As the fold shows it: never before the sign-in (a clock behind with no server to bound it).
        return CheckOut(tokens.OK, visit, claims, signed_out_at=visit.signed_out_at or recorded[0].ts)

    def rate(self, visit_id: str, rating: int) -> None:
        """The visitor's satisfaction, 1-5, given at sign-out (the front-desk rules record it)."""
        if isinstance(rating, bool) or rating not in range(1, 6):
            raise ValidationError("rating", "range", "a rating is a whole number from 1 to 5")
        self.log.record((ev.RATED, visit_id, {"rating": rating}))
