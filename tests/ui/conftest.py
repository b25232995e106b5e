"""The touchscreen under test: a real X server (Xvfb, started here), a real Kivy window, a
real kiosk on a fresh data directory printing to a virtual network printer.

Kivy reads its environment once, at first import, so the X server is started and the
environment set when this file is imported, before any test module imports Kivy."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
import pytest

from kiosk.settings import Settings
from printer.device import open_printer
from printer.virtual import VirtualPrinter
from tests.ui.xvfb import start_xvfb

WIDTH, HEIGHT = 1280, 800


def _start_xvfb() -> subprocess.Popen | None:
    if shutil.which("Xvfb") is None:
        return None
    server, os.environ["DISPLAY"] = start_xvfb(WIDTH, HEIGHT)
    return server


_XVFB = _start_xvfb()
if _XVFB is not None:
    atexit.register(_XVFB.terminate)
os.environ.update({"KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1",
                   "KIVY_HOME": tempfile.mkdtemp(prefix="kivy-home-")})
if _XVFB is None:
    pytest.skip("Xvfb is not installed (apt-get install xvfb)", allow_module_level=True)

from kiosk.ui.launch import configure_kivy  # noqa: E402 - after the environment above

configure_kivy(Path(os.environ["KIVY_HOME"]), lockdown=False)  # as `kiosk run --windowed` does

from kiosk.services import Kiosk  # noqa: E402
from kiosk.ui.app import KioskApp  # noqa: E402
from tests.ui.driver import PIN, Driver  # noqa: E402



@pytest.fixture
def virtual_printer(tmp_path):
    with VirtualPrinter(tmp_path / "paper") as printer:
        yield printer


@pytest.fixture
def make_kiosk(tmp_path, virtual_printer):
    def make(**overrides) -> Kiosk:
        url = f"network://127.0.0.1:{virtual_printer.port}?profile=TM-T20II&timeout=10"
        settings = Settings(**{"data_dir": str(tmp_path / "data"), "site": "hq", "device": "lobby-1",
                               "printer": url, "organisation": "星河科技 Galaxy Tech",
                               "logo": str(Path(__file__).with_name("logo.png")), **overrides})
        return Kiosk.open(settings, lambda: open_printer(settings.printer_url))

    return make


@pytest.fixture
def drive(make_kiosk):
    """Start the app on a kiosk (made with ``make_kiosk`` settings overrides) and drive it."""
    started: list[Driver] = []

    def start(kiosk: Kiosk | None = None, **overrides) -> Driver:
        driver = Driver(KioskApp(kiosk or make_kiosk(**overrides), pin=PIN)).start()
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.stop()
