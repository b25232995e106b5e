"""The desk devices under Xvfb, in this process with the real app: how long an exit post takes
from a scan to its verdict on screen, and how long the reception console's queue refresh holds
the UI thread, each as a fraction of one 60 Hz frame (16.7 ms) and next to baselines measured in
the same run.

Run: python tests/bench/bench_desk.py [--visits N] [--scans N] [--refreshes N] [--kivy-clock C]

Everything runs on an X server started here (Xvfb, 1280x800x24, software GL: every frame drawn is
rendered by Mesa on the CPU, which a GPU would not spend).

1. Exit post (role "exit", the log of bench_checkout.py: 1,000,000 visits, built once into
   /tmp/kiosk-bench-<N>, the post trusting the issuing kiosk's key). Each scan is typed as a
   keyboard-wedge scanner types it: the badge text as on_textinput characters, then Enter
   (on_keyboard 13). Timed from the Enter's dispatch until the ExitScreen's ``state`` turns to
   the verdict, and until the next frame drawn after that (Window on_flip). Valid badges of
   visits in the log (green) and refused ones (already signed out, forged signature). The post
   decides the verdict on the UI thread and writes a green sign-out durably on its worker
   thread: that write is timed too, from Enter until it is on disk. Baselines: the verdict alone
   (Kiosk.verdict, no UI), and one label of the ready exit screen changed from a Clock callback
   until drawn (a frame's work with nothing else to do): the verdict's frame, from its start to
   drawn, over it is the figure to compare between runs (Enter -> frame drawn also holds the
   wait for the frame clock, which depends on when in a frame the scan came). Target: scan to verdict under 0.25 of a frame (median
   and p99).
2. Reception console (role "reception", opened with the PIN, 500 people on site and 100 who
   left today). A refresh as the console does it (ConsoleScreen.refresh: Kiosk.queue on the
   worker, ConsoleScreen.show_queue back on the UI thread through Clock), each after one
   visitor has met their host, so that every refresh has something new to draw. UI-thread
   part: from show_queue's start until the next frame drawn; off-thread part: Kiosk.queue on
   the worker. Baseline: one label of the console changed, until drawn. Target: UI-thread part
   under one frame.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

from kiosk.core import events as ev  # noqa: E402 - pure core: no Kivy before it is configured
from kiosk.core.events import Event, new_id  # noqa: E402
from kiosk.core.tokens import PublicKey  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from tests.bench.bench_checkout import SITE, open_kiosk, scan_of  # noqa: E402
from tests.bench.bench_ui import start_xvfb  # noqa: E402
from tests.bench.stats import p99, timed_each  # noqa: E402

FRAME_MS = 1000 / 60
PIN = "246813"
VERDICTS = ("green", "amber", "red")
BUSY_DAY = 500  # people on site
LEFT_TODAY = 100
WAIT_S = 10  # give up on one sample after this long: something is broken, not slow


# -- the window: frames drawn, the loop pumped -------------------------------------------------

class Frames:
    """Times of every frame begun (the Clock's sleep between frames ends) and of every frame
    drawn (Window on_flip) while alive: what separates a mark from the frame that shows it."""

    def __init__(self):
        from kivy.clock import Clock
        from kivy.core.window import Window

        self.starts: list[float] = []
        self.flips: list[float] = []
        # The UI thread's CPU time at each: a frame's own work, whatever else shares the machine.
        self.cpu: dict[float, float] = {}
        self._clock, self._sleep = Clock, Clock.idle
        Clock.idle = self._timed_sleep  # Clock.tick looks it up on the instance: sleep, then run
        Window.bind(on_flip=self._flip)

    def _timed_sleep(self):
        current = self._sleep()
        self.starts.append(time.perf_counter())
        self.cpu[self.starts[-1]] = time.thread_time()
        return current

    def _flip(self, window) -> None:
        self.flips.append(time.perf_counter())
        self.cpu[self.flips[-1]] = time.thread_time()

    def cpu_ms(self, start: float | None, end: float | None) -> float | None:
        """The UI thread's CPU time between two marks of this recorder, in ms."""
        if start is None or end is None or start not in self.cpu or end not in self.cpu:
            return None
        return (self.cpu[end] - self.cpu[start]) * 1000

    def flip_after(self, moment: float) -> float | None:
        """The first frame drawn after ``moment``, if one has been."""
        return next((t for t in self.flips if t > moment), None)

    def start_after(self, moment: float) -> float | None:
        return next((t for t in self.starts if t > moment), None)

    def stop(self) -> None:
        from kivy.core.window import Window

        del self._clock.idle
        Window.unbind(on_flip=self._flip)


def run_until(condition) -> None:
    """Turn the event loop (one Clock tick, input, draw) until ``condition()`` holds."""
    from kivy.base import EventLoop

    end = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > end:
            raise RuntimeError("timed out: the app did not answer")
        EventLoop.idle()


def drawn_after(frames: Frames, stamps: dict, key: str):
    """A condition: the mark ``key`` is set and a frame was drawn after it."""
    return lambda: key in stamps and frames.flip_after(stamps[key]) is not None


def start_app(kiosk: Kiosk):
    from kiosk.ui.app import KioskApp
    from tests.ui.driver import Driver

    return Driver(KioskApp(kiosk, pin=PIN, lockdown=False)).start()


def timed_on_worker(target, name: str, stamps: dict, start: str, end: str) -> None:
    """Wrap ``target.name`` (looked up at call time by the app) to mark when it runs."""
    real = getattr(target, name)

    def timed(*args):
        stamps[start] = time.perf_counter()
        try:
            return real(*args)
        finally:
            stamps[end] = time.perf_counter()

    setattr(target, name, timed)


def ms(a: float, b: float) -> float:
    return (b - a) * 1000


# -- 1: the exit post ---------------------------------------------------------------------------

def exit_post(data_dir: Path, signer: Kiosk) -> Kiosk:
    """The exit post on the big log, trusting the issuing kiosk's key as sync would make it."""
    post = Kiosk.open(Settings(data_dir=str(data_dir), site=SITE, device="exit-post", role="exit"),
                      PreviewPrinter(data_dir / "paper"))
    key = signer.signer
    post.trust(PublicKey(key.key_id, key.public_key.public_bytes_raw(), SITE, signer.settings.device))
    return post


def forged(scan: str) -> str:
    """The same badge with one character of its signature changed."""
    return scan[:-2] + ("A" if scan[-2] != "A" else "B") + scan[-1]


def scan_texts(signer: Kiosk, visits: list[str]) -> list[str]:
    """Valid badges of these visits, then refused ones: a quarter of them again (already
    signed out), a quarter forged; each part shuffled."""
    valid = [scan_of(signer, v) for v in visits]
    count = len(valid)
    refused = [*valid[: count // 4], *map(forged, valid[count // 4: count // 2])]
    rnd = random.Random(2)
    firsts = valid[:]
    rnd.shuffle(firsts)
    seconds = refused[:]
    rnd.shuffle(seconds)
    return firsts + seconds  # an already-out scan must come after its first scan


def mark_verdict(stamps: dict, state: str) -> None:
    """Bound to the ExitScreen's state: the moment it first turns to a verdict."""
    if state in VERDICTS:
        stamps.setdefault("verdict", time.perf_counter())


def scan_once(driver, screen, frames: Frames, stamps: dict, badge: str) -> dict:
    """Type one badge as a scanner does; the marks of its way to the screen."""
    from kivy.core.window import Window

    stamps.clear()
    for char in badge:
        Window.dispatch("on_textinput", char)
    stamps["enter"] = time.perf_counter()
    Window.dispatch("on_keyboard", 13, 36, "\r", [])
    run_until(drawn_after(frames, stamps, "verdict"))
    run_until(lambda: not driver.app.flow.busy)  # the sign-out written, for a green one
    marks = {**stamps, "flip": frames.flip_after(stamps["verdict"]), "state": screen.state,
             "turn": frames.start_after(stamps["verdict"])}
    marks["cpu"] = frames.cpu_ms(marks["turn"], marks["flip"])
    screen.ready()
    settle(driver)
    return marks


def settle(driver) -> None:
    """Let the head count that every verdict starts finish, then wait a random part of a few
    frames, so that the next scan comes at any point of a frame, as a person's does."""
    run_until(lambda: not driver.app.flow.busy)
    driver.pump(random.uniform(0.02, 0.06))


def measure_exit_post(visits: int, scans: int) -> None:
    data_dir = Path(f"/tmp/kiosk-bench-{visits}")
    signer, ids = open_kiosk(data_dir, visits)
    post = exit_post(data_dir, signer)
    on_site = [v for (v,) in post.log.db.read("SELECT visit_id FROM visits WHERE state = 'waiting'")]
    chosen = random.sample(on_site, scans + 200)
    badges = scan_texts(signer, chosen[:scans])
    spare = [scan_of(signer, v) for v in chosen[scans:]]  # never scanned: verdicts only
    post.verdict(spare[0])  # load the key ring once, as a running post has
    verdict_alone = timed_each(post.verdict, spare)
    head_count = timed_each(lambda _: post.count_in_building(), [None] * 5)
    stamps: dict = {}
    timed_on_worker(post, "check_out", stamps, "work", "worked")
    driver = start_app(post)
    screen = driver.current()
    screen.bind(state=lambda _screen, state: mark_verdict(stamps, state))
    frames = Frames()
    settle(driver)
    try:
        samples = [scan_once(driver, screen, frames, stamps, badge) for badge in badges]
        redrawn = [organisation_changed(driver, screen, frames, stamps, n) for n in range(len(badges) // 3)]
    finally:
        frames.stop()
        driver.stop()
    report_exit_post(len(ids), len(on_site), samples, verdict_alone, head_count, redrawn)


def organisation_changed(driver, screen, frames: Frames, stamps: dict, n: int) -> dict:
    """Baseline: the ready exit screen's organisation label changed from a Clock callback, until drawn."""
    from kivy.clock import Clock

    stamps.clear()

    def change(dt):
        stamps["show"] = time.perf_counter()
        screen.organisation = f"baseline {n}"

    Clock.schedule_once(change)
    run_until(drawn_after(frames, stamps, "show"))
    marks = {**stamps, "flip": frames.flip_after(stamps["show"]), "turn": frames.starts[-1] if frames.starts else None}
    marks["cpu"] = frames.cpu_ms(marks["turn"], marks["flip"])
    settle(driver)
    return marks


def row(label: str, samples_ms: list[float], width: int = 44) -> None:
    med, high = statistics.median(samples_ms), p99(samples_ms)
    print(f"{label:<{width}}{len(samples_ms):>6}{med:>9.2f}{high:>9.2f}{med / FRAME_MS:>9.2f}{high / FRAME_MS:>9.2f}")


def header(title: str, width: int = 44) -> None:
    print(f"\n{title}")
    print(f"{'':<{width}}{'n':>6}{'median':>9}{'p99':>9}{'med/fr':>9}{'p99/fr':>9}   (ms; /fr: of a 16.7 ms frame)")


def report_exit_post(visits, on_site, samples, verdict_alone, head_count, redrawn) -> None:
    header(f"exit post: scan to verdict, {visits:,} visits in the log ({on_site:,} on site)")
    groups = (("all", samples), ("valid (green)", [s for s in samples if s["state"] == "green"]),
              ("refused (red)", [s for s in samples if s["state"] == "red"]))
    for name, group in groups:
        row(f"Enter -> state, {name}", [ms(s["enter"], s["verdict"]) for s in group])
    for name, group in groups:
        row(f"Enter -> frame drawn, {name}", [ms(s["enter"], s["flip"]) for s in group])
    row("Enter -> sign-out on disk (green, worker)", [ms(s["enter"], s["worked"]) for s in groups[1][1]])
    print("baselines:")
    row("  verdict alone (Kiosk.verdict, no UI)", verdict_alone)
    row("  head count (COUNT of the on-site states)", head_count)
    label_drawn = [ms(s["show"], s["flip"]) for s in redrawn]
    row("  one label changed -> frame drawn", label_drawn)
    verdict_frame = [ms(s["turn"], s["flip"]) for s in samples if s["turn"] is not None and s["turn"] < s["flip"]]
    row("the verdict's frame: start -> drawn", verdict_frame)
    print(f"verdict's frame / one label changed (medians): "
          f"{statistics.median(verdict_frame) / statistics.median(label_drawn):.2f}")
    verdict_cpu = [s["cpu"] for s in samples if s["cpu"] is not None]
    label_cpu = [s["cpu"] for s in redrawn if s["cpu"] is not None and s["turn"] < s["show"]]
    row("UI thread CPU: the verdict's frame", verdict_cpu)
    row("UI thread CPU: one label changed's frame", label_cpu)
    print(f"UI thread CPU, verdict's frame / label's frame (medians): "
          f"{statistics.median(verdict_cpu) / statistics.median(label_cpu):.2f}")
    print("target: Enter -> state under 0.25 of a frame (median and p99)")


# -- 2: the reception console -------------------------------------------------------------------

def a_busy_day(kiosk: Kiosk) -> None:
    """500 people on site (signed in over the last hours; some with their host, some waiting
    for approval) and 100 who left today, as another kiosk's events arriving through sync."""
    rnd = random.Random(3)
    now = kiosk.clock()
    events, seq = [], 0

    def add(kind, visit_id, ts, data):
        nonlocal seq
        seq += 1
        events.append(Event(new_id(), SITE, "lobby-1", seq, ts, kind, visit_id, data))

    for n in range(BUSY_DAY + LEFT_TODAY):
        visit_id, ts = f"V{n:07d}", now - rnd.randint(5, 6 * 60) * 60_000
        add(ev.SIGNED_IN, visit_id, ts, {"visitor": {"name": f"张{'伟芳娜敏静'[n % 5]}{n}", "company": "华为技术有限公司"},
                                         "host": {"name": "李四", "department": "研发部"}})
        add(ev.BADGE_ISSUED, visit_id, ts, {"badge_id": f"B{n:07d}", "issued_at": ts, "expires_at": ts + 12 * 3_600_000,
                                            "key_id": "lobby-key"})
        fate = rnd.random()
        if n >= BUSY_DAY:
            add(ev.SIGNED_OUT, visit_id, ts + 60_000, {"by": "scan", "badge_id": f"B{n:07d}"})
        elif fate < 0.3:
            add(ev.HOST_MET, visit_id, ts + 60_000, {})
        elif fate < 0.4:
            add(ev.APPROVAL_REQUESTED, visit_id, ts + 1000, {"why": "contractor"})
    kiosk.log.ingest(events)


def unlocked_console(kiosk: Kiosk):
    """The app on the reception kiosk, opened with the PIN as reception opens it."""
    from kiosk.ui.i18n import tr

    driver = start_app(kiosk)
    driver.type_keys(PIN)
    driver.tap(tr("OK"))
    run_until(lambda: driver.screen == "console" and driver.current().queue is not None)
    return driver


def refresh_once(driver, screen, frames: Frames, stamps: dict, visit_id: str) -> dict:
    """A visitor meets their host, then one refresh of the console, until drawn."""
    driver.app.kiosk.host_met(visit_id)
    stamps.clear()
    screen.refresh()
    run_until(drawn_after(frames, stamps, "shown"))
    marks = {**stamps, "turn": frames.start_after(stamps["shown"]), "flip": frames.flip_after(stamps["shown"])}
    run_until(lambda: not driver.app.flow.busy)
    driver.pump(random.uniform(0.02, 0.06))
    return marks


def label_changed(driver, screen, frames: Frames, stamps: dict, n: int) -> dict:
    """Baseline: one label of the console changed from a Clock callback, until drawn."""
    from kivy.clock import Clock

    stamps.clear()

    def change(dt):
        stamps["show"] = stamps["shown"] = time.perf_counter()
        screen.notice = f"baseline {n}"

    Clock.schedule_once(change)
    run_until(drawn_after(frames, stamps, "shown"))
    marks = {**stamps, "flip": frames.flip_after(stamps["shown"])}
    driver.pump(random.uniform(0.02, 0.06))
    return marks


def measure_console(tmp: Path, refreshes: int) -> None:
    kiosk = Kiosk.open(Settings(data_dir=str(tmp / "desk"), site=SITE, device="desk-1", role="reception"),
                       PreviewPrinter(tmp / "paper"))
    a_busy_day(kiosk)
    stamps: dict = {}
    timed_on_worker(kiosk, "queue", stamps, "query", "queried")
    driver = unlocked_console(kiosk)
    screen = driver.current()
    timed_on_worker(screen, "show_queue", stamps, "show", "shown")
    waiting = [v.visit_id for v in screen.queue.waiting]
    frames = Frames()
    try:
        samples = [refresh_once(driver, screen, frames, stamps, v) for v in waiting[:refreshes]]
        baseline = [label_changed(driver, screen, frames, stamps, n) for n in range(refreshes)]
    finally:
        frames.stop()
        driver.stop()
    queue = kiosk.queue(0)
    header(f"reception console: queue refresh, {queue.in_building} on site, {len(queue.signed_out_today)} left today")
    row("UI thread: show_queue -> frame drawn", [ms(s["show"], s["flip"]) for s in samples])
    row("  show_queue itself", [ms(s["show"], s["shown"]) for s in samples])
    deferred = [s for s in samples if s["turn"] is not None and s["turn"] < s["flip"]]
    print(f"  drawn in a later frame than show_queue ran in: {len(deferred)} of {len(samples)}")
    row("off thread: Kiosk.queue on the worker", [ms(s["query"], s["queried"]) for s in samples])
    row("baseline: one label changed -> drawn", [ms(s["show"], s["flip"]) for s in baseline])
    print("target: UI-thread part under one frame")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1_000_000, help="visits in the exit post's log")
    parser.add_argument("--scans", type=int, default=300, help="valid badges scanned (and half as many refused)")
    parser.add_argument("--refreshes", type=int, default=60, help="console refreshes timed")
    args = parser.parse_args()
    xvfb = start_xvfb()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["KIVY_LOG_MODE"] = "MIXED"  # Kivy would send a failure's traceback to its log file
            from kiosk.ui.launch import configure_kivy

            configure_kivy(Path(tmp), lockdown=False)  # as `kiosk run --windowed` does; Kivy's home in tmp
            measure_exit_post(args.visits, args.scans)
            measure_console(Path(tmp), args.refreshes)
    finally:
        xvfb.terminate()
        xvfb.wait()


if __name__ == "__main__":
    main()
