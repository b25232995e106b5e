"""What a purge keeps of a visit's events, and which visits a retention policy purges (pure).

A purged visit keeps what statistics need (site, host and their department, visitor type,
language, times, badges, sign-out, rating, how the host was told) and loses what identifies
the visitor: name, company, phone, purpose, answers, the handwritten signature, watchlist
matches, the policy's reasons, every free text (complaints, messages, notes) and any field a
kind does not name (an e-mail address, a photo, an ID number from newer software). The scope
``sensitive`` (sooner: ``sensitive_retention_days``) takes only the signature, the answers,
the watchlist matches and any visitor field beyond name, company, phone and purpose.

Every holder (device or server) applies ``stripped`` to each stored event of the visit in
place, in one transaction with everything it derived from them (docs/privacy.md); a stripped
payload carries ``"purged": scope`` so that a copy arriving later is stripped alike. The
result still passes kiosk.core.payloads and folds to the same states, badges and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kiosk.core import events as ev

ALL, SENSITIVE = "all", "sensitive"
SCOPES = (SENSITIVE, ALL)  # weakest first
DAY_MS = 86_400_000
MARK = "purged"

_AGREEMENT_KEPT = ("version", "lang", "accepted_by")
_SENSITIVE_VISITOR_KEPT = ("name", "company", "phone", "purpose")
# Per kind, the payload fields a fully purged event keeps (all others go).
_KEPT: dict[str, tuple[str, ...]] = {
    ev.SIGNED_IN: ("host", "lang", "visitor_type", "invite_id", "needs_approval", "agreement"),
    ev.EXPECTED: ("host", "lang", "visitor_type", "invite_id", "valid_from", "expires"),
    ev.BLOCKED: ("host", "lang", "visitor_type", "invite_id", "agreement"),
    ev.APPROVAL_REQUESTED: (),
    ev.APPROVED: ("by",),
    ev.DENIED: ("by",),
    ev.BADGE_ISSUED: ("badge_id", "issued_at", "expires_at", "key_id", "replaces"),
    ev.BADGE_PRINTED: ("badge_id", "printer", "by"),
    ev.PRINT_FAILED: ("badge_id", "reason", "code"),
    ev.BADGE_LOST: ("badge_id",),
    ev.HOST_MET: (),
    ev.SIGNED_OUT: ("by", "badge_id"),
    ev.RATED: ("rating",),
    ev.COMPLAINT: ("text",),  # emptied below: the fold counts complaints
    ev.MESSAGE_LEFT: ("text",),  # emptied below
    ev.HOST_NOTIFIED: ("channel", "notice_id", "kind"),
    ev.NOTIFY_FAILED: ("channel", "notice_id", "kind", "error"),
    ev.INVITATION_USED: ("visit_id",),
    ev.TOMBSTONED: ("event_id", "reason"),
    ev.PURGED: ("scope", "reason"),
}
_EMPTIED = {ev.COMPLAINT: "text", ev.MESSAGE_LEFT: "text"}


def stronger(a: str, b: str) -> str:
    """The wider of two scopes ("" for none)."""
    return max(a, b, key=lambda s: SCOPES.index(s) if s in SCOPES else -1)


def stripped(kind: str, data: Mapping[str, Any], scope: str) -> dict[str, Any]:
    """The payload as a purge of ``scope`` leaves it (a payload already stripped wider is kept)."""
    scope = stronger(scope, str(data.get(MARK, "")))
    if scope == ALL:
        kept = {key: data[key] for key in _KEPT.get(kind, ()) if key in data}
        if kind in _EMPTIED:
            kept[_EMPTIED[kind]] = ""
    else:
        kept = dict(data)
        if isinstance(kept.get("visitor"), Mapping):
            kept["visitor"] = {k: v for k, v in kept["visitor"].items() if k in _SENSITIVE_VISITOR_KEPT}
        for key, empty in (("answers", {}), ("watchlist", [])):
            if key in kept:
                kept[key] = empty
    if "agreement" in kept:
        agreement = kept["agreement"] if isinstance(kept["agreement"], Mapping) else {}
        kept["agreement"] = {k: agreement[k] for k in _AGREEMENT_KEPT if k in agreement}
    kept[MARK] = scope
    return kept


@dataclass(frozen=True)
class Retention:
    """How long a finished visit keeps its identifying data, and its sensitive data (days)."""

    days: int = 180
    sensitive_days: int = 30

    def __post_init__(self):
        if not (1 <= self.sensitive_days <= self.days):
            raise ValueError("sensitive_retention_days must be from 1 to retention_days")

    def cutoffs(self, now_ms: int) -> dict[str, int]:
        """For each scope, the time before which a visit's last event makes it due."""
        return {ALL: now_ms - self.days * DAY_MS, SENSITIVE: now_ms - self.sensitive_days * DAY_MS}


def due_scope(last_event_ms: int, already: str, policy: Retention, now_ms: int) -> str:
    """The scope a visit whose newest event is at ``last_event_ms`` (and which is purged as far
    as ``already``) must now be purged to; "" when nothing is due. A visit is finished when its
    events stop: one still open that long (never signed out) goes too."""
    cut = policy.cutoffs(now_ms)
    scope = ALL if last_event_ms < cut[ALL] else SENSITIVE if last_event_ms < cut[SENSITIVE] else ""
    return scope if scope and stronger(scope, already) != already else ""
