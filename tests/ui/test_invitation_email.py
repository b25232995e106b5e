"""An invitation from the reception console to a printed badge: reception invites by touch, the
server signs it and emails the QR to a real SMTP server; the QR decoded from that email, scanned
once at the lobby kiosk, leads straight to the agreement and the badge."""

from __future__ import annotations

import dataclasses

import zxingcpp
from PIL import Image

from kiosk.services import Kiosk
from kiosk.ui.app import KioskApp
from kiosk.ui.i18n import tr
from sync.client import SyncClient
from sync.worker import Syncer
from tests.notify_fixtures import smtp_server, start_smtp, tls_cert  # noqa: F401
from tests.server_fixtures import start_server
from tests.ui.driver import PIN, SCREENSHOTS, Driver
from tests.ui.test_console import unlock
from tests.ui.test_visitor_flow import HOSTS


def on_server(kiosk: Kiosk, server, role: str) -> Kiosk:
    settings = dataclasses.replace(kiosk.settings, server=server.url,
                                   token=server.device("hq", kiosk.settings.device, role))
    return Kiosk.open(settings, kiosk.printer_factory)


def answer(d, text: str) -> None:
    d.current().ids.field.text = text  # what the on-screen keyboard would have typed
    d.tap(tr("OK"))


def qr_of(mail) -> str:
    [image] = [part for part in mail.message().walk() if part.get_content_type() == "image/png"]
    path = SCREENSHOTS.parent / "invitations" / "emailed-card.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image.get_content())
    [qr] = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
    return qr.text


def test_an_invitation_goes_from_reception_by_email_to_a_badge_in_one_scan(make_kiosk, smtp_server, tmp_path,
                                                                            virtual_printer):
    server = start_server(f"sqlite:///{tmp_path / 'server.sqlite3'}", smtp=smtp_server.url())
    try:
        desk = on_server(make_kiosk(role="reception", device="desk-1", data_dir=str(tmp_path / "desk")), server,
                         "reception")
        d = Driver(KioskApp(desk, pin=PIN)).start()
        try:
            unlock(d)
            d.tap(tr("Invite a visitor"))
            for text in ("王小明", "华为", "13900000000", "李四", "xiaoming@example.com"):
                answer(d, text)
            d.wait_for(lambda: d.current().notice, timeout=20, what="the server's answer")
            assert d.current().notice == tr("Invitation for {name} sent to {email}.").format(
                name="王小明", email="xiaoming@example.com"), d.current().notice
            d.screenshot(SCREENSHOTS / "console-invited-zh_CN.png")
        finally:
            d.stop()
        [mail] = smtp_server.mails
        assert mail.rcpt_tos == ["xiaoming@example.com"]
        text = qr_of(mail)

        lobby = on_server(make_kiosk(device="lobby-1", data_dir=str(tmp_path / "lobby")), server, "visitor")
        lobby.import_hosts(HOSTS)
        Syncer(lobby, SyncClient(server.url, lobby.settings.token)).sync_once()  # keys and the expected visit
        d = Driver(KioskApp(lobby, pin=PIN)).start()
        try:
            d.physical_keys(text, enter=True)  # one scan of the emailed QR
            d.wait_for(lambda: d.screen == "agreement", what="the agreement")
            assert (d.app.flow.form.name, d.app.flow.form.company) == ("王小明", "华为")
            d.tap(tr("I agree, print my badge"))
            d.wait_for(lambda: d.screen == "done", what="the badge")
            [job] = virtual_printer.wait_for_jobs(1)
            [qr] = zxingcpp.read_barcodes(job.image, formats=zxingcpp.BarcodeFormat.QRCode)
            visit = lobby.log.visit(lobby.verdict(qr.text).claims.visit_id)
            assert visit.visitor["name"] == "王小明" and visit.host["name"] == "李四" and visit.state == "waiting"
            # A visit of its own, recorded as the use of the expected visit the server made (by sync).
            assert any(e.kind == "expected" for e in lobby.log.events(visit.invite_id))
            assert lobby.log.visit(visit.invite_id).invitation_uses == (visit.visit_id,)
        finally:
            d.stop()
    finally:
        server.stop()
