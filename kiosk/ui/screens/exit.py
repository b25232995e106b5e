"""The exit post: one scan, one verdict, full screen, readable from two metres. Green: signed
out, with name, company and time on site; amber: a valid badge this post has not seen yet,
signed out all the same (the logs reconcile when they meet); red: not signed out, and why.
A sound for each, and back to ready by itself."""

from __future__ import annotations

from kivy.properties import NumericProperty, OptionProperty, StringProperty

from kiosk.ui.scanner import ScanDetector
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for
from kiosk.ui.verdicts import colour, duration_text, refusal

load_kv(__file__)

VERDICT_SECONDS = 5
COUNT_EVERY = 10  # seconds between counts of the people in the building


class ExitScreen(KioskScreen):
    state = OptionProperty("ready", options=["ready", "green", "amber", "red"])
    detail = StringProperty("")
    count = NumericProperty(-1)  # -1 until first counted
    organisation = StringProperty("")

    def __init__(self, sounds=None, **kwargs):
        super().__init__(**kwargs)
        self.scanner = ScanDetector()
        self.sounds = sounds
        self._writing: set[str] = set()  # visits whose sign-out is being written
        self._shown = ""  # the visit whose verdict is on screen

    def on_pre_enter(self, *_):
        super().on_pre_enter()
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
            self.show(result, sound=not result.ok)

    def show(self, result, sound: bool = True) -> None:
        self.state = colour(result)
        visit = result.visit
        if result.ok and visit is not None and visit.known:
            parts = [visit.visitor.get("name", ""), visit.visitor.get("company", "")]
            if visit.signed_in_at and result.signed_out_at:
                parts.append(duration_text(round((result.signed_out_at - visit.signed_in_at) / 60_000)))
            self.detail = "   ·   ".join(p for p in parts if p)
        else:
            self.detail = ""
            if not result.ok:
                msgid, values = refusal(result)
                self.tell("detail", msgid, **values)
        if sound and self.sounds is not None:
            self.sounds.play({"green": "ok", "amber": "amber", "red": "refused"}[self.state])
        self.count_people()
        self.later("ready", VERDICT_SECONDS, self.ready)

    def _not_recorded(self, visit_id: str, error: Exception) -> None:
        self._writing.discard(visit_id)
        self.failed(error)

    def failed(self, error: Exception) -> None:
        self.state = "red"
        self.tell("detail", reason_for(error))
        self.later("ready", VERDICT_SECONDS, self.ready)

    def ready(self) -> None:
        self.state = "ready"
        self.detail = ""
        self._shown = ""

    def wipe(self) -> None:
        super().wipe()
        self._writing.clear()
        self.ready()
