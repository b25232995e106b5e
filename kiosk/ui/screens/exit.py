"""The exit post: one scan, one verdict, full screen, readable from two metres. Green: signed
out, with name, visitor type, company and time on site; amber: out, nothing to do (a valid
badge this post has not seen yet, signed out all the same as the logs reconcile when they meet;
or a second scan just after the sign-out); red: not signed out, or out long ago, and why.
Every verdict in the visitor's language and, beside it, the guard's (kiosk.ui.verdicts).
A sound for each, and back to ready by itself."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from kiosk.ui.scanner import ScanDetector
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for
from kiosk.ui.fonts import FAMILIES
from kiosk.ui.i18n import LANGUAGES, N_, tr
from kiosk.ui.verdicts import decide, duration_text, languages, photo_of, say, stay_minutes, type_label

load_kv(__file__)

VERDICT_SECONDS = 5
COUNT_EVERY = 10  # seconds between counts of the people in the building


class ExitScreen(KioskScreen):
    state = OptionProperty("ready", options=["ready", "green", "amber", "red"])
    mark = StringProperty("")
    # The verdict in the visitor's language (first) and the guard's (second, "" when the same).
    heading = StringProperty("")
    detail = StringProperty("")
    heading_guard = StringProperty("")
    detail_guard = StringProperty("")
    font_first = StringProperty(FAMILIES["zh_CN"])
    font_second = StringProperty(FAMILIES["zh_CN"])
    # Who: shown for a visit this post knows. ``photo`` is a file path or "" (an empty frame).
    person = BooleanProperty(False)
    name_text = StringProperty("")
    type_text = StringProperty("")
    about = StringProperty("")  # company · time on site
    photo = StringProperty("")
    count = NumericProperty(-1)  # -1 until first counted
    organisation = StringProperty("")
    camera = BooleanProperty(False)  # badges are read by a camera: the ready screen says how to hold them

    def __init__(self, sounds=None, **kwargs):
        super().__init__(**kwargs)
        self.scanner = ScanDetector()
        self.sounds = sounds
        self._writing: set[str] = set()  # visits whose sign-out is being written
        self._shown = ""  # the visit whose verdict is on screen
        for lang in LANGUAGES:  # read every catalog now, not while a visitor waits for a verdict
            tr.into(lang, "")

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        self.camera = bool(self.flow.kiosk.settings.camera)
        self.count_people()
        self.every("count", COUNT_EVERY, self.count_people)
        pending, self.flow.last_check_out = self.flow.last_check_out, None
        if pending is not None:  # a badge number looked up from the staff menu
            self.show(pending)

    def count_people(self) -> None:
        self.flow.run_io(self.flow.kiosk.count_in_building, lambda n: setattr(self, "count", n), lambda exc: None)

    # -- the scanner ------------------------------------------------------------------------

    def key_text(self, text: str) -> None:
        self.scanner.key(text)

    def key_backspace(self) -> None:
        pass

    def key_enter(self) -> None:
        scan = self.scanner.enter()
        if scan is None:  # typed by hand: only a scanner's burst signs anyone out here
            self.message = "typed"
            return
        self.scanned(scan)

    def scanned(self, scan: str) -> None:
        """The verdict is decided here, on the UI thread (a signature check and one indexed
        read, 0.2 ms), so that it is on screen in the next frame; a refusal writes nothing.
        The sign-out itself is written on the worker, and if that fails the screen turns red."""
        self.message = ""
        try:
            decision = self.flow.kiosk.verdict(scan)
        except Exception as exc:  # noqa: BLE001 - the log could not be read: say so, in red
            self.failed(exc)
            return
        visit_id = decision.claims.visit_id if decision.claims else ""
        if decision.ok and visit_id in self._writing:  # the same badge read twice in a moment
            return
        if decision.ok:  # queued first: the head count that show() asks for can wait
            self._writing.add(visit_id)
            self.flow.sign_out(scan, done=self._recorded, failed=lambda exc: self._not_recorded(visit_id, exc))
        self._shown = visit_id
        self.show(decision)

    def _recorded(self, result) -> None:
        """The sign-out is on disk and the time on site known (shown if that visitor is still
        on screen); or another post was first, and the screen turns red with a sound."""
        self._writing.discard(result.claims.visit_id)
        if result.claims.visit_id == self._shown and self.state != "ready":
            self.show(result, sound=not result.ok, calm=False)

    def show(self, result, sound: bool = True, calm: bool = True) -> None:
        shown = decide(result, self.flow.kiosk.clock(), calm)
        self.state, self.mark = shown.state, shown.mark
        first, second = languages(shown, self.flow.default_lang)
        self.font_first, self.font_second = FAMILIES[first], FAMILIES[second or first]
        self.heading, self.detail = say(shown, first)
        self.heading_guard, self.detail_guard = say(shown, second) if second else ("", "")
        self._show_person(shown.visit, result, first, second)
        if sound and self.sounds is not None:
            self.sounds.play(shown.sound)
        self.count_people()
        self.later("ready", VERDICT_SECONDS, self.ready)

    def _show_person(self, visit, result, first: str, second: str) -> None:
        self.person = visit is not None and visit.known
        if not self.person:
            self.name_text = self.type_text = self.about = self.photo = ""
            return
        policy = self.flow.kiosk.entry.policy
        # The guard's label, then the visitor's unless both are Chinese (面试 · 面試 says nothing twice).
        both_chinese = first.startswith("zh") and second.startswith("zh")
        shown_in = [second, first] if second and not both_chinese else [first]
        labels = [type_label(visit, lang, policy) for lang in shown_in]
        self.name_text = visit.visitor.get("name", "")
        self.type_text = " · ".join(dict.fromkeys(label for label in labels if label))
        minutes = stay_minutes(result)
        about = [visit.visitor.get("company", "")]
        if minutes is not None:
            about.append(duration_text(minutes, second or first))
        self.about = "   ·   ".join(part for part in about if part)
        self.photo = photo_of(visit)

    def _not_recorded(self, visit_id: str, error: Exception) -> None:
        self._writing.discard(visit_id)
        self.failed(error)

    def failed(self, error: Exception) -> None:
        self.ready()
        self.state, self.mark = "red", "×"
        self.font_first = FAMILIES[tr.lang]
        self.tell("heading", N_("Not signed out"))
        self.tell("detail", reason_for(error))
        self.later("ready", VERDICT_SECONDS, self.ready)

    def ready(self) -> None:
        self.state = "ready"
        self.mark = self.heading = self.detail = self.heading_guard = self.detail_guard = ""
        self.person = False
        self.name_text = self.type_text = self.about = self.photo = ""
        self._shown = ""

    def wipe(self) -> None:
        super().wipe()
        self._writing.clear()
        self.ready()
