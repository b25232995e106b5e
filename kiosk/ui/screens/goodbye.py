"""The answer to a sign-out: goodbye with the time on site and a 1-5 rating, or why the badge
cannot sign anyone out (the same verdicts as the exit post), in the language the visitor
signed in with unless they chose another one at the kiosk just now."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from kiosk.ui.i18n import N_, tr
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.verdicts import GREEN, decide, duration_text, say, stay_minutes
from kiosk.ui.widgets import KButton

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

    ok = BooleanProperty(False)  # signed out by this scan: rated
    state = OptionProperty(GREEN, options=["green", "amber", "red"])
    heading = StringProperty("")
    body = StringProperty("")
    rated = NumericProperty(0)

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        result = self.flow.last_check_out
        shown = decide(result, self.flow.kiosk.clock())
        if shown.visitor_lang and tr.lang == self.flow.default_lang and shown.visitor_lang != tr.lang:
            self.flow.set_language(shown.visitor_lang)  # cancel() sets the default back
        self.ok, self.state, self.rated = result.ok, GREEN if result.ok else shown.state, 0
        name = result.visit.visitor.get("name", "") if result.visit is not None and result.ok else ""
        if result.ok:
            minutes = stay_minutes(result)
            self.tell("heading", N_("Goodbye, {name}!") if name else N_("Goodbye!"), name=name)
            if minutes is None:
                self.tell("body", N_("You are signed out."))
            else:
                self.tell("body", N_("You are signed out. You were here for {stay}."), stay=duration_text(minutes))
            self.later("leave", SHOWN_SECONDS, self.finish)
            return
        heading, self.body = say(shown)  # no language buttons here: said once, in the visitor's language
        self.heading = tr("This badge cannot sign you out") if shown.heading == N_("Not signed out") else heading
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
        self.heading = self.body = ""

