"""The touchscreen app: wires the kiosk's services into the screens, locks the window down,
watches for an idle visitor and runs the sync worker beside the UI. Behaviour belongs to the
screens and the flow; this class only puts them together."""

from __future__ import annotations

import signal
import sys
import time
from importlib import import_module
from pathlib import Path
from typing import Callable

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.services import Kiosk
from kiosk.store.staffpin import PinGuard
from kiosk.ui import theme as T
from kiosk.ui.flow import Flow
from kiosk.ui.fonts import register_fonts
from kiosk.ui.camera_scanner import start_camera
from kiosk.ui.evdev_scanner import start_reader
from kiosk.ui.keyboard import OnScreenKeyboard
from kiosk.ui.sounds import Sounds

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

PROMPT_SECONDS = 15  # the "still there?" prompt shows this long before the form is wiped
CONSOLE_LOCK_SECONDS = 300  # an unattended reception console locks itself
# Screens that wipe themselves or hold nothing of a visitor (printing is covered while busy).
_NO_IDLE = {"welcome", "done", "goodbye", "exit"}
HOMES = {"visitor": "welcome", "exit": "exit", "reception": "staff"}  # reception starts locked
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)  # systemctl stop, Ctrl+C
WORKER_JOIN_SECONDS = 1.5  # each background worker's time to finish what it is doing at a stop
# After the home screen appears (a visit ended: Done, the countdown, OK, cancel), or a button
# appears where the finger was (the printing screen's OK), touches are ignored this long: the
# second tap of a double tap on Done, or a tap meant for Done as its countdown ran out, must not
# press the language or large-text button under it on welcome.
TAP_GUARD_SECONDS = 0.8
_ESCAPE, _BACKSPACE, _ENTER, _KEYPAD_ENTER = 27, 8, 13, 271


class KioskRoot(FloatLayout):
    idle_left = NumericProperty(0)  # seconds until the wipe, while the prompt shows
    __events__ = ("on_activity",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keyboard: OnScreenKeyboard | None = None
        self.guarded: Callable[[], bool] = lambda: False  # set by the app: touches are ignored now

    def on_touch_down(self, touch):
        prompting = bool(self.idle_left)
        self.dispatch("on_activity")  # the root is the one widget that sees every touch
        if prompting:  # a tap on "still there?" answers it and presses nothing underneath
            return True
        if self.guarded():  # a tap meant for the screen just left
            return True
        return super().on_touch_down(touch)

    def on_activity(self):
        pass

    def make_keyboard(self) -> OnScreenKeyboard:
        """The shared keyboard, built when a screen first needs it (not for the welcome screen)."""
        if self.keyboard is None:
            self.keyboard = OnScreenKeyboard()
        return self.keyboard

    def show_keyboard(self, shown: bool) -> None:
        if not shown and self.keyboard is None:
            return
        keyboard, body = self.make_keyboard(), self.ids.body
        if shown and keyboard.parent is None:
            body.add_widget(keyboard)
        elif not shown and keyboard.parent is not None:
            body.remove_widget(keyboard)


class KioskApp(App):
    title = "Visitor kiosk"
    use_kivy_settings = False

    def __init__(self, kiosk: Kiosk, *, pin: str, lockdown: bool = True, syncer=None, notifier=None,
                 monotonic: Callable[[], float] = time.monotonic, tap_clock: Callable[[], float] = time.monotonic,
                 **kwargs):
        super().__init__(**kwargs)
        self.monotonic = monotonic  # the idle timer's clock
        self.tap_clock = tap_clock  # the tap guard's (TAP_GUARD_SECONDS)
        self.tap_guard_until = 0.0
        self.kiosk = kiosk
        # One count of wrong PINs for every PIN pad of this device, kept in its data directory.
        self.pin_guard = PinGuard(pin, kiosk.settings.data_path, kiosk.clock)
        self.lockdown = lockdown
        self.syncer = syncer
        # Threads that talk to the outside (server, hosts' channels), started and stopped with the app.
        self.workers = [w for w in (syncer, notifier) if w is not None]
        self.flow: Flow | None = None
        self._threads: list = []
        self._signal_handlers: dict = {}  # what SIGTERM and SIGINT did before the app took them
        self.last_touch = self.monotonic()
        self._idle_check = None

    def build(self):
        settings = self.kiosk.settings
        register_fonts(settings.data_path / "fonts")
        Window.clearcolor = T.BACKGROUND
        root = KioskRoot()
        root.bind(on_activity=lambda _root: self.touched())
        root.guarded = lambda: self.tap_clock() < self.tap_guard_until
        manager = ScreenManager(transition=NoTransition())
        root.ids.body.add_widget(manager, index=len(root.ids.body.children))  # above the keyboard
        self.manager = manager
        self.flow = Flow(self.kiosk, manager, root.make_keyboard, root.show_keyboard, self._screens(),
                         settings.language, home=HOMES[settings.role],
                         verdicts="exit" if settings.role == "exit" else "goodbye")
        self.flow.set_language(settings.language)
        self.flow.go(self.flow.home)
        manager.bind(current=self._screen_changed)
        return root

    def _screen_changed(self, _manager, name: str) -> None:
        if name == self.flow.home:  # a visit ended: see TAP_GUARD_SECONDS
            self.guard_taps()

    def guard_taps(self) -> None:
        """Ignore touches for TAP_GUARD_SECONDS: what is under the finger has just changed."""
        self.tap_guard_until = self.tap_clock() + TAP_GUARD_SECONDS

    def _screens(self) -> dict:
        """How to build each screen on its first visit: (module, class, arguments). A screen's
        module and .kv are loaded then too, so the welcome screen shows sooner."""
        settings = self.kiosk.settings
        screens = {"welcome": ("welcome", "WelcomeScreen", {"organisation": settings.organisation,
                                                            "logo": settings.logo}),
                   "phone": ("entry", "EntryScreen", {"field_name": "phone"}),
                   "who": ("entry", "WhoScreen", {}),
                   "visit": ("purpose", "VisitScreen", {}),
                   "question": ("visitor_type", "QuestionScreen", {}),
                   "host": ("host", "HostScreen", {}),
                   "purpose_other": ("entry", "EntryScreen", {"field_name": "purpose"}),
                   "agreement": ("agreement", "AgreementScreen", {}),
                   "notice": ("notice", "NoticeScreen", {}),
                   "consent": ("consent", "ConsentScreen", {}),
                   "review": ("review", "ReviewScreen", {}),
                   "printing": ("printing", "PrintingScreen", {}),
                   "done": ("done", "DoneScreen", {}),
                   "message": ("entry", "EntryScreen", {"field_name": "message"}),
                   # At the exit post staff reach it through the PIN; at the lobby a typed number asks for it.
                   "signout": ("signout", "SignOutScreen", {"guard": None if settings.role == "exit"
                                                            else self.pin_guard}),
                   "goodbye": ("goodbye", "GoodbyeScreen", {}),
                   "staff": ("staff", "StaffScreen", {"guard": self.pin_guard, "quit_app": self.stop,
                                                      "lookup": settings.role == "exit",
                                                      "unlock_to": "console" if settings.role == "reception" else ""}),
                   "exit": ("exit", "ExitScreen", {"organisation": settings.organisation,
                                                   "sounds": Sounds(settings.data_path / "sounds")}),
                   "console": ("console", "ConsoleScreen", {"syncer": self.syncer})}

        def factory(name, module, cls, kwargs):
            def build():
                screen_class = getattr(import_module(f"kiosk.ui.screens.{module}"), cls)
                return screen_class(name=name, flow=self.flow, **kwargs)
            return build

        return {name: factory(name, *spec) for name, spec in screens.items()}

    def on_start(self):
        Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard,
                    on_textinput=self._on_textinput)
        self._idle_check = Clock.schedule_interval(self._check_idle, 0.5)
        self._threads = [worker.start() for worker in self.workers]
        Window.bind(on_flip=self._ready)  # the first frame drawn: the main loop is running
        settings = self.kiosk.settings
        if settings.scanner:
            start_reader(settings.scanner, self._scanned_elsewhere)
        if settings.camera:
            start_camera(int(settings.camera), self._scanned_elsewhere)
        # A printer that cannot be opened only means no warm-up; printing will say what is wrong.
        self.flow.run_io(self.kiosk.warm_up, lambda _: None, lambda _: None)

    def on_stop(self):
        Window.unbind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard,
                      on_textinput=self._on_textinput, on_flip=self._ready)
        if self._idle_check is not None:
            self._idle_check.cancel()
        for worker in self.workers:
            worker.stop()
        self.manager.current_screen.dispatch("on_leave")  # which stops the screen's timers
        self.flow.shutdown()  # waits for the service call under way: a sign-in is committed whole
        # A worker cut off in a round loses nothing: its transaction rolls back whole and what it
        # was sending stays in the log (or the outbox) for the next start.
        for thread in self._threads:
            thread.join(WORKER_JOIN_SECONDS)
        for signum, handler in self._signal_handlers.items():
            signal.signal(signum, handler)
        self._signal_handlers = {}

    # -- stopping on a signal ---------------------------------------------------------------

    def _ready(self, _window) -> None:
        """At the first frame drawn: stop on SIGTERM and SIGINT from now on, say the app is up."""
        Window.unbind(on_flip=self._ready)
        for signum in STOP_SIGNALS:
            previous = signal.getsignal(signum)
            if previous is not signal.SIG_IGN:  # a background job of a shell keeps ignoring Ctrl+C
                self._signal_handlers[signum] = previous
                signal.signal(signum, self._stop_on_signal)
        width, height = Window.system_size
        # sys.__stderr__: Kivy sends sys.stderr to its log file.
        print(f"kiosk: on screen ({self.kiosk.settings.role}, {width}x{height}, "
              f"{'locked down' if self.lockdown else 'windowed'})", file=sys.__stderr__, flush=True)

    def _stop_on_signal(self, signum, frame) -> None:
        """Leave the main loop, as the staff menu's quit does: Kivy then stops the app
        (on_stop). Only a flag is set here: the handler interrupts the UI thread anywhere, even
        inside the Clock's lock, so it must not schedule or draw anything itself."""
        EventLoop.quit = True

    # -- lockdown ---------------------------------------------------------------------------

    def open_settings(self, *largs):
        return False  # Kivy opens its settings panel on F1: not on a kiosk

    def _on_request_close(self, *args, **kwargs):
        return self.lockdown  # True refuses: only the staff menu quits a locked-down kiosk

    def _on_keyboard(self, window, key, scancode, codepoint, modifiers):
        self.touched()
        screen = self.manager.current_screen
        if key == _ESCAPE:
            return self.lockdown
        if key == _BACKSPACE:
            screen.key_backspace()
            return True
        if key in (_ENTER, _KEYPAD_ENTER):  # a keyboard-wedge scanner ends every scan with one
            screen.key_enter()
            return True
        return False

    def _scanned_elsewhere(self, scan: str) -> None:
        """A scan from the evdev scanner's or the camera's thread, handed to the screen."""
        Clock.schedule_once(lambda dt: self.manager.current_screen.scanned(scan))

    def _on_textinput(self, window, text):
        self.touched()
        self.manager.current_screen.key_text(text)

    # -- idle -------------------------------------------------------------------------------

    def touched(self) -> None:
        self.last_touch = self.monotonic()
        self.root.idle_left = 0

    def _check_idle(self, dt) -> None:
        if self.manager.current == "console":
            if self.monotonic() - self.last_touch > CONSOLE_LOCK_SECONDS:
                self.flow.go("staff")
            return
        if self.manager.current == "welcome" and self.flow.personalised():
            # A visitor who chose a language or large text and walked away: the next one
            # finds the kiosk as it starts.
            if self.monotonic() - self.last_touch > self.kiosk.settings.idle_seconds:
                self.flow.cancel()
            return
        if self.manager.current in _NO_IDLE or self.flow.busy or self.manager.current_screen.keeps_awake:
            self.last_touch = self.monotonic()
            self.root.idle_left = 0
            return
        left = self.kiosk.settings.idle_seconds - (self.monotonic() - self.last_touch)
        if left <= 0:
            self.root.idle_left = 0
            self.flow.cancel()
        elif left <= PROMPT_SECONDS:
            self.root.idle_left = int(left) + 1
