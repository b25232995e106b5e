"""Visits as readers may assume them: every field that is shown or printed as text is text.

A visit is folded from events, and events are kept as they arrived. Events stored before the
server checked payloads strictly (old logs, an older server, a buggy device) may carry a
visitor name that is a number, a host that is a list, a reason that is an object: the fold
carries such values through, and every reader that joins, measures or draws them would crash.
So a Visit is made readable once, where it is read from the log and before it is stored
(:func:`readable`), and no reader has to guard its own fields.

Coercion keeps what can be shown: a number becomes its digits, anything else that is not text
(a list, an object, null, true) becomes empty text, which readers already handle (a visitor
without a name is listed by visit id).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping

from kiosk.core.visits import Badge, Visit

# A Visit's plain text fields; mappings of text (visitor, host) are coerced value by value.
_TEXT_FIELDS = ("site", "lang", "signed_in_device", "signed_out_by", "signed_out_device", "visitor_type")
_TEXT_TUPLES = ("complaints", "notified", "notify_failed", "messages", "reasons")


def text(value: Any) -> str:
    """``value`` as text to show: text as it is, a number as its digits, anything else empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def text_mapping(value: Any) -> dict[str, str]:
    """A mapping whose values are all text (visitor, host, a watchlist match); not a mapping: empty."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): text(item) for key, item in value.items()}


def _texts(values: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        return ()
    return tuple(text(v) for v in values)


def _all_text(mapping: Any) -> bool:
    # type(...) is, not isinstance against the Mapping ABC: this runs on every visit read.
    return type(mapping) is dict and all(type(v) is str for v in mapping.values())


def _badge(badge: Badge) -> Badge:
    if type(badge.print_error) is str and type(badge.key_id) is str and type(badge.revoked) is str \
            and type(badge.printed_by) is str:
        return badge
    return replace(badge, print_error=text(badge.print_error), key_id=text(badge.key_id), revoked=text(badge.revoked),
                   printed_by=text(badge.printed_by))


def readable(visit: Visit) -> Visit:
    """``visit`` with every text field text (see the module's docstring); the same object
    when it already was, which is nearly always (and then cheaply: every read pays for it)."""
    fields = visit.__dict__
    changes: dict[str, Any] = {}
    for name in ("visitor", "host"):
        if not _all_text(fields[name]):
            changes[name] = text_mapping(fields[name])
    if type(visit.answers) is not dict and not isinstance(visit.answers, Mapping):
        changes["answers"] = {}
    for name in _TEXT_FIELDS:
        if type(fields[name]) is not str:
            changes[name] = text(fields[name])
    for name in _TEXT_TUPLES:
        values = fields[name]
        if values and not (type(values) is tuple and all(type(v) is str for v in values)):
            changes[name] = _texts(values)
    if visit.watchlist and not all(_all_text(match) for match in visit.watchlist):
        changes["watchlist"] = tuple(text_mapping(match) for match in visit.watchlist)
    if visit.badges:
        badges = tuple(_badge(b) for b in visit.badges)
        if any(new is not old for new, old in zip(badges, visit.badges)):
            changes["badges"] = badges
    return replace(visit, **changes) if changes else visit
