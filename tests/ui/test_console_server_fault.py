"""The reception console's sync line when the server's database cannot write (issue 18 item 4):
the server's own words, at once and in the alert colour, not "HTTP 503". The fault is real: the
server's SQLite files made immutable (chattr +i), as a full disk refuses every write."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.core.hosts import Host
from kiosk.ui.launch import syncer_for
from tests.server_fixtures import start_server
from tests.ui.driver import PIN, SCREENSHOTS
from tests.ui.test_console import unlock

WORDS = "cannot write to its database"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chattr"), reason="chattr +i needs root")
def test_the_console_shows_the_servers_words_when_it_cannot_write(make_kiosk, tmp_path):
    db_file = tmp_path / "server.sqlite3"
    server = start_server(f"sqlite:///{db_file}")
    files = [str(p) for p in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")) if p.exists()]
    try:
        desk = make_kiosk(role="reception", device="desk-1")
        desk = dataclasses.replace(desk.settings, server=server.url, token=server.device("hq", "desk-1", "reception"))
        from kiosk.services import Kiosk
        from printer.device import PreviewPrinter

        desk = Kiosk.open(desk, PreviewPrinter(tmp_path / "paper"))
        syncer = syncer_for(desk)
        from kiosk.ui.app import KioskApp
        from tests.ui.driver import Driver

        d = Driver(KioskApp(desk, pin=PIN, syncer=syncer)).start()
        try:
            unlock(d)
            d.wait_for(lambda: syncer.status.last_success is not None, timeout=60, what="a first round")
            # Synced a moment ago, so the line would say only that until the sync is late:
            subprocess.run(["chattr", "+i", *files], check=True)
            desk.check_in(name="王五", host=Host("h1", "李四", "研发部"))  # to push; the server cannot store it
            d.wait_for(lambda: syncer.status.server_failed, timeout=60, what="a round the server refused")
            d.current().sync_health()
            assert WORDS in d.current().sync_text and d.current().sync_alert, d.current().sync_text
            d.screenshot(SCREENSHOTS / "console-server-cannot-write-zh_CN.png")
        finally:
            d.stop()
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
        server.stop()
