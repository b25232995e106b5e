"""The local log on a real SQLite file: durability settings, derived visits, threads, faults."""

import sqlite3
import threading

import pytest

from kiosk.core import events as ev
from kiosk.core import hlc, trust
from kiosk.core.events import Event, new_id
from kiosk.core.tokens import PublicKey
from kiosk.core.visits import SIGNED_OUT, WAITING, fold
from kiosk.errors import StoreError
from kiosk.store.db import MIGRATIONS, Database
from kiosk.store.keys import KeyTable
from kiosk.store.log import EventLog

SIGNED_IN = {"visitor": {"name": "张三", "company": "华为"}, "host": {"name": "李四"}}


@pytest.fixture
def db(tmp_path):
    return Database(tmp_path / "data" / "kiosk.sqlite3")


def test_wal_and_full_sync(db):
    conn = db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_recorded_events_fold_into_visits_and_survive_reopening(db, tmp_path):
    log = EventLog(db, "hq", "k1")
    log.record((ev.SIGNED_IN, "V1", SIGNED_IN), (ev.BADGE_ISSUED, "V1", {"badge_id": "AAAAAAAA", "issued_at": 1, "expires_at": 2}))
    log.record((ev.SIGNED_IN, "V2", SIGNED_IN))
    log.record((ev.SIGNED_OUT, "V2", {"by": "manual"}))
    db.close()
    again = EventLog(Database(tmp_path / "data" / "kiosk.sqlite3"), "hq", "k1")
    assert [v.visit_id for v in again.on_site()] == ["V1"]
    assert again.visit("V2").state == SIGNED_OUT
    assert [v.visit_id for v in again.visits_of_badge("AAAAAAAA")] == ["V1"]
    assert again.visit("V1") == fold(again.events("V1"))
    assert again.count_own_events_after(0) == 4 and again.count_own_events_after(2) == 2
    seqs = [e.seq for v in ("V1", "V2") for e in again.events(v)]
    assert sorted(seqs) == [1, 2, 3, 4]


def test_a_clock_stepping_back_is_shown_as_it_is_but_never_reorders_own_events(db):
    """Stamps used to freeze at the latest time until the clock caught up (every event of a
    10-minute step back shown at one time); now the time is the clock's and the order the HLC's."""
    times = iter([5000, 4000, 6000])
    log = EventLog(db, "hq", "k1", clock=lambda: next(times))
    written = [log.record((ev.SIGNED_IN, f"V{i}", SIGNED_IN))[0] for i in range(3)]
    assert [e.ts for e in written] == [5000, 4000, 6000]
    assert written[0].order < written[1].order < written[2].order
    assert [hlc.physical_ms(e.hlc) for e in written] == [5000, 5000, 6000]


def test_ingest_is_idempotent_and_refolds(db):
    kiosk = EventLog(db, "hq", "k1")
    mine = kiosk.record((ev.SIGNED_IN, "V1", SIGNED_IN))
    exit_db = Database(db.path.parent / "exit.sqlite3")
    exit_post = EventLog(exit_db, "hq", "exit1")
    out = exit_post.record((ev.SIGNED_OUT, "V1", {"by": "scan"}))
    assert not exit_post.visit("V1").known
    assert len(exit_post.ingest(mine + mine)) == 1
    assert exit_post.ingest(mine) == []
    assert kiosk.ingest(out) == out
    assert kiosk.visit("V1") == exit_post.visit("V1")
    assert kiosk.visit("V1").state == SIGNED_OUT and kiosk.visit("V1").known


def test_threads_write_at_once_without_losing_or_duplicating(db):
    log = EventLog(db, "hq", "k1")
    errors = []

    def worker(n):
        try:
            for i in range(25):
                log.record((ev.SIGNED_IN, f"V{n}-{i}", SIGNED_IN))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(log.on_site()) == 200
    seqs = [row[0] for row in db.read("SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, 201))


def test_disk_full_records_all_or_nothing(db):
    log = EventLog(db, "hq", "k1")
    log.record((ev.SIGNED_IN, "V0", SIGNED_IN))
    conn = db.connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL, as on a full disk
    big = {"visitor": {"name": "x", "company": "y" * 100_000}, "host": {}}
    with pytest.raises(StoreError, match="full"):
        log.record((ev.SIGNED_IN, "V1", SIGNED_IN), (ev.SIGNED_IN, "V2", big))
    assert log.visit("V1") is None and log.visit("V2") is None
    assert [e.visit_id for e in log.events("V1")] == []
    conn.execute("PRAGMA max_page_count = 1073741823")
    log.record((ev.SIGNED_IN, "V1", SIGNED_IN))
    assert log.visit("V1").state == WAITING


def test_data_dir_that_is_a_file(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot be created"):
        Database(blocker / "kiosk.sqlite3")


def test_garbage_file_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StoreError, match="not a kiosk log or is damaged"):
        Database(path)
    assert path.read_bytes() == b"\x00garbage" * 1000


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        Database(path)


def test_two_devices_with_one_name_lose_nothing_on_sync(tmp_path):
    a = EventLog(Database(tmp_path / "a.sqlite3"), "hq", "raspberrypi")
    b = EventLog(Database(tmp_path / "b.sqlite3"), "hq", "raspberrypi")
    from_a = a.record((ev.SIGNED_IN, "VA", SIGNED_IN))
    b.record((ev.SIGNED_IN, "VB", SIGNED_IN))
    assert b.ingest(from_a) == from_a
    assert {v.visit_id for v in b.on_site()} == {"VA", "VB"}


def test_a_version_1_log_is_migrated_forward_with_its_events(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statement in filter(str.strip, MIGRATIONS[0].split(";")):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO events (event_id, site, device, seq, ts, kind, visit_id, data)"
                 " VALUES ('e1', 'hq', 'k1', 1, 1000, 'signed_in', 'V1', '{}')")
    conn.commit()
    conn.close()
    log = EventLog(Database(path), "hq", "k1")
    assert [e.event_id for e in log.events("V1")] == ["e1"]
    assert log.db.connection().execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert log.record((ev.SIGNED_OUT, "V1", {"by": "manual"}))[0].seq == 2


def test_keys_learnt_before_roles_migrate_to_unknown_but_the_servers_key_is_known(tmp_path):
    """A device upgraded offline keeps letting visitors out under the keys it knew (role unknown,
    trusted for badges alone until the next sync names the role), and keeps admitting invitations
    signed by the server's key."""
    path = tmp_path / "kiosk.sqlite3"
    step = next(i for i, script in enumerate(MIGRATIONS) if "keys ADD COLUMN role" in script)
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:step]:
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement)
    conn.executemany("INSERT INTO keys (key_id, public_key, site, device, revoked) VALUES (?, ?, 'hq', ?, 0)",
                     [("0000000a", b"a" * 32, "kiosk-a"), ("0000000b", b"b" * 32, "server")])
    conn.execute(f"PRAGMA user_version = {step}")
    conn.commit()
    conn.close()
    table = KeyTable(Database(path))
    ring = table.keyring()
    assert (ring.get("0000000a").role, ring.get("0000000b").role) == (trust.UNKNOWN, trust.SERVER)
    # The next sync names the role; one that names none (an older server) forgets nothing.
    table.add(PublicKey("0000000a", b"a" * 32, "hq", "kiosk-a", True, trust.EXIT))
    table.add(PublicKey("0000000a", b"a" * 32, "hq", "kiosk-a", False, trust.UNKNOWN))
    assert (table.keyring().get("0000000a").role, table.keyring().get("0000000a").revoked) == (trust.EXIT, True)


def withdrawn(events, *, seq=1):
    """The server's tombstones of these events (kiosk-server events tombstone)."""
    return [Event(new_id(), e.site, ev.SERVER_DEVICE, seq + i, e.ts + 1, ev.TOMBSTONED, e.visit_id,
                  {"event_id": e.event_id, "reason": "forged"}) for i, e in enumerate(events)]


def badges_table(log):
    return sorted(log.db.read("SELECT badge_id, visit_id FROM badges"))


def test_a_withdrawn_badge_leaves_the_badges_table_with_the_fold(db, tmp_path):
    log = EventLog(db, "hq", "k1")
    first = {"badge_id": "AAAAAAAA", "issued_at": 1, "expires_at": 2}
    second = {"badge_id": "BBBBBBBB", "issued_at": 1, "expires_at": 2}
    recorded = log.record((ev.SIGNED_IN, "V1", SIGNED_IN), (ev.BADGE_ISSUED, "V1", first))
    [reprint] = log.record((ev.BADGE_ISSUED, "V1", second))
    assert badges_table(log) == [("AAAAAAAA", "V1"), ("BBBBBBBB", "V1")]
    assert len(log.ingest(withdrawn([reprint]))) == 1  # the fold kept in memory sees it too
    assert [b.badge_id for b in log.visit("V1").badges] == ["AAAAAAAA"]
    assert badges_table(log) == [("AAAAAAAA", "V1")] and log.visits_of_badge("BBBBBBBB") == []
    again = EventLog(Database(tmp_path / "data" / "kiosk.sqlite3"), "hq", "k1")  # and folded from the log
    again.ingest(withdrawn([recorded[1]], seq=5))
    assert again.visit("V1").badges == () and badges_table(again) == [] and again.visits_of_badge("AAAAAAAA") == []
    assert [v.visit_id for v in again.on_site()] == ["V1"]  # the visit itself stands


def test_a_visit_whose_every_event_is_withdrawn_is_gone(db):
    log = EventLog(db, "hq", "k1")
    log.record((ev.SIGNED_IN, "V0", SIGNED_IN))
    mine = log.record((ev.SIGNED_IN, "V1", SIGNED_IN), (ev.BADGE_ISSUED, "V1", {"badge_id": "AAAAAAAA", "issued_at": 1,
                                                                                "expires_at": 2}))
    log.ingest(withdrawn(mine[:1]))
    assert log.visit("V1") is not None  # its badge still says something about it
    log.ingest(withdrawn(mine[1:], seq=2))
    assert log.visit("V1") is None and [v.visit_id for v in log.on_site()] == ["V0"]
    assert log.db.read("SELECT visit_id FROM visits") == [("V0",)] and badges_table(log) == []
    assert log.count_in({WAITING}) == 1
    # A device that pulls only the tombstone of an event it never had holds no visit for it.
    other = EventLog(Database(db.path.parent / "other.sqlite3"), "hq", "k2")
    assert len(other.ingest(withdrawn(mine[:1]))) == 1
    assert other.visit("V1") is None and other.db.read("SELECT COUNT(*) FROM visits") == [(0,)]
    # A live event of it later (another device's sign-out, say) brings it back.
    log.ingest([Event(new_id(), "hq", "exit1", 1, mine[0].ts + 5, ev.SIGNED_OUT, "V1", {"by": "scan"})])
    assert log.visit("V1").state == SIGNED_OUT
