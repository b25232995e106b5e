"""Benchmark: the retention purge of N visits (default 100,000) on a kiosk's log.

Run: python tests/bench/bench_purge.py [--visits N]

A log of N finished visits (sign-in with name, company, phone, purpose and a signature of 400
stroke points, badge issued, printed, sign-out, rating: 5 events each) is written through the
store's own EventLog.record, 500 visits a transaction: that write is the baseline measured in
the same run, and every time is also printed as a ratio to it. Then ``kiosk purge`` does its
work on the clock 200 days on, and its parts are timed apart: strip and re-fold (the purge's
transactions), VACUUM (done once per file), wal_checkpoint(TRUNCATE). The database file's size
(and its WAL's) before and after. Last, what secure_delete costs an ordinary write: the same
writes on fresh logs with it on and off, alternating, as a ratio. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.core import events as ev  # noqa: E402
from kiosk.core.purge import DAY_MS, Retention  # noqa: E402
from kiosk.store import purge  # noqa: E402
from kiosk.store.db import Database  # noqa: E402
from kiosk.store.log import EventLog  # noqa: E402

START = 1_760_000_000_000
SIGNATURE = [[[x, (x * 7) % 300] for x in range(200)] for _ in range(2)]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def visit_id(i: int) -> str:
    return "".join(ALPHABET[(i >> (5 * k)) & 31] for k in range(16))


def write_visits(log: EventLog, n: int) -> float:
    began = time.perf_counter()
    for start in range(0, n, 500):
        specs = []
        for i in range(start, min(n, start + 500)):
            v = visit_id(i)
            specs += [
                (ev.SIGNED_IN, v, {"visitor": {"name": f"访客{i}", "company": f"公司{i % 997}", "phone": f"139{i:08d}",
                                               "purpose": "meeting"},
                                   "host": {"host_id": "h1", "name": "李四", "department": "研发部"}, "lang": "zh_CN",
                                   "visitor_type": "guest", "agreement": {"version": "1", "lang": "zh_CN",
                                                                          "strokes": SIGNATURE}}),
                (ev.BADGE_ISSUED, v, {"badge_id": "ABCDEFGH", "issued_at": START, "expires_at": START + 3_600_000}),
                (ev.BADGE_PRINTED, v, {"badge_id": "ABCDEFGH", "printer": "preview://x"}),
                (ev.SIGNED_OUT, v, {"by": "scan", "badge_id": "ABCDEFGH"}),
                (ev.RATED, v, {"rating": 4})]
        log.record(*specs)
    return time.perf_counter() - began


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=100_000)
    n = parser.parse_args().visits
    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-purge-"))
    path = work / "kiosk.sqlite3"
    clock = [START]
    log = EventLog(Database(path), "hq", "k1", lambda: clock[0])
    baseline = write_visits(log, n)
    before = size(path)
    clock[0] = START + 200 * DAY_MS
    policy = Retention()

    began = time.perf_counter()
    pending = purge.due(log.db, policy, clock[0])
    found = time.perf_counter() - began
    items = sorted(pending.items())
    began = time.perf_counter()
    for start in range(0, len(items), purge.BATCH):
        purge.purge_visits(log, dict(items[start:start + purge.BATCH]), "retention", clock[0])
    stripped = time.perf_counter() - began
    mid = size(path)
    conn = log.db.connection()
    began = time.perf_counter()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint = time.perf_counter() - began
    began = time.perf_counter()
    purge.scrub(log.db, vacuum=True)
    vacuum = time.perf_counter() - began
    after = size(path)
    total = found + stripped + checkpoint + vacuum

    print(f"{n:,} visits, {5 * n:,} events; baseline (writing them): {baseline:.1f} s")
    print("| step | s | / baseline |")
    print("|---|---|---|")
    for step, secs in (("find the visits due", found), ("strip and re-fold (the purge's transactions)", stripped),
                       ("wal_checkpoint(TRUNCATE)", checkpoint), ("VACUUM + checkpoint (once per file)", vacuum),
                       ("whole purge", total)):
        print(f"| {step} | {secs:.1f} | {secs / baseline:.2f} |")
    print(f"size before {before / 1e6:.1f} MB, after the transactions {mid / 1e6:.1f} MB (with WAL), "
          f"after VACUUM {after / 1e6:.1f} MB ({after / before:.2f} of before)")
    log.db.close()

    # secure_delete's cost to ordinary writes: fresh logs of 1,000 visits with it on and off,
    # alternating (a shared machine's load drifts; one long run each would measure the drift)
    rounds: dict[str, list[float]] = {"ON": [], "OFF": []}
    for r in range(6):
        for mode in rounds:
            db = Database(work / f"ab-{mode}-{r}.sqlite3")
            real = db.connection

            def with_mode(real=real, mode=mode):
                c = real()
                c.execute(f"PRAGMA secure_delete={mode}")
                return c
            db.connection = with_mode
            rounds[mode].append(write_visits(EventLog(db, "hq", "k1", lambda: START), 1000))
            db.close()
    on, off = (sorted(rounds[m])[len(rounds[m]) // 2] for m in ("ON", "OFF"))
    print(f"writing 1,000 visits with secure_delete on / off (median of 6, alternating): "
          f"{on:.2f} / {off:.2f} s = {on / off:.2f}")
    for p in work.iterdir():
        os.unlink(p)
    work.rmdir()


if __name__ == "__main__":
    main()
