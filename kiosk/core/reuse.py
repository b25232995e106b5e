"""An invitation used more than once: what each of its visits shows about the others.

Two kiosks cut off from each other can both accept one invitation (each checks it offline).
Each use is a visit of its own (``invitation_used`` links it to the invitation's visit, whose
fold lists the uses in the fold's order), so nobody disappears from the roll call; this says,
for the invitation's visit and every visit that used it, which use it was and which other
visits used it too, so that reception sees the mark on each of them and can find the other
person. Pure: the callers (the device's log, the server's export) fetch the visits.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from kiosk.core.visits import Visit

# The other uses a visit names. More than a few uses of one invitation is an attack or a leak,
# and reception needs only the first to act: capped, so that each new use changes no other
# visit's mark and the work per use stays bounded.
MAX_LISTED = 5


class Mark(NamedTuple):
    use: int  # which use this visit was, 1 the first; 0 for an invitation's visit that is not one
    others: tuple[dict[str, Any], ...]  # the first MAX_LISTED other uses, first first


def shared(invitation: Visit, uses: Mapping[str, Visit]) -> dict[str, Mark]:
    """The marks of the invitation's visit and of each visit that used it (by id); {} while the
    invitation was used once or not at all. ``uses`` holds the visits of
    ``invitation.invitation_uses`` that are known (one not yet synced is described by id alone)."""
    # A use that is known to have come by another invitation is a forged link: not this one's.
    genuine = [visit_id for visit_id in invitation.invitation_uses
               if visit_id not in uses or uses[visit_id].invite_id == invitation.visit_id]
    if len(genuine) < 2:
        return {}
    listed = [_about(number, visit_id, uses.get(visit_id))
              for number, visit_id in enumerate(genuine[:MAX_LISTED + 1], start=1)]
    number = {visit_id: n for n, visit_id in enumerate(genuine, start=1)}
    return {visit_id: Mark(number.get(visit_id, 0),
                           tuple(d for d in listed if d["visit_id"] != visit_id)[:MAX_LISTED])
            for visit_id in (invitation.visit_id, *genuine)}


def _about(number: int, visit_id: str, visit: Visit | None) -> dict[str, Any]:
    """One use as the others show it: which use it was, who, when, where, and the badge number
    reception can ask to see."""
    if visit is None:
        return {"visit_id": visit_id, "use": number, "name": "", "signed_in_at": None, "device": "", "badge_id": ""}
    badge = visit.current_badge
    name = visit.visitor.get("name")
    return {"visit_id": visit_id, "use": number, "name": name if isinstance(name, str) else "",
            "signed_in_at": visit.signed_in_at, "device": visit.signed_in_device,
            "badge_id": badge.badge_id if badge else ""}
