"""Check-out speed with a big log: the exit post's verdict on one scan, with 1,000,000 visits.

Run: python tests/bench/bench_checkout.py [--visits N] [--scans N]

Figures are printed next to a baseline measured in the same run on the same database, one
primary-key SELECT of a visit, because this machine is shared and noisy: the ratio is the
figure to compare. "verdict" is the decision (signature check + log look-ups); "check-out"
adds the durable write of the sign-out (WAL, synchronous=FULL, so an fsync).

The database is built once (through the same EventLog.ingest that sync uses) and kept in
/tmp/kiosk-bench-<N>; delete it to rebuild.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

from kiosk.core import events as ev  # noqa: E402
from kiosk.core import tokens  # noqa: E402
from kiosk.core.events import Event, new_id  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from kiosk.store.db import MIGRATIONS  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from tests.bench.stats import p99, timed_each  # noqa: E402

SITE = "hq"
ISSUED_S = int(time.time()) - 3600
EXPIRES_S = ISSUED_S + 10 * 365 * 86400
BATCH = 5000


def visit_ids(count: int) -> list[str]:
    rnd = random.Random(1)  # the same visits every run, so the cache can be reused
    return [tokens.b32(rnd.randbytes(10)) for _ in range(count)]


def badge_of(visit_id: str) -> str:
    return visit_id[:8]


def build(kiosk: Kiosk, ids: list[str]) -> None:
    seq = 0
    for start in range(0, len(ids), BATCH):
        batch = []
        for visit_id in ids[start:start + BATCH]:
            seq += 2
            ts = ISSUED_S * 1000
            batch.append(Event(new_id(), SITE, "kiosk-b", seq - 1, ts, ev.SIGNED_IN, visit_id,
                               {"visitor": {"name": "张三", "company": "华为技术有限公司"},
                                "host": {"name": "李四", "department": "研发部"}}))
            batch.append(Event(new_id(), SITE, "kiosk-b", seq, ts, ev.BADGE_ISSUED, visit_id,
                               {"badge_id": badge_of(visit_id), "issued_at": ts, "expires_at": EXPIRES_S * 1000,
                                "key_id": kiosk.signer.key_id}))
        kiosk.log.ingest(batch)
        if start % 100_000 == 0:
            print(f"  built {start + len(batch) // 2:,} visits", file=sys.stderr)


def open_kiosk(data_dir: Path, visits: int) -> tuple[Kiosk, list[str]]:
    ids = visit_ids(visits)
    marker = data_dir / f"built-schema-{len(MIGRATIONS)}"
    if not marker.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
    kiosk = Kiosk.open(Settings(data_dir=str(data_dir), site=SITE, device="exit-1"), PreviewPrinter(data_dir / "p"))
    if not marker.exists():
        print(f"building a log of {visits:,} visits in {data_dir} (once)...", file=sys.stderr)
        build(kiosk, ids)
        marker.touch()
    return kiosk, ids


def scan_of(kiosk: Kiosk, visit_id: str) -> str:
    return kiosk.signer.sign(badge_id=badge_of(visit_id), visit_id=visit_id, site=SITE,
                             issued_at=ISSUED_S, expires_at=EXPIRES_S)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--scans", type=int, default=2000)
    args = parser.parse_args()
    kiosk, ids = open_kiosk(Path(f"/tmp/kiosk-bench-{args.visits}"), args.visits)
    on_site = [v for (v,) in kiosk.log.db.read("SELECT visit_id FROM visits WHERE state = 'waiting'")]
    rnd = random.Random()
    sample = rnd.sample(on_site, min(args.scans, len(on_site)))
    scans = [scan_of(kiosk, v) for v in sample]
    kiosk.verdict(scans[0])  # load the key ring once, as a running exit post has

    conn = kiosk.log.db.connection()
    baseline = timed_each(lambda v: conn.execute("SELECT doc FROM visits WHERE visit_id = ?", (v,)).fetchone(), sample)
    verdict = timed_each(kiosk.verdict, scans)
    checkout = timed_each(kiosk.check_out, scans[: max(1, len(scans) // 4)])
    assert all(kiosk.verdict(s).reason == tokens.ALREADY_SIGNED_OUT for s in scans[: len(scans) // 4])

    base = statistics.median(baseline)
    print(f"check-out with {len(ids):,} visits in the log ({len(on_site):,} on site), {len(scans)} scans")
    print(f"{'operation':<28}{'median ms':>10}{'p99 ms':>9}{'median/PK':>11}")
    for name, samples in (("PK SELECT (baseline)", baseline), ("verdict", verdict), ("check-out (durable write)", checkout)):
        print(f"{name:<28}{statistics.median(samples):>10.3f}{p99(samples):>9.3f}{statistics.median(samples) / base:>11.1f}")
    print("target: verdict median under 1 ms")


if __name__ == "__main__":
    main()
