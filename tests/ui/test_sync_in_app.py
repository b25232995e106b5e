"""The touchscreen app runs the sync worker beside the UI: a visitor signed in by touches
reaches the server and an exit post without anyone running `kiosk sync`, and a sign-out at
that exit post comes back to the kiosk's own log, while the screen keeps drawing frames."""

from __future__ import annotations

import dataclasses
import threading

from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.ui.app import KioskApp
from kiosk.ui.i18n import tr
from kiosk.ui.launch import syncer_for
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.worker import Syncer
from tests.server_fixtures import start_server
from tests.ui.driver import PIN, Driver
from tests.ui.test_visitor_flow import HOSTS, sign_in_to_review


def test_a_visitor_signed_in_on_the_touchscreen_reaches_the_exit_post_and_back(make_kiosk, tmp_path):
    server = start_server(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    try:
        lobby = make_kiosk()
        lobby = Kiosk.open(dataclasses.replace(lobby.settings, server=server.url, token=server.device("hq", "lobby-1")),
                           lobby.printer_factory)
        lobby.import_hosts(HOSTS)
        exit_post = Kiosk.open(Settings(data_dir=str(tmp_path / "exit"), site="hq", device="exit-1", role="exit"),
                               PreviewPrinter(tmp_path / "exit-paper"))
        exit_sync = Syncer(exit_post, SyncClient(server.url, server.device("hq", "exit-1", "exit")))

        syncer = syncer_for(lobby)
        d = Driver(KioskApp(lobby, pin=PIN, syncer=syncer)).start()
        try:
            assert "sync" in {t.name for t in threading.enumerate()}  # its own thread, not the UI's
            sign_in_to_review(d)
            d.tap(tr("Print my badge"))
            d.wait_for(lambda: d.screen == "done", what="the badge to print")
            badge = d.app.flow.last_check_in.badge
            visit_id = d.app.flow.last_check_in.visit.visit_id

            def exit_post_knows_the_visit():
                exit_sync.sync_once()
                return exit_post.log.visit(visit_id) is not None

            d.wait_for(exit_post_knows_the_visit, timeout=30, what="the visit to reach the exit post")
            assert exit_post.check_out(badge).ok
            exit_sync.sync_once()
            d.wait_for(lambda: lobby.log.visit(visit_id).state == "signed_out", timeout=30,
                       what="the exit post's sign-out to reach the kiosk")
            assert syncer.status.last_success is not None and not syncer.status.last_error
        finally:
            d.stop()
    finally:
        server.stop()
