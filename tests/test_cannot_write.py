"""A server whose database refuses writes (issue 18 item 4), made so for real: on SQLite the
database files are made immutable (chattr +i: as a full disk, every write fails in the file
system), on PostgreSQL the database is made read-only (default_transaction_read_only). Reads
(visits, on site, export, devices' pulls) still answer, from the visits already folded, saying
how far behind they are; writes are refused in words, and the device shows those words."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url

from kiosk.core.hosts import Host
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.worker import Syncer
from tests.conftest import KioskCommand
from tests.server_fixtures import ROOT, _libpq, db_url, pg_url, start_server  # noqa: F401

HOST = Host("h1", "李四", "研发部")
WORDS = "cannot write to its database"


class ReadOnly:
    """The real fault, on and off: immutable files (SQLite), a read-only database (PostgreSQL)."""

    def __init__(self, db_url):
        self.url = db_url

    def _sqlite_files(self):
        path = Path(make_url(self.url).database)
        return [str(p) for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]

    def _pg(self, value):
        name = make_url(self.url).database
        maintenance = make_url(self.url).set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(_libpq(maintenance), autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}')
            # Sessions take the setting when they start: end the server's, its pool opens new ones.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", (name,))

    def __enter__(self):
        if self.url.startswith("sqlite"):
            subprocess.run(["chattr", "+i", *self._sqlite_files()], check=True)
        else:
            self._pg("on")
        return self

    def __exit__(self, *exc):
        if self.url.startswith("sqlite"):
            subprocess.run(["chattr", "-i", *self._sqlite_files()], check=True)
        else:
            self._pg("off")


@pytest.fixture
def running(db_url):
    if db_url.startswith("sqlite") and (os.geteuid() != 0 or not shutil.which("chattr")):
        pytest.skip("making the SQLite file immutable needs root and chattr")
    server = start_server(db_url)
    try:
        yield server
    finally:
        server.stop()


def device(tmp_path, server, name, role):
    token = server.device("hq", name, role)
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / name), site="hq", device=name, role=role, server=server.url,
                                token=token), PreviewPrinter(tmp_path / name / "paper"))
    return kiosk, Syncer(kiosk, SyncClient(server.url, token, timeout=(1, 10)))


def admin_get(server, path, **params):
    return requests.get(f"{server.url}/v1{path}", params=params, headers=server.headers(server.admin), timeout=30)


def test_a_server_that_cannot_write_still_answers_reads_and_says_why_it_refuses_writes(running, tmp_path):
    kiosk, kiosk_sync = device(tmp_path, running, "kiosk-a", "visitor")
    desk, desk_sync = device(tmp_path, running, "desk", "reception")
    first = kiosk.check_in(name="张三", host=HOST).visit.visit_id
    kiosk_sync.sync_once()
    assert admin_get(running, "/visits").headers["Visits-Behind"] == "0"  # folded
    # The projector stops (as one that cannot keep up would): the next visit is stored, not folded.
    running.app.state.projector.stop()
    second = kiosk.check_in(name="Alice Smith", host=HOST).visit.visit_id
    kiosk_sync.sync_once()
    desk_sync.sync_once()
    later = desk.check_in(name="王五", host=HOST).visit.visit_id  # written at the desk, not yet pushed

    with ReadOnly(running.db_url):
        # reads answer from what is folded, and say how far behind that is
        visits = admin_get(running, "/visits")
        assert visits.status_code == 200, visits.text
        assert [v["visit_id"] for v in visits.json()["visits"]] == [first]
        assert int(visits.headers["Visits-Behind"]) > 0  # the second visit's events
        on_site = requests.get(f"{running.url}/v1/visits", params={"on_site": "true"},
                               headers=running.headers(desk.settings.token), timeout=30)
        assert on_site.status_code == 200 and int(on_site.headers["Visits-Behind"]) > 0
        exported = admin_get(running, "/export", format="csv")
        assert exported.status_code == 200 and "张三" in exported.content.decode("utf-8-sig")
        assert exported.headers["Visits-Behind"] == visits.headers["Visits-Behind"]
        # a device's round: its pull answers, its push is refused in words
        done = desk_sync.sync_round()
        assert set(done.failed) == {"push"}, done.error
        assert WORDS in str(done.failed["push"]) and "HTTP 503" in str(done.failed["push"])
        desk_sync._sleep = lambda seconds: True  # the worker's one round, then it stops
        desk_sync.run()
        assert WORDS in desk_sync.status.last_error and desk_sync.status.server_failed  # the console shows it
        # the CLI says it too
        cli = KioskCommand(tmp_path / "desk", KIOSK_DEVICE="desk", KIOSK_ROLE="reception", KIOSK_SERVER=running.url,
                           KIOSK_TOKEN=desk.settings.token)("sync", "--once")
        assert cli.returncode == 1 and WORDS in cli.stderr, cli.stderr
        # the server's own export, from a new process on the same database
        export = subprocess.run([sys.executable, "-m", "sync.server", "export", "--db", running.db_url,
                                 "--format", "json"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert export.returncode == 0, export.stderr
        assert first in export.stdout and "events are not shown yet" in export.stderr

    done = desk_sync.sync_round()  # the database writes again: the desk's visit goes up
    assert not done.failed, done.error
    visits = admin_get(running, "/visits")
    assert visits.headers["Visits-Behind"] == "0"
    assert {v["visit_id"] for v in visits.json()["visits"]} == {first, second, later}
