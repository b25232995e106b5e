"""Ingest speed of the central server: events per second through POST /v1/events, against a
plain bulk insert of the same rows into the same kind of database in the same run.

Run: python tests/bench/bench_ingest.py [--events N] [--runs N]

The API figure is real HTTP (requests.Session, batches of 500, one device) to `kiosk-server
serve` in its own process, through everything a push does: JSON, auth, validation and the
durable transaction, until the last push is answered. The server folds the events into its
visits table off the request path; the "with visits" figure also counts the wait until a
query of visits answers with all of them (reads bring the projection up to date first).
The baseline inserts the same rows with SQLAlchemy executemany, one transaction per 500, into a
fresh database with the same schema and durability (SQLite WAL + synchronous=FULL; PostgreSQL
with fsync on). The machine is shared and noisy, so the ratio is the figure to compare;
target: at least 0.3. PostgreSQL runs on KIOSK_TEST_PG_URL, else a throw-away cluster when
PostgreSQL is installed, else it is left out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import closing, contextmanager
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

from kiosk.core.events import new_id  # noqa: E402
from kiosk.core.tokens import new_badge_id, new_visit_id  # noqa: E402
from sync.protocol import MAX_BATCH  # noqa: E402
from sync.server.auth import add_admin, add_device  # noqa: E402
from sync.server.db import Database, events  # noqa: E402
from tests.server_fixtures import PG_ENV, PgCluster, ServerProcess, drop_pg_database, new_pg_database  # noqa: E402


def visit_events(count: int) -> list[dict]:
    """A busy lobby's log: visits of four events (signed in, badge issued and printed, signed
    out) with the payloads a kiosk writes."""
    now = time.time_ns() // 1_000_000
    out: list[dict] = []
    while len(out) < count:
        visit, badge, ts = new_visit_id(), new_badge_id(), now - 3_600_000 + len(out)
        specs = [("signed_in", {"visitor": {"name": "张三", "company": "华为技术有限公司",
                                            "phone": "13800000001", "purpose": "面试"},
                                "host": {"host_id": "a1b2c3d4e5f6", "name": "李四", "department": "研发部"},
                                "lang": "zh_CN"}),
                 ("badge_issued", {"badge_id": badge, "issued_at": ts, "expires_at": ts + 8 * 3_600_000,
                                   "key_id": "0a1b2c3d"}),
                 ("badge_printed", {"badge_id": badge}),
                 ("signed_out", {"by": "scan", "badge_id": badge})]
        out += [{"event_id": new_id(), "site": "hq", "device": "kiosk-a", "seq": len(out) + i + 1, "ts": ts + i,
                 "kind": kind, "visit_id": visit, "data": data} for i, (kind, data) in enumerate(specs)]
    return out[:count]


def batches(items: list, size: int = MAX_BATCH):
    return (items[i:i + size] for i in range(0, len(items), size))


def through_api(db_url: str, batch: list[dict]) -> tuple[float, float]:
    """(events per second until the last push is answered, until the visits are queryable)."""
    with closing(Database(db_url)) as db:  # as `kiosk-server add-device` / `add-admin` would
        token = add_device(db, "hq", "kiosk-a", "visitor", time.time_ns() // 1_000_000)
        admin = add_admin(db, "bench", time.time_ns() // 1_000_000)
    server = ServerProcess(db_url, "--push-rate", "off")  # throughput, not the per-device limit
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        start = time.perf_counter()
        for part in batches(batch):
            response = session.post(server.url + "/v1/events", json={"events": part}, timeout=60)
            assert response.status_code == 200 and len(response.json()["accepted"]) == len(part), response.text
        pushed = time.perf_counter()
        visits = requests.get(server.url + "/v1/visits", params={"site": "hq", "since": "2000-01-01T00:00:00Z"},
                              headers={"Authorization": f"Bearer {admin}"}, timeout=60)
        assert len(visits.json()["visits"]) == len({e["visit_id"] for e in batch}), visits.text[:200]
        return len(batch) / (pushed - start), len(batch) / (time.perf_counter() - start)
    finally:
        server.stop()


def bulk_insert(db_url: str, batch: list[dict]) -> float:
    with closing(Database(db_url)) as db:
        received = time.time_ns() // 1_000_000
        rows = [{**e, "data": json.dumps(e["data"], ensure_ascii=False), "received_at": received} for e in batch]
        start = time.perf_counter()
        for part in batches(rows):
            with db.write() as conn:
                conn.execute(events.insert(), part)
        return len(rows) / (time.perf_counter() - start)


def measure(label: str, fresh_url, count: int, runs: int) -> None:
    api, with_visits, bulk = [], [], []
    for _ in range(runs):
        with fresh_url() as url:
            pushed, queryable = through_api(url, visit_events(count))
        api.append(pushed)
        with_visits.append(queryable)
        with fresh_url() as url:
            bulk.append(bulk_insert(url, visit_events(count)))
    a, v, b = statistics.median(api), statistics.median(with_visits), statistics.median(bulk)
    print(f"{label:<12}{count:>8}{a:>12,.0f}{v:>12,.0f}{b:>12,.0f}{a / b:>8.2f}{v / b:>8.2f}")


@contextmanager
def sqlite_url():
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        yield f"sqlite:///{tmp}/server.sqlite3"


@contextmanager
def pg_database(server_url: str):
    url = new_pg_database(server_url)
    try:
        yield url
    finally:
        drop_pg_database(server_url, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.runs} runs each, medians; batches of {MAX_BATCH}; baseline = executemany of the same rows")
    print(f"{'database':<12}{'events':>8}{'API ev/s':>12}{'+visits':>12}{'bulk ev/s':>12}{'ratio':>8}{'+visits':>8}")
    measure("sqlite", sqlite_url, args.events, args.runs)
    cluster = None
    if os.environ.get(PG_ENV):
        pg_url = os.environ[PG_ENV]
    elif PgCluster.find_bin():
        cluster = PgCluster(PgCluster.find_bin(), durable=True)
        cluster.start()
        pg_url = cluster.url
    else:
        print("postgresql  (left out: set KIOSK_TEST_PG_URL or install PostgreSQL)")
        return
    try:
        measure("postgresql", lambda: pg_database(pg_url), args.events, args.runs)
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
