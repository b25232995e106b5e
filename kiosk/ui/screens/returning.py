"""A returning visitor, recognised by phone number, confirms who they are; name and company
are shown masked, so typing someone else's number reveals nothing useful."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.core.validation import mask_phone, mask_text
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class ReturningScreen(KioskScreen):
    masked_name = StringProperty("")
    masked_company = StringProperty("")
    masked_phone = StringProperty("")

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        known = self.flow.known_visitor or {}
        self.masked_name = mask_text(known.get("name", ""))
        self.masked_company = mask_text(known.get("company", ""), keep=2)
        self.masked_phone = mask_phone(self.flow.form.phone)

    def wipe(self) -> None:
        super().wipe()
        self.masked_name = self.masked_company = self.masked_phone = ""
