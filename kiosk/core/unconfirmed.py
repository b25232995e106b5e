"""Visits that never finished: a badge issued with no print outcome at all.

A check-in writes the visit and its badge in one transaction, then prints, then records how
the print went (``badge_printed`` or ``print_failed``). A process killed in between (power
cut, kill -9, a crash in the driver) leaves a visitor on site whose badge nobody knows about:
maybe in their hand, maybe never printed. Once a short grace has passed (it may still be
printing) reception is shown "badge not confirmed" and offered to print it again (reprint),
to confirm it came out, or to cancel the visit (sign out by hand, with a reason); the roll call
and ``kiosk onsite`` mark it; end of day notes it on the automatic sign-out.
"""

from __future__ import annotations

from kiosk.core.visits import Visit

# A badge may take this long to print (a slow label printer, a retry on the fallback) before
# its missing outcome means the check-in never finished.
GRACE_MS = 2 * 60_000
NOTE = "badge not confirmed: the check-in never recorded whether it printed"


def badge_unconfirmed(visit: Visit, now_ms: int, grace_ms: int = GRACE_MS) -> bool:
    """True for a visit on site whose current badge has no print outcome (neither printed, nor
    failed, nor sent-but-unknown) and was issued at least ``grace_ms`` ago."""
    badge = visit.current_badge
    if not visit.on_site or badge is None:
        return False
    no_outcome = not badge.printed and not badge.print_error and not badge.print_unknown
    return no_outcome and now_ms - badge.issued_at >= grace_ms
