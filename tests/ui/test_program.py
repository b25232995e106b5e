"""`kiosk run` as the program an operator starts and stops: the real command in its own
process, locked down (not --windowed), on an X server of its own with no window manager, as
`xinit` starts a kiosk.

- It ends on SIGTERM (`systemctl stop`) and SIGINT (Ctrl+C) within 5 s, the bound the issue
  sets (before, SDL turned SIGTERM into a close request that the lockdown refused, and it
  never ended), with status 0: a stop that was asked for and done whole, as the staff menu's
  quit, and what systemd counts as clean. The log is intact afterwards, with every visit
  signed in before and during the run.
- Its window covers the whole screen: before, with no window manager to honour SDL's full-screen
  request, it stayed 800x600 in the middle, with the layout laid out for the display and cut.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from PIL import ImageGrab

from kiosk.core.visits import WAITING
from kiosk.services import DB_FILE
from tests.ui.driver import PIN, SCREENSHOTS
from tests.ui.xvfb import start_xvfb

ROOT = Path(__file__).resolve().parents[2]
STOP_SECONDS = 5  # the bound on stopping
START_SECONDS = 120  # a cold start on a loaded machine is slow; only a hang should fail here


@pytest.fixture
def start():
    """Starts `kiosk run ARGS`; whatever a failed test left running is killed at the end."""
    started: list[Running] = []

    def start_kiosk(env: dict[str, str], *args: str) -> Running:
        started.append(Running(env, *args))
        return started[-1]

    yield start_kiosk
    for app in started:
        if app.process.poll() is None:
            app.process.kill()
            app.process.wait()


@pytest.fixture
def screen(request):
    """An X server of the requested size with nothing else on it (no window manager)."""
    width, height = getattr(request, "param", (1366, 768))
    server, display = start_xvfb(width, height)
    yield display, width, height
    server.terminate()
    server.wait()


def kiosk_env(data_dir: Path, display: str) -> dict[str, str]:
    """The environment an operator's `kiosk run` has: none of the test session's Kivy settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "KIOSK_"))}
    return {**env, "DISPLAY": display, "KIOSK_DATA_DIR": str(data_dir), "KIOSK_STAFF_PIN": PIN,
            "KIOSK_SITE": "hq", "KIOSK_DEVICE": "lobby-1"}


def kiosk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def check_in(env: dict[str, str], name: str) -> str:
    done = kiosk(env, "checkin", "--name", name, "--host", "李四", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["visit_id"]


class Running:
    """`kiosk run ARGS` in its own process, its stderr read line by line on a thread."""

    def __init__(self, env: dict[str, str], *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "kiosk", "run", *args], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.said: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put("")  # end of output: the process has gone

    def wait_on_screen(self) -> str:
        """The line the app says once its first frame is drawn and it answers signals."""
        while True:
            try:
                line = self.lines.get(timeout=START_SECONDS)
            except queue.Empty:
                raise AssertionError(f"kiosk run said nothing for {START_SECONDS} s: {self.said}") from None
            self.said.append(line)
            if line.startswith("kiosk: on screen"):
                return line.strip()
            if not line:
                raise AssertionError(f"kiosk run ended before its first frame: {''.join(self.said)}")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(STOP_SECONDS)

    def errors(self) -> str:
        self.process.wait()
        self._reader.join()
        while not self.lines.empty():
            self.said.append(self.lines.get())
        return "".join(line for line in self.said if "Traceback" in line or "Error" in line)


def visits_in_log(data_dir: Path) -> dict[str, str]:
    """Opened afterwards as anyone would open the file: intact, and the visits in it."""
    with closing(sqlite3.connect(data_dir / DB_FILE)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return dict(db.execute("SELECT visit_id, state FROM visits"))


@pytest.mark.parametrize(("role", "signum"), [("visitor", signal.SIGTERM), ("reception", signal.SIGTERM),
                                              ("exit", signal.SIGTERM), ("visitor", signal.SIGINT),
                                              ("exit", signal.SIGINT)])
def test_a_signal_stops_the_locked_down_app_at_once_and_loses_nothing(tmp_path, screen, start, role, signum):
    display, _, _ = screen
    env = kiosk_env(tmp_path / "data", display)
    before = check_in(env, "张三")
    app = start(env, "--role", role)
    app.wait_on_screen()
    during = check_in(env, "王五")  # another process writes the log while the app has it open

    try:
        status = app.stop(signum)
    except subprocess.TimeoutExpired:
        pytest.fail(f"kiosk run --role {role} was still running {STOP_SECONDS} s after {signum.name}")

    assert status == 0, app.errors()
    assert app.errors() == ""
    visits = visits_in_log(tmp_path / "data")
    assert {before, during} <= visits.keys()
    assert visits[before] == visits[during] == WAITING


def first_picture(display: str):
    """The whole screen (the root window) once the app's first frame shows in its middle."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        shot = ImageGrab.grab(xdisplay=display).convert("RGB")
        if shot.getpixel((shot.width // 2, shot.height // 2)) != (0, 0, 0) or time.monotonic() > deadline:
            return shot
        time.sleep(0.2)


@pytest.mark.parametrize("screen", [(1366, 768), (1920, 1080)], indirect=True, ids=["1366x768", "1920x1080"])
def test_full_screen_covers_a_bare_x_server(tmp_path, screen, start):
    display, width, height = screen
    app = start(kiosk_env(tmp_path / "data", display))
    said = app.wait_on_screen()

    shot = first_picture(display)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot.save(SCREENSHOTS / f"program-full-screen-{width}x{height}.png")
    assert app.stop(signal.SIGTERM) == 0

    assert f"{width}x{height}, locked down" in said  # the app lays itself out for the whole screen
    assert shot.size == (width, height)
    pixels = shot.load()
    frame = [(x, y) for x in range(width) for y in (0, height - 1)] + \
            [(x, y) for y in range(height) for x in (0, width - 1)]
    root_showing = [point for point in frame if pixels[point] == (0, 0, 0)]
    assert not root_showing, f"the black root window shows at {root_showing[:5]}...: the window does not cover it"
