"""The server at scale (issue 18, item 8), against the real server on SQLite and PostgreSQL: the
export streamed (the same bytes as the export that held everything in memory, and memory that
does not grow with the number of visits), the directory, watchlist and key ring sent only when
changed, and a health check that does not count the log."""

from __future__ import annotations

import time
import tracemalloc

import pytest
import requests

from sync.server import export, store
from sync.server.auth import Device
from sync.server.cli import main
from sync.server.db import Database
from tests.export_fixture import GOLDEN, NOW, seed, use_fixture_tz
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401


@pytest.fixture
def fixture_tz(monkeypatch):
    """The export writes the server's local time: the golden files were written in FIXTURE_TZ."""
    monkeypatch.setenv("TZ", "UTC")  # restored after the test, then tzset again below
    use_fixture_tz()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_streamed_export_is_byte_for_byte_the_file_the_whole_export_was(server, fixture_tz, tmp_path,
                                                                               capsysbinary):
    """tests/data/export holds what the export answered before it streamed (written by
    tests/export_fixture.py with that code): the API and the command answer the same bytes."""
    seed(server.app.state.db)
    for fmt in ("csv", "json"):
        answer = requests.get(server.url + "/v1/export", params={"format": fmt}, headers=server.headers(server.admin),
                              timeout=60)
        assert answer.status_code == 200, answer.text
        assert answer.content == (GOLDEN / f"api.{fmt}").read_bytes(), fmt
        assert main(["--db", server.db_url, "export", "--format", fmt, "--output", str(tmp_path / fmt)]) == 0
        assert (tmp_path / fmt).read_bytes() == (GOLDEN / f"cli.{fmt}").read_bytes(), fmt
        capsysbinary.readouterr()
        assert main(["--db", server.db_url, "export", "--format", fmt]) == 0
        assert capsysbinary.readouterr().out == (GOLDEN / f"cli.{fmt}").read_bytes(), fmt
    one_site = requests.get(server.url + "/v1/export", params={"format": "json", "site": "hq"},
                            headers=server.headers(server.admin), timeout=60).json()
    assert {row["site"] for row in one_site} == {"hq"} and len(one_site) == 24


def _visits(db: Database, count: int, first: int = 0) -> None:
    """``count`` more signed-in visits at site hq."""
    device = Device("hq", "kiosk-a", "visitor")
    for start in range(first, first + count, 500):
        batch = [{"event_id": f"{n + 1:032x}", "site": "hq", "device": device.name, "seq": n + 1, "ts": NOW - 1000,
                  "kind": "signed_in", "visit_id": f"{n:016d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ")),
                  "data": {"visitor": {"name": f"访客{n}" * 4, "company": "华为技术有限公司", "purpose": "面试"},
                           "host": {"host_id": "h1", "name": "李四", "department": "研发部"}, "lang": "zh_CN"}}
                 for n in range(start, min(first + count, start + 500))]
        accepted, *_ = store.push(db, device, batch, NOW)
        assert len(accepted) == len(batch)


def _peak_while_exporting(db: Database, fmt: str) -> tuple[int, int]:
    """(bytes of the export, the peak of Python's allocations while it was written)."""
    store.project_all(db)
    tracemalloc.start()
    try:
        pieces = export.render(store.export_rows(db, None), fmt)
        written = len(pieces) if isinstance(pieces, bytes) else sum(len(piece) for piece in pieces)  # bytes: whole
        return written, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_the_export_takes_the_same_memory_for_twice_the_visits(tmp_path, fmt):
    """Held whole, the export's peak grew with the visits (twice the visits, about twice the
    memory); streamed, it is the memory of a batch. (Allocations are counted, not time.)"""
    db = Database(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    _visits(db, 3000)
    size, peak = _peak_while_exporting(db, fmt)
    _visits(db, 3000, first=3000)
    double_size, double_peak = _peak_while_exporting(db, fmt)
    db.close()
    assert double_size > 1.9 * size
    assert double_peak < 1.25 * peak, (peak, double_peak)
