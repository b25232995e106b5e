"""What a visitor has entered so far, kept in one object so that wiping it (cancel, idle
timeout, next visitor) is replacing it: nothing of the last visitor can linger on a screen."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.core.acceptance import relied_on
from kiosk.core.hosts import Host
from kiosk.core.invites import Invitation
from kiosk.settings import LANGUAGES
from kiosk.ui.i18n import N_, tr


# The purposes the visit screen offers (kiosk/ui/screens/purpose.py), kept here so that a
# returning visitor's last purpose is offered in the language they use today.
# A guest's common reasons; each other visitor type is a reason of its own.
GUEST_PURPOSES = (N_("Meeting"), N_("Training"))
TYPE_PURPOSES = {"contractor": N_("Maintenance or repair"), "interview": N_("Interview"), "delivery": N_("Delivery")}


def purpose_in(purpose: str, lang: str) -> str:
    """``purpose`` as the visit screen would put it in ``lang``: one of its own buttons chosen
    in another language is translated; a reason typed in one's own words stays as it is."""
    for msgid in GUEST_PURPOSES + tuple(TYPE_PURPOSES.values()):
        if purpose in {msgid, *(tr.into(other, msgid) for other in LANGUAGES)}:
            return tr.into(lang, msgid)
    return purpose


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
    agreement_of: str = ""  # the name of the agreement accepted on this visit (its visitor type's)
    # A confirmed returning visitor's earlier acceptance that still stands (kiosk.core.acceptance):
    # the agreement is not shown again, unless they tap its line on the review screen.
    accepted_before: dict | None = None
    type_offered: bool = False  # visitor type and purpose are a returning visitor's last ones
    # The privacy notice accepted and each separate consent answered (purpose -> the consent
    # event's payload, kiosk.core.consent.record): recorded with the sign-in.
    consents: dict[str, dict] = field(default_factory=dict)

    def agreement(self) -> dict:
        """What was accepted and how: a finger signature, or (an invited visitor) a tap on "I
        agree" under the text, the invitation saying who tapped (see AgreementScreen), or (a
        returning visitor) the earlier acceptance relied on."""
        if not self.signature and self.accepted_before:
            relied = relied_on(self.accepted_before, self.accepted_before["version"], self.lang)
            return relied if self.invitation is None else {**relied, "invitation": self.invitation.invite_id}
        accepted = {"signature": self.signature} if self.invitation is None else \
            {"signature": [], "accepted_by": "tap", "invitation": self.invitation.invite_id}
        return {"version": self.agreement_version, "lang": self.lang, **accepted}
