"""Who may write what: the event kinds each device role records, in one table (pure data).

The server refuses a whole push (403) holding a kind the pushing device's role never writes:
an honest device of that role cannot have made it, so the device is compromised or
misconfigured. Each row is what that role's code records today (kiosk/services.py, the
touchscreen's screens in kiosk/ui, the notifier, and the `kiosk` commands its staff run there);
README.md's role table says the same for people.

- visitor kiosk: signs visitors in (with the privacy notice they accepted and any consent they
  gave or declined: ``consent``), or records them blocked, or waiting for approval), issues
  and prints badges (also the one an approval was waited for), signs out by scan or typed number
  then takes the rating, keeps a message for an absent host, records how the host was told, and
  its staff commands (reprint, lost, sign out by hand, end of day). Never decides an approval.
- reception: everything the console does (host met, approve/deny, reprint, lost, sign out by
  hand, complaint, end of day) and what a visitor kiosk does, since the desk signs visitors in
  and prints their badges too.
- exit post: holds no signing key; it signs visitors out and takes their rating.

Kinds only the server writes (``SERVER_ONLY``) are in no row: an invitation's ``expected``
visit, the tombstone of a withdrawn event. (``approved``/``denied`` from a host's link are the
server's too, but reception writes them as well.)
"""

from __future__ import annotations

from kiosk.core import events as ev

VISITOR, RECEPTION, EXIT = "visitor", "reception", "exit"

_SIGN_IN = frozenset({ev.SIGNED_IN, ev.BLOCKED, ev.APPROVAL_REQUESTED, ev.INVITATION_USED, ev.CONSENT})
_BADGES = frozenset({ev.BADGE_ISSUED, ev.BADGE_PRINTED, ev.PRINT_FAILED, ev.BADGE_LOST})
_SIGN_OUT = frozenset({ev.SIGNED_OUT, ev.RATED})
_NOTICES = frozenset({ev.HOST_NOTIFIED, ev.NOTIFY_FAILED, ev.MESSAGE_LEFT})

WRITES: dict[str, frozenset[str]] = {
    VISITOR: _SIGN_IN | _BADGES | _SIGN_OUT | _NOTICES,
    RECEPTION: _SIGN_IN | _BADGES | _SIGN_OUT | _NOTICES | {ev.HOST_MET, ev.APPROVED, ev.DENIED, ev.COMPLAINT},
    EXIT: _SIGN_OUT,
}
SERVER_ONLY = frozenset({ev.EXPECTED, ev.TOMBSTONED, ev.PURGED})
# Kinds that open a visit: a visit has at most one (besides the server's ``expected``), so a
# second one, which would rewrite who the visit is, is refused.
OPENING = frozenset({ev.SIGNED_IN, ev.BLOCKED})


def may_write(role: str, kind: str) -> bool:
    return kind in WRITES.get(role, frozenset())

# What each kind records, for the message that refuses it to a role that may not write it.
_DOING = {
    ev.SIGNED_IN: "sign visitors in", ev.BLOCKED: "sign visitors in (nor record them blocked)",
    ev.APPROVAL_REQUESTED: "ask for approval", ev.INVITATION_USED: "take invitations",
    ev.BADGE_ISSUED: "issue badges", ev.BADGE_PRINTED: "print badges", ev.PRINT_FAILED: "print badges",
    ev.BADGE_LOST: "mark badges lost", ev.HOST_NOTIFIED: "notify hosts", ev.NOTIFY_FAILED: "notify hosts",
    ev.MESSAGE_LEFT: "keep messages for hosts", ev.HOST_MET: "record that the host met the visitor",
    ev.APPROVED: "approve visits", ev.DENIED: "deny visits", ev.COMPLAINT: "record complaints",
    ev.SIGNED_OUT: "sign visitors out", ev.RATED: "take ratings", ev.CONSENT: "record a visitor's consent",
}
_NAMES = {VISITOR: "a visitor kiosk", RECEPTION: "reception", EXIT: "an exit post"}


def refusal(role: str, kind: str) -> str:
    """Why a device of this role must not record an event of this kind, for the person at it
    ("" when it may): the server would refuse the device's whole push for it (403), and its
    sync would stall with everything else it recorded."""
    if may_write(role, kind):
        return ""
    if kind in SERVER_ONLY:
        return f"only the server records {kind} events"
    who = _NAMES.get(role, f"a device of role {role!r}")
    where = next((_NAMES[r] for r in (RECEPTION, VISITOR) if may_write(r, kind)), "")
    return f"{who} cannot {_DOING.get(kind, f'record {kind} events')}" + (f": do it at {where}" if where else "")
