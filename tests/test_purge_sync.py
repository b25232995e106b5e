"""Purge across a site, end to end: two kiosks and an exit post with the real server (SQLite and
PostgreSQL), visitors signed in on a fake clock 200 days back, purged by the server's retention
and by one person's erasure while the exit post is offline; then every byte of every SQLite
file (and WAL) of every device and the server is searched for them: zero hits, and the
statistics still count every visit."""

import time

import pytest
import requests

from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.events import Event, new_id
from kiosk.core.hosts import Host
from kiosk.core.purge import DAY_MS
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.server import purge, store
from sync.server.console import followup
from sync.worker import Syncer
from tests.privacy_bytes import forms, hits, sqlite_files
from tests.server_fixtures import db_url, pg_url, start_server  # noqa: F401

HOST = Host("h1", "李四", "研发部")
OLD = [("欧阳娜娜", "星辰量子科技", "139 1234 5678"), ("Bartholomew Quince", "Zephyrine Ltd", "+44 7700 900123")]
ERASED = ("司马懿然", "青鸾数据", "186-0000-4321")
SIGNATURE = {"version": "2026-01", "lang": "zh_CN", "strokes": [[[10, 20], [30, 40]]]}


class Clock:
    def __init__(self, ms):
        self.ms = ms

    def __call__(self):
        return self.ms


class Device:
    def __init__(self, tmp_path, name, role, server, clock):
        self.dir = tmp_path / name
        settings = Settings(data_dir=str(self.dir), site="hq", device=name, role=role)
        # The server and every device share one fake clock, monotonic time included: a device
        # bounds its stamps by the server's time heard, carried forward by its monotonic clock.
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / f"{name}-paper"), clock,
                                monotonic=lambda: clock() / 1000)
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, server.device("hq", name, role), timeout=(2, 10)))

    def sync(self):
        self.syncer.sync_once()

    def sign_in(self, person):
        name, company, phone = person
        return self.kiosk.check_in(name=name, company=company, phone=phone, host=HOST, agreement=SIGNATURE,
                                   purpose=f"见 {name}")


def texts(*people):
    return [t for person in people for t in person]


@pytest.fixture
def clock():
    return Clock(int(time.time() * 1000) - 200 * DAY_MS)


@pytest.fixture
def server(db_url, clock):  # noqa: F811 - the server on the site's fake clock
    running = start_server(db_url, clock=clock)
    try:
        yield running
    finally:
        running.stop()
    assert not running.errors, "the server logged errors:\n" + "\n".join(running.errors)


@pytest.fixture
def site(server, clock, tmp_path):
    devices = {name: Device(tmp_path, name, role, server, clock)
               for name, role in (("kiosk-a", "visitor"), ("desk-b", "reception"), ("exit-c", "exit"))}
    return clock, devices


def test_retention_and_erasure_reach_every_device_and_leave_no_byte(server, site, db_url, tmp_path):
    clock, d = site
    a, b, exit_post = d["kiosk-a"], d["desk-b"], d["exit-c"]
    first = a.sign_in(OLD[0])
    second = b.sign_in(OLD[1])
    b.kiosk.complain(second.visit.visit_id, f"{OLD[1][0]} 的电话 {OLD[1][2]}")
    for device in d.values():
        device.sync()
    clock.ms += 3_600_000
    assert exit_post.kiosk.check_out(first.badge).ok
    b.kiosk.sign_out_by_hand(second.visit.visit_id, "left by the side door")
    exit_post.kiosk.rate(first.visit.visit_id, 5)
    clock.ms = int(time.time() * 1000)  # today: a visit whose person asks to be erased
    third = b.sign_in(ERASED)
    assert list((tmp_path / "desk-b-paper").glob(f"*badge-{third.visit.current_badge.badge_id}*.png"))
    for device in (*d.values(), *d.values()):
        device.sync()
    everyone = texts(*OLD, ERASED)
    # The devices purged the old visits themselves by the site's policy (their clocks are now
    # 200 days on); the erased person is on the exit post, and everyone on the server.
    assert {text for _, text in hits(sqlite_files(exit_post.dir), everyone)} >= {ERASED[0], ERASED[1]}
    assert all(device.kiosk.log.visit(first.visit.visit_id).visitor == {} for device in d.values())
    server_files = [p for p in tmp_path.iterdir() if p.name.startswith("server.sqlite3")]
    if db_url.startswith("sqlite"):
        assert {text for _, text in hits(server_files, everyone)} == set(everyone)

    # The exit post is cut off; meanwhile the server purges by retention and erases one person.
    assert exit_post.kiosk.verdict(third.badge).ok
    db = server.app.state.db
    # The console took the complaint in and reception wrote a note naming the person.
    followup.take_in(db, "hq")
    [complaint] = followup.listed(db, followup.Filter(sites=("hq",)))
    assert followup.change(db, "hq", complaint.event_id, "desk", clock.ms, owner=None, status="in_progress",
                           note=f"called {OLD[1][0]} back", owners=lambda: [], logged=lambda conn, changes: None)
    assert {(t.visit_id, t.scope) for t in purge.purge_due(db, clock.ms)} == {
        (first.visit.visit_id, "all"), (second.visit.visit_id, "all")}
    assert [t.visit_id for t in purge.erase_person(db, clock.ms, phone="+86 186 0000 4321")] == [third.visit.visit_id]
    for device in (a, b, a, b):
        device.sync()
    exit_post.sync()  # back: it applies the purges before anything else of the pull is stored

    files = [f for device in d.values() for f in sqlite_files(device.dir)]
    if db_url.startswith("sqlite"):
        files += [p for p in tmp_path.iterdir() if p.name.startswith("server.sqlite3")]
    assert len(files) >= 4
    assert hits(files, everyone) == []

    assert not list((tmp_path / "desk-b-paper").glob(f"*badge-{third.visit.current_badge.badge_id}*.png"))
    assert exit_post.kiosk.verdict(third.badge).reason == tokens.EXPIRED
    rows = {r["visit_id"]: r for r in store.export_rows(db, "hq")}
    assert set(rows) == {first.visit.visit_id, second.visit.visit_id, third.visit.visit_id}
    assert {r["department"] for r in rows.values()} == {"研发部"} and rows[first.visit.visit_id]["rating"] == 5
    assert all(r["signed_in_at"] and r["name"] == r["company"] == r["purpose"] == "" for r in rows.values())
    assert [rows[v]["state"] for v in (first.visit.visit_id, second.visit.visit_id)] == ["signed_out"] * 2
    for device in (a, b, exit_post):
        for visit_id in rows:
            visit = device.kiosk.log.visit(visit_id)
            assert visit.visitor == {} and visit.host.get("department") == "研发部" and visit.signed_in_at
    assert a.kiosk.log.visit(first.visit.visit_id).rating == 5
    assert b.kiosk.log.visit(first.visit.visit_id).state == "signed_out"


def test_a_device_may_not_forge_a_purge(server, site):
    clock, d = site
    b = d["desk-b"]
    visit = d["kiosk-a"].sign_in(OLD[0])
    for device in (d["kiosk-a"], b):
        device.sync()
    token = b.syncer.client.token if hasattr(b.syncer.client, "token") else None
    forged = Event(new_id(), "hq", "desk-b", 99, clock.ms, ev.PURGED, visit.visit.visit_id,
                   {"scope": "all", "reason": "erasure"})
    answer = requests.post(server.url + "/v1/events", json={"events": [forged.to_dict()]},
                           headers=b.syncer.client.session.headers, timeout=10)
    assert answer.status_code == 403 and "purged" in answer.json()["error"]
    b.sync()
    assert b.kiosk.log.visit(visit.visit.visit_id).visitor["name"] == OLD[0][0]
    assert b.kiosk.verdict(visit.badge).ok
    assert token is None or token


def test_an_event_pushed_late_for_a_purged_visit_is_stored_stripped(server, site):
    clock, d = site
    a = d["kiosk-a"]
    visit = a.sign_in(OLD[0])
    a.sync()
    purge.erase_person(server.app.state.db, clock.ms, name="欧阳娜娜", company="星辰量子科技")
    # a's message, written before it heard of the erasure, reaches the server afterwards
    a.kiosk.leave_message(visit.visit.visit_id, "欧阳娜娜 is waiting at the lobby")
    a.sync()
    stored = store.visit_events(server.app.state.db, "hq", visit.visit.visit_id)
    assert [e.data["text"] for e in stored if e.kind == ev.MESSAGE_LEFT] == [""]
    assert all("欧阳娜娜" not in str(e.data) for e in a.kiosk.log.events(visit.visit.visit_id))


def test_a_device_back_from_offline_applies_the_servers_purges_before_it_pushes(server, site):
    clock, d = site
    a = d["desk-b"]
    visit = a.sign_in(ERASED)
    a.sync()
    # Offline: a message naming the visitor is written; meanwhile the server erases the person.
    a.kiosk.leave_message(visit.visit.visit_id, f"{ERASED[0]} waits at the lobby, {ERASED[2]}")
    purge.erase_person(server.app.state.db, clock.ms, phone=ERASED[2])
    sent = []
    a.syncer.client.session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append((response.request.method, response.request.path_url,
                                                       response.request.body or b"")))
    a.syncer._back_from_away = True  # as after a round that failed: the network was down
    a.sync()
    calls = [(method, path.split("?")[0]) for method, path, _ in sent]
    assert calls.index(("GET", "/v1/events")) < calls.index(("POST", "/v1/events"))
    pushed = b"".join(body if isinstance(body, bytes) else body.encode() for method, _, body in sent if method == "POST")
    assert pushed and not [f for text in ERASED for f in forms(text) if f in pushed]  # ASCII JSON or not
    assert a.kiosk.log.visit(visit.visit.visit_id).messages == ("",)
