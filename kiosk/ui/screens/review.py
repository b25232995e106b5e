"""The last look before the badge prints: everything the visitor entered, phone masked."""

from __future__ import annotations

from kivy.properties import ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.core.validation import mask_phone
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class ReviewRow(BoxLayout):
    label = StringProperty("")  # a msgid, translated in review.kv
    value = StringProperty("")


class ReviewScreen(KioskScreen):
    rows = ListProperty([])  # (label msgid, value)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        form = self.flow.form
        host = form.host
        self.rows = [(N_("Name"), form.name), (N_("Company"), form.company or "—"),
                     (N_("Phone"), mask_phone(form.phone) if form.phone else "—"),
                     (N_("Visiting"), f"{host.name}   {host.department}".strip() if host else "—"),
                     (N_("Purpose"), form.purpose or "—")]

    def on_rows(self, *_):
        self.ids.rows.clear_widgets()
        for label, value in self.rows:
            self.ids.rows.add_widget(ReviewRow(label=label, value=value))

    def confirm(self) -> None:
        self.flow.submit()

    def wipe(self) -> None:
        super().wipe()
        self.rows = []
