"""Bounded work per device: what one long visit costs a fresh device and the server, and what
the rate limit costs an honest device catching up.

Run: python tests/bench/bench_bounded.py [--normal VISITS] [--long N ...] [--catch-up EVENTS] [--parts 1 2 3]

1. A fresh device syncs a site of normal visits (8 events each) plus one visit of N events
   (N = 0, the cap, and past the cap as a visit stored before there was one), from
   `kiosk-server serve` in its own process on SQLite. "Before" is the log folding each touched
   visit from all its events on every page, as it did (kiosk.store.log.OPEN_FOLDS = 0: no fold
   kept); "after" keeps the fold. Ratios: before / after, and each against N = 0 in the same run.
2. The server's projection of one new event of that visit, in process on SQLite: the time it
   holds the site's write lock (store.project), against one new event of a normal visit; and
   of one new event to each of many visits at the cap, in one transaction as before and within
   bounds.PROJECT_BUDGET now.
3. A device with EVENTS of its own to push after a week offline, to the server with its default
   rate limits against the same server with none (kiosk-server serve --push-rate off).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

import kiosk.store.log as device_log  # noqa: E402
from kiosk.core import events as ev  # noqa: E402
from kiosk.core.events import new_id  # noqa: E402
from kiosk.core.tokens import new_badge_id, new_visit_id  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.protocol import MAX_VISIT_EVENTS  # noqa: E402
from sync.server import bounds, store  # noqa: E402
from sync.server.auth import add_device  # noqa: E402
from sync.server.db import Database, events  # noqa: E402
from sync.worker import Syncer  # noqa: E402
from tests.server_fixtures import ServerProcess  # noqa: E402

PERSON = {"visitor": {"name": "张三", "company": "华为技术有限公司", "phone": "13800000001",
                      "purpose": "面试"},
          "host": {"host_id": "a1b2c3d4e5f6", "name": "李四", "department": "研发部"}, "lang": "zh_CN"}
NOW = time.time_ns() // 1_000_000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def normal_visit(seq: int, ts: int) -> list[dict]:
    """A visit as a kiosk writes it: sign-in, badge, print, two notices, host met, sign-out, rating."""
    visit, badge = new_visit_id(), new_badge_id()
    specs = [(ev.SIGNED_IN, PERSON),
             (ev.BADGE_ISSUED, {"badge_id": badge, "issued_at": ts, "expires_at": ts + 8 * 3_600_000}),
             (ev.BADGE_PRINTED, {"badge_id": badge}),
             (ev.HOST_NOTIFIED, {"channel": "email smtp.example.com"}),
             (ev.HOST_NOTIFIED, {"channel": "wecom qyapi.weixin.qq.com"}),
             (ev.HOST_MET, {}), (ev.SIGNED_OUT, {"by": "scan", "badge_id": badge}), (ev.RATED, {"rating": 5})]
    return [_event(seq + i, ts + i, kind, visit, data) for i, (kind, data) in enumerate(specs)]


def long_visit(seq: int, ts: int, count: int) -> list[dict]:
    visit = new_visit_id()
    return [_event(seq, ts, ev.SIGNED_IN, visit, PERSON)] + [
        _event(seq + i, ts + i, ev.MESSAGE_LEFT, visit, {"text": f"留言 {i}"}) for i in range(1, count)]


def _event(seq: int, ts: int, kind: str, visit: str, data: dict) -> dict:
    return {"event_id": new_id(), "site": "hq", "device": "kiosk-a", "seq": seq, "ts": ts, "kind": kind,
            "visit_id": visit, "data": data}


def site(normal: int, long: int) -> list[dict]:
    """``normal`` visits, then one of ``long`` events (none for 0), in the order they were pushed."""
    out: list[dict] = []
    ts = NOW - 7 * 86_400_000
    for _ in range(normal):
        out += normal_visit(len(out) + 1, ts + len(out))
    if long:
        out += long_visit(len(out) + 1, ts + len(out), long)
    return out


def stored(db_url: str, rows: list[dict], project: bool = True) -> None:
    """Straight into the server's database: a visit past the cap can only be one stored before it.
    With ``project``, the visits folded as the server would (slow for a visit past the cap)."""
    with closing(Database(db_url)) as db:
        table = [{**e, "data": json.dumps(e["data"], ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                  "received_at": now_ms()} for e in rows]
        for start in range(0, len(table), 5000):
            with db.write() as conn:
                conn.execute(events.insert(), table[start:start + 5000])
        if project:
            store.project_all(db, "hq")


def fresh_device(tmp: Path, db_url: str, url: str, name: str) -> Syncer:
    with closing(Database(db_url)) as db:
        token = add_device(db, "hq", name, "visitor", now_ms())
    kiosk = Kiosk.open(Settings(data_dir=str(tmp / name), site="hq", device=name), PreviewPrinter(tmp / "p"))
    return Syncer(kiosk, SyncClient(url, token, timeout=(3.05, 120)))


def timed_sync(tmp: Path, db_url: str, url: str, name: str, keep_folds: bool, expected: int) -> float:
    device_log.OPEN_FOLDS = 256 if keep_folds else 0
    syncer = fresh_device(tmp, db_url, url, name)
    start = time.perf_counter()
    syncer.sync_once()
    elapsed = time.perf_counter() - start
    assert syncer.kiosk.log.count_events() == expected
    syncer.kiosk.log.db.close()
    return elapsed


def device_sync(normal: int, longs: list[int], before_up_to: int) -> None:
    print(f"\n1. fresh device syncing {normal:,} normal visits ({normal * 8:,} events) and one visit of N events")
    print(f"{'N':>8}{'before s':>10}{'after s':>10}{'before/after':>14}{'after / N=0':>13}")
    base = None
    for n in [0, *longs]:
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            db_url = f"sqlite:///{tmp}/server.sqlite3"
            rows = site(normal, n)
            stored(db_url, rows, project=False)  # a pull does not need the server's visits
            server = ServerProcess(db_url, "--pull-rate", "off")
            try:
                runs = 3 if n <= 20_000 else 1  # alternating, medians
                afters, befores = [], []
                for i in range(runs):
                    afters.append(timed_sync(Path(tmp), db_url, server.url, f"after-{i}", True, len(rows)))
                    if n <= before_up_to:
                        befores.append(timed_sync(Path(tmp), db_url, server.url, f"before-{i}", False, len(rows)))
                after = statistics.median(afters)
                before = statistics.median(befores) if befores else None
            finally:
                server.stop()
        base = base or after
        shown = f"{before:>10.2f}{before / after:>14.1f}" if before is not None else f"{'(not run)':>10}{'':>14}"
        print(f"{n:>8,}{shown[:10]}{after:>10.2f}{shown[10:]}{after / base:>13.2f}")
    device_log.OPEN_FOLDS = 256


def projection(longs: list[int]) -> None:
    print("\n2. server projection of one new event: the site's write lock held (store.project), median of 15")
    print(f"{'visit of':>10}{'ms':>10}{'/ normal visit':>16}")
    base = None
    for n in [8, *longs]:
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            db_url = f"sqlite:///{tmp}/server.sqlite3"
            rows = site(200, 0) + (long_visit(10**6, NOW - 3_600_000, n) if n > 8 else [])
            stored(db_url, rows)
            visit = rows[-1]["visit_id"]
            with closing(Database(db_url)) as db:
                samples = []
                for i in range(15):
                    extra = _event(2 * 10**6 + i, NOW + i, ev.MESSAGE_LEFT, visit, {"text": "再来"})
                    stored_rows = [{**extra, "data": json.dumps(extra["data"]), "received_at": now_ms()}]
                    with db.write() as conn:
                        conn.execute(events.insert(), stored_rows)
                    start = time.perf_counter()
                    store.project(db, "hq")
                    samples.append((time.perf_counter() - start) * 1000)
        median = statistics.median(samples)
        base = base or median
        print(f"{n:>10,}{median:>10.2f}{median / base:>16.1f}")


def many_full_visits(visits: int) -> None:
    print(f"\n2b. one new event to each of {visits} visits at the cap ({MAX_VISIT_EVENTS} events each): "
          "the longest hold of the write lock, and all transactions together")
    print(f"{'':<24}{'longest ms':>12}{'total ms':>10}{'transactions':>14}")
    held = {}
    for label, budget in (("before (one transaction)", 10**9), ("after (budget)", bounds.PROJECT_BUDGET)):
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            db_url = f"sqlite:///{tmp}/server.sqlite3"
            rows = []
            for _ in range(visits):
                rows += long_visit(len(rows) + 1, NOW - 3_600_000 + len(rows), MAX_VISIT_EVENTS - 1)
            stored(db_url, rows)
            last = {e["visit_id"]: e for e in rows}
            extra = [_event(10**7 + i, NOW + i, ev.MESSAGE_LEFT, v, {"text": "再来"}) for i, v in enumerate(last)]
            saved, bounds.PROJECT_BUDGET = bounds.PROJECT_BUDGET, budget
            try:
                with closing(Database(db_url)) as db:
                    with db.write() as conn:
                        conn.execute(events.insert(), [{**e, "data": json.dumps(e["data"]), "received_at": now_ms()}
                                                       for e in extra])
                    samples, done = [], False
                    while not done:
                        start = time.perf_counter()
                        done = store.project(db, "hq")
                        samples.append((time.perf_counter() - start) * 1000)
            finally:
                bounds.PROJECT_BUDGET = saved
        held[label] = max(samples)
        each = " ".join(f"{ms:.0f}" for ms in samples) if len(samples) > 1 else ""
        print(f"{label:<24}{max(samples):>12.0f}{sum(samples):>10.0f}{len(samples):>14}  {each}")
    print(f"ratio of the longest hold, before / after: {held['before (one transaction)'] / held['after (budget)']:.1f}")


def catch_up(count: int) -> None:
    print(f"\n3. a device pushing {count:,} events of its own after a week offline (batches of 500)")
    results = {}
    for label, options in (("no limit", ("--push-rate", "off")), ("default limits", ())):
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            db_url = f"sqlite:///{tmp}/server.sqlite3"
            server = ServerProcess(db_url, *options)
            try:
                syncer = fresh_device(Path(tmp), db_url, server.url, "kiosk-a")
                specs = []
                while len(specs) < count:
                    visit = new_visit_id()
                    specs += [(ev.SIGNED_IN, visit, PERSON), (ev.HOST_MET, visit, {}),
                              (ev.SIGNED_OUT, visit, {"by": "scan"}), (ev.RATED, visit, {"rating": 4})]
                for start in range(0, count, 1000):
                    syncer.kiosk.log.record(*specs[start:min(start + 1000, count)])
                start = time.perf_counter()
                pushed, _ = syncer._push()
                results[label] = time.perf_counter() - start
                assert pushed == count and syncer.status.last_error == ""
                print(f"{label:<16}{results[label]:>8.1f} s  (waited on 429 {syncer.status.rate_limited} times)")
            finally:
                server.stop()
    print(f"ratio limited / unlimited: {results['default limits'] / results['no limit']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--normal", type=int, default=2500, help="normal visits on the site")
    parser.add_argument("--long", type=int, nargs="*", default=[MAX_VISIT_EVENTS, 20_000, 80_000])
    parser.add_argument("--before-up-to", type=int, default=20_000, help="longest visit to time the old way too")
    parser.add_argument("--projected", type=int, nargs="*", default=[MAX_VISIT_EVENTS, 5_000],
                        help="visit lengths for the projection (past the cap: stored before there was one)")
    parser.add_argument("--catch-up", type=int, default=50_000)
    parser.add_argument("--full-visits", type=int, default=200, help="visits at the cap touched by one push")
    parser.add_argument("--parts", type=int, nargs="*", default=[1, 2, 3], help="which of the three to run")
    args = parser.parse_args()
    if 1 in args.parts:
        device_sync(args.normal, args.long, args.before_up_to)
    if 2 in args.parts:
        projection(args.projected)
        many_full_visits(args.full_visits)
    if 3 in args.parts:
        catch_up(args.catch_up)


if __name__ == "__main__":
    main()
