"""What the visitor kiosk's sign-out and the exit post say about a scan, shared so that both
give the same verdict in the same words."""

from __future__ import annotations

from datetime import datetime

from kiosk.core import tokens
from kiosk.services import UNKNOWN_BADGE, CheckOut
from kiosk.ui.i18n import N_, tr

REFUSALS = {
    tokens.MALFORMED: N_("This is not a visitor badge, or it could not be read."),
    tokens.UNKNOWN_KEY: N_("This badge was issued by a device this kiosk does not know yet."),
    tokens.BAD_SIGNATURE: N_("This badge is not valid."),
    tokens.WRONG_SIGNER: N_("This badge is not valid."),  # signed by an exit post's or the server's key
    tokens.EXPIRED: N_("This badge has expired."),
    tokens.REVOKED: N_("This badge is no longer valid (reported lost or replaced)."),
    tokens.OTHER_SITE: N_("This badge belongs to another site."),
    tokens.ALREADY_SIGNED_OUT: N_("This badge was already signed out at {time}."),
    UNKNOWN_BADGE: N_("This badge number is not known here."),
}


def duration_text(minutes: int) -> str:
    if minutes < 60:
        return tr("{m} min").format(m=max(minutes, 1))
    return tr("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)


def clock_text(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M") if ms else ""


def colour(result: CheckOut) -> str:
    """green: signed out; amber: signed out on a valid badge of a visit this device has not
    seen yet (the logs reconcile when they meet); red: not signed out."""
    if not result.ok:
        return "red"
    return "green" if result.visit is not None and result.visit.known else "amber"


def refusal(result: CheckOut) -> tuple[str, dict]:
    """Why a scan signs nobody out: the sentence's msgid and its values."""
    return REFUSALS.get(result.reason, REFUSALS[tokens.MALFORMED]), {"time": clock_text(result.signed_out_at)}
