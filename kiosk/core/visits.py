"""The visit fold: a visit's state, derived from its events alone.

``fold`` gives the same answer for any order and any duplication of the same events, which is
what lets kiosks, reception and exit posts work offline and agree once their logs meet. It
does so by deduplicating on event id and replaying in one total order (``Event.order_key``: the
causal order of kiosk.core.hlc, whatever the devices' clocks said).

Payloads the fold reads:

- ``signed_in``: ``visitor`` {name, company, phone, purpose}, ``host`` {host_id, name,
  department}, ``lang``, optional ``needs_approval``, ``invite_id`` (the invitation it used);
- ``expected``: the same, for a visitor invited ahead, under the invitation's id;
- ``invitation_used``: ``visit_id``, the visit an invitation became, recorded under the
  invitation's visit: it collects the invitation's uses. (Before it existed, a kiosk signed an
  invited visitor in under the invitation's id: such a ``signed_in``, or ``blocked``, whose
  ``invite_id`` is its own visit id is a use of that visit itself.)
- ``approved`` / ``denied``: optional ``by``, ``note``; the latest decision stands;
- ``badge_issued``: ``badge_id``, ``issued_at``, ``expires_at`` (ms), ``key_id``, optional
  ``replaces`` (the badge a reprint revokes);
- ``badge_printed`` / ``print_failed``: ``badge_id``; ``printer`` (the URL that printed it:
  a fallback printer's, say); ``reason`` and ``code`` on failure, code ``unknown`` when the
  badge was sent but not confirmed (it may be in the visitor's hand);
- ``badge_lost``: ``badge_id``;
- ``host_met``; ``signed_out``: ``by`` (scan, manual, auto), optional ``badge_id``, ``note``;
  the first sign-out (in causal order) wins; those of other devices after it are listed in
  ``other_sign_outs`` for reception (signed out twice), and a sign-out time earlier than the
  sign-in (a clock behind) is shown as the sign-in's;
- ``rated``: ``rating`` 1-5;
- ``complaint``: ``text``, recorded by reception; every one is kept, in order;
- ``host_notified``: ``channel`` (kind and host, no secrets), ``notice_id``, ``kind``;
  ``notify_failed``: the same and ``error``; ``message_left``: ``text``, for a host away;
- ``consent``: ``purpose`` ("notice": the privacy notice accepted at sign-in; else a sensitive
  purpose), ``given``, ``version``, ``digest``, ``lang``, ``by``, ``at``: the latest answer for
  each purpose stands (kiosk.core.consent);
- ``tombstoned`` (the server's only): ``event_id``, ``reason``: that event of the visit is left
  out, as if it had never been written.
- ``purged`` (the server's only): ``scope`` (all or sensitive), ``reason``: the visit's
  personal data is gone (kiosk.core.purge); ``Visit.purged`` says so.

kiosk.core.payloads checks each kind's payload; a visit with no events left is folded from the
tombstones alone (an EXPECTED visit nobody knows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from kiosk.core import events as ev
from kiosk.core import payloads
from kiosk.core.events import Event

EXPECTED = "expected"
AWAITING_APPROVAL = "awaiting_approval"
WAITING = "waiting"  # on site, waiting for the host
WITH_HOST = "with_host"  # on site, the host has met them
SIGNED_OUT = "signed_out"
DENIED = "denied"
BLOCKED = "blocked"  # the entry policy refused them at sign-in: never on site
USED = "used"  # an invitation's visit that visitors signed in with, each under a visit of their own

ON_SITE_STATES = frozenset({WAITING, WITH_HOST})


@dataclass(frozen=True)
class Badge:
    badge_id: str
    issued_at: int
    expires_at: int
    key_id: str = ""
    revoked: str = ""  # "", "lost" or "reprinted"
    printed: bool = False
    print_error: str = ""
    print_unknown: bool = False  # sent, never confirmed: it may have printed (check the printer)
    printed_by: str = ""  # the printer's URL, when it said so (a fallback printer's, say)


@dataclass(frozen=True)
class Visit:
    visit_id: str
    state: str
    site: str = ""
    visitor: Mapping[str, Any] = field(default_factory=dict)
    host: Mapping[str, Any] = field(default_factory=dict)
    lang: str = ""
    signed_in_at: int | None = None
    signed_in_device: str = ""
    host_met_at: int | None = None
    signed_out_at: int | None = None
    signed_out_by: str = ""
    signed_out_device: str = ""
    # Sign-outs by other devices after the one kept ({device, by, at}): signed out twice, e.g. by
    # hand at a kiosk and by a scan at an exit post; reception checks which is right.
    other_sign_outs: tuple[Mapping[str, Any], ...] = ()
    badges: tuple[Badge, ...] = ()
    rating: int | None = None
    complaints: tuple[str, ...] = ()
    notified: tuple[str, ...] = ()  # the channels that told the host (e.g. "email smtp.example.com")
    notify_failed: tuple[str, ...] = ()  # "channel: why" for each notice given up on
    messages: tuple[str, ...] = ()  # what the visitor left for a host who was away
    visitor_type: str = ""  # guest, contractor, ... (kiosk.core.policy)
    answers: Mapping[str, Any] = field(default_factory=dict)  # to the visitor type's questions
    reasons: tuple[str, ...] = ()  # why the entry policy asked for approval or blocked them
    watchlist: tuple[Mapping[str, Any], ...] = ()  # the watchlist entries they matched, for reception
    blocked_at: int | None = None
    # The visitor's answers to the privacy notice and to each separate consent, one per purpose
    # (kiosk.core.consent.record), in the order first given.
    consents: tuple[Mapping[str, Any], ...] = ()
    invite_id: str = ""  # the invitation this visit came by (the invitation's own visit: its id)
    invitation_uses: tuple[str, ...] = ()  # an invitation's visit: the visits that used it, in fold order
    # Not the fold's (they need the other visits), filled in by the log: when this visit's
    # invitation was used more than once, which use this was (1 the first) and the other visits
    # that used it, as kiosk.core.reuse describes them.
    invitation_use: int = 0
    invitation_shared_with: tuple[Mapping[str, Any], ...] = ()
    # "all" or "sensitive" once its personal data was purged (kiosk.core.purge), else "".
    purged: str = ""

    @property
    def on_site(self) -> bool:
        return self.state in ON_SITE_STATES

    @property
    def known(self) -> bool:
        """False when this device has seen only later events (say, a sign-out at an exit post)
        and not the sign-in itself; sync fills the gap."""
        return bool(self.visitor)

    @property
    def signed_out_twice(self) -> bool:
        return bool(self.other_sign_outs)

    @property
    def current_badge(self) -> Badge | None:
        live = [b for b in self.badges if not b.revoked]
        return live[-1] if live else None

    def badge(self, badge_id: str) -> Badge | None:
        return next((b for b in self.badges if b.badge_id == badge_id), None)


def payload_error(kind: str, data: Mapping[str, Any]) -> str:
    """What is wrong with an event's payload for the fold and every other reader ("" when
    nothing is): a server checks every event it is pushed, since one it stored that a reader
    cannot read would break that visit on every device. The schema is kiosk.core.payloads."""
    return payloads.payload_error(kind, data)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fold(events: Iterable[Event]) -> Visit:
    """The state of the one visit these events belong to."""
    ordered = _replay_order(events)
    if not ordered:
        raise ValueError("fold needs at least one event")
    folder = _Folder(ordered[0].visit_id, ordered[0].site)
    for event in ordered:
        folder.apply(event)
    return folder.result()


def _replay_order(events: Iterable[Event]) -> list[Event]:
    """One event per id (the earliest in the total order), in the total order, less those the
    server withdrew."""
    unique = {e.event_id: e for e in sorted(events, key=Event.order_key, reverse=True)}
    withdrawn = _withdrawn(unique.values())
    return sorted((e for e in unique.values() if e.event_id not in withdrawn), key=Event.order_key)


class OpenFold:
    """``fold`` kept open for a log that grows: later events are applied to the state as it
    stands, so that a visit pulled page by page is not replayed from its first event on every
    page. ``visit()`` is always exactly ``fold`` of every event given so far, because ``extend``
    only applies events that sort after all those applied; otherwise it changes nothing and
    answers False, and the caller folds again from all the events."""

    def __init__(self, events: Iterable[Event]):
        events = list(events)
        ordered = _replay_order(events)
        if not ordered:
            raise ValueError("fold needs at least one event")
        self._folder = _Folder(ordered[0].visit_id, ordered[0].site)
        self._withdrawn = _withdrawn(events)  # should one come again, fold would leave it out
        self._applied: set[str] = set()
        self._last: tuple = ()
        self._apply(ordered)

    def extend(self, events: Iterable[Event]) -> bool:
        """Apply these events, if every one sorts after the last applied and none repeats an
        applied id (fold would keep the first of two with one id); else False, nothing applied."""
        ordered = _replay_order(events)
        if ordered and (ordered[0].order_key() <= self._last
                        or not self._applied.isdisjoint(e.event_id for e in ordered)
                        or not self._withdrawn.isdisjoint(e.event_id for e in ordered)
                        or any(e.kind == ev.TOMBSTONED for e in ordered)):  # it may withdraw one applied
            return False
        self._apply(ordered)
        return True

    def _apply(self, ordered: list[Event]) -> None:
        for event in ordered:
            self._folder.apply(event)
            self._applied.add(event.event_id)
        if ordered:
            self._last = ordered[-1].order_key()

    def visit(self) -> Visit:
        return self._folder.result()


def _withdrawn(events: Iterable[Event]) -> set[str]:
    """The ids of the events the server withdrew (``tombstoned``, written only by the server,
    under the withdrawn event's visit): left out wherever they arrived, whatever the order."""
    return {e.data.get("event_id") for e in events
            if e.kind == ev.TOMBSTONED and e.device == ev.SERVER_DEVICE and isinstance(e.data.get("event_id"), str)}


def live(events: Iterable[Event]) -> list[Event]:
    """The events that still say something about their visit: neither withdrawn nor tombstones."""
    events = list(events)
    withdrawn = _withdrawn(events)
    return [e for e in events if e.event_id not in withdrawn and e.kind != ev.TOMBSTONED]


_CONSENT_FIELDS = ("purpose", "given", "version", "digest", "lang", "by")


class _Folder:
    # The visit's and its badges' fields are gathered in dicts and made into a Visit and Badges
    # once, at the end: a dataclasses.replace per event was most of the fold's cost (the server
    # folds every push).
    def __init__(self, visit_id: str, site: str):
        self.fields: dict[str, Any] = {"visit_id": visit_id, "site": site}
        self.texts: dict[str, list[str]] = {}  # complaints, notices, messages: tuples in result()
        self.badges: dict[str, dict[str, Any]] = {}  # each badge's fields, made a Badge at the end
        self.expected = False
        self.signed_in = False
        self.needs_approval = False
        self.blocked = False
        self.decision = ""
        self.uses: list[str] = []  # the visits that used this (invitation's) visit, first first
        self.consents: dict[str, dict[str, Any]] = {}  # purpose -> the latest answer
        self.sign_outs: list[dict[str, Any]] = []  # other devices' later sign-outs: other_sign_outs

    def apply(self, e: Event) -> None:
        handler = getattr(self, "_" + e.kind, None)
        if handler is not None:  # kinds from newer software are carried, not folded
            handler(e)

    def _describe(self, e: Event, **extra) -> None:
        self.fields.update(site=e.site, visitor=dict(e.data.get("visitor") or {}),
                           host=dict(e.data.get("host") or {}), lang=e.data.get("lang") or "",
                           visitor_type=e.data.get("visitor_type") or "", answers=dict(e.data.get("answers") or {}),
                           invite_id=_str(e.data.get("invite_id")), **extra)
        self._used_itself(e)

    def _used_itself(self, e: Event) -> None:
        """A sign-in (or block) under the invitation's own id, as kiosks recorded one before
        ``invitation_used``: a use of this visit itself."""
        if e.kind != ev.EXPECTED and e.data.get("invite_id") == e.visit_id:
            self._use(e.visit_id)

    def _use(self, visit_id: str) -> None:
        if visit_id not in self.uses:
            self.uses.append(visit_id)

    def _invitation_used(self, e: Event) -> None:
        used_by = e.data.get("visit_id")
        if isinstance(used_by, str):
            self._use(used_by)

    def _blocked(self, e: Event) -> None:
        self.blocked = True
        self.fields.setdefault("blocked_at", e.ts)
        if not self.signed_in:
            self._describe(e)
        else:
            self._used_itself(e)
        self._judged(e)

    def _judged(self, e: Event) -> None:
        self.fields.update(reasons=tuple(e.data.get("reasons") or ()),
                           watchlist=tuple(dict(m) for m in e.data.get("watchlist") or ()))

    def _expected(self, e: Event) -> None:
        self.expected = True
        if not self.signed_in:
            self._describe(e)

    def _signed_in(self, e: Event) -> None:
        if self.signed_in:  # a second sign-in of the same visit keeps the first
            self._used_itself(e)
            return
        self.signed_in = True
        self.needs_approval = bool(e.data.get("needs_approval"))
        self._describe(e, signed_in_at=e.ts, signed_in_device=e.device)

    def _approval_requested(self, e: Event) -> None:
        self.needs_approval = True
        self._judged(e)

    def _approved(self, e: Event) -> None:
        self.decision = ev.APPROVED

    def _denied(self, e: Event) -> None:
        self.decision = ev.DENIED

    def _badge(self, badge_id: str) -> dict[str, Any]:
        return self.badges.setdefault(badge_id, {"badge_id": badge_id, "issued_at": 0, "expires_at": 0})

    def _badge_issued(self, e: Event) -> None:
        self._badge(e.data["badge_id"]).update(issued_at=int(e.data["issued_at"]),
                                               expires_at=int(e.data["expires_at"]), key_id=e.data.get("key_id") or "")
        replaced = e.data.get("replaces")
        if replaced:
            self._revoke(replaced, "reprinted")

    def _badge_lost(self, e: Event) -> None:
        self._revoke(e.data["badge_id"], "lost")

    def _revoke(self, badge_id: str, why: str) -> None:
        badge = self._badge(badge_id)
        # "lost" outranks "reprinted": whichever order they arrive in, the answer is the same.
        if badge.get("revoked") != "lost":
            badge["revoked"] = why

    def _badge_printed(self, e: Event) -> None:
        self._print_outcome(e.data["badge_id"], printed=True, print_error="", print_unknown=False,
                            printed_by=_str(e.data.get("printer")))

    def _print_failed(self, e: Event) -> None:
        self._print_outcome(e.data["badge_id"], printed=False, print_error=e.data.get("reason") or "unknown",
                            print_unknown=e.data.get("code") == "unknown")

    def _print_outcome(self, badge_id: str, **outcome) -> None:
        badge = self._badge(badge_id)
        if not badge.get("printed"):  # once printed, a later failed retry changes nothing
            badge.update(outcome)

    def _host_met(self, e: Event) -> None:
        self.fields.setdefault("host_met_at", e.ts)

    def _signed_out(self, e: Event) -> None:
        by = _str(e.data.get("by"))
        if "signed_out_at" not in self.fields:  # the first sign-out (in causal order) wins
            self.fields.update(signed_out_at=e.ts, signed_out_by=by, signed_out_device=e.device)
        elif e.device != self.fields["signed_out_device"] and all(o["device"] != e.device for o in self.sign_outs):
            self.sign_outs.append({"device": e.device, "by": by, "at": e.ts})  # kept: reception decides

    def _rated(self, e: Event) -> None:
        self.fields["rating"] = int(e.data["rating"])

    def _complaint(self, e: Event) -> None:
        self._add("complaints", e.data["text"])

    def _host_notified(self, e: Event) -> None:
        self._add("notified", e.data["channel"])

    def _notify_failed(self, e: Event) -> None:
        self._add("notify_failed", f"{e.data['channel']}: {e.data['error']}")

    def _consent(self, e: Event) -> None:
        self.consents[e.data["purpose"]] = {**{k: e.data[k] for k in _CONSENT_FIELDS if k in e.data}, "at": e.data.get("at", e.ts)}

    def _message_left(self, e: Event) -> None:
        self._add("messages", e.data["text"])

    def _purged(self, e: Event) -> None:
        # The server's alone: a device cannot push one (kiosk.core.roles), and the marker a
        # stripped payload carries is never read here, so no device can make a visit "purged".
        scope = e.data.get("scope")
        widens = scope == "all" or (scope == "sensitive" and not self.fields.get("purged"))
        if e.device == ev.SERVER_DEVICE and widens:
            self.fields["purged"] = scope

    def _add(self, key: str, text: str) -> None:
        # Appended to a list: a new tuple per event made a long visit's fold quadratic.
        self.texts.setdefault(key, []).append(text)

    def result(self) -> Visit:
        issued = sorted(self.badges.values(), key=lambda b: (b["issued_at"], b["badge_id"]))
        return Visit(state=self._state(), badges=tuple(Badge(**b) for b in issued),
                     invitation_uses=tuple(self.uses), consents=tuple(self.consents.values()), **self._shown_times(),
                     **{key: tuple(texts) for key, texts in self.texts.items()})

    def _shown_times(self) -> dict[str, Any]:
        """The fields, with no sign-out shown before the sign-in: a device whose clock was
        behind stamped it earlier than it happened (the causal order, not the time, chose it)."""
        signed_in_at = self.fields.get("signed_in_at")
        if signed_in_at is None:
            return {**self.fields, "other_sign_outs": tuple(dict(o) for o in self.sign_outs)}
        shown = dict(self.fields)
        if shown.get("signed_out_at") is not None:
            shown["signed_out_at"] = max(shown["signed_out_at"], signed_in_at)
        shown["other_sign_outs"] = tuple({**o, "at": max(o["at"], signed_in_at)} for o in self.sign_outs)
        return shown

    def _state(self) -> str:
        if "signed_out_at" in self.fields:
            return SIGNED_OUT
        if self.decision == ev.DENIED:
            return DENIED
        if self.blocked:
            return BLOCKED
        if not self.signed_in:
            return USED if self.uses else EXPECTED
        if self.needs_approval and self.decision != ev.APPROVED:
            return AWAITING_APPROVAL
        return WITH_HOST if "host_met_at" in self.fields else WAITING
