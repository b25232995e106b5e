"""The shape every event kind's payload must have: the strict check a server makes of each event
a device pushes, and that a device may make of what it pulls (pure: no IO).

A payload that passes is one every reader can use as it is: the fold (kiosk.core.visits), the
lists and badges (printer/), the reception console and the server's projection and export all
read the fields named here, with the types named here, and nothing deeper than ``MAX_DEPTH``
levels. Text a person reads on a screen or on paper (names, companies, hosts) holds no control
or format characters, which could reorder or hide what reception sees.

Fields a kind does not name are allowed (a newer device may add one; no reader looks at it)
but, like everything in a payload, bounded in depth; the protocol bounds the size
(sync.protocol.MAX_DATA_BYTES). Kinds this module does not know get only that bound: the fold
carries them without reading them. Whether a server stores them is the role table's question
(kiosk.core.roles), not this one's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Callable

from kiosk.core import events as ev
from kiosk.core.validation import MAX_COMPANY, MAX_NAME, MAX_PURPOSE

MAX_DEPTH = 16  # the payload object itself is level 1
MAX_LIST = 64  # items in a list the readers go through (reasons, watchlist matches)
MAX_TEXT = 4000  # any text field not given a tighter limit
_BADGE_ID = re.compile(r"^[A-Z2-7]{1,32}$")
_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_VISIT_ID = re.compile(r"^[A-Z2-7]{16}$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co"})  # control, format, surrogate, private use


class _Check:
    """One field's check: ``test(value)`` says whether it passes, ``wanted`` what it must be."""

    def __init__(self, wanted: str, test: Callable[[Any], bool]):
        self.wanted, self.test = wanted, test

    def error(self, value: Any) -> str:
        """Why the value fails, after the field's name ("" when it passes)."""
        return "" if self.test(value) else f" must be {self.wanted}"


class _TextMap(_Check):
    """An object whose values are all text: the ``known`` keys by their own check, any other
    key by ``other`` (a reader shows or stores such an object whole, as text)."""

    def __init__(self, known: Mapping[str, _Check], most_keys: int, other: _Check):
        super().__init__(f"an object of at most {most_keys} text fields", lambda v: not self.error(v))
        self.known, self.most_keys, self.other = known, most_keys, other

    def error(self, value: Any) -> str:
        if not isinstance(value, Mapping) or len(value) > self.most_keys:
            return f" must be {self.wanted}"
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > 64:
                return " has a field name longer than 64 characters"
            check = self.known.get(key, self.other)
            if not check.test(item):
                return f".{key} must be {check.wanted}"
        return ""


def text(most: int = MAX_TEXT) -> _Check:
    return _Check(f"text of at most {most} characters", lambda v: isinstance(v, str) and len(v) <= most)


def line(most: int) -> _Check:
    """Text shown to people: no control or format characters."""
    return _Check(f"text of at most {most} characters without control characters",
                  lambda v: isinstance(v, str) and len(v) <= most and _visible(v))


def pattern(regex: re.Pattern, what: str) -> _Check:
    return _Check(what, lambda v: isinstance(v, str) and regex.fullmatch(v) is not None)


def whole(low: int = 0, high: int = 2**62 - 1) -> _Check:
    return _Check(f"a whole number from {low} to {high}", lambda v: type(v) is int and low <= v <= high)


BOOL = _Check("true or false", lambda v: type(v) is bool)
ANY_OBJECT = _Check("an object", lambda v: isinstance(v, Mapping))


def texts(most_items: int, most: int) -> _Check:
    return _Check(f"a list of at most {most_items} texts of at most {most} characters",
                  lambda v: isinstance(v, list) and len(v) <= most_items
                  and all(isinstance(i, str) and len(i) <= most for i in v))


def text_map(known: Mapping[str, _Check], most_keys: int, other: _Check) -> _Check:
    return _TextMap(known, most_keys, other)


def objects(most_items: int, each: _Check) -> _Check:
    return _Check(f"a list of at most {most_items} objects of text", lambda v: isinstance(v, list)
                  and len(v) <= most_items and all(each.test(i) for i in v))


def _visible(value: str) -> bool:
    # isprintable() (in C) is true of most text; it is false of some text we take too (spaces
    # other than " ", unassigned characters), which is then looked at character by character.
    return value.isprintable() or not any(unicodedata.category(ch) in _HIDDEN for ch in value)


# -- the kinds ---------------------------------------------------------------------------------

Field = tuple[str, _Check, bool]  # (key, check, required)

VISITOR = text_map({"name": line(MAX_NAME), "company": line(MAX_COMPANY), "phone": line(40),
                    "purpose": line(MAX_PURPOSE)}, 16, line(MAX_PURPOSE))
HOST = text_map({"host_id": line(64), "name": line(MAX_NAME), "department": line(MAX_COMPANY)}, 16, line(MAX_COMPANY))
ANSWERS = text_map({}, 32, line(200))
WATCH_MATCH = text_map({}, 16, line(200))
BADGE = pattern(_BADGE_ID, "a badge id (Base32)")
CODE = _Check("text of at most 64 characters or a whole number",
              lambda v: (isinstance(v, str) and len(v) <= 64) or type(v) is int)
MS = whole()

_PERSON: tuple[Field, ...] = (
    ("visitor", VISITOR, False), ("host", HOST, False), ("lang", line(16), False),
    ("visitor_type", line(40), False), ("answers", ANSWERS, False), ("invite_id", line(64), False))
_JUDGED: tuple[Field, ...] = (("reasons", texts(MAX_LIST, 100), False), ("watchlist", objects(MAX_LIST, WATCH_MATCH), False))
_BADGE: tuple[Field, ...] = (("badge_id", BADGE, True),)
_NOTICE: tuple[Field, ...] = (("channel", line(500), True), ("notice_id", line(64), False), ("kind", line(40), False))

SCHEMAS: dict[str, tuple[Field, ...]] = {
    ev.SIGNED_IN: _PERSON + (("needs_approval", BOOL, False), ("agreement", ANY_OBJECT, False)),
    ev.EXPECTED: _PERSON + (("valid_from", MS, False), ("expires", MS, False)),
    ev.BLOCKED: _PERSON + _JUDGED + (("agreement", ANY_OBJECT, False),),
    ev.APPROVAL_REQUESTED: _JUDGED,
    ev.APPROVED: (("by", line(100), False), ("note", text(500), False)),
    ev.DENIED: (("by", line(100), False), ("note", text(500), False)),
    ev.BADGE_ISSUED: _BADGE + (("issued_at", MS, True), ("expires_at", MS, True), ("key_id", line(64), False),
                               ("replaces", BADGE, False)),
    ev.BADGE_PRINTED: _BADGE + (("printer", line(500), False), ("by", line(100), False)),
    # code: the exception's (kiosk.services._print), text for the printer's own errors; no reader reads it.
    ev.PRINT_FAILED: _BADGE + (("reason", text(), False), ("code", CODE, False)),
    ev.BADGE_LOST: _BADGE,
    ev.HOST_MET: (),
    ev.SIGNED_OUT: (("by", line(40), False), ("badge_id", BADGE, False), ("note", text(500), False)),
    ev.RATED: (("rating", whole(1, 5), True),),
    ev.COMPLAINT: (("text", text(500), True),),
    ev.MESSAGE_LEFT: (("text", text(500), True),),
    ev.HOST_NOTIFIED: _NOTICE,
    ev.NOTIFY_FAILED: _NOTICE + (("error", text(), True),),
    ev.INVITATION_USED: (("visit_id", pattern(_VISIT_ID, "a visit id (16 Base32 characters)"), True),),
    # purpose: "notice" (the privacy notice) or a sensitive one; version and digest: which text
    # (kiosk.core.consent); by: how it was given (the start button, an invitation's tap, a yes).
    ev.CONSENT: (("purpose", pattern(_PURPOSE, "a purpose key (a-z, digits, _; at most 40)"), True),
                 ("given", BOOL, True), ("version", line(64), False), ("digest", line(64), False),
                 ("lang", line(16), False), ("by", line(40), False), ("at", MS, False)),
    ev.TOMBSTONED: (("event_id", pattern(_EVENT_ID, "an event id (32 hex digits)"), True),
                    ("reason", text(500), True)),
    ev.PURGED: (("scope", pattern(re.compile(r"^(all|sensitive)$"), "all or sensitive"), True),
                ("reason", line(100), False)),
}


def payload_error(kind: str, data: Any) -> str:
    """What is wrong with an event's payload ("" when nothing is). Never raises, whatever JSON
    value ``data`` is."""
    if not isinstance(data, Mapping):
        return "data must be an object"
    too_deep = _depth_error(data)
    if too_deep:
        return too_deep
    for key, check, required in SCHEMAS.get(kind, ()):
        value = data.get(key)
        if value is None:
            if required:
                return f"{kind} needs {key}"
        else:
            problem = check.error(value)
            if problem:
                return f"{key}{problem} (in {kind})"
    return ""


def _depth_error(data: Mapping) -> str:
    return f"data is nested deeper than {MAX_DEPTH} levels" if _too_deep(data, 1) else ""


def _too_deep(container: Any, level: int) -> bool:
    """Whether anything in ``container`` (at ``level``) lies deeper than MAX_DEPTH. Recursion
    stops at that depth, so no payload can exhaust the stack of whoever checks it."""
    items = container.values() if isinstance(container, Mapping) else container
    for item in items:
        if isinstance(item, (str, int, float)) or item is None:  # most of a payload: decided at once
            if level >= MAX_DEPTH:
                return True
        elif isinstance(item, (dict, list, tuple)) or isinstance(item, Mapping):
            if level >= MAX_DEPTH or _too_deep(item, level + 1):
                return True
        elif level >= MAX_DEPTH:
            return True
    return False
