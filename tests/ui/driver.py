"""Driving the real touchscreen app in this process, on a real Kivy window under Xvfb:
simulated touches on widgets, typed keys, the Kivy clock pumped, screenshots saved.

Kivy has one window per process; each test gets a fresh app and data directory on it."""

from __future__ import annotations

import time
from pathlib import Path

from kivy.base import EventLoop, runTouchApp
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
PIN = "246813"


class Driver:
    def __init__(self, app):
        self.app = app
        # What the visitor did and saw, for tests/bench/bench_visit_time.py: ("screen", name,
        # texts shown on it), ("key", letter), ("candidate", text), ("commit", text: the first
        # candidate a tap on Next took, looked at, not tapped), ("tap", text), ("drag", ""),
        # ("scan", "") in the order they happened.
        self.record: list[tuple[str, str, list[str]]] = []

    def start(self) -> "Driver":
        self.app._run_prepare()
        runTouchApp(embedded=True)
        self.pump(0.3)
        self.app.manager.bind(current=lambda _m, name: self.record.append(("screen", name, [])))
        self.record.append(("screen", self.screen, []))
        return self

    def _note(self, kind: str, what: str = "") -> None:
        """One action on the current screen; the screen's texts are taken at its first action
        (after the screen filled itself in), the keyboard's keys and candidates left out."""
        for event in reversed(self.record):
            if event[0] == "screen":
                if not event[2]:
                    event[2].extend(self.screen_texts())
                break
        self.record.append((kind, what, []))

    def screen_texts(self) -> list[str]:
        screen = self.current()
        return [w.text for w in screen.walk(restrict=True) if isinstance(getattr(w, "text", None), str) and w.text and _shown(w)]

    def stop(self) -> None:
        self.app.dispatch("on_stop")
        for child in list(Window.children):
            Window.remove_widget(child)
        type(self.app)._running_app = None

    # -- time -------------------------------------------------------------------------------

    def pump(self, seconds: float = 0.1) -> None:
        end = time.monotonic() + seconds
        while True:
            EventLoop.idle()
            if time.monotonic() >= end:
                return

    def wait_for(self, condition, timeout: float = 15.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what or condition}; on screen: {self.screen}")
            EventLoop.idle()
        self.pump(0.05)

    # -- what is shown ----------------------------------------------------------------------

    @property
    def screen(self) -> str:
        return self.app.manager.current

    def current(self):
        return self.app.manager.current_screen

    def find(self, text: str, root=None):
        """The visible button or label whose text is ``text`` (exactly), on the current screen."""
        found = [w for w in (root or self.app.root).walk() if getattr(w, "text", None) == text and _shown(w)]
        if not found:
            raise AssertionError(f"no visible widget says {text!r} on {self.screen}")
        return found[0]

    def texts(self) -> list[str]:
        return [w.text for w in self.app.root.walk() if isinstance(getattr(w, "text", None), str) and w.text and _shown(w)]

    # -- input ------------------------------------------------------------------------------

    def tap(self, target, *, pump: float = 0.05) -> None:
        """A deliberate tap, as a person makes it: not before the screen just shown takes touches
        (kiosk.ui.app.TAP_GUARD_SECONDS; tap_at() is the finger that does not wait)."""
        if self.app.root.guarded():
            self.wait_for(lambda: not self.app.root.guarded(), what="the new screen to take touches")
        widget = self.find(target) if isinstance(target, str) else target
        kind = self._kind_of(widget)
        if kind == "tap" and self._commits():
            self._note("commit", self.app.root.keyboard.candidates[0])  # Next takes it: looked at
        self._note(kind, getattr(widget, "text", ""))
        x, y = widget.to_window(*widget.center)
        self.tap_at(x, y, pump=pump)

    def tap_at(self, x: float, y: float, *, pump: float = 0.05) -> None:
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.pump(0.02)
        touch.touch_up()
        self.pump(pump)

    def _commits(self) -> bool:
        """A tap now (Next, another field) turns the composing letters into their first
        candidate (kiosk.ui.screens.base: ``commits_candidates``)."""
        screen, keyboard = self.current(), self.app.root.keyboard
        return bool(getattr(screen, "commits_candidates", False) and screen.keyboard_mode and keyboard is not None
                    and keyboard.composing and keyboard.candidates)

    def _kind_of(self, widget) -> str:
        keyboard = self.app.root.keyboard
        if keyboard is not None and any(widget is choice for choice in keyboard.ids.choices.children):
            return "candidate"
        if getattr(widget, "key", None) and len(widget.key) == 1:
            return "key"
        return "tap"

    def drag(self, widget, points: list[tuple[float, float]]) -> None:
        """A finger drawn across ``widget`` through points given as fractions of its size."""
        self._note("drag")
        def at(fx, fy):
            return widget.to_window(widget.x + fx * widget.width, widget.y + fy * widget.height)

        touch = UnitTestTouch(*at(*points[0]))
        touch.touch_down()
        for point in points[1:]:
            touch.touch_move(*at(*point))
            EventLoop.idle()
        touch.touch_up()
        self.pump(0.05)

    def type_keys(self, keys: str) -> None:
        """Tap each key of the on-screen keyboard in turn."""
        keyboard = self.app.flow.keyboard
        for key in keys:
            button = next(w for w in keyboard.ids.rows.walk() if getattr(w, "key", None) == key)
            self.tap(button, pump=0.01)

    def physical_keys(self, text: str, *, enter: bool = False) -> None:
        """Characters from a physical keyboard or a keyboard-wedge scanner, then Enter."""
        self._note("scan")
        for char in text:
            Window.dispatch("on_textinput", char)
        if enter:
            Window.dispatch("on_keyboard", 13, 36, "\r", [])
        self.pump(0.05)

    def escape(self) -> bool:
        """Press Escape; True when the app kept running (the key was refused)."""
        return bool(Window.dispatch("on_keyboard", 27, 41, None, []))

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pump(0.1)
        self.app.root.export_to_png(str(path))
        return path


def _shown(widget) -> bool:
    """On screen: visible, and inside the window (panels are swapped by moving them away)."""
    node = widget
    while node is not None and node is not node.parent:
        if getattr(node, "opacity", 1) == 0:
            return False
        node = node.parent
    x, y = widget.to_window(*widget.center)
    return 0 <= x <= Window.width and 0 <= y <= Window.height


def reception_desk(kiosk):
    """A reception desk on the lobby kiosk's log (the tests' stand-in for one that syncs with
    it): only reception may record approvals and the like (kiosk.core.roles)."""
    from dataclasses import replace

    from kiosk.services import Kiosk

    return Kiosk.open(replace(kiosk.settings, role="reception"), kiosk.printer_factory)
