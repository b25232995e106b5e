"""Starting the touchscreen app: Kivy's environment and window configuration must be set
before Kivy is first imported, so this module does that and only then loads the app."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from kiosk.core.pinlock import MAX_DIGITS, MIN_DIGITS
from kiosk.settings import Settings
from kiosk.store.staffpin import NEW, PIN_FILE, load_pin


def configure_kivy(data_dir: Path, *, lockdown: bool) -> None:
    """Kivy settings for a kiosk: its config and logs in the data directory, no command-line
    parsing of our arguments, full screen without decorations when locked down (a window the
    display's size at its corner, so that it covers the screen without a window manager too)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", str(data_dir / "kivy"))
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # SDL turns SIGTERM into a close request, which the lockdown refuses: `systemctl stop` hung.
    # The app stops on SIGTERM and SIGINT itself (KioskApp.on_start); until then they end it.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    # Printing and syncing run on threads; hand the interpreter back to the UI thread more
    # often than the default 5 ms so that frames keep coming while they work.
    sys.setswitchinterval(0.001)
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "multisamples", "0")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")  # no red dots on right clicks
    Config.set("graphics", "fullscreen", "auto" if lockdown else "0")
    Config.set("graphics", "borderless", "1" if lockdown else "0")
    if not lockdown:
        Config.set("graphics", "width", "1280")
        Config.set("graphics", "height", "800")
        return
    from kiosk.ui.display import display_bounds

    bounds = display_bounds()
    if bounds is not None:  # the whole screen even where no window manager makes it full screen
        Config.set("graphics", "position", "custom")
        for key, value in zip(("left", "top", "width", "height"), bounds):
            Config.set("graphics", key, str(value))


def run(settings: Settings, kiosk, *, lockdown: bool) -> None:
    """Run the app until staff quit it (or the process is stopped)."""
    pin, news = load_pin(settings.staff_pin, settings.data_path)
    announce_pin(pin, news, settings.data_path / PIN_FILE, sys.stderr)  # before Kivy takes stderr over
    configure_kivy(settings.data_path, lockdown=lockdown)
    from kiosk.ui.app import KioskApp

    KioskApp(kiosk, pin=pin, lockdown=lockdown, syncer=syncer_for(kiosk), notifier=notifier_for(kiosk)).run()


def announce_pin(pin: str, news: str, path: Path, stream: TextIO) -> None:
    """Tell whoever started the kiosk about a PIN it just chose. The PIN itself only goes to
    a terminal: under systemd stderr is the journal, which more people read than should know
    it, so there the line says where to find it instead."""
    if not news:
        return
    what = ("a staff PIN was chosen" if news == NEW
            else f"the staff PIN in {path} was not {MIN_DIGITS}-{MAX_DIGITS} digits (older versions chose 4) "
                 "and was replaced")
    if stream.isatty():
        told = f"{what}: {pin} (kept in {path})"
    else:
        told = f"{what}; it is not written to this log: read it in {path} (readable by the kiosk's user only)"
    print(f"kiosk: {told}, or set staff_pin (KIOSK_STAFF_PIN) to choose one. "
          "Tap the top-left corner five times to reach the staff menu.", file=stream, flush=True)


def notifier_for(kiosk):
    """The background worker that tells hosts, on devices where visitors sign in or leave notes."""
    if kiosk.settings.role == "exit":
        return None
    from kiosk.notifier import Notifier

    notifier = Notifier(kiosk)
    kiosk.notices_queued = notifier.poke
    return notifier


def syncer_for(kiosk):
    """The background sync worker, when this device has a server to talk to."""
    if not (kiosk.settings.server and kiosk.settings.token):
        return None
    from sync.client import SyncClient
    from sync.worker import Syncer

    return Syncer(kiosk, SyncClient(kiosk.settings.server, kiosk.settings.token))
