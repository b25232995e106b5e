"""The answer to a sign-out: goodbye with the time on site and a 1-5 rating, or why the badge
cannot sign anyone out (the same verdicts as the exit post)."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.core import tokens
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import KButton
from kiosk.ui.verdicts import REFUSALS, clock_text, duration_text

load_kv(__file__)

SHOWN_SECONDS = 12
class Star(KButton):
    stars = NumericProperty(1)
    rated = NumericProperty(0)


class GoodbyeScreen(KioskScreen):
    def on_kv_post(self, base_widget):
        for stars in range(1, 6):
            star = Star(stars=stars)
            star.bind(on_release=lambda button: self.rate(button.stars))
            self.bind(rated=star.setter("rated"))
            self.ids.stars.add_widget(star)

    ok = BooleanProperty(False)
    name_text = StringProperty("")
    stay = StringProperty("")  # "1 h 25 min"
    reason = StringProperty("")  # msgid of why not
    time_text = StringProperty("")
    rated = NumericProperty(0)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        result = self.flow.last_check_out
        visit = result.visit
        self.ok = result.ok
        self.rated = 0
        self.name_text = visit.visitor.get("name", "") if visit is not None else ""
        self.stay = ""
        if result.ok and visit is not None and visit.signed_in_at:
            self.stay = duration_text(round((result.signed_out_at - visit.signed_in_at) / 60_000))
        self.reason = "" if result.ok else REFUSALS.get(result.reason, REFUSALS[tokens.MALFORMED])
        self.time_text = clock_text(result.signed_out_at)
        self.later("leave", SHOWN_SECONDS, self.finish)

    def rate(self, stars: int) -> None:
        if not self.rated:
            self.rated = stars
            self.flow.rate(stars)
            self.later("leave", 3, self.finish)

    def finish(self) -> None:
        self.flow.cancel()

    def wipe(self) -> None:
        super().wipe()
        self.name_text = self.stay = self.time_text = ""

