"""The visitor agreement (confidentiality and site rules, versioned, from ``assets/``) and a
signature pad. Declining ends the visit politely; accepting keeps the version, the language
and the signature with the visit."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui.flow import load_agreement
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.signature import SignaturePad  # noqa: F401 - the pad in agreement.kv

load_kv(__file__)

DECLINED_SECONDS = 8


class AgreementScreen(KioskScreen):
    text = StringProperty("")
    version = StringProperty("")
    signed = BooleanProperty(False)
    declined = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ids.pad.bind(ink=lambda pad, _ink: setattr(self, "signed", pad.signed))

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        self.show_language(self.flow.form.lang)

    def show_language(self, lang: str) -> None:
        agreement = load_agreement(lang, self.flow.agreement_folder())
        self.text, self.version = agreement.text, agreement.version

    def clear_signature(self) -> None:
        self.ids.pad.clear()

    def accept(self) -> None:
        if not self.ids.pad.signed:
            return
        self.flow.form.agreement_version = self.version
        self.flow.form.signature = self.ids.pad.encoded()
        self.flow.next(self.name)

    def decline(self) -> None:
        self.declined = True
        self.later("leave", DECLINED_SECONDS, self.flow.cancel)

    def finish_declined(self) -> None:
        self.flow.cancel()

    def wipe(self) -> None:
        super().wipe()
        self.ids.pad.clear()
        self.declined = False
        self.stop_timer("leave")
