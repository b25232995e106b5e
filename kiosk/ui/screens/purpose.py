"""Why the visitor came: one tap on a common reason, or "other" to type one."""

from __future__ import annotations

from kiosk.ui.i18n import tr
from kiosk.ui.i18n import N_
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)

PURPOSES = (N_("Meeting"), N_("Interview"), N_("Delivery"), N_("Maintenance or repair"), N_("Training"))


class PurposeScreen(KioskScreen):
    PURPOSES = PURPOSES

    def choose(self, purpose: str) -> None:
        # Kept in the visitor's language, as they chose it.
        self.flow.form.purpose = tr(purpose)
        self.flow.next(self.name)
