"""Fixtures for tests that need the real central server: the app under uvicorn on 127.0.0.1 in a
background thread, over a fresh database per test, SQLite and PostgreSQL alike.

PostgreSQL comes from ``KIOSK_TEST_PG_URL`` when set (its user must be allowed to CREATE
DATABASE); otherwise, when a PostgreSQL server is installed (``/usr/lib/postgresql/*/bin``),
from a throw-away cluster started once per session in a temporary directory; otherwise the
PostgreSQL variants are skipped, saying why.

Use in a test module (pytest finds fixtures by name, so import all three)::

    from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

``server`` yields a :class:`RunningServer`: ``.url``, ``.admin`` (an admin token),
``.device(site, name, role)`` (a new device's token) and ``.headers(token)``.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import psycopg
import pytest
import requests
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from sync.server import auth
from sync.server.app import create_app, now_ms
from sync.server.connections import KEEP_ALIVE_S
from sync.server.ratelimit import Limits

ROOT = Path(__file__).resolve().parents[1]
PG_ENV = "KIOSK_TEST_PG_URL"
STARTUP_TIMEOUT_S = 20
# A test cluster trades durability for speed; the benchmark asks for a durable one.
_FAST = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A PostgreSQL cluster in a temporary directory, owned by the ``postgres`` user when we run
    as root (initdb and postgres refuse to run as root)."""

    def __init__(self, bin_dir: Path, *, durable: bool = False):
        self.bin_dir = bin_dir
        self.durable = durable
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def find_bin() -> Path | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
        return Path(found[-1]).parent if found else None

    def _run(self, *cmd: str) -> None:
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        proc = subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}\n{tail}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = str(self.dir / "data")
        self._run(str(self.bin_dir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not self.durable:
            options += " " + " ".join(_FAST)
        self._run(str(self.bin_dir / "pg_ctl"), "-D", data, "-l", str(self.dir / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def new_pg_database(server_url: str) -> str:
    """A new, empty database on the server of ``server_url``; returns its URL."""
    name = "kiosk_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(server_url: str, url: str) -> None:
    """Drop a database made by new_pg_database, whoever is still connected to it."""
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _libpq(url: str) -> str:
    """psycopg wants postgresql://, not SQLAlchemy's postgresql+psycopg://."""
    return "postgresql://" + url.split("://", 1)[1]


class _Errors(logging.Handler):
    """Collects what the server logs as an error (an unexpected exception is a 500)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


_LOGGERS = ("sync.server", "uvicorn.error")


@dataclass
class RunningServer:
    """The real app under uvicorn in a thread, on 127.0.0.1 and a free port; ``errors`` holds
    every error it logged (a test that wants no 500 asserts it empty)."""

    db_url: str
    app: FastAPI
    url: str = ""
    admin: str = ""
    _log: _Errors = field(default_factory=_Errors, repr=False)
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def device(self, site: str, name: str, role: str = "visitor") -> str:
        return auth.add_device(self.app.state.db, site, name, role, now_ms())

    @staticmethod
    def headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def errors(self) -> list[str]:
        return self._log.records

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT_S)
        for name in _LOGGERS:
            logging.getLogger(name).removeHandler(self._log)


def start_server(db_url: str, clock: Callable[[], int] = now_ms, admin_name: str | None = "admin",
                 smtp: str = "", limits: Limits | None = None) -> RunningServer:
    """Start the server on ``db_url``; with ``admin_name``, also make an admin and keep its token;
    with ``smtp``, it emails invitations through that URL. ``limits``: its rate limits; none by
    default, since tests push from one token at will (tests/test_bounds_server.py sets them)."""
    limits = limits or Limits(push=None, pull=None)
    running = RunningServer(db_url, create_app(db_url, clock=clock, smtp=smtp, limits=limits))
    if admin_name:
        running.admin = auth.add_admin(running.app.state.db, admin_name, now_ms())
    for name in _LOGGERS:
        logging.getLogger(name).addHandler(running._log)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    running.url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    config = uvicorn.Config(running.app, log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                            timeout_keep_alive=KEEP_ALIVE_S)  # as kiosk-server serve
    running._server = uvicorn.Server(config)
    running._thread = threading.Thread(target=running._server.run, kwargs={"sockets": [sock]}, daemon=True)
    running._thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not running._server.started:
        if not running._thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server on {db_url} did not start")
        time.sleep(0.01)
    return running


class ServerProcess:
    """``kiosk-server serve`` as its own process (``python -m sync.server``), as deployed: for
    benchmarks that must not share the GIL with their client, and for tests that kill -9 it."""

    def __init__(self, db_url: str, *serve_args: str, args: list[str] | None = None,
                 env: dict[str, str] | None = None, umask: int = -1):
        """``args``: for ``serve``, instead of ``--db URL``; ``serve_args``: more options of
        ``serve``; ``env``: more environment variables; ``umask``: the process's (-1: ours)."""
        self.db_url = db_url
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {**os.environ, **(env or {}),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.log = tempfile.TemporaryFile("w+")  # a file, not a pipe: nobody must have to drain it
        self.proc = subprocess.Popen([sys.executable, "-m", "sync.server", "serve", *(args or ["--db", db_url]),
                                      "--port", self.url.rsplit(":", 1)[1], *serve_args],
                                     env=env, stdout=self.log, stderr=self.log, umask=umask)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                said = self.output()[-2000:]
                self.kill()
                raise RuntimeError(f"kiosk-server serve did not start: {said}")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            return requests.get(self.url + "/v1/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def output(self) -> str:
        """What it printed so far: its log and the access log."""
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=STARTUP_TIMEOUT_S)

    def kill(self) -> None:
        """kill -9: no chance to finish what it was doing."""
        self.proc.kill()
        self.proc.wait(timeout=STARTUP_TIMEOUT_S)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The URL of a PostgreSQL server on which tests may create databases."""
    if os.environ.get(PG_ENV):
        yield os.environ[PG_ENV]
        return
    bin_dir = PgCluster.find_bin()
    if bin_dir is None:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} or a PostgreSQL server installed (/usr/lib/postgresql/*/bin)")
    cluster = PgCluster(bin_dir)
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    server_url = request.getfixturevalue("pg_url")
    url = new_pg_database(server_url)
    try:
        yield url
    finally:
        drop_pg_database(server_url, url)


@pytest.fixture
def server(db_url) -> Iterator[RunningServer]:
    """A running server on a fresh database; the test fails if the server logged an error."""
    running = start_server(db_url)
    try:
        yield running
    finally:
        running.stop()
    assert not running.errors, "the server logged errors:\n" + "\n".join(running.errors)
