"""Sync under load: three devices catching up after a busy day offline, 100 devices pushing
at once, and a reception desk converging after a network partition heals.

Run: python tests/bench/bench_sync.py

The server runs as its own process on a SQLite file (`kiosk-server serve`), the devices are
real kiosks on their own SQLite files. Catch-up is timed from the reconnect until all three
devices and the server hold the same events; the baseline, measured in the same run, is one
device pushing and pulling nothing (a round trip of an idle sync), so the ratio says how many
idle rounds a busy day costs. Convergence after a partition is timed from the heal until the
desk (its real worker, behind tests/faultproxy.py) holds a visit signed in at a kiosk meanwhile:
once with the back-off drawn at random under its cap, once with the longest one (120 s) drawn just
before the heal, which only the worker's probe cuts short.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

import requests  # noqa: E402

from kiosk.core import events as ev  # noqa: E402
from kiosk.core import tokens  # noqa: E402
from kiosk.core.hosts import Host  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.server import auth  # noqa: E402
from sync.server.db import Database  # noqa: E402
from sync.worker import Syncer  # noqa: E402
from tests.bench.stats import p99  # noqa: E402
from tests.faultproxy import FaultProxy  # noqa: E402
from tests.server_fixtures import ServerProcess  # noqa: E402

EVENTS_PER_DEVICE = 2000
HOST = Host("h1", "李四", "研发部")


def device(tmp: Path, db_url: str, url: str, name: str) -> Syncer:
    token = auth.add_device(Database(db_url), "hq", name, "visitor", int(time.time() * 1000))
    kiosk = Kiosk.open(Settings(data_dir=str(tmp / name), site="hq", device=name), PreviewPrinter(tmp / "p"))
    return Syncer(kiosk, SyncClient(url, token))


def busy_day(syncer: Syncer) -> None:
    for _ in range(EVENTS_PER_DEVICE // 2):
        visit = tokens.new_visit_id()
        syncer.kiosk.log.record((ev.SIGNED_IN, visit, {"visitor": {"name": "张三"}, "host": {"name": "李四"}}),
                                (ev.SIGNED_OUT, visit, {"by": "scan"}))


def catch_up(tmp: Path, db_url: str, url: str) -> tuple[float, float]:
    devices = [device(tmp, db_url, url, f"kiosk-{i}") for i in range(3)]
    for d in devices:
        d.sync_once()
    idle = []
    for _ in range(20):
        start = time.perf_counter()
        devices[0].sync_once()
        idle.append(time.perf_counter() - start)
    for d in devices:
        busy_day(d)
    start = time.perf_counter()
    threads = [threading.Thread(target=d.sync_once) for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in devices:  # a second round pulls what the others pushed meanwhile
        d.sync_once()
    elapsed = time.perf_counter() - start
    counts = {d.kiosk.log.count_events() for d in devices}
    assert counts == {3 * EVENTS_PER_DEVICE}, counts
    return elapsed, statistics.median(idle)


def hundred_devices(tmp: Path, db_url: str, url: str) -> tuple[list[float], int]:
    syncers = [device(tmp, db_url, url, f"pos-{i:03d}") for i in range(100)]
    for s in syncers:
        for _ in range(10):
            visit = tokens.new_visit_id()
            s.kiosk.log.record((ev.SIGNED_IN, visit, {"visitor": {"name": "王五"}, "host": {}}))
    latencies, errors = [], []
    barrier = threading.Barrier(len(syncers))

    def push(s: Syncer) -> None:
        barrier.wait()
        start = time.perf_counter()
        try:
            s._register_key()
            s._push()
            latencies.append(time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(s,)) for s in syncers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(latencies), len(errors)


class _LongestOnce:
    """No wait until the longest back-off can be drawn, then that: the worst case at a heal."""

    @staticmethod
    def uniform(low: float, high: float) -> float:
        return high if high >= 120 else low


def _backed_off(syncer: Syncer, worst: bool, down: FaultProxy) -> threading.Thread:
    """Runs ``syncer``'s worker behind a partition until it has drawn a back-off (the longest,
    when ``worst``) after several failures."""
    drawn = threading.Event()

    def alert(line: str) -> None:
        if "next try in" in line and (not worst or "in 120 s" in line) and line.count("sync failed") and \
                syncer.status.last_error:
            drawn.set()

    thread = threading.Thread(target=syncer.run, kwargs={"alert": alert}, daemon=True)
    down.weights = {"drop": 1.0}
    thread.start()
    drawn.wait(120)
    time.sleep(0.5 if worst else 3)  # the partition lasts a little longer into the wait
    return thread


def converge_after_partition(tmp: Path, db_url: str, url: str, worst: bool, runs: int = 3) -> list[float]:
    figures = []
    for run in range(runs):
        kiosk = device(tmp, db_url, url, f"kiosk-p{int(worst)}{run}")
        with FaultProxy(int(url.rsplit(":", 1)[1])) as proxy:
            desk = device(tmp, db_url, proxy.url, f"desk-p{int(worst)}{run}")
            if worst:
                desk.backoff_max, desk._rnd = 120.0, _LongestOnce()
            desk.sync_once()
            thread = _backed_off(desk, worst, proxy)
            visit = kiosk.kiosk.check_in(name="张三", host=HOST).visit.visit_id
            kiosk.sync_once()
            healed = time.perf_counter()
            proxy.weights = {"pass": 1.0}
            while visit not in {v.visit_id for v in desk.kiosk.on_site()}:
                time.sleep(0.05)
            figures.append(time.perf_counter() - healed)
            desk.stop()
            thread.join(30)
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/server.sqlite3"
        server = ServerProcess(db_url)
        try:
            requests.get(server.url + "/v1/health", timeout=5).raise_for_status()
            elapsed, idle = catch_up(Path(tmp), db_url, server.url)
            print(f"catch-up: 3 devices x {EVENTS_PER_DEVICE} events offline -> all agree in {elapsed:.2f} s "
                  f"(idle sync round {idle * 1000:.1f} ms; ratio {elapsed / idle:.0f}); target under 5 s")
            latencies, errors = hundred_devices(Path(tmp), db_url, server.url)
            p50, high = statistics.median(latencies) * 1000, p99(latencies) * 1000
            print(f"100 devices pushing at once (key + 10 events each): p50 {p50:.0f} ms, p99 {high:.0f} ms, "
                  f"errors {errors}; ratio p50/idle {p50 / (idle * 1000):.0f}; target no errors")
            for worst, what in ((False, "back-off drawn at random (LAN cap 15 s)"),
                                (True, "longest back-off (120 s) drawn just before the heal")):
                figures = converge_after_partition(Path(tmp), db_url, server.url, worst)
                print(f"convergence after a partition heals, {what}: median {statistics.median(figures):.1f} s, "
                      f"max {max(figures):.1f} s over {len(figures)} runs; ratio max/idle round "
                      f"{max(figures) / idle:.0f}; target under 15 s")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
