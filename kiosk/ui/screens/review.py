"""The last look before the badge prints: everything the visitor entered, phone masked."""

from __future__ import annotations

from kivy.properties import ListProperty

from kiosk.core.validation import mask_phone
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


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

    def confirm(self) -> None:
        self.flow.submit()

    def wipe(self) -> None:
        super().wipe()
        self.rows = []
