"""What an exit post answers a genuine badge of this site, from its visit's fold alone.

The signature, the key and the expiry are tokens.verify's; this is the part that lives in the
log: has the visit ended, has the badge been revoked (lost, or replaced by a reprint)?

A visit's sign-out outranks the badge's revocation, whatever their order. An exit post that let
a visitor out with a badge reported lost elsewhere (the report had not synced yet) holds both
events once it syncs; the next scan of that badge is answered "already signed out at ...", the
truth a guard can act on, not "revoked", which would send reception looking for a visitor who
has left. Either answer refuses the scan, so a lost badge still lets nobody out.

A purged visit's badge is "expired", whatever else is true of it: its visit keeps no person to
show, and a badge outlives no retention period.
"""

from __future__ import annotations

from kiosk.core import tokens
from kiosk.core.visits import SIGNED_OUT, Visit


def badge_verdict(visit: Visit | None, badge_id: str) -> tuple[str, str]:
    """(reason, detail) for a scan of this badge of this visit: tokens.OK,
    tokens.ALREADY_SIGNED_OUT (detail: why the badge is also revoked, if it is) or
    tokens.REVOKED (detail "lost" or "reprinted"). A visit this device has not seen yet is OK:
    the sign-out carries its id, and the logs reconcile when they meet."""
    if visit is None:
        return tokens.OK, ""
    if visit.purged:  # its person is forgotten: nobody can be let out on it (kiosk.core.purge)
        return tokens.EXPIRED, "purged"
    badge = visit.badge(badge_id)
    revoked = badge.revoked if badge is not None else ""
    if visit.state == SIGNED_OUT:
        return tokens.ALREADY_SIGNED_OUT, revoked
    if revoked:
        return tokens.REVOKED, revoked
    return tokens.OK, ""
