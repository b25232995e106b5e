"""The visitor agreement (confidentiality and site rules, versioned, from ``assets/``) and a
signature pad. Declining ends the visit politely; accepting keeps the version, the language
and the signature with the visit.

An invited visitor accepts with one tap instead ("I agree, print my badge"), beside what the
invitation says (their name, company and host), and the badge prints at once: nothing is left
to review, since the invitation's answers cannot be changed here. The agreement is still
accepted, explicitly, under its whole text (the "I agree" button is the acceptance, as on any
click-through agreement): the signature adds nothing a kiosk could check about who signed,
while the invitation, sent by a host to this person, does, and the sign-in records both (the
version, the language, ``accepted_by: tap`` and the invitation's id: VisitForm.agreement).
An invited visitor whose phone's last visit, under the invitation's name, accepted this
agreement lately (``agreement_valid_days``) sees one line saying when instead of the text.
The same tap accepts the privacy notice, whose one line shows above it with the full text a tap
away: an invited visitor starts at no start button that could say so."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.core import consent
from kiosk.ui.flow import load_agreement
from kiosk.ui.i18n import day_text, tr
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.signature import SignaturePad  # noqa: F401 - the pad in agreement.kv

load_kv(__file__)

DECLINED_SECONDS = 8


class AgreementScreen(KioskScreen):
    text = StringProperty("")
    version = StringProperty("")
    signed = BooleanProperty(False)
    declined = BooleanProperty(False)
    declining = BooleanProperty(False)  # "are you sure?" before what was entered is wiped
    by_tap = BooleanProperty(False)  # an invited visitor: one tap accepts and prints
    visitor = StringProperty("")  # name and company, as the invitation gives them
    host = StringProperty("")
    notice_summary = StringProperty("")  # an invited visitor's privacy notice, accepted by the one tap
    # An invited visitor who accepted this agreement lately (kiosk.core.acceptance): one line
    # saying when, instead of the text, and one tap prints.
    accepted_on = StringProperty("")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ids.pad.bind(ink=lambda pad, _ink: setattr(self, "signed", pad.signed))

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        form = self.flow.form
        self.by_tap = form.invitation is not None
        self.visitor = "   ".join(part for part in (form.name, form.company) if part)
        self.host = f"{form.host.name}   {form.host.department}".strip() if form.host else ""
        self.show_language(form.lang)

    def show_language(self, lang: str) -> None:
        agreement = load_agreement(lang, self.flow.agreement_folder())
        self.text, self.version = agreement.text, agreement.version
        self.notice_summary = self.flow.notice(lang).summary if self.by_tap else ""
        earlier = self.flow.form.accepted_before
        self.accepted_on = tr("Agreement") + "   " + tr("Accepted on {date}").format(
            date=day_text(earlier["at"], lang)) if self.by_tap and self.flow.agreement_stands() else ""

    def clear_signature(self) -> None:
        self.ids.pad.clear()

    def accept(self) -> None:
        if self.by_tap:
            self.flow.form.agreement_version, self.flow.form.agreement_of = self.version, self.flow.agreement_name()
            self.flow.accept_notice(consent.INVITATION)  # the notice's line is beside this button
            if not self.accepted_on:
                self.flow.form.accepted_before = None  # accepted now, by this tap
            self.flow.submit()  # the invitation's answers stand: no review
            return
        if not self.ids.pad.signed:
            return
        self.flow.form.agreement_version, self.flow.form.agreement_of = self.version, self.flow.agreement_name()
        self.flow.form.signature = self.ids.pad.encoded()
        self.flow.next(self.name)

    def decline(self) -> None:
        """"I do not agree": asked once, since it wipes everything entered."""
        self.declining = True

    def keep_reading(self) -> None:
        self.declining = False

    def confirm_decline(self) -> None:
        self.declining, self.declined = False, True
        self.later("leave", DECLINED_SECONDS, self.flow.cancel)

    def finish_declined(self) -> None:
        self.flow.cancel()

    def wipe(self) -> None:
        super().wipe()
        self.ids.pad.clear()
        self.declined = self.declining = False
        self.stop_timer("leave")
