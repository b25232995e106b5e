"""The server at scale (issue 18, item 8), against the real server on SQLite and PostgreSQL: the
export streamed (the same bytes as the export that held everything in memory, and memory that
does not grow with the number of visits), the directory, watchlist and key ring sent only when
changed, and a health check that does not count the log."""

from __future__ import annotations

import base64
import time
import tracemalloc

import pytest
import sqlalchemy as sa
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.tokens import key_id_of
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.worker import Syncer
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


# -- the directory, the watchlist and the key ring only when changed ---------------------------

HOST = {"host_id": "emp-1", "name": "李四", "department": "研发部", "email": "lisi@example.com"}
BLOCKED = {"name": "张伟", "phone": "13800138000", "action": "block"}


def get(server, path: str, token: str, etag: str = "") -> requests.Response:
    headers = {**server.headers(token), **({"If-None-Match": etag} if etag else {})}
    return requests.get(f"{server.url}/v1{path}", headers=headers, timeout=30)


def put(server, path: str, **body) -> None:
    answer = requests.put(f"{server.url}/v1{path}", json=body, headers=server.headers(server.admin), timeout=30)
    assert answer.status_code == 200, answer.text


def unchanged(server, path: str, token: str) -> str:
    """Fetch ``path`` whole, then with its ETag: 304 and no body. Returns the ETag."""
    whole = get(server, path, token)
    assert whole.status_code == 200, whole.text
    etag = whole.headers["ETag"]
    again = get(server, path, token, etag)
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)
    return etag


def test_the_lists_are_sent_again_only_when_they_changed(server, db_url, tmp_path):
    put(server, "/hosts", hosts=[HOST])
    put(server, "/watchlist", entries=[BLOCKED])
    kiosk, exit_post = server.device("hq", "lobby-1"), server.device("hq", "exit-1", "exit")

    hosts_tag = unchanged(server, "/hosts", kiosk)
    assert unchanged(server, "/hosts", exit_post) != hosts_tag  # its view leaves out contact details
    refused_view = get(server, "/hosts", exit_post, hosts_tag)  # another role's tag is not its copy
    assert refused_view.status_code == 200 and refused_view.json()["hosts"][0]["email"] == ""
    put(server, "/hosts", hosts=[HOST, {**HOST, "host_id": "emp-2", "name": "王五"}])
    changed = get(server, "/hosts", kiosk, hosts_tag)
    assert changed.status_code == 200 and len(changed.json()["hosts"]) == 2 and changed.headers["ETag"] != hosts_tag

    list_tag = unchanged(server, "/watchlist", kiosk)
    path = tmp_path / "watchlist.csv"  # replaced by the command, another process's way in
    path.write_text("name,action\n王芳,block\n", encoding="utf-8")
    assert main(["--db", db_url, "watchlist", "import", str(path)]) == 0
    changed = get(server, "/watchlist", kiosk, list_tag)
    assert changed.status_code == 200 and [e["name"] for e in changed.json()["entries"]] == ["王芳"]

    ring_tag = unchanged(server, "/keys", kiosk)
    signing = Ed25519PrivateKey.generate().public_key()
    registered = requests.put(f"{server.url}/v1/keys", headers=server.headers(kiosk), timeout=30,
                              json={"key_id": key_id_of(signing),
                                    "public_key": base64.b64encode(signing.public_bytes_raw()).decode()})
    assert registered.status_code == 200, registered.text
    ring = get(server, "/keys", kiosk, ring_tag)
    assert ring.status_code == 200 and len(ring.json()["keys"]) == 1
    ring_tag = ring.headers["ETag"]
    other = server.device("hq", "lobby-2")
    requests.delete(f"{server.url}/v1/devices/hq/lobby-1", headers=server.headers(server.admin), timeout=30)
    revoked = get(server, "/keys", other, ring_tag)  # a revoked device's key: the ring changed
    assert revoked.status_code == 200 and revoked.json()["keys"][0]["revoked"] is True


class Counting(requests.Session):
    """A real session that notes each answer's path and status."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, int]] = []
        self.hooks["response"].append(lambda r, *a, **k: self.seen.append((r.request.path_url.split("?")[0], r.status_code)))


def test_a_device_downloads_the_lists_once_and_again_when_they_change(server, tmp_path):
    put(server, "/hosts", hosts=[HOST])
    put(server, "/watchlist", entries=[BLOCKED])
    session = Counting()
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "lobby"), site="hq", device="lobby-1", role="visitor"),
                       PreviewPrinter(tmp_path / "paper"))
    syncer = Syncer(kiosk, SyncClient(server.url, server.device("hq", "lobby-1"), session=session))
    first = syncer.sync_once()
    assert (first.hosts, first.watchlist, first.keys) == (1, 1, 1)
    lists = ("/v1/hosts", "/v1/watchlist", "/v1/keys")
    assert {p: s for p, s in session.seen if p in lists} == dict.fromkeys(lists, 200)

    session.seen.clear()
    second = syncer.sync_once()
    assert (second.hosts, second.watchlist, second.keys) == (None, None, 1)
    assert {p: s for p, s in session.seen if p in lists} == dict.fromkeys(lists, 304)
    assert [h.name for h in kiosk.directory.all()] == ["李四"]  # the copy kept

    put(server, "/hosts", hosts=[{**HOST, "name": "李四光"}])
    session.seen.clear()
    third = syncer.sync_once()
    assert (third.hosts, third.watchlist) == (1, None)
    assert dict((p, s) for p, s in session.seen if p in lists) == {"/v1/hosts": 200, "/v1/watchlist": 304,
                                                                      "/v1/keys": 304}
    assert [h.name for h in kiosk.directory.all()] == ["李四光"]


# -- health --------------------------------------------------------------------------------------

def _plan(db: Database, statement: str, parameters) -> str:
    """The database's plan for a statement the server ran."""
    with db.engine.connect() as conn:
        if db.kind == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(row[-1] for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")  # however small the table: the plan it would use
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters).all())


def test_health_reads_the_newest_event_and_not_every_one(server):
    """A monitor polls /v1/health: at 5,000,000 events a COUNT over them was a scan each time. Its
    events figure now comes from the end of an index: no statement it runs scans the events."""
    _visits(server.app.state.db, 1200)
    ran: list[tuple[str, object]] = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        ran.append((statement, parameters))

    engine = server.app.state.db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        answer = requests.get(server.url + "/v1/health", timeout=30)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert answer.status_code == 200 and answer.json()["events"] == 1200
    on_events = [(s, p) for s, p in ran if " events" in s]
    assert on_events
    for statement, parameters in on_events:
        plan = _plan(server.app.state.db, statement, parameters)
        if server.app.state.db.kind == "sqlite":
            assert "SCAN events" not in plan, (statement, plan)
        else:
            assert "Limit" in plan and "Seq Scan" not in plan, (statement, plan)
