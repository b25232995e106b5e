"""Benchmark: what a year of a kiosk's own log costs each command, the app's start, reception's
console and the sync worker, against a log holding today alone.

Run: python tests/bench/bench_history.py [--visits-per-day N] [--days D] [--runs R]

Two logs are built with the store's own schema (kiosk.store.db.Database), by bulk inserts of
this device's events and of the visits they fold into (one visit folded for real, the others
copies of it with their own ids, names and times): "today", a day of visits (some still on
site), and "year", the same day after D-1 days before it (default 365 days of 822 visits: about
300,000 visits and 1,000,000 events). They are built once and kept under the temp directory
(``kiosk-bench-history-*``; delete them to rebuild); each run works on a copy.

Printed for each operation: the median over R runs on each log and their ratio (year / today),
the figure to compare (the machine is shared and noisy; the goal is a ratio near 1). The
operations: CLI commands in-process through kiosk.cli.main (each opens the kiosk as a command
does), Kiosk.open (the app's service start), the console's refresh (Kiosk.queue) and its search
(Kiosk.search of a name, no date, as typed), and the sync worker's own-events queries (what is
left to push, after everything but the last events was pushed). Nothing here asserts.

The benchmark imports the kiosk from PYTHONPATH first, so the same script measures another
checkout: ``PYTHONPATH=/path/to/other python tests/bench/bench_history.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[2]))  # after PYTHONPATH: see the docstring

from tests.bench.stats import timings  # noqa: E402
from kiosk import cli  # noqa: E402
from kiosk.core import events as ev  # noqa: E402
from kiosk.core.events import Event, encode_data, new_id  # noqa: E402
from kiosk.core.visits import Badge, fold  # noqa: E402
from kiosk.services import DB_FILE, Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from kiosk.store.db import Database  # noqa: E402
from kiosk.store.log import visit_to_json  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from sync.worker import MAX_BATCH  # noqa: E402

SITE, DEVICE = "hq", "kiosk-1"
DAY_MS = 86_400_000
ON_SITE_TODAY = 80  # of today's visits, still on site (signed out by hand one per `signout` run)
GENERATOR = 1  # bump when the log built changes, so old caches are not reused
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
COMPANIES = ["华为技术有限公司", "腾讯科技", "Acme Ltd", "阿里巴巴", "小米科技", "Globex GmbH"]
NEEDLE = "Quentin Zhao"  # one visitor of today, searched for by name


def day_start_ms() -> int:
    return int(datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def template_visit():
    """A visit folded for real from the events every generated visit has."""
    events = [Event("e1", SITE, DEVICE, 1, 1000, ev.SIGNED_IN, "T",
                    {"visitor": {"name": "x", "company": "y", "phone": "13800000000"},
                     "host": {"name": "李四", "department": "研发部"}}),
              Event("e2", SITE, DEVICE, 2, 1001, ev.BADGE_ISSUED, "T",
                    {"badge_id": "AAAAAAAA", "issued_at": 1001, "expires_at": 1001 + DAY_MS, "key_id": "k"})]
    return fold(events)


def generate(conn, days: int, per_day: int, today: int) -> None:
    """Bulk-insert ``days`` days of this device's visits, the last of them today."""
    rnd = random.Random(days)
    template = template_visit()
    seq, visit_no = 0, 0
    for day in range(days - 1, -1, -1):
        start = today - day * DAY_MS + 8 * 3_600_000
        event_rows, visit_rows = [], []
        for i in range(per_day):
            visit_no += 1
            visit_id = f"V{visit_no:09d}"
            name = NEEDLE if (day == 0 and i == per_day // 2) else rnd.choice(SURNAMES) + rnd.choice(GIVEN)
            company = rnd.choice(COMPANIES)
            phone = f"138{rnd.randrange(10**8):08d}"
            signed_in = start + i * (36_000_000 // per_day)
            on_site = day == 0 and i >= per_day - ON_SITE_TODAY
            signed_out = None if on_site else signed_in + rnd.randrange(600_000, 14_400_000)
            badge = Badge(visit_id[-8:], signed_in, signed_in + DAY_MS, "k")
            visitor = {"name": name, "company": company, "phone": phone}
            specs = [(ev.SIGNED_IN, signed_in, {"visitor": visitor, "host": template.host}),
                     (ev.BADGE_ISSUED, signed_in, dataclasses.asdict(badge))]
            if i % 3 == 0:
                specs.append((ev.HOST_MET, signed_in + 300_000, {}))
            if signed_out is not None:
                specs.append((ev.SIGNED_OUT, signed_out, {"by": "scan", "badge_id": badge.badge_id}))
            for kind, ts, data in specs:
                seq += 1
                event_rows.append((new_id(), SITE, DEVICE, seq, ts, kind, visit_id, encode_data(data)))
            visit = dataclasses.replace(template, visit_id=visit_id, visitor=visitor, badges=(badge,),
                                        signed_in_at=signed_in, signed_out_at=signed_out,
                                        state="waiting" if on_site else "signed_out")
            visit_rows.append((visit_id, visit.state, SITE, name, company, signed_in, signed_out, visit_to_json(visit)))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO events (event_id, site, device, seq, ts, kind, visit_id, data)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", event_rows)
        conn.executemany("INSERT INTO visits (visit_id, state, site, name, company, signed_in_at, signed_out_at, doc)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", visit_rows)
        conn.executemany("INSERT INTO badges (badge_id, visit_id, revoked) VALUES (?, ?, '')",
                         [(row[0][-8:], row[0]) for row in visit_rows])
        conn.execute("COMMIT")


def built(days: int, per_day: int) -> Path:
    """The cached log of ``days`` days, built once (with whatever schema this code has)."""
    today = day_start_ms()
    where = Path(tempfile.gettempdir()) / f"kiosk-bench-history-g{GENERATOR}-{days}x{per_day}-{today}"
    db_file = where / "kiosk.db"
    if not (where / "done").exists():
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
        print(f"building {days} days x {per_day} visits in {where} (once)...", file=sys.stderr)
        started = time.perf_counter()
        db = Database(db_file)
        conn = db.connection()
        conn.execute("PRAGMA synchronous=OFF")  # a benchmark's fixture, not a log to trust
        generate(conn, days, per_day, today)
        db.close()
        (where / "done").touch()
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return db_file


def median_ms(fn, runs: int) -> float:
    return statistics.median(timings(fn, runs))  # after a warm-up call: steady state is what a kiosk sees


def measure(db_file: Path, runs: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-history-run-"))
    try:
        shutil.copy(db_file, work / DB_FILE)
        env = {"KIOSK_DATA_DIR": str(work), "KIOSK_SITE": SITE, "KIOSK_DEVICE": DEVICE, "KIOSK_ROLE": "reception"}
        os.environ.update(env)
        settings = Settings(data_dir=str(work), site=SITE, device=DEVICE, role="reception")
        started = time.perf_counter()
        kiosk = Kiosk.open(settings, PreviewPrinter(work / "p"))  # migrates a log built by older code
        figures = {"first open (migrates a log built by older code)": (time.perf_counter() - started) * 1000}
        on_site = [v.visit_id for v in kiosk.on_site()]

        def command(*argv):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                cli.main(list(argv))

        for argv in (["onsite"], ["onsite", "--json"], ["quarantine"], ["watchlist", "list"]):
            figures["kiosk " + " ".join(argv)] = median_ms(lambda: command(*argv), runs)
        figures["kiosk signout (a write)"] = median_ms(lambda: command("signout", on_site.pop(), "--reason", "b"), runs)
        figures["Kiosk.open (app start)"] = median_ms(lambda: Kiosk.open(settings, PreviewPrinter(work / "p")), runs)
        today = day_start_ms()
        figures["console refresh (queue)"] = median_ms(lambda: kiosk.queue(today), runs)
        figures["console search (a name)"] = median_ms(lambda: kiosk.search(NEEDLE), runs)
        log = kiosk.log
        last = log.db.read("SELECT MAX(rowid) FROM events")[0][0]
        figures["sync own events to push"] = median_ms(
            lambda: (log.own_events_after(last - 5, MAX_BATCH), log.count_own_events_after(last - 5)), runs)
        kiosk.log.db.close()
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits-per-day", type=int, default=822)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    small = measure(built(1, args.visits_per_day), args.runs)
    year = built(args.days, args.visits_per_day)
    with contextlib.closing(sqlite3.connect(year)) as conn:  # as built: opening it as a Database would migrate it
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    big = measure(year, args.runs)
    print(f"kiosk from {Path(cli.__file__).parents[1]}; year: {args.days * args.visits_per_day:,} visits,"
          f" {events:,} events, {year.stat().st_size / 1e9:.2f} GB")
    print(f"| operation | today ms | year ms | year / today |\n|---|---|---|---|")
    for name, ms in small.items():
        print(f"| {name} | {ms:.3g} | {big[name]:.3g} | {big[name] / ms:.2f} |")


if __name__ == "__main__":
    main()
