"""The touchscreen app: how fast it starts, how much memory it holds, and whether its frames
keep coming while a badge prints, each next to a baseline measured in the same run.

Run: python tests/bench/bench_ui.py [--runs N] [--prints N]

Everything runs on an X server started here (Xvfb, 1280x800x24, software GL).

1. Cold start: ``kiosk run --windowed`` (the real command, settings from the environment) in
   a fresh process, from spawn until the first frame drawn after the app's root widget is in
   the window (the first Window on_flip after on_start), against a bare Kivy "hello world" (an
   App whose build returns a Label) started the same way. Runs alternate, medians compared.
   The kiosk's data directory is warmed by one unmeasured start first: a kiosk extracts its
   fonts and creates its database and keys once per data directory, not on every start.
   Target: kiosk / hello world under 1.5.
2. Resident memory (VmRSS) at that first frame and after 2 s idle, kiosk / hello world.
   Target: under 1.5.
3. Frame gaps while a badge prints to a slow printer (the virtual printer in its own process,
   as a real printer would be, taking ~1.5 s for the badge's 74 kB): the app runs in this
   process, the check-in is submitted through the flow as the review screen does, and every
   Clock frame (a turn of the event loop) and every Window flip (a frame drawn) is timed until
   the done screen. Baselines, each as long as the longest print: the idle welcome screen
   (nothing to draw), and the printing screen's spinner with no print behind it (the same
   drawing, no I/O: under Xvfb every drawn frame is rendered by Mesa in software, tens of ms
   that a GPU would not spend). The first print after start is shown on its own: it is the
   first visitor's of the day. Target: longest gap under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

from kiosk.core.hosts import Host  # noqa: E402 - pure core: no Kivy before it is configured
from tests.bench.bench_printing import virtual_printer  # noqa: E402
from tests.bench.stats import p99  # noqa: E402

WIDTH, HEIGHT = 1280, 800
PIN = "246813"
HOST = Host("h-lisi", "李四", "研发部", "lisi@example.com")
PROFILE = "TM-T20II"
BADGE_BYTES_PER_SECOND = 50000  # a TM-T20II badge is ~74 kB on the wire: ~2.5 s of printing
IDLE_SECONDS = 2

# What each measured process runs (python -c CHILD MODE). It reports on stdout, on CLOCK_MONOTONIC
# which all processes share, so the parent subtracts its own spawn time. Kept to the standard
# library so that it adds nothing to either side of the comparison.
CHILD = f"""
import os, sys, time

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

def report(what):
    print(what, time.monotonic(), rss_mb(), flush=True)

def on_start(app):
    from kivy.clock import Clock
    from kivy.core.window import Window

    def first_flip(window):  # the first frame drawn with the root widget in the window
        Window.unbind(on_flip=first_flip)
        report("frame")
        Clock.schedule_once(lambda dt: (report("idle"), os._exit(0)), {IDLE_SECONDS})

    Window.bind(on_flip=first_flip)

def report_first_frame():
    from kivy.app import App

    run = App.run
    def run_reporting(self):
        self.bind(on_start=on_start)
        run(self)
    App.run = run_reporting

if sys.argv[1] == "hello":
    report_first_frame()
    from kivy.config import Config
    Config.set("graphics", "width", "{WIDTH}")
    Config.set("graphics", "height", "{HEIGHT}")
    from kivy.app import App
    from kivy.uix.label import Label

    class Hello(App):
        kv_file = "hello.kv"  # none: Kivy would look for it beside the source file, and -c has none

        def build(self):
            return Label(text="hello world")

    Hello().run()
else:
    import kiosk.ui.launch as launch  # hooked once Kivy is configured, as the command does it
    configure = launch.configure_kivy
    launch.configure_kivy = lambda *args, **kwargs: (configure(*args, **kwargs), report_first_frame())
    from kiosk.cli import main
    sys.exit(main(["run", "--windowed"]))
"""


# -- shared: an X server and a printer ----------------------------------------------------------

def start_xvfb() -> subprocess.Popen:
    """An X server on a free display (Xvfb picks it and tells us), set as DISPLAY."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{WIDTH}x{HEIGHT}x24",
                               "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        os.environ["DISPLAY"] = ":" + fh.readline().strip()
    return server


@contextmanager
def printer_process(out: Path, *extra: str):
    with virtual_printer(out, *extra) as port:
        yield f"network://127.0.0.1:{port}?profile={PROFILE}&timeout=10"


# -- 1 and 2: cold start and memory -------------------------------------------------------------

def start_once(mode: str, env: dict[str, str]) -> dict[str, float]:
    """Spawn one app; seconds from spawn to its first frame, and its RSS (MB) then and idle."""
    spawned = time.monotonic()
    child = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    reports = {}
    for line in child.stdout.splitlines():
        what, at, rss = line.split()
        reports[what] = (float(at), float(rss))
    if "idle" not in reports:
        raise RuntimeError(f"the {mode} app did not report a frame:\n{child.stderr[-3000:]}")
    return {"start": reports["frame"][0] - spawned, "rss": reports["frame"][1], "rss_idle": reports["idle"][1]}


def start_envs(tmp: Path, printer_url: str) -> dict[str, dict[str, str]]:
    """The environment of each app: Kivy quiet and its own KIVY_HOME; the kiosk's settings."""
    base = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}
    return {"hello": {**base, "KIVY_HOME": str(tmp / "hello-kivy")},
            "kiosk": {**base, "KIOSK_DATA_DIR": str(tmp / "kiosk-data"), "KIOSK_PRINTER": printer_url,
                      "KIOSK_STAFF_PIN": PIN}}


def cold_starts(runs: int) -> dict[str, list[dict[str, float]]]:
    """``runs`` alternating starts of each app, after one unmeasured start of each (which
    warms the kiosk's data directory, Kivy's config and the page cache)."""
    with tempfile.TemporaryDirectory() as tmp, printer_process(Path(tmp) / "paper") as url:
        envs = start_envs(Path(tmp), url)
        for mode, env in envs.items():
            start_once(mode, env)
        samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in envs}
        for _ in range(runs):
            for mode, env in envs.items():
                samples[mode].append(start_once(mode, env))
        return samples


def report_starts(samples: dict[str, list[dict[str, float]]]) -> None:
    def median(mode, key):
        return statistics.median(s[key] for s in samples[mode])

    runs = len(samples["kiosk"])
    print(f"cold start to the first frame, {runs} alternating runs each, medians (min-max)")
    print(f"{'app':<12}{'start ms':>10}{'range':>14}{'RSS MB':>9}{f'after {IDLE_SECONDS} s':>10}")
    for mode in ("hello", "kiosk"):
        starts = [s["start"] * 1000 for s in samples[mode]]
        print(f"{mode:<12}{median(mode, 'start') * 1000:>10.0f}{f'{min(starts):.0f}-{max(starts):.0f}':>14}"
              f"{median(mode, 'rss'):>9.1f}{median(mode, 'rss_idle'):>10.1f}")
    print(f"{'ratio':<12}{median('kiosk', 'start') / median('hello', 'start'):>10.2f}{'':>14}"
          f"{median('kiosk', 'rss') / median('hello', 'rss'):>9.2f}"
          f"{median('kiosk', 'rss_idle') / median('hello', 'rss_idle'):>10.2f}")
    print("target: start ratio under 1.5, memory ratio under 1.5")


# -- 3: frame gaps while printing ---------------------------------------------------------------

class FrameTimes:
    """Timestamps of every Clock frame (one per turn of the event loop, drawn or not) and of
    every Window flip (a frame drawn), while recording."""

    def __init__(self):
        from kivy.clock import Clock
        from kivy.core.window import Window

        self.ticks: list[float] = []
        self.flips: list[float] = []
        self._tick = Clock.schedule_interval(lambda dt: self.ticks.append(time.perf_counter()), 0)
        self._window = Window
        Window.bind(on_flip=self._flip)

    def _flip(self, window):
        self.flips.append(time.perf_counter())

    def stop(self) -> "FrameTimes":
        self._tick.cancel()
        self._window.unbind(on_flip=self._flip)
        return self


def gaps_ms(times: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in zip(times, times[1:])]


def start_app(data: Path, printer_url: str):
    """The kiosk app on this process's window, configured as ``kiosk run --windowed`` does
    (the kiosk opened first: that creates the data directory Kivy keeps its config in)."""
    from kiosk.services import Kiosk
    from kiosk.settings import Settings
    from kiosk.ui.launch import configure_kivy
    from printer.device import open_printer

    settings = Settings(data_dir=str(data), site="hq", device="bench", printer=printer_url)
    kiosk = Kiosk.open(settings, lambda: open_printer(printer_url))
    kiosk.import_hosts([HOST])
    os.environ["KIVY_LOG_MODE"] = "MIXED"  # Kivy would send a failure's traceback to its log file
    configure_kivy(data, lockdown=False)
    from kiosk.ui.app import KioskApp
    from tests.ui.driver import Driver

    return Driver(KioskApp(kiosk, pin=PIN, lockdown=False)).start()


def print_badge(driver, number: int) -> tuple[float, FrameTimes]:
    """Submit a check-in as the review screen does; seconds until the done screen, and the frames."""
    flow = driver.app.flow
    flow.start_sign_in()
    flow.form.phone, flow.form.name, flow.form.company = "13812345678", f"张三{number}", "华为技术有限公司"
    flow.form.host, flow.form.purpose = HOST, "Meeting"
    driver.pump(0.2)
    frames = FrameTimes()
    start = time.perf_counter()
    flow.submit()
    driver.wait_for(lambda: driver.screen in ("done", "printing") and not flow.busy, timeout=30)
    elapsed = time.perf_counter() - start
    frames.stop()
    if driver.screen != "done":
        raise RuntimeError(f"the badge did not print: {flow.last_check_in and flow.last_check_in.print_error}")
    flow.cancel()
    driver.pump(0.5)
    return elapsed, frames


def idle_frames(driver, seconds: float) -> FrameTimes:
    frames = FrameTimes()
    driver.pump(seconds)
    return frames.stop()


def spinner_frames(driver, seconds: float) -> FrameTimes:
    """The printing screen as a print starts it, with no print behind it."""
    flow = driver.app.flow
    flow.go("printing")
    flow.manager.get_screen("printing").start()
    frames = idle_frames(driver, seconds)
    flow.cancel()
    driver.pump(0.5)
    return frames


def frame_gap_row(label: str, seconds: float, frames: FrameTimes) -> None:
    ticks, flips = gaps_ms(frames.ticks), gaps_ms(frames.flips)
    flip_max = f"{max(flips):.1f}" if flips else "-"
    print(f"{label:<22}{seconds:>6.2f}{len(ticks):>8}{max(ticks):>10.1f}{p99(ticks):>9.1f}"
          f"{statistics.median(ticks):>9.1f}{len(flips):>8}{flip_max:>10}")


def frame_gaps(prints: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            printer_process(Path(tmp) / "paper", "--bytes-per-second", str(BADGE_BYTES_PER_SECOND)) as url:
        driver = start_app(Path(tmp) / "data", url)
        driver.pump(1.0)  # let the start settle: the welcome screen as a visitor finds it
        badges = [print_badge(driver, i) for i in range(prints)]
        longest = max(seconds for seconds, _ in badges)
        baselines = [("idle welcome (base)", idle_frames(driver, longest)),
                     ("spinner alone (base)", spinner_frames(driver, longest))]
        driver.stop()
    print(f"\nframe gaps while a badge prints at {BADGE_BYTES_PER_SECOND} B/s ({PROFILE}), ms")
    print(f"{'':<22}{'s':>6}{'frames':>8}{'max gap':>10}{'p99':>9}{'median':>9}{'flips':>8}{'max flip':>10}")
    for label, frames in baselines:
        frame_gap_row(label, longest, frames)
    for i, (seconds, frames) in enumerate(badges, 1):
        frame_gap_row(f"print {i}" + (" (first)" if i == 1 else ""), seconds, frames)
    print("frames: Clock frames (every turn of the event loop); flips: frames drawn; max flip: longest")
    print("time without a frame drawn (only changes are drawn: none on an idle welcome screen)")
    print("target: max gap under 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7, help="cold starts of each app")
    parser.add_argument("--prints", type=int, default=3, help="badges printed while frames are timed")
    args = parser.parse_args()
    xvfb = start_xvfb()
    try:
        report_starts(cold_starts(args.runs))
        frame_gaps(args.prints)
    finally:
        xvfb.terminate()
        xvfb.wait()


if __name__ == "__main__":
    main()
