"""A fixed set of visits for the export's byte-for-byte test (tests/test_server_scale.py): two
sites, names that Excel would read as formulas, Chinese, commas and quotes, visits signed out
and still on site, all at fixed times with fixed ids, so that the export of them is the same
file on every run in the time zone FIXTURE_TZ.

``python tests/export_fixture.py DIR`` writes what the export answered (CLI and API, CSV and
JSON) into DIR: run once with the code before streaming to make tests/data/export/.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sync.server import store
from sync.server.auth import Device
from sync.server.db import Database

FIXTURE_TZ = "Asia/Shanghai"
NOW = 1_790_000_000_000  # the server's clock while the fixture is pushed (2026-09-22)
GOLDEN = Path(__file__).parent / "data" / "export"
NAMES = ["张三", "=HYPERLINK(\"http://x\")", "-1+1", "@SUM(A1)", "O'Brien, \"Bob\"", "李 四", "Zoë", "+86 王五"]
COMPANIES = ["华为", "Acme, Inc.", "", "=cmd|' /C calc'!A0"]


def use_fixture_tz() -> None:
    os.environ["TZ"] = FIXTURE_TZ
    time.tzset()


def _visit_id(n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "".join(alphabet[(n >> (5 * i)) & 31] for i in range(16))


def seed(db: Database, visits_per_site: int = 24) -> None:
    """Push the fixture's events as two visitor kiosks would."""
    serial = 0
    for site in ("hq", "branch"):
        device = Device(site, f"kiosk-{site}", "visitor")
        batch, seq = [], 0
        for n in range(visits_per_site):
            visit_id = _visit_id(n + (1000 if site == "branch" else 0))
            signed_in = NOW - 3_600_000 * (visits_per_site - n) + 7_000 * n
            seq += 1
            serial += 1
            batch.append({"event_id": f"{serial:032x}", "site": site, "device": device.name, "seq": seq,
                          "ts": signed_in, "kind": "signed_in", "visit_id": visit_id,
                          "data": {"visitor": {"name": NAMES[n % len(NAMES)], "company": COMPANIES[n % len(COMPANIES)],
                                               "phone": f"1380000{n:04d}", "purpose": "面试" if n % 2 else "meeting"},
                                   "host": {"host_id": f"h{n % 3}", "name": "李四", "department": "研发部"},
                                   "lang": "zh_CN"}})
            if n % 3 != 2:  # a third stay on site
                seq += 1
                serial += 1
                batch.append({"event_id": f"{serial:032x}", "site": site, "device": device.name, "seq": seq,
                              "ts": signed_in + 1_800_000 + n * 1_000, "kind": "signed_out", "visit_id": visit_id,
                              "data": {"by": "scan" if n % 2 else "hand"}})
        accepted, _known, refused, retry = store.push(db, device, batch, NOW)
        assert not refused and not retry and len(accepted) == len(batch), (refused, retry)
    store.project_all(db)


def _write_golden(out: Path) -> None:
    """The export of the fixture as the code on sys.path answers it, CLI and API."""
    import tempfile

    import requests

    from sync.server.cli import main
    from tests.server_fixtures import start_server

    use_fixture_tz()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/golden.db"
        db = Database(url)
        seed(db)
        db.close()
        for fmt in ("csv", "json"):
            main(["--db", url, "export", "--format", fmt, "--output", str(out / f"cli.{fmt}")])
        server = start_server(url)
        try:
            for fmt in ("csv", "json"):
                answer = requests.get(server.url + "/v1/export", params={"format": fmt},
                                      headers=server.headers(server.admin), timeout=30)
                answer.raise_for_status()
                (out / f"api.{fmt}").write_bytes(answer.content)
        finally:
            server.stop()


if __name__ == "__main__":
    _write_golden(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN)
