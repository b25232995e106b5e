"""What the visitor kiosk's sign-out and the exit post say about a scan, shared so that both
give the same verdict in the same words.

``decide`` turns a sign-out result into what is shown: a colour, a sound, a heading and a
detail that never contradict each other (a badge signed out a moment ago is "already signed
out at 12:01", calm amber; not red "not signed out"). ``say`` words them in one language: the
exit post shows them in the visitor's language (the ``lang`` of their ``signed_in`` event) and
in the guard's (the post's ``language`` setting), ``person`` gives the name, visitor type and
photo beside them.

The photo hook: ``photo_of(visit)`` is the path of the visitor's photo, read from the
``photo`` key of the sign-in's ``visitor`` object (absent today; a later issue that takes
photos fills it). The exit post shows a fixed frame beside the name, with the picture in it when
the path names a file, and empty otherwise: never a placeholder posing as a face."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.core import tokens
from kiosk.core.policy import DEFAULT_POLICY, Policy
from kiosk.core.visits import SIGNED_OUT, Visit
from kiosk.exit_desk import CheckOut, UNKNOWN_BADGE
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

# A second scan this soon after the sign-out is the same person leaving (scanned at the lobby
# kiosk, then at the gate; or twice at the gate): nothing is wrong. Later than that, someone is
# inside on a badge whose visit ended (back in without signing in): the guard must stop them.
# 30 minutes covers the walk from any lobby to any gate and a queue there; "the same day" would
# let a visitor who left at 9:00 and slipped back in at 14:00 out without a word.
RECENT_MINUTES = 30
MINUTE_MS = 60_000

GREEN, AMBER, RED = "green", "amber", "red"
SOUNDS = {GREEN: "ok", AMBER: "amber", RED: "refused"}
FALLBACK_LANG = "en"  # the visitor's language when the post has not seen their sign-in


@dataclass(frozen=True)
class Shown:
    """One verdict as the screens show it; texts are msgids, formatted with ``values``."""

    state: str  # green: signed out now; amber: out, nothing to do; red: not out, see reception
    heading: str
    detail: str = ""
    values: dict = field(default_factory=dict)
    see_reception: bool = False
    visit: Visit | None = None

    @property
    def sound(self) -> str:
        return SOUNDS[self.state]

    @property
    def mark(self) -> str:
        return "×" if self.state == RED else "✓"

    @property
    def visitor_lang(self) -> str:
        """The language the visitor signed in with; "" when this device has not seen it."""
        return self.visit.lang if self.visit is not None and self.visit.known else ""


def duration_text(minutes: int, lang: str | None = None) -> str:
    say_ = _translator(lang)
    if minutes < 60:
        return say_(N_("{m} min")).format(m=max(minutes, 1))
    return say_(N_("{h} h {m} min")).format(h=minutes // 60, m=minutes % 60)


def clock_text(ms: int | None, now_ms: int | None = None) -> str:
    """12:01, or 12-06 12:01 when that was another day than ``now_ms``."""
    if not ms:
        return ""
    at = datetime.fromtimestamp(ms / 1000)
    if now_ms is not None and at.date() != datetime.fromtimestamp(now_ms / 1000).date():
        return at.strftime("%m-%d %H:%M")
    return at.strftime("%H:%M")


def recently_out(result: CheckOut, now_ms: int) -> bool:
    """Signed out within RECENT_MINUTES of now (a sign-out a little in the future is another
    device's clock running ahead, not a problem)."""
    return result.signed_out_at is not None and abs(now_ms - result.signed_out_at) <= RECENT_MINUTES * MINUTE_MS


def decide(result: CheckOut, now_ms: int, calm: bool = True) -> Shown:
    """``calm=False`` when another device signed the badge out while this one was writing:
    the same badge at two posts at once may be a copy, so a guard must look."""
    visit = result.visit
    if result.ok:
        if visit is not None and visit.known:
            return Shown(GREEN, N_("Signed out"), visit=visit)
        return Shown(AMBER, N_("Signed out"), N_("This post has not seen this visit yet; it will be reconciled."))
    if result.reason == tokens.ALREADY_SIGNED_OUT:
        values = {"time": clock_text(result.signed_out_at, now_ms)}
        if calm and recently_out(result, now_ms):
            return Shown(AMBER, N_("Already signed out"), N_("Signed out at {time}. Nothing more to do."),
                         values, visit=visit)
        return Shown(RED, N_("Already signed out"), REFUSALS[tokens.ALREADY_SIGNED_OUT], values,
                     see_reception=True, visit=visit)
    heading = N_("Already signed out") if visit is not None and visit.state == SIGNED_OUT else N_("Not signed out")
    return Shown(RED, heading, REFUSALS.get(result.reason, REFUSALS[tokens.MALFORMED]), see_reception=True,
                 visit=visit)


def say(shown: Shown, lang: str | None = None) -> tuple[str, str]:
    """The heading and the detail in ``lang`` (the screen's language when None)."""
    say_ = _translator(lang)
    detail = say_(shown.detail).format(**shown.values) if shown.detail else ""
    if shown.see_reception:
        detail = (detail + "\n" if detail else "") + say_(N_("Please see reception."))
    return say_(shown.heading), detail


def languages(shown: Shown, guard_lang: str) -> tuple[str, str]:
    """(first, second): the visitor's language first, then the guard's; second is "" when they
    are the same. A visitor this post has not seen gets English beside the guard's Chinese."""
    visitor = shown.visitor_lang or FALLBACK_LANG
    return visitor, ("" if visitor == guard_lang else guard_lang)


def type_label(visit: Visit | None, lang: str, policy: Policy = DEFAULT_POLICY) -> str:
    """The visitor type's label from the entry policy (访客, 施工人员, 面试, 送货), "" if unknown."""
    vtype = policy.visitor_type(visit.visitor_type or "guest") if visit is not None and visit.known else None
    return vtype.labels.get(lang, "") if vtype is not None else ""


def photo_of(visit: Visit | None) -> str:
    """The hook for visitor photos (see the module docstring): a path that exists, or ""."""
    path = visit.visitor.get("photo", "") if visit is not None else ""
    return path if isinstance(path, str) and path and os.path.isfile(path) else ""


def stay_minutes(result: CheckOut) -> int | None:
    visit = result.visit
    if result.ok and visit is not None and visit.signed_in_at and result.signed_out_at:
        return round((result.signed_out_at - visit.signed_in_at) / MINUTE_MS)
    return None


def _translator(lang: str | None):
    return tr if lang is None else (lambda text: tr.into(lang, text))
