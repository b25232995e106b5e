"""Whether a returning visitor's earlier acceptance of the visitor agreement still stands, so
that they need not read and sign it again (the site's ``agreement_valid_days``).

It stands when the same agreement (the visitor type's, kiosk.core.policy), in the same version,
was accepted within the validity period. The period runs from the acceptance itself, not from
a later visit that relied on it: a visitor who comes back every week still signs again once the
period is over. A period of 0 days means every visit signs.
"""

from __future__ import annotations

from typing import Any, Mapping

DAY_MS = 86_400_000
EARLIER = "earlier"  # an agreement's ``accepted_by`` when it relied on an earlier acceptance


def acceptance(agreement: Mapping[str, Any] | None, signed_in_at: int | None, agreement_name: str,
               visit_id: str) -> dict[str, Any] | None:
    """What a visit's ``agreement`` (as recorded in its sign-in) says was accepted, and when:
    ``{"version", "agreement", "at", "visit"}``, or None when nothing was (an older record)."""
    if not isinstance(agreement, Mapping) or not agreement.get("version") or signed_in_at is None:
        return None
    if agreement.get("accepted_by") == EARLIER:  # relied on one before it: that one's time counts
        at, visit = agreement.get("accepted_at"), agreement.get("accepted_visit")
        if not isinstance(at, int) or not isinstance(visit, str):
            return None
    else:
        at, visit = signed_in_at, visit_id
    return {"version": str(agreement["version"]), "agreement": agreement_name, "at": at, "visit": visit}


def still_accepted(accepted: Mapping[str, Any] | None, version: str, agreement_name: str, now_ms: int,
                   valid_days: int) -> bool:
    """True when ``accepted`` (from :func:`acceptance`) is of this agreement and version and
    less than ``valid_days`` old (0: never; a time in the future, from a device whose clock was
    ahead, is not trusted either)."""
    if not accepted or valid_days <= 0:
        return False
    age = now_ms - accepted["at"]
    return (accepted["agreement"] == agreement_name and accepted["version"] == version
            and 0 <= age < valid_days * DAY_MS)


def validity_days(agreement_valid_days: int, sensitive_retention_days: int) -> int:
    """How long an acceptance stands: the site's ``agreement_valid_days``, but never past the
    time its signature is kept (``sensitive_retention_days``: the purge empties it), for a visit
    that relies on an acceptance says the earlier one keeps the signature."""
    return max(0, min(agreement_valid_days, sensitive_retention_days))


def relied_on(accepted: Mapping[str, Any], version: str, lang: str) -> dict[str, Any]:
    """The new visit's ``agreement``: accepted by relying on the earlier acceptance (which keeps
    the signature), its time and visit named so that the period still runs from it."""
    return {"version": version, "lang": lang, "signature": [], "accepted_by": EARLIER,
            "accepted_at": accepted["at"], "accepted_visit": accepted["visit"]}
