"""The central server at scale (issue 18, item 8): a year of 100 sites, printing ratios against
baselines measured in the same run (the machine is shared and noisy).

The database is filled by bulk SQL (tests/bench/scale_data.py: events as kiosks write them, four
a visit, and the visits as the server's projection folds them), not through the API. A second
database holds only today's people on site (the same sites, the same people on site, no
history): what the reads should cost. Measured, on SQLite (and on PostgreSQL with --pg-events):

- export: `kiosk-server export --format csv` in its own process, peak resident memory and time,
  against a plain streamed SQL-to-CSV of the same visits (csv.writer over a cursor);
- who is on site (GET /v1/visits?on_site=true, one site and all), a pull's last page (GET
  /v1/events after the cursor of a device one page behind), /v1/health: on the year against
  today's database; the DISTINCT site over every event the on-site query used to run, and the
  COUNT health used to run, for reference;
- a sync round's lists with the directory unchanged (2,000 hosts): 304 against the whole;
- a new kiosk's catch-up of one site (the real sync worker, every page through the API into a
  real kiosk log) against a bulk insert of the same rows into the same kind of log;
- saturation (tests/bench/saturation.py): devices pushing as fast as the server takes events,
  events projected per second against events ingested per second, and the lag's peak.

Run: python tests/bench/bench_server_scale.py --events 5000000 [--sites 100] [--pg-events 2000000]
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

from kiosk.core.events import encode_data  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from kiosk.store.db import Database as LogDatabase  # noqa: E402
from printer.device import PreviewPrinter  # noqa: E402
from sync.client import SyncClient  # noqa: E402
from sync.server import store  # noqa: E402
from sync.server.auth import add_admin, add_device  # noqa: E402
from sync.server.db import Database, events  # noqa: E402
from sync.worker import Syncer  # noqa: E402
from tests.bench import saturation, scale_data  # noqa: E402
from tests.bench.stats import timings  # noqa: E402
from tests.server_fixtures import ServerProcess, new_pg_database  # noqa: E402

NOW_MS = time.time_ns() // 1_000_000
LAST_PAGE = 40  # events a pull's last page holds (today's database has 3 a person on site)

_EXPORT = """
import sys
from sync.server import export, store
from sync.server.db import Database

def status(field):  # kB
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

db = Database(sys.argv[1])
open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) from here on
base = status("VmRSS")
if sys.argv[2] == "export":
    size = sum(len(piece) for piece in export.render(store.export_rows(db, None), "csv"))
else:  # the baseline: the same visits' columns straight from a cursor to CSV
    import csv, io, sqlalchemy as sa
    from sync.server.db import visits
    out, size = io.StringIO(), 0
    writer = csv.writer(out)
    with db.read() as conn:
        query = sa.select(*[c for c in visits.c if c.name != "doc"]).order_by(visits.c.site, visits.c.signed_in_at)
        for row in conn.execution_options(yield_per=1000).execute(query):
            writer.writerow(row)
            size += len(out.getvalue().encode())
            out.seek(0)
            out.truncate()
print(size, status("VmHWM") - base)
"""


def export_run(url: str, how: str) -> tuple[int, int, float]:
    """(bytes, peak RSS growth in KB, seconds) of one export in its own process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _EXPORT, url, how], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    size, grown = map(int, done.stdout.split())
    return size, grown, time.perf_counter() - started


def median_ms(fn, runs: int = 15) -> float:
    return statistics.median(timings(fn, runs))


def filled(url: str, total: int, sites: int, on_site: int) -> Database:
    db = Database(url)
    started = time.perf_counter()
    written = scale_data.fill(db, total, sites, on_site)
    print(f"  {url.split('://')[0]}: {written:,} events, {written // 4:,} visits at {sites} sites filled in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return db


class Served:
    """A database under `kiosk-server serve` in its own process, with a reception desk and an
    admin to ask it."""

    def __init__(self, url: str, site: str):
        db = Database(url)
        self.site = site
        self.desk = add_device(db, site, "desk", "reception", NOW_MS)
        self.admin = add_admin(db, f"bench-{time.monotonic_ns()}", NOW_MS)
        with db.read() as conn:
            ends = conn.execute(sa.select(events.c.server_seq).where(events.c.site == site)
                                .order_by(events.c.server_seq.desc()).limit(LAST_PAGE + 1)).scalars().all()
        self.last_page_after = ends[-1]  # a device LAST_PAGE events behind, the same on both databases
        db.close()
        self.server = ServerProcess(url, "--push-rate", "off", "--pull-rate", "off")
        self.session = requests.Session()

    def get(self, path: str, token: str, **params) -> requests.Response:
        answer = self.session.get(self.server.url + path, params=params, timeout=120,
                                  headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return answer

    def reads(self) -> dict[str, float]:
        return {
            "on site, one site": median_ms(lambda: self.get("/v1/visits", self.desk, on_site="true")),
            "on site, all sites": median_ms(lambda: self.get("/v1/visits", self.admin, on_site="true")),
            "a pull's last page": median_ms(lambda: self.get("/v1/events", self.admin, site=self.site,
                                                             after=self.last_page_after)),
            "health": median_ms(lambda: self.get("/v1/health", self.admin)),
        }

    def stop(self) -> None:
        self.server.stop()


def compare_reads(year_url: str, today_url: str, label: str) -> None:
    site = scale_data.site_name(0)
    figures = {}
    for name, url in (("year", year_url), ("today", today_url)):
        served = Served(url, site)
        try:
            figures[name] = served.reads()
        finally:
            served.stop()
    print(f"\n{label}: reads on a year against today's people on site alone (median ms, ratio)")
    print("| read | year ms | today ms | year / today |")
    print("|---|---|---|---|")
    for read in figures["year"]:
        year, today = figures["year"][read], figures["today"][read]
        print(f"| {read} | {year:.1f} | {today:.1f} | {year / today:.2f} |")
    db = Database(year_url)
    with db.read() as conn:
        distinct = median_ms(lambda: conn.execute(sa.select(events.c.site).distinct()).all(), 3)
        count = median_ms(lambda: conn.execute(sa.select(sa.func.count()).select_from(events)).scalar(), 3)
    db.close()
    print(f"for reference, on the year: DISTINCT site over every event (the on-site query's first step before) "
          f"{distinct:.0f} ms; COUNT of every event (health before) {count:.0f} ms")


def export_figures(url: str, visits: int) -> None:
    size, grown, took = export_run(url, "export")
    base_size, base_grown, base_took = export_run(url, "plain")
    print(f"\nexport of {visits:,} visits (CSV, own process, peak RSS growth): {size / 1e6:.0f} MB in {took:.1f} s, "
          f"{grown / 1024:.1f} MB; a plain SQL-to-CSV of the same visits {base_size / 1e6:.0f} MB in {base_took:.1f} s,"
          f" {base_grown / 1024:.1f} MB (time {took / base_took:.2f}x, memory {grown / max(base_grown, 1):.2f}x)")


def directory_figures(url: str, hosts: int) -> None:
    db = Database(url)
    store.replace_hosts(db, store.checked_hosts(
        {"name": f"员工{n}", "department": "研发部", "email": f"e{n}@example.com", "phone": "13800000000"}
        for n in range(hosts)))
    token = add_device(db, scale_data.site_name(0), "lists", "visitor", NOW_MS)
    db.close()
    server = ServerProcess(url)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        whole = session.get(server.url + "/v1/hosts", timeout=60)
        etag = whole.headers["ETag"]
        full_ms = median_ms(lambda: session.get(server.url + "/v1/hosts", timeout=60).raise_for_status())
        same_ms = median_ms(lambda: session.get(server.url + "/v1/hosts", headers={"If-None-Match": etag}, timeout=60))
        assert session.get(server.url + "/v1/hosts", headers={"If-None-Match": etag}, timeout=60).status_code == 304
    finally:
        server.stop()
    print(f"\ndirectory of {hosts:,} hosts unchanged: 304 in {same_ms:.2f} ms against the whole {full_ms:.1f} ms "
          f"and {len(whole.content):,} bytes (ratio {same_ms / full_ms:.3f})")


def catch_up_figures(url: str, site: str, tmp: Path) -> None:
    """A new kiosk joining ``site``: every page pulled through the API into a real log, against a
    bulk insert of the same rows (one executemany, one transaction) into the same kind of log."""
    db = Database(url)
    token = add_device(db, site, "lobby-new", "visitor", NOW_MS)
    with db.read() as conn:
        rows = conn.execute(sa.select(events.c.event_id, events.c.site, events.c.device, events.c.seq, events.c.ts,
                                      events.c.kind, events.c.visit_id, events.c.data)
                            .where(events.c.site == site).order_by(events.c.server_seq)).all()
    db.close()
    server = ServerProcess(url, "--pull-rate", "off")
    try:
        kiosk = Kiosk.open(Settings(data_dir=str(tmp / "new-kiosk"), site=site, device="lobby-new", role="visitor"),
                           PreviewPrinter(tmp / "paper"))
        syncer = Syncer(kiosk, SyncClient(server.url, token))
        started = time.perf_counter()
        pulled = syncer._pull()
        took = time.perf_counter() - started
    finally:
        server.stop()
    assert pulled == len(rows), (pulled, len(rows))
    log = LogDatabase(tmp / "bulk.sqlite3")
    started = time.perf_counter()
    with log.write() as conn:
        conn.executemany("INSERT INTO events (event_id, site, device, seq, ts, kind, visit_id, data)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [tuple(r) for r in rows])
    bulk = time.perf_counter() - started
    print(f"\na new kiosk's catch-up of {site} ({len(rows):,} events): {took:.1f} s ({len(rows) / took:,.0f} events/s) "
          f"against a bulk insert of the same rows {bulk:.1f} s: {took / bulk:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--on-site", type=int, default=20, help="people on site at each site")
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--saturate-s", type=float, default=20, help="seconds of saturating pushes (0: none)")
    parser.add_argument("--pg-events", type=int, default=0, help="also PostgreSQL, at this size (0: not)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        print(f"filling (bulk SQL): {args.events:,} events at {args.sites} sites, {args.on_site} on site at each")
        year_url, today_url = f"sqlite:///{tmp}/year.sqlite3", f"sqlite:///{tmp}/today.sqlite3"
        filled(year_url, args.events, args.sites, args.on_site).close()
        filled(today_url, args.sites * args.on_site * 4, args.sites, args.on_site).close()
        export_figures(year_url, args.events // 4)
        compare_reads(year_url, today_url, "SQLite")
        directory_figures(year_url, args.hosts)
        catch_up_figures(year_url, scale_data.site_name(1), tmp)
        if args.saturate_s:
            print(f"\nsaturation on the year (SQLite): {saturation.run(year_url, args.saturate_s, 6, 3)}", flush=True)
        if args.pg_events:
            with saturation.pg_server() as server_url:
                pg_year, pg_today = new_pg_database(server_url), new_pg_database(server_url)
                filled(pg_year, args.pg_events, args.sites, args.on_site).close()
                filled(pg_today, args.sites * args.on_site * 4, args.sites, args.on_site).close()
                with Database(pg_year).engine.connect() as conn:  # as autovacuum would by now
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
                compare_reads(pg_year, pg_today, "PostgreSQL")
                if args.saturate_s:
                    print(f"\nsaturation on the year (PostgreSQL): {saturation.run(pg_year, args.saturate_s, 6, 3)}")


if __name__ == "__main__":
    main()
