"""Costs that must not grow with a device's history (issue 18, item 7): the queries every
command, app start, console refresh and sync round makes use an index, never a full scan of
events or visits; the device's last stamp is kept in the store, in the transaction of each
write, so a crash mid-write neither loses nor advances it, and a log written before it was kept
gets it from its events when migrated. Reception's search without a date covers today's visits
and whoever is still in the building."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest

from kiosk.core import events as ev
from kiosk.core import hlc
from kiosk.core.events import Event, new_id
from kiosk.core.hosts import Host
from kiosk.core.visits import ON_SITE_STATES
from kiosk.reception import IN_BUILDING
from kiosk.services import DB_FILE, Kiosk
from kiosk.settings import Settings
from kiosk.store.db import MIGRATIONS, Database
from kiosk.store.log import EventLog, last_stamp
from printer.device import PreviewPrinter
from tests.conftest import ROOT

SITE, DEVICE = "hq", "k1"
LISI = Host("h1", "李四", "研发部")
DAY = 86_400_000


def signed_in(visit_id, ts, seq, device=DEVICE, name="张三"):
    return Event(new_id(), SITE, device, seq, ts, ev.SIGNED_IN, visit_id,
                 {"visitor": {"name": name, "company": "华为"}, "host": {"name": "李四"}})


def plan(db, sql, params):
    return " | ".join(row[-1] for row in db.read("EXPLAIN QUERY PLAN " + sql, params))


class Recorder:
    """Every statement run on each connection the store opens from now on (sqlite3.connect,
    the outside boundary, wrapped), to ask SQLite afterwards how it runs each of them."""

    def __init__(self, monkeypatch):
        self.statements = []
        connect = sqlite3.connect

        def traced(*args, **kwargs):
            conn = connect(*args, **kwargs)
            conn.set_trace_callback(self.statements.append)
            return conn

        monkeypatch.setattr("kiosk.store.db.sqlite3.connect", traced)


def full_scans(db, statements):
    """Those statements whose plan reads all of events or visits."""
    found = {}
    conn = sqlite3.connect(db.path)  # another connection: the traced one must not trace this
    for sql in set(statements):
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        steps = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        scans = [s for s in steps if s.startswith(("SCAN events", "SCAN visits"))]
        if scans:
            found[sql] = scans
    conn.close()
    return found


@pytest.fixture
def kiosk(tmp_path):
    return Kiosk.open(Settings(data_dir=str(tmp_path), site=SITE, device=DEVICE, role="reception"),
                      PreviewPrinter(tmp_path / "paper"))


def test_hot_paths_never_scan_the_whole_log(kiosk, tmp_path, monkeypatch):
    """What an app start, the console's refresh and search, `kiosk onsite`, a write and a sync
    round's own-events queries run: each statement's plan seeks an index."""
    for i in range(3):
        kiosk.check_in(name=f"访客{i}", host=LISI, company="华为")
    day_start = int(datetime.now().astimezone().replace(hour=0, minute=0, second=0).timestamp() * 1000)
    traced = Recorder(monkeypatch)
    opened = Kiosk.open(kiosk.settings, PreviewPrinter(tmp_path / "paper"))  # the app's (and every command's) start
    opened.queue(day_start)
    opened.search("访客")
    opened.search("zs")
    opened.on_site()
    opened.count_in_building()
    visit = opened.on_site()[0]
    opened.sign_out_by_hand(visit.visit_id, "left by the side door")
    opened.log.own_events_after(2, 500)
    opened.log.count_own_events_after(2)
    assert any("MAX(hlc), 0) FROM last_stamps" in sql for sql in traced.statements)  # a row a device, not the log
    assert any("signed_out_at >=" in sql for sql in traced.statements)
    assert full_scans(opened.log.db, traced.statements) == {}


def test_the_queries_that_were_full_scans_now_seek(tmp_path):
    """The statements the issue measured, by their plans (SQLite names a full scan SCAN)."""
    db = Database(tmp_path / "k.db")
    assert "SCAN" not in plan(db, "SELECT ts FROM last_stamps WHERE site = ? AND device = ?", (SITE, DEVICE))
    assert "SCAN" not in plan(db, "SELECT rowid FROM events WHERE site = ? AND device = ? AND rowid > ?"
                                  " ORDER BY rowid LIMIT 500", (SITE, DEVICE, 0))
    assert "SCAN" not in plan(db, "SELECT COUNT(*) FROM events WHERE site = ? AND device = ? AND rowid > ?",
                              (SITE, DEVICE, 0))
    assert "SCAN" not in plan(db, "SELECT doc FROM visits WHERE state = 'signed_out' AND signed_out_at >= ?"
                                  " ORDER BY signed_out_at DESC", (0,))
    assert "SCAN" not in plan(db, "SELECT doc FROM visits WHERE signed_in_at >= ? AND signed_in_at < ?", (0, 1))


def test_the_last_stamp_follows_every_insert_own_and_synced(tmp_path):
    db = Database(tmp_path / "k.db")
    log = EventLog(db, SITE, DEVICE, clock=lambda: 5_000)
    log.record((ev.SIGNED_IN, "V1", {"visitor": {"name": "a"}, "host": {"name": "b"}}))
    assert last_stamp(db, SITE, DEVICE) == 5_000
    # our own events pulled back (a device restored from the server), and another device's
    log.ingest([signed_in("V2", 9_000, 7), signed_in("V3", 1_000, 8), signed_in("V4", 7_000, 1, device="k2")])
    assert last_stamp(db, SITE, DEVICE) == 9_000 and last_stamp(db, SITE, "k2") == 7_000
    log.ingest([signed_in("V5", 2_000, 9)])  # an older one changes nothing
    assert last_stamp(db, SITE, DEVICE) == 9_000
    # on reopening, a clock behind still orders what follows after all of it (kiosk.core.hlc)
    assert after_reopening(db, "V6").order > hlc.stamp(9_000)


def after_reopening(db, visit_id):
    """An event written by the log reopened with its clock far behind: shown at that time."""
    written = EventLog(db, SITE, DEVICE, clock=lambda: 1).record((ev.SIGNED_IN, visit_id, {"visitor": {"name": "a"},
                                                                                          "host": {"name": "b"}}))[0]
    assert written.ts == 1
    return written


CHILD = textwrap.dedent("""
    import os, signal, sys
    from kiosk.core import events as ev
    from kiosk.store.db import Database
    from kiosk.store.log import EventLog

    log = EventLog(Database(sys.argv[1]), "hq", "k1", clock=lambda: int(sys.argv[2]))
    def die(conn, events):  # the events are written, the transaction not committed
        os.kill(os.getpid(), signal.SIGKILL)
    log.record((ev.SIGNED_IN, "V9", {"visitor": {"name": "a"}, "host": {"name": "b"}}),
               also=die if sys.argv[3] == "crash" else None)
""")


def run_child(path, ts, how):
    return subprocess.run([sys.executable, "-c", CHILD, str(path), str(ts), how],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60).returncode


def test_the_last_stamp_survives_a_crash_mid_write(tmp_path):
    path = tmp_path / "k.db"
    assert run_child(path, 5_000, "commit") == 0
    assert run_child(path, 9_000, "crash") == -signal.SIGKILL
    db = Database(path)
    assert db.read("SELECT MAX(ts) FROM events WHERE site = ? AND device = ?", (SITE, DEVICE))[0][0] == 5_000
    assert last_stamp(db, SITE, DEVICE) == 5_000  # neither lost nor advanced by the write that died
    assert db.read("PRAGMA integrity_check")[0][0] == "ok"


def test_a_log_written_before_the_stamp_was_kept_gets_it_from_its_events(tmp_path):
    path = tmp_path / "k.db"
    conn = sqlite3.connect(path)
    step = next(i for i, script in enumerate(MIGRATIONS) if "CREATE TABLE last_stamps" in script)
    for script in MIGRATIONS[:step]:  # the schema before the last stamp was kept
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {step}")
    rows = [signed_in("V1", 3_000, 1), signed_in("V2", 8_000, 2), signed_in("V3", 6_000, 3),
            signed_in("V4", 12_000, 1, device="k2")]
    conn.executemany("INSERT INTO events (event_id, site, device, seq, ts, kind, visit_id, data)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
                     [(e.event_id, e.site, e.device, e.seq, e.ts, e.kind, e.visit_id) for e in rows])
    conn.commit()
    conn.close()
    db = Database(path)
    for device in (DEVICE, "k2"):
        expected = db.read("SELECT MAX(ts) FROM events WHERE site = ? AND device = ?", (SITE, device))[0][0]
        assert last_stamp(db, SITE, device) == expected
    assert after_reopening(db, "V5").order > hlc.stamp(12_000)  # past every event it holds


def test_search_without_a_date_finds_today_and_whoever_is_still_here(tmp_path):
    now = int(datetime(2026, 12, 1, 9, 0).astimezone().timestamp() * 1000)
    clock = lambda: now  # noqa: E731
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path), site=SITE, device=DEVICE, role="reception"),
                       PreviewPrinter(tmp_path / "paper"), clock=clock)
    kiosk.log.ingest([signed_in("OLDGONE", now - 3 * DAY, 1, device="k2", name="张三"),
                      Event(new_id(), SITE, "k2", 2, now - 3 * DAY + 1000, ev.SIGNED_OUT, "OLDGONE", {"by": "manual"}),
                      signed_in("OLDHERE", now - 2 * DAY, 3, device="k2", name="张伟")])
    today = kiosk.check_in(name="张敏", host=LISI).visit
    names = lambda found: sorted(v.visitor["name"] for v in found)  # noqa: E731
    assert kiosk.log.visit("OLDHERE").state in ON_SITE_STATES | IN_BUILDING
    assert names(kiosk.search("张")) == ["张伟", "张敏"]  # by the text (SQL)
    assert names(kiosk.search("zhang")) == ["张伟", "张敏"]  # by pinyin (the index)
    three_days_ago = now - 3 * DAY - 3_600_000
    assert names(kiosk.search("张", since_ms=three_days_ago, until_ms=three_days_ago + DAY)) == ["张三"]
    assert names(kiosk.search("zs", since_ms=three_days_ago, until_ms=three_days_ago + DAY)) == ["张三"]
    assert today.visit_id in {v.visit_id for v in kiosk.search("zm")}


def vm_steps(db, work) -> int:
    """How many hundred SQLite VM instructions ``work`` runs on this thread's connection: a
    measure of rows read that does not depend on the machine's speed."""
    count = [0]

    def tick():
        count[0] += 1
        return 0  # go on

    conn = db.connection()
    conn.set_progress_handler(tick, 100)
    try:
        work()
    finally:
        conn.set_progress_handler(None, 100)
    return count[0]


def costs(kiosk) -> dict[str, int]:
    log, db = kiosk.log, kiosk.log.db
    last = db.read("SELECT MAX(rowid) FROM events")[0][0]
    visit = kiosk.on_site()[0]
    return {"open the log": vm_steps(db, lambda: EventLog(db, SITE, DEVICE)),
            "console refresh": vm_steps(db, lambda: kiosk.queue(kiosk.clock() - 3_600_000)),
            "console search": vm_steps(db, lambda: kiosk.search("访客")),
            "onsite": vm_steps(db, kiosk.on_site),
            "own events to push": vm_steps(db, lambda: (log.own_events_after(last - 2, 500),
                                                        log.count_own_events_after(last - 2))),
            "a write": vm_steps(db, lambda: kiosk.sign_out_by_hand(visit.visit_id, "gone"))}


def test_the_hot_paths_cost_what_today_costs_whatever_the_history(tmp_path):
    """The same day on a log that holds it alone and on one with 2,000 earlier visits of this
    device: the SQL work of each hot path (VM instructions, not time) stays the same."""
    now = int(datetime(2026, 12, 1, 11, 0).astimezone().timestamp() * 1000)
    history = []
    for i in range(2_000):
        at = now - DAY * (1 + i % 300)
        history += [signed_in(f"OLD{i:05d}", at, 2 * i + 1, name=f"旧访客{i}"),
                    Event(new_id(), SITE, DEVICE, 2 * i + 2, at + 60_000, ev.SIGNED_OUT, f"OLD{i:05d}", {"by": "manual"})]
    measured = {}
    for name, earlier in (("today", []), ("history", history)):
        kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / name), site=SITE, device=DEVICE, role="reception"),
                           PreviewPrinter(tmp_path / name / "paper"), clock=lambda: now)
        kiosk.log.ingest(earlier)
        for i in range(5):
            kiosk.check_in(name=f"访客{i}", host=LISI)
        measured[name] = costs(kiosk)
    for path, today in measured["today"].items():
        assert measured["history"][path] <= 2 * today + 2, (path, measured)
