"""Why the visitor came: one tap on a common reason, or "other" to type one."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.ui.i18n import N_, tr
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import KButton

load_kv(__file__)

PURPOSES = (N_("Meeting"), N_("Interview"), N_("Delivery"), N_("Maintenance or repair"), N_("Training"))


class PurposeChoice(KButton):
    purpose = StringProperty("")  # a msgid, translated in purpose.kv


class PurposeScreen(KioskScreen):
    def on_kv_post(self, base_widget):
        for position, purpose in enumerate(PURPOSES):  # before "something else…"
            choice = PurposeChoice(purpose=purpose)
            choice.bind(on_release=lambda button: self.choose(button.purpose))
            self.ids.choices.add_widget(choice, index=len(self.ids.choices.children) - position)

    def choose(self, purpose: str) -> None:
        # Kept in the visitor's language, as they chose it.
        self.flow.form.purpose = tr(purpose)
        self.flow.next(self.name)
