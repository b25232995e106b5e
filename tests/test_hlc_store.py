"""The device log's clock stamps (kiosk.store.log, migration 9): a log written before them keeps
folding and ordering as it did, and what is written now follows it."""

import sqlite3

from kiosk.core import events as ev
from kiosk.core import hlc
from kiosk.store import db as store_db
from kiosk.store.db import Database
from kiosk.store.log import EventLog

SIGNED_IN = {"visitor": {"name": "张三", "company": "华为"}, "host": {"name": "李四"}, "lang": "zh_CN"}
LATER = 1_800_000_000_000  # an older device's clock, far ahead of this one's


def test_a_log_from_before_stamps_migrates_and_what_follows_sorts_after_it(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(store_db.MIGRATIONS[:8], start=1):  # the log as version 8 left it
        for statement in store_db._statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO events (event_id, site, device, seq, ts, kind, visit_id, data) VALUES"
                 " ('a', 'hq', 'k2', 1, ?, 'signed_in', 'V1', ?)", (LATER, ev.encode_data(SIGNED_IN)))
    conn.close()

    log = EventLog(Database(path), "hq", "k1", clock=lambda: LATER - 60_000)  # this clock a minute behind it
    old = log.events("V1")
    assert old[0].hlc == 0 and old[0].order == hlc.stamp(LATER)  # ordered by its time, as before
    log.ingest([])  # a write: the visit is folded as before
    written = log.record((ev.SIGNED_OUT, "V1", {"by": "manual"}))[0]
    assert written.order > old[0].order  # past what the log held, though the clock is behind
    assert written.ts == LATER - 60_000  # and the time shown is the clock's
    # The other device's event, folded by its time, and this one after it: signed out, and shown
    # no earlier than signed in.
    visit = log.visit("V1")
    assert visit.state == "signed_out" and visit.signed_out_at == visit.signed_in_at == LATER
