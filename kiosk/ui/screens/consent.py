"""A separate consent for something sensitive (a photo, an ID card: kiosk.core.consent.Purpose),
asked on its own screen before it is collected: what and why, how long it is kept, and what a No
means instead. Yes and No are the same button, side by side, the same size and colour; neither is
chosen beforehand, and either answer is recorded with the sign-in (Flow.consent_answered) and
leads on: a No by another path (reception checks the person), never out of the visit."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.ui.i18n import tr
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class ConsentScreen(KioskScreen):
    question = StringProperty("")
    explanation = StringProperty("")
    instead = StringProperty("")

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        self.show()

    def show(self) -> None:
        purpose = self.flow.consent_asked()
        if purpose is None:
            return
        self.question, self.explanation = tr(purpose.question), tr(purpose.explanation)
        self.instead = tr(purpose.instead) if purpose.instead else ""

    def retell(self) -> None:
        super().retell()
        self.show()

    def answer(self, given: bool) -> None:
        self.flow.consent_answered(given)
