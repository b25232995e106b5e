"""The privacy notice in full (kiosk.core.consent), one tap from the line the welcome screen
(and an invited visitor's agreement) shows: who keeps the visitor's data, why, for how long, whom
to ask and how to withdraw. Reading it is no step of the visit: Back returns to where it was
opened, and the start button there accepts it."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class NoticeScreen(KioskScreen):
    text = StringProperty("")
    version = StringProperty("")
    came_from = StringProperty("welcome")

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        self.show()

    def show(self) -> None:
        notice = self.flow.notice()
        self.text, self.version = notice.text, notice.version

    def retell(self) -> None:
        super().retell()
        if self.manager is not None and self.manager.current == self.name:
            self.show()

    def close(self) -> None:
        self.flow.go(self.came_from)
