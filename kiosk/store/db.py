"""The SQLite database under the data directory: connections, durability, migrations.

WAL with ``synchronous=FULL``: a transaction that returned is on disk, whatever happens to the
power next. Each thread gets its own connection (the UI thread and workers read at once);
writers take the write lock up front (``BEGIN IMMEDIATE``) so that they queue instead of
failing half-way.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kiosk.errors import StoreError
from kiosk.privatefiles import create_private

MIGRATIONS: list[str] = [
    """
    CREATE TABLE events (
        rowid INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        site TEXT NOT NULL,
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        kind TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (site, device, seq)
    );
    CREATE INDEX events_visit ON events (visit_id);
    CREATE TABLE visits (
        visit_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        site TEXT NOT NULL,
        name TEXT NOT NULL,
        company TEXT NOT NULL,
        signed_in_at INTEGER,
        signed_out_at INTEGER,
        doc TEXT NOT NULL
    );
    CREATE INDEX visits_state ON visits (state, signed_in_at);
    CREATE TABLE badges (
        badge_id TEXT PRIMARY KEY,
        visit_id TEXT NOT NULL,
        revoked TEXT NOT NULL
    );
    CREATE TABLE hosts (
        host_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        department TEXT NOT NULL,
        email TEXT NOT NULL,
        phone TEXT NOT NULL
    );
    CREATE TABLE keys (
        key_id TEXT PRIMARY KEY,
        public_key BLOB NOT NULL,
        site TEXT NOT NULL,
        device TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: an event is identified by its id alone. (site, device, seq) was unique too, which made
    # sync silently drop the events of two devices that share a name; and a badge id is unique
    # only within its visit (40 random bits collide somewhere in a million visits).
    """
    CREATE TABLE events_v2 (
        rowid INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        site TEXT NOT NULL,
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        kind TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        data TEXT NOT NULL
    );
    INSERT INTO events_v2 SELECT rowid, event_id, site, device, seq, ts, kind, visit_id, data FROM events;
    DROP TABLE events;
    ALTER TABLE events_v2 RENAME TO events;
    CREATE INDEX events_visit ON events (visit_id);
    CREATE INDEX events_device ON events (site, device, seq);
    CREATE TABLE badges_v2 (
        badge_id TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        revoked TEXT NOT NULL,
        PRIMARY KEY (badge_id, visit_id)
    );
    INSERT INTO badges_v2 SELECT badge_id, visit_id, revoked FROM badges;
    DROP TABLE badges;
    ALTER TABLE badges_v2 RENAME TO badges;
    """,
    # 3: a returning visitor is recognised by phone number (the expression must match the query's).
    """
    CREATE INDEX visits_phone ON visits (json_extract(doc, '$.visitor.phone'));
    """,
    # 4: hosts' English names, aliases, language and own channels (JSON arrays); the outbox of
    # notices to hosts, each kept until delivered or given up on (kiosk.store.outbox).
    """
    ALTER TABLE hosts ADD COLUMN english_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE hosts ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE hosts ADD COLUMN language TEXT NOT NULL DEFAULT '';
    ALTER TABLE hosts ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE outbox (
        notice_id TEXT PRIMARY KEY,
        visit_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        notice TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        due_at INTEGER NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'waiting'
    );
    CREATE INDEX outbox_due ON outbox (state, due_at);
    """,
    # 5: the role of the device holding each key (kiosk.core.trust): what its signature counts
    # for. The server's key is known by its device name; a device's key learnt before now has
    # role '' (unknown) until the next sync names it.
    """
    ALTER TABLE keys ADD COLUMN role TEXT NOT NULL DEFAULT '';
    UPDATE keys SET role = 'server' WHERE device = 'server';
    """,
    # 6: events pulled that this device cannot ingest, kept aside for reception and an admin
    # (kiosk.store.quarantine) instead of blocking every later event. One row per distinct raw
    # event (its digest), however often the page that brought it is pulled again.
    """
    CREATE TABLE quarantine (
        digest TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX quarantine_received ON quarantine (received_at);
    """,
    # 7: this device's events the server refused, with its reason (kiosk.store.refused).
    """
    CREATE TABLE refused (
        event_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        refused_at INTEGER NOT NULL
    );
    """,
    # 8: costs that do not grow with history. Each device's last stamp is kept in a row that
    # every insert of an event updates, by trigger, in the same transaction (the log used to
    # open with MAX(ts) over all of the device's events); the push's own-events queries seek
    # (site, device, rowid); reception's "left today" and its search by date seek their times.
    """
    CREATE TABLE last_stamps (
        site TEXT NOT NULL,
        device TEXT NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (site, device)
    ) WITHOUT ROWID;
    INSERT INTO last_stamps (site, device, ts) SELECT site, device, MAX(ts) FROM events GROUP BY site, device;
    CREATE TRIGGER events_last_stamp AFTER INSERT ON events BEGIN
        INSERT INTO last_stamps (site, device, ts) VALUES (NEW.site, NEW.device, NEW.ts)
        ON CONFLICT (site, device) DO UPDATE SET ts = MAX(ts, excluded.ts);
    END;
    CREATE INDEX events_own ON events (site, device, rowid);
    CREATE INDEX visits_signed_out ON visits (state, signed_out_at);
    CREATE INDEX visits_signed_in ON visits (signed_in_at);
    """,
    # 9: the visits whose personal data this device purged, and how far (kiosk.store.purge): an
    # event of one arriving later is stripped alike before it is stored.
    """
    CREATE TABLE purges (
        visit_id TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        reason TEXT NOT NULL,
        purged_at INTEGER NOT NULL
    );
    """,
    # 10: a hybrid logical clock (kiosk.core.hlc) on every event, 0 on those written before, which
    # order by their wall clock; and each device's latest stamp beside its last time, kept by the
    # same trigger in each insert's transaction (own events and pulled ones alike): their maximum
    # is the latest stamp this device has seen, which its next stamp follows.
    """
    ALTER TABLE events ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE last_stamps ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
    UPDATE last_stamps SET hlc = ts * 65536;
    DROP TRIGGER events_last_stamp;
    CREATE TRIGGER events_last_stamp AFTER INSERT ON events BEGIN
        INSERT INTO last_stamps (site, device, ts, hlc)
        VALUES (NEW.site, NEW.device, NEW.ts, CASE WHEN NEW.hlc > 0 THEN NEW.hlc ELSE NEW.ts * 65536 END)
        ON CONFLICT (site, device) DO UPDATE SET ts = MAX(ts, excluded.ts), hlc = MAX(hlc, excluded.hlc);
    END;
    """,
]

_DISK_FULL = ("disk is full", "database or disk is full")


def describe(exc: sqlite3.Error, path: Path) -> str:
    text = str(exc)
    if any(marker in text for marker in _DISK_FULL):
        return f"the disk holding {path} is full"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only"
    if "unable to open" in text:
        return f"{path} cannot be opened (missing directory or no permission)"
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a kiosk log or is damaged"
    return f"{path}: {text}"


def _statements(script: str) -> Iterator[str]:
    """A migration's statements, one by one: split at each ';' that ends a statement (not at
    those inside a trigger's body)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                yield pending
            pending = ""


class Database:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            # The log holds visitors' phone numbers: readable by the kiosk's user only. SQLite
            # gives the -wal and -shm files the database file's permissions.
            create_private(self.path)
        except OSError as exc:
            raise StoreError(f"data directory {self.path.parent} cannot be created: {exc.strerror}") from None
        with self.write() as conn:
            self._migrate(conn)

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                # What is deleted or overwritten is zeroed on disk, not left in free space: a
                # purge (kiosk.store.purge) must leave no byte of a forgotten visitor behind.
                conn.execute("PRAGMA secure_delete=ON")
            except sqlite3.Error as exc:
                raise StoreError(describe(exc, self.path)) from None
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction: all of it is recorded, or none of it and StoreError says why."""
        conn = self.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite may already have rolled back (disk full); nothing was written
            if isinstance(exc, sqlite3.Error):
                raise StoreError(describe(exc, self.path)) from exc
            raise

    def read(self, sql: str, params=()) -> list[tuple]:
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(describe(exc, self.path)) from None

    def get_meta(self, key: str, default: str = "") -> str:
        rows = self.read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path} was written by a newer version of the kiosk (schema {version})")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
