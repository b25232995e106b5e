"""The central server at scale (issue 18, item 8), on SQLite, printing ratios:

- export: the peak resident memory of `kiosk-server export` (each run its own process) over N
  visits and over 2N, streamed (now) and held whole (the old way: every row in a list, then the
  whole file), and the time of each;
- health: GET /v1/health against a COUNT over the events (what it ran before);
- a sync round's lists with the directory unchanged (2,000 hosts): GET /v1/hosts with the ETag
  of the device's copy (304) against the whole directory, in time and bytes.

Run: python tests/bench/bench_server_scale.py [--events 200000] [--hosts 2000]
(two events a visit: N visits is half the events; the 2N run adds as many again).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

from sync.server import store  # noqa: E402
from sync.server.auth import Device, add_admin, add_device  # noqa: E402
from sync.server.db import Database, events  # noqa: E402
from tests.bench.stats import timed_each  # noqa: E402
from tests.export_fixture import NOW  # noqa: E402
from tests.server_fixtures import ServerProcess  # noqa: E402

_EXPORT = """
import sys
from sync.server import export, store
from sync.server.db import Database

def status(field):  # kB
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

db = Database(sys.argv[1])
store.project_all(db)
open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) from here on
base = status("VmRSS")
rows = store.export_rows(db, None)
if sys.argv[2] == "whole":  # as before: every row in a list, then the whole file in memory
    rows = list(rows)
    data = b"".join(export.render(rows, "csv"))
    size = len(data)
else:
    size = sum(len(piece) for piece in export.render(rows, "csv"))
print(size, status("VmHWM") - base)
"""


def seed(db: Database, visits: int, first: int) -> None:
    """``visits`` visits at 20 sites, each signed in and signed out (two events), pushed as each
    site's kiosk would, in batches of 500, then folded into visits."""
    by_site: dict[str, list[dict]] = {}
    for n in range(first, first + visits):
        site = f"site{n % 20}"
        listed = by_site.setdefault(site, [])
        visit_id = f"{n:016d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ"))
        for kind, data in (("signed_in", {"visitor": {"name": f"访客{n}", "company": "华为技术有限公司", "purpose": "面试"},
                                          "host": {"host_id": "h1", "name": "李四", "department": "研发部"},
                                          "lang": "zh_CN"}),
                           ("signed_out", {"by": "scan"})):
            listed.append({"event_id": f"{2 * n + (kind == 'signed_out') + 1:032x}", "site": site,
                           "device": f"kiosk-{site}", "seq": 2 * n + (kind == "signed_out") + 1,
                           "ts": NOW - 3_600_000 + n % 1000, "kind": kind, "visit_id": visit_id, "data": data})
    for site, listed in by_site.items():
        device = Device(site, f"kiosk-{site}", "visitor")
        for start in range(0, len(listed), 500):
            accepted, *_ = store.push(db, device, listed[start:start + 500], NOW)
            assert len(accepted) == len(listed[start:start + 500])
    store.project_all(db)


def export_run(url: str, how: str) -> tuple[int, int, float]:
    """(bytes, peak RSS growth in KB, seconds) of one export in its own process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _EXPORT, url, how], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    size, grown = map(int, done.stdout.split())
    return size, grown, time.perf_counter() - started


def median_ms(fn, runs: int = 20) -> float:
    return statistics.median(timed_each(lambda _: fn(), range(runs)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--hosts", type=int, default=2000)
    args = parser.parse_args()
    visits = args.events // 2
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/server.sqlite3"
        db = Database(url)
        started = time.perf_counter()
        seed(db, visits, 0)
        print(f"seeded {visits:,} visits ({2 * visits:,} events) in {time.perf_counter() - started:.0f} s")
        small = {how: export_run(url, how) for how in ("stream", "whole")}
        seed(db, visits, visits)
        large = {how: export_run(url, how) for how in ("stream", "whole")}
        print("\nexport (CSV, `kiosk-server export` in its own process; peak RSS growth over the start):")
        print("| how | N bytes | N MB | 2N MB | 2N / N memory | N s | 2N s |")
        print("|---|---|---|---|---|---|---|")
        for how in ("stream", "whole"):
            (size, grown, took), (_, grown2, took2) = small[how], large[how]
            print(f"| {how} | {size:,} | {grown / 1024:.1f} | {grown2 / 1024:.1f} | {grown2 / max(grown, 1):.2f} "
                  f"| {took:.1f} | {took2:.1f} |")
        print(f"streamed / whole memory at 2N: {large['stream'][1] / large['whole'][1]:.3f}")

        store.replace_hosts(db, store.checked_hosts(
            {"name": f"员工{n}", "department": "研发部", "email": f"e{n}@example.com", "phone": "13800000000"}
            for n in range(args.hosts)))
        token = add_device(db, "site0", "lobby", "visitor", NOW)
        add_admin(db, "ops", NOW)
        db.close()
        server = ServerProcess(url)
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            health = median_ms(lambda: session.get(server.url + "/v1/health", timeout=60).raise_for_status())
            db = Database(url)
            with db.read() as conn:
                count = median_ms(lambda: conn.execute(sa.select(sa.func.count()).select_from(events)).scalar(), 5)
            newest = median_ms(lambda: store.count_events(db))
            db.close()
            print(f"\nhealth at {4 * visits:,} events: {health:.2f} ms a request; its query alone (the newest "
                  f"event's number) {newest:.3f} ms; the COUNT it ran before {count:.1f} ms (COUNT / now "
                  f"{count / newest:.0f}x)")
            whole = session.get(server.url + "/v1/hosts", timeout=60)
            etag = whole.headers["ETag"]
            full_ms = median_ms(lambda: session.get(server.url + "/v1/hosts", timeout=60).raise_for_status())
            same_ms = median_ms(lambda: session.get(server.url + "/v1/hosts", headers={"If-None-Match": etag},
                                                    timeout=60))
            unchanged = session.get(server.url + "/v1/hosts", headers={"If-None-Match": etag}, timeout=60)
            assert unchanged.status_code == 304
            print(f"\ndirectory of {args.hosts:,} hosts: whole {full_ms:.1f} ms and {len(whole.content):,} bytes; "
                  f"unchanged (304) {same_ms:.2f} ms and {len(unchanged.content)} bytes (ratio {same_ms / full_ms:.3f})")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
