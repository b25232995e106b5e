"""A returning visitor found by their phone number: the four names they choose theirs from,
their earlier visit's host, type and purpose, and an agreement they accepted lately.

Part of kiosk.services.Kiosk (a mixin on its log and directory), kept apart so each part stays
short enough to read. What a number alone may show is kiosk.core.recognise's rule.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kiosk.core import events as ev
from kiosk.core import acceptance, recognise
from kiosk.core.validation import clean_phone
from kiosk.core.visits import Visit


class ReturningVisitors:
    """Recognising a returning visitor, for a Kiosk."""

    def returning_visitor(self, phone: str) -> dict[str, str] | None:
        """Name and company from this phone number's latest visit, for a returning visitor to
        confirm (the screen shows them masked), or None."""
        phone = clean_phone(phone)
        visit = self.log.latest_visit_by_phone(phone) if phone else None
        if visit is None:
            return None
        return {"name": visit.visitor.get("name", ""), "company": visit.visitor.get("company", ""),
                "visit_id": visit.visit_id,  # seeds the names to pick from (name_choices), never shown
                # the last host, offered once the name is confirmed, while still in the directory
                "host": self._listed((visit.host or {}).get("host_id", "")),
                # the last kind of visit and the agreement it accepted, offered likewise
                "visitor_type": visit.visitor_type, "purpose": visit.visitor.get("purpose", ""),
                "accepted": self._accepted(visit)}

    def _accepted(self, visit: Visit) -> dict[str, Any] | None:
        """The agreement ``visit`` accepted and when (kiosk.core.acceptance), from its sign-in."""
        vtype = self.entry.policy.visitor_type(visit.visitor_type or "guest")
        for event in self.log.events(visit.visit_id):
            if event.kind == ev.SIGNED_IN:
                return acceptance.acceptance(event.data.get("agreement"), event.ts,
                                             vtype.agreement if vtype else "default", visit.visit_id)
        return None

    def name_choices(self, phone: str, known: dict | None, lang: str) -> list[str]:
        """The names a visitor who says they have been here picks theirs from: the name of this
        number's latest visit (``known``, from returning_visitor, or None) among made-up ones,
        the same at every look-up on every kiosk of the site (kiosk.core.recognise explains why
        that matters): seeded by the visit's id, which only the site's devices hold."""
        number = clean_phone(phone).encode()
        if known:
            seed = hashlib.sha256(b"kiosk-recognise\0" + known["visit_id"].encode() + b"\0" + number).digest()
        else:  # nothing to give away: this device's own secret keeps the four the same here
            seed = hashlib.sha256(self.signer.signature(b"kiosk-recognise\0" + number)).digest()
        return recognise.name_choices(known["name"] if known else "", seed, lang)
