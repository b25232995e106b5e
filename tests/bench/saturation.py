"""The server's projection under saturation: devices push as fast as the server takes events,
for a while, into `kiosk-server serve` in its own process; meanwhile how many stored events the
visits do not show yet (the lag) is sampled, and after the pushes stop, how long until it is 0.

Events projected per second against events ingested per second, in the same run, is the figure;
the lag's peak says whether the projection keeps pace (it fell 167,000 events behind on
PostgreSQL before the projection took its share).

Run alone: python tests/bench/saturation.py [--seconds 20] [--devices 6] [--sites 3] [--pg]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

from sync.protocol import MAX_BATCH  # noqa: E402
from sync.server import progress  # noqa: E402
from sync.server.auth import add_device  # noqa: E402
from sync.server.db import Database  # noqa: E402
from tests.bench import scale_data  # noqa: E402
from tests.server_fixtures import PgCluster, ServerProcess, new_pg_database  # noqa: E402


@dataclass
class Saturation:
    seconds: float = 0.0
    ingested: int = 0  # events the pushes stored
    lag_at_stop: int = 0
    peak_lag: int = 0
    drain_s: float = 0.0  # from the last push answered to the lag 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (s since start, lag)
    errors: int = 0

    @property
    def ingest_rate(self) -> float:
        return self.ingested / self.seconds

    @property
    def project_rate(self) -> float:
        """Events folded per second while the pushes went on."""
        return (self.ingested - self.lag_at_stop) / self.seconds

    def __str__(self) -> str:
        return (f"{self.ingested:,} events in {self.seconds:.1f} s: ingested {self.ingest_rate:,.0f}/s, projected "
                f"{self.project_rate:,.0f}/s while pushing (ratio {self.project_rate / self.ingest_rate:.2f}); lag "
                f"peak {self.peak_lag:,}, {self.lag_at_stop:,} when the pushes stopped, 0 after {self.drain_s:.1f} s"
                f"{f'; {self.errors} pushes failed' if self.errors else ''}")


def _batches(device: int, site: str, name: str) -> "itertools.count[list[dict]]":
    now = time.time_ns() // 1_000_000
    visits = itertools.count(100_000_000 + device * 1_000_000)  # after any filled database's visits

    def batch() -> list[dict]:
        out: list[dict] = []
        while len(out) < MAX_BATCH:
            n = next(visits)
            out += [e.to_dict() for e in scale_data.visit_events(n, site, name, now - 3_600_000, True, 4 * n + 1)]
        return out
    return batch


def run(url: str, seconds: float, devices: int, sites: int) -> Saturation:
    db = Database(url)
    tokens = [(scale_data.site_name(d % sites), f"push-{d}") for d in range(devices)]
    tokens = [(site, name, add_device(db, site, name, "visitor", time.time_ns() // 1_000_000))
              for site, name in tokens]
    server = ServerProcess(url, "--push-rate", "off")
    result = Saturation()
    stop = threading.Event()
    lock = threading.Lock()

    def push(index: int, site: str, name: str, token: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        make = _batches(index, site, name)
        while not stop.is_set():
            answer = session.post(server.url + "/v1/events", json={"events": make()}, timeout=120)
            with lock:
                if answer.status_code == 200:
                    result.ingested += len(answer.json()["accepted"])
                else:
                    result.errors += 1

    try:
        threads = [threading.Thread(target=push, args=(i, *t)) for i, t in enumerate(tokens)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < seconds:
            time.sleep(0.5)
            lag = progress.unfolded(db)
            result.samples.append((time.monotonic() - started, lag))
            result.peak_lag = max(result.peak_lag, lag)
        stop.set()
        for thread in threads:
            thread.join()
        stopped = time.monotonic()
        result.seconds = stopped - started
        result.lag_at_stop = progress.unfolded(db)
        result.peak_lag = max(result.peak_lag, result.lag_at_stop)
        while progress.unfolded(db):
            time.sleep(0.1)
        result.drain_s = time.monotonic() - stopped
    finally:
        stop.set()
        server.stop()
        db.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--devices", type=int, default=6)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="on a throw-away durable PostgreSQL cluster")
    args = parser.parse_args()
    if args.pg:
        with pg_server() as server_url:
            print(run(new_pg_database(server_url), args.seconds, args.devices, args.sites))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(run(f"sqlite:///{tmp}/server.sqlite3", args.seconds, args.devices, args.sites))


@contextlib.contextmanager
def pg_server():
    """A durable throw-away PostgreSQL cluster's URL (tests.server_fixtures.PgCluster)."""
    bin_dir = PgCluster.find_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed")
    cluster = PgCluster(bin_dir, durable=True)
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
