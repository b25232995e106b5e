"""The console and a visit whose check-in was killed before it said how the print went: after
the grace reception sees "badge not confirmed", with one tap to confirm it came out, reprint
it or sign the visit out."""

from __future__ import annotations

from kiosk.core.unconfirmed import GRACE_MS
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.store.log import wall_clock_ms
from kiosk.ui.i18n import tr
from printer.device import PreviewPrinter, open_printer
from tests.test_unfinished_checkin import kill_checkin_while_printing
from tests.ui.test_console import unlock

FLAG = "badge not confirmed: print it again or cancel the visit"


def test_a_killed_checkin_is_flagged_and_one_tap_settles_it(drive, make_kiosk, tmp_path):
    killed = kill_checkin_while_printing(tmp_path / "lobby")
    lobby = Kiosk.open(Settings(data_dir=str(killed.data_dir), site="hq", device="kiosk-a"), PreviewPrinter(tmp_path))
    [visit] = lobby.on_site()
    desk = make_kiosk(role="reception", device="desk-1")
    desk.log.ingest(lobby.log.events(visit.visit_id))  # as sync brings it
    settings = desk.settings
    desk = Kiosk.open(settings, lambda: open_printer(settings.printer_url),
                      clock=lambda: wall_clock_ms() + GRACE_MS + 1000)
    d = drive(desk)
    unlock(d)
    console = d.current()
    d.wait_for(lambda: any(row["flag"] == tr(FLAG) for row in console.rows), what="the unconfirmed visit's flag")
    console.select(visit.visit_id)
    d.pump(0.1)
    texts = d.texts()
    assert {tr("The badge came out"), tr("Reprint badge"), tr("Sign out by hand")} <= set(texts)
    d.tap(tr("The badge came out"))
    d.wait_for(lambda: desk.log.visit(visit.visit_id).current_badge.printed, what="recorded as printed")
    d.wait_for(lambda: all(row["flag"] != tr(FLAG) for row in console.rows), what="the flag gone")
