"""What a visitor has entered so far, kept in one object so that wiping it (cancel, idle
timeout, next visitor) is replacing it: nothing of the last visitor can linger on a screen."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.core.hosts import Host
from kiosk.core.invites import Invitation


@dataclass
class VisitForm:
    lang: str = "zh_CN"
    phone: str = ""
    name: str = ""
    company: str = ""
    host: Host | None = None
    purpose: str = ""
    agreement_version: str = ""
    signature: list[str] = field(default_factory=list)  # strokes, see SignaturePad.encoded
    returning: bool = False  # name and company came from an earlier visit, confirmed by the visitor
    by_phone: bool = False  # "been here before?": the phone number is asked first, to recognise them
    last_host: Host | None = None  # a confirmed returning visitor's last host, offered first
    visitor_type: str = "guest"  # a key of the entry policy's visitor types
    answers: dict[str, str] = field(default_factory=dict)  # to the visitor type's questions
    question: int = 0  # which of them the question screen asks
    invitation: Invitation | None = None  # the scanned invitation that filled this in
    # The privacy notice accepted and each separate consent answered (purpose -> the consent
    # event's payload, kiosk.core.consent.record): recorded with the sign-in.
    consents: dict[str, dict] = field(default_factory=dict)

    def agreement(self) -> dict:
        """What was accepted and how: a finger signature, or (an invited visitor) a tap on "I
        agree" under the text, the invitation saying who tapped (see AgreementScreen)."""
        accepted = {"signature": self.signature} if self.invitation is None else \
            {"signature": [], "accepted_by": "tap", "invitation": self.invitation.invite_id}
        return {"version": self.agreement_version, "lang": self.lang, **accepted}
