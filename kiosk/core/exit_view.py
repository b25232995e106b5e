"""What an exit post's copy of its site's log holds: a redacted view of each event.

An exit post shows a leaving visitor's name, company and time on site, and its roll call their
host; it signs nobody in, tells no host and matches nobody against the watchlist. So the
server hands it each event (GET /v1/events) with what it never shows taken out: the visitor's
phone number and purpose, the answers to their visitor type's questions, their handwritten
signature under the agreement, the watchlist entries a visit matched (exit posts never receive
the watchlist itself), and the free text of complaints and of messages left for hosts, where a
visitor may well have typed a phone number.

Events are immutable; this is a view of one, not another event. It keeps the event's id and
every field the fold reads, in the same shape (a text emptied, a list or object emptied, a key
removed only where it was optional), so an exit post folds the same states, badges and times
as every other device. It never travels back: a device pushes only its own events, and stores
another's by id once (kiosk.store.log.ingest), never comparing it with what arrives later. The
exit post applies the same view to what it already holds (sync.worker), so that copies pulled
before the server redacted them, or from a server that does not, go too.
"""

from __future__ import annotations

from typing import Any, Mapping

from kiosk.core import events as ev

SHOWN_VISITOR_FIELDS = ("name", "company")  # what the exit screen and the roll call show
_KEPT_AGREEMENT_FIELDS = ("version", "lang")  # which text was accepted; not the signature
_PERSON_KINDS = frozenset({ev.SIGNED_IN, ev.EXPECTED, ev.BLOCKED})
_FREE_TEXT_KINDS = frozenset({ev.COMPLAINT, ev.MESSAGE_LEFT})


def exit_view(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's payload as an exit post receives it."""
    view = dict(data)
    if kind in _PERSON_KINDS:
        _redact_person(view)
    if "watchlist" in view and kind in (ev.BLOCKED, ev.APPROVAL_REQUESTED):
        view["watchlist"] = []
    if kind in _FREE_TEXT_KINDS and "text" in view:
        view["text"] = ""
    return view


def _redact_person(view: dict[str, Any]) -> None:
    # Whatever a device pushed in these places, of whatever type, none of its content gets through.
    if "visitor" in view:
        visitor = view["visitor"] if isinstance(view["visitor"], Mapping) else {}
        view["visitor"] = {key: (value if key in SHOWN_VISITOR_FIELDS else "") for key, value in visitor.items()}
    if "answers" in view:
        view["answers"] = {}
    if "agreement" in view:
        agreement = view["agreement"] if isinstance(view["agreement"], Mapping) else {}
        view["agreement"] = {key: agreement[key] for key in _KEPT_AGREEMENT_FIELDS if key in agreement}
