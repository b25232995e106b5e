"""The server's database: one SQLAlchemy Core engine, the tables, and the migrations that bring
any database up to this code's schema at start-up.

SQLite (a file, the default) and PostgreSQL (production) behave the same to the layers above.
Writers are serialised where it matters: SQLite takes its single write lock up front
(``BEGIN IMMEDIATE``) so that concurrent writers queue instead of failing half-way, and on
PostgreSQL a writer names what it serialises on (a site) with a transaction-scoped advisory lock.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from kiosk.privatefiles import create_private, exposed
from sync.server.errors import CannotWrite, Conflict, DatabaseError, Invalid

# A writer waits this long for SQLite's write lock before giving up with "database is locked".
BUSY_TIMEOUT_S = 60
_WRITE = "kiosk_write"  # execution option: this transaction writes
Statement = TypeVar("Statement", bound=sa.Executable)

metadata = sa.MetaData()
# Millisecond timestamps (as in events) are BIGINT; SQLite needs INTEGER for its rowid alias.
_ms = sa.BigInteger
_serial = sa.BigInteger().with_variant(sa.Integer, "sqlite")

devices = sa.Table(
    "devices", metadata,
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("name", sa.String(20), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", _ms, nullable=False),
    sa.Column("revoked_at", _ms),
    sa.PrimaryKeyConstraint("site", "name"),
    sa.CheckConstraint("role IN ('visitor', 'reception', 'exit')", name="devices_role"),
)
admins = sa.Table(
    "admins", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", _ms, nullable=False),
    sa.Column("revoked_at", _ms),
)
events = sa.Table(
    "events", metadata,
    sa.Column("server_seq", _serial, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(32), nullable=False, unique=True),
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("device", sa.String(20), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("ts", _ms, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("visit_id", sa.String(16), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("received_at", _ms, nullable=False),
    sa.Column("hlc", sa.BigInteger, nullable=False, server_default="0"),  # kiosk.core.hlc; 0: none
    sa.Index("events_site_seq", "site", "server_seq"),
    sa.Index("events_site_visit", "site", "visit_id"),
)
visits = sa.Table(
    "visits", metadata,
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("visit_id", sa.String(16), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("company", sa.Text, nullable=False),
    sa.Column("host_name", sa.Text, nullable=False),
    sa.Column("host_department", sa.Text, nullable=False),
    sa.Column("signed_in_at", _ms),
    sa.Column("signed_out_at", _ms),
    sa.Column("doc", sa.Text, nullable=False),  # the whole folded Visit, as JSON
    sa.PrimaryKeyConstraint("site", "visit_id"),
    sa.Index("visits_site_state", "site", "state"),
    sa.Index("visits_site_signed_in", "site", "signed_in_at"),
)
projections = sa.Table(  # how far each site's visits are folded from its events
    "projections", metadata,
    sa.Column("site", sa.String(20), primary_key=True),
    sa.Column("server_seq", _serial, nullable=False),  # every event up to this one is in visits
)
keys = sa.Table(
    "keys", metadata,
    sa.Column("key_id", sa.String(8), primary_key=True),
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("device", sa.String(20), nullable=False),
    sa.Column("public_key", sa.LargeBinary(32), nullable=False),  # raw Ed25519 key
    sa.Column("registered_at", _ms, nullable=False),
    sa.ForeignKeyConstraint(["site", "device"], ["devices.site", "devices.name"]),
    sa.Index("keys_site", "site"),
)
hosts = sa.Table(
    "hosts", metadata,
    sa.Column("host_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("phone", sa.Text, nullable=False),
    sa.Column("english_name", sa.Text, nullable=False, server_default=""),
    sa.Column("aliases", sa.Text, nullable=False, server_default="[]"),  # JSON array of text
    sa.Column("language", sa.String(8), nullable=False, server_default=""),
    sa.Column("channels", sa.Text, nullable=False, server_default="[]"),  # JSON array of channel URLs
)
# The server's own identity at each site, created when it first invites or writes there: the
# Ed25519 key it signs invitations with, and the count of the events it writes into the site's
# log (as device "server", which no device may be named). The private key is stored here because
# this database is the server's secret store: it already holds every visit and every host's
# channel secrets, so whoever can read it is trusted with the key too, and it is backed up with
# what the key signs for.
signers = sa.Table(
    "signers", metadata,
    sa.Column("site", sa.String(20), primary_key=True),
    sa.Column("key_id", sa.String(8), nullable=False, unique=True),
    sa.Column("private_key", sa.LargeBinary(32), nullable=False),  # raw Ed25519 private key
    sa.Column("created_at", _ms, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),  # of the last event the server wrote at this site
)

# The watchlist, one for the whole organisation, kept whole as uploaded: it is only ever replaced
# and handed out whole. No row: none was ever uploaded, so devices keep one imported locally.
watchlist = sa.Table(
    "watchlist", metadata,
    sa.Column("list_id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("entries", sa.Text, nullable=False),  # JSON array of kiosk.core.watchlist.WatchEntry.to_dict
    sa.Column("replaced_at", _ms, nullable=False),
)

tombstones = sa.Table(  # stored events an admin withdrew (sync.server.tombstones); the events stay
    "tombstones", metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("visit_id", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("withdrawn_by", sa.String(64), nullable=False),  # the admin's name
    sa.Column("withdrawn_at", _ms, nullable=False),
    sa.Column("server_event_id", sa.String(32), nullable=False),  # the tombstoned event the devices pull
)

# A count per shared list ("hosts", "watchlist") that every replacement raises in its own
# transaction: the list's ETag, so that devices download it only when it changed
# (sync.server.revisions). No row: never replaced, revision 0.
revisions = sa.Table(
    "revisions", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
)

# Visits whose personal data was purged (sync.server.purge), and how far: an event of one pushed
# later is stripped before it is stored. Each site's retention policy (no row: 180 and 30 days).
purges = sa.Table(
    "purges", metadata,
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("visit_id", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),  # "sensitive" or "all" (kiosk.core.purge)
    sa.Column("reason", sa.String(32), nullable=False),  # "retention" or "erasure"
    sa.Column("purged_at", _ms, nullable=False),
    sa.PrimaryKeyConstraint("site", "visit_id"),
)
retention = sa.Table(
    "retention", metadata,
    sa.Column("site", sa.String(20), primary_key=True),
    sa.Column("retention_days", sa.Integer, nullable=False),
    sa.Column("sensitive_retention_days", sa.Integer, nullable=False),
    sa.Column("set_at", _ms, nullable=False),
)
# The web console (sync.server.console): the people who log in, their sessions, and the audit
# log of what they looked at and changed. ``sites``: a JSON array of site names, or null: all.
console_users = sa.Table(
    "console_users", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("sites", sa.Text),
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, encoded with its parameters
    sa.Column("created_at", _ms, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),  # in a row
    sa.Column("locked_until", _ms),
    sa.CheckConstraint("role IN ('admin', 'security', 'reception', 'auditor')", name="console_users_role"),
)
console_sessions = sa.Table(  # the cookie holds the session id; the table only its SHA-256
    "console_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(64), sa.ForeignKey("console_users.name", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", _ms, nullable=False),
    sa.Column("seen_at", _ms, nullable=False),
    sa.Column("expires_at", _ms, nullable=False),
    sa.Index("console_sessions_user", "user_name"),
)
audit_log = sa.Table(  # append-only: triggers refuse UPDATE and DELETE (_console)
    "audit_log", metadata,
    sa.Column("entry", _serial, primary_key=True, autoincrement=True),
    sa.Column("at", _ms, nullable=False),
    sa.Column("who", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),  # JSON object
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
    sa.Index("audit_log_at", "at"),
    sa.Index("audit_log_who", "who", "at"),
)

# Complaints' follow-up in the console (sync.server.console.complaints): one row per complaint
# event a device recorded (taken in from the events the Projector folded, per site up to
# ``complaint_intake``), with its owner and status; notes are appended, never changed.
complaints = sa.Table(
    "complaints", metadata,
    sa.Column("event_id", sa.String(32), primary_key=True),  # the complaint event's
    sa.Column("site", sa.String(20), nullable=False),
    sa.Column("visit_id", sa.String(16), nullable=False),
    sa.Column("device", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("recorded_at", _ms, nullable=False),  # the device's clock when it was recorded
    sa.Column("owner", sa.String(64)),  # a console account's name, or none yet
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("changed_at", _ms),
    sa.Column("resolved_at", _ms),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'resolved')", name="complaints_status"),
    sa.Index("complaints_site_status", "site", "status", "recorded_at"),
)
complaint_notes = sa.Table(
    "complaint_notes", metadata,
    sa.Column("note_id", _serial, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(32), nullable=False),
    sa.Column("at", _ms, nullable=False),
    sa.Column("who", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("complaint_notes_event", "event_id", "note_id"),
)
complaint_intake = sa.Table(  # per site, the last event looked at for complaints
    "complaint_intake", metadata,
    sa.Column("site", sa.String(20), primary_key=True),
    sa.Column("server_seq", _serial, nullable=False),
)

_versions = sa.MetaData()
schema_version = sa.Table("schema_version", _versions, sa.Column("version", sa.Integer, nullable=False))


_hosts_v1 = sa.Table(
    "hosts", sa.MetaData(),
    sa.Column("host_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("phone", sa.Text, nullable=False),
)


def _v1(conn: Connection) -> None:
    # Step 1 creates the tables above that are still version 1, and the version-1 definitions of
    # those a later step changed, so that it keeps creating exactly version 1.
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables
                                      if t not in (projections, hosts, signers, watchlist, tombstones, revisions,
                                                   purges, retention, console_users, console_sessions, audit_log,
                                                   complaints, complaint_notes, complaint_intake)])
    _hosts_v1.create(conn)


def _v2(conn: Connection) -> None:
    # Visits were folded in each push's transaction until now: every stored event is in them.
    projections.create(conn)
    conn.execute(projections.insert().from_select(
        ["site", "server_seq"], sa.select(events.c.site, sa.func.max(events.c.server_seq)).group_by(events.c.site)))


def _v3(conn: Connection) -> None:
    # Hosts' English names, aliases, language and own notification channels.
    for column in ("english_name", "aliases", "language", "channels"):
        definition = hosts.c[column]
        kind = definition.type.compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE hosts ADD COLUMN {column} {kind} NOT NULL "
                             f"DEFAULT '{definition.server_default.arg}'"))


def _v4(conn: Connection) -> None:
    # The server signs invitations (sync.server.invitations).
    signers.create(conn)


def _v5(conn: Connection) -> None:
    # The watchlist, distributed to the kiosks (sync.server.store.replace_watchlist).
    watchlist.create(conn)


def _v6(conn: Connection) -> None:
    # Admins withdraw bad events (kiosk-server events tombstone).
    tombstones.create(conn)


def _revisions(conn: Connection) -> None:
    # Devices fetch the directory and the watchlist only when they changed (GET with If-None-Match).
    revisions.create(conn)


def _purges(conn: Connection) -> None:
    # Purges by retention and erasure, and each site's retention policy (sync.server.purge).
    purges.create(conn)
    retention.create(conn)


AUDIT_APPEND_ONLY = "the audit log is append-only"


def _console(conn: Connection) -> None:
    # The web console's accounts, sessions and audit log (sync.server.console). The log refuses
    # UPDATE and DELETE in the database itself, so no code path (and no slip) can rewrite it.
    for table in (console_users, console_sessions, audit_log):
        table.create(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                             f"$$ BEGIN RAISE EXCEPTION '{AUDIT_APPEND_ONLY}'; END $$"))
        conn.execute(sa.text("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                             "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"))
        conn.execute(sa.text("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                             "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"))
        return
    for change in ("UPDATE", "DELETE"):
        conn.execute(sa.text(f"CREATE TRIGGER audit_log_no_{change.lower()} BEFORE {change} ON audit_log "
                             f"BEGIN SELECT RAISE(ABORT, '{AUDIT_APPEND_ONLY}'); END"))


def _events_by_device(conn: Connection) -> None:
    # The console's live board asks when each device's newest event came in: one index probe a
    # device, instead of a scan of its site's events.
    conn.execute(sa.text("CREATE INDEX events_site_device ON events (site, device, server_seq)"))


def _hlc(conn: Connection) -> None:
    # Events carry a hybrid logical clock stamp (kiosk.core.hlc); those stored before have none
    # (0) and order by their wall clock. Step 1 creates the events table with it already.
    if "hlc" not in {column["name"] for column in sa.inspect(conn).get_columns("events")}:
        conn.execute(sa.text("ALTER TABLE events ADD COLUMN hlc BIGINT NOT NULL DEFAULT 0"))


# Who is on site at every site at once: the visits in the on-site states, found by their state
# rather than by reading every visit (visits_site_state serves one site).
visits_by_state = sa.Index("visits_state", visits.c.state)


def _visits_by_state(conn: Connection) -> None:
    visits_by_state.create(conn, checkfirst=True)  # a new database has it from step 1 already


def _complaints(conn: Connection) -> None:
    # Complaints followed up in the console: owner, status, notes (sync.server.console.complaints).
    for table in (complaints, complaint_notes, complaint_intake):
        table.create(conn)


# Forward only, in order; each runs inside the start-up transaction that records its number.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _revisions, _purges, _console,
                                                   _events_by_device, _hlc, _visits_by_state, _complaints]


def normalise_url(url: str) -> str:
    """A SQLAlchemy URL from what an operator types: a bare path is a SQLite file, and
    ``postgresql://`` means the psycopg 3 driver (SQLAlchemy would otherwise pick psycopg2)."""
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser().resolve())
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql+psycopg://" + rest
    if scheme == "sqlite" and rest.strip("/") and ":memory:" not in rest:
        return url
    if scheme == "sqlite":  # every pooled connection would see its own, empty database
        raise DatabaseError("an in-memory SQLite database cannot serve: give a file, sqlite:///PATH")
    raise DatabaseError(f"unsupported database URL {scheme}://...: use sqlite:///PATH or postgresql://...")


def lock_key(name: str) -> int:
    """A PostgreSQL advisory lock key (signed 64 bits) for a name; a collision only makes two
    names wait for each other."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class _JsonList(sa.TypeDecorator):
    """A list bound as JSON text, for SQLite's json_each."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str:
        return json.dumps(list(value))


class Database:
    """The engine, migrated; ``read()`` and ``write()`` hand out transactions."""

    def __init__(self, url: str):
        try:
            self.engine = _engine(normalise_url(url))
        except exc.ArgumentError as e:
            raise DatabaseError(f"not a database URL: {e}") from None
        except ImportError:
            raise DatabaseError("PostgreSQL needs the psycopg package: pip install 'psycopg[binary]'") from None
        self.kind = self.engine.dialect.name  # "sqlite" or "postgresql"
        self.shown_url = self.engine.url.render_as_string(hide_password=True)
        self._prepared: dict[Callable[[Database], Any], Any] = {}
        self._migrate()

    def close(self) -> None:
        self.engine.dispose()

    def insert(self, table: sa.Table):
        """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
        return (postgresql.insert if self.kind == "postgresql" else sqlite.insert)(table)

    def one_of(self, column: sa.Column, name: str) -> sa.ColumnElement[bool]:
        """``column IN (...)`` where the values come as one parameter ``name``, a list however
        long, since a placeholder per value costs more than the query: psycopg parses a long
        query text afresh on every call, and SQLAlchemy makes and binds each placeholder anew.
        PostgreSQL takes an array (``= ANY``), SQLite a JSON array (``IN (SELECT value FROM
        json_each(?))``)."""
        if self.kind == "postgresql":
            return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
        values = sa.func.json_each(sa.bindparam(name, type_=_JsonList)).table_valued("value")
        return column.in_(sa.select(values.c.value))

    def prepared(self, build: Callable[[Database], Statement]) -> Statement:
        """``build(self)``, built once: a statement that a busy path runs again and again, so that
        SQLAlchemy does not construct it and compute its cache key on every call."""
        if build not in self._prepared:
            self._prepared[build] = build(self)
        return self._prepared[build]

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read-only transaction: a consistent snapshot."""
        with self._translated(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, serialise_on: str = "") -> Iterator[Connection]:
        """One transaction that commits whole or not at all. Writers naming the same
        ``serialise_on`` run one after the other (SQLite runs every writer so)."""
        with self._translated(), self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if serialise_on and self.kind == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(serialise_on))))
                yield conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Database failures as ServerErrors with a message an operator can act on."""
        try:
            yield
        except exc.DBAPIError as e:
            raise _translation(self, e) from None
        except exc.TimeoutError as e:
            raise DatabaseError(f"database {self.shown_url} is unavailable or busy: {_first_line(e)}") from None

    def _migrate(self) -> None:
        if self._up_to_date():  # no write: a server whose disk is full still starts, and serves reads
            return
        with self.write(serialise_on="schema") as conn:
            schema_version.create(conn, checkfirst=True)
            version = conn.execute(sa.select(schema_version.c.version)).scalar()
            if version is None:
                version = 0
                conn.execute(schema_version.insert().values(version=0))
            if version > len(MIGRATIONS):
                raise DatabaseError(f"database {self.shown_url} has schema version {version}, newer than this "
                                    f"kiosk-server knows ({len(MIGRATIONS)}): upgrade kiosk-server")
            for step in MIGRATIONS[version:]:
                step(conn)
            conn.execute(schema_version.update().values(version=len(MIGRATIONS)))

    def _up_to_date(self) -> bool:
        """Whether the schema is this code's already (read only)."""
        with self.read() as conn:
            if not sa.inspect(conn).has_table(schema_version.name):
                return False
            return conn.execute(sa.select(schema_version.c.version)).scalar() == len(MIGRATIONS)


# What a database that reads but cannot write says: PostgreSQL's SQLSTATEs read_only_sql_transaction
# and disk_full; SQLite's messages: a read-only file or file system, SQLITE_FULL, and SQLITE_IOERR, which a
# write refused by the file system (EPERM on an immutable file, EIO) becomes.
_CANNOT_WRITE_STATES = {"25006", "53100"}
_CANNOT_WRITE_WORDS = ("readonly database", "read-only", "disk is full", "no space left", "disk i/o error")


def _translation(db: "Database", e: exc.DBAPIError) -> Exception:
    """A database failure as the ServerError an operator (and a device) can act on."""
    if _cannot_write(e):
        return CannotWrite(f"the server cannot write to its database ({_first_line(e)}): its disk may be full or "
                           f"the database read-only; devices keep their events until it can, and reads answer "
                           f"from what is already stored")
    if isinstance(e, exc.IntegrityError):
        return Conflict(f"conflicts with what is stored: {_first_line(e)}")
    if isinstance(e, exc.DataError):  # a value the database cannot hold (too long for its column)
        return Invalid(f"a value does not fit the database: {_first_line(e)}")
    if isinstance(e, (exc.OperationalError, exc.InterfaceError)):
        return DatabaseError(f"database {db.shown_url} is unavailable or busy: {_first_line(e)}")
    return e


def _cannot_write(e: exc.DBAPIError) -> bool:
    if getattr(e.orig, "sqlstate", None) in _CANNOT_WRITE_STATES:
        return True
    return any(words in str(e.orig).lower() for words in _CANNOT_WRITE_WORDS)


def _first_line(e: exc.DBAPIError | exc.SQLAlchemyError) -> str:
    orig = getattr(e, "orig", None) or e
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # More connections than the default 5 + 10: a site's devices push and pull at once.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _private_sqlite_file(path: Path) -> None:
    """The database file holds every site's private signing key (``signers``): only the server's
    user may read it, so it is created 0600 in a 0700 directory before SQLite opens it. SQLite
    creates the -wal and -shm files with the database file's mode, and fchmods them to it past
    the umask (os_unix.c, robust_open), so neither a umask nor a chmod afterwards is needed: a
    process-wide umask would also change the files of every other thread and command. A file
    that others may already read (made by an older kiosk-server) is refused, as ssh refuses an
    unprotected private key, since serving from it would keep the keys readable."""
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    open_to_others = {file: mode for file in files if (mode := exposed(file))}
    if open_to_others:
        first, mode = next(iter(open_to_others.items()))
        raise DatabaseError(f"{first} may be read by other users ({mode}) and holds the sites' private signing keys: "
                            f"make it private with chmod 600 {' '.join(map(str, open_to_others))}")
    if path.exists():  # opening it read-write here would fail on a read-only file, which still serves reads
        return
    try:
        create_private(path)
    except OSError as e:
        raise DatabaseError(f"cannot create {path}: {e.strerror}") from None


def _sqlite_engine(url: str) -> Engine:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        _private_sqlite_file(Path(path))
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        # Durable once committed (WAL + FULL), and transactions begun by us, not by the driver's
        # guesswork, so that BEGIN IMMEDIATE below is possible (SQLAlchemy's documented recipe).
        dbapi_conn.isolation_level = None
        # secure_delete: what a purge overwrites is zeroed in the file (sync.server.purge).
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "secure_delete=ON"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine
