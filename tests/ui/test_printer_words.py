"""The console's printer line in the printer's own words (Printer.status_message), under Xvfb,
against real virtual printers on 127.0.0.1: a Brother QL with the wrong roll says so instead of
"offline", a paused Zebra says it is paused, and the common states are said in the language on
screen."""

from __future__ import annotations

import dataclasses

from kiosk.services import Kiosk
from kiosk.ui.i18n import tr
from printer.fallback import open_printers
from tests.test_brother_ql import loaded
from tests.ui.driver import SCREENSHOTS
from tests.ui.test_console import unlock
from tests.virtual_ql import NetworkQL
from tests.zpl_virtual import VirtualZebra


def test_a_brother_ql_with_the_wrong_roll_says_which_roll_not_offline(drive, make_kiosk):
    with NetworkQL(loaded("29")) as ql:  # a 29 mm roll where the badge is laid out for 62 mm
        d = drive(make_kiosk(role="reception", device="desk-1", printer=ql.url(model="QL-820NWB", label="62")))
        unlock(d)
        console = d.current()
        d.wait_for(lambda: console.printer_alert, what="the wrong-roll alert")
        assert tr.lang == "zh_CN"
        assert console.printer_text.startswith(tr("Printer: {state}").split("{")[0])
        assert "wrong labels: loaded 29 mm, the badge needs 62 mm" in console.printer_text
        assert tr("offline") not in console.printer_text
        shot = d.screenshot(SCREENSHOTS / "console-printer-wrong-roll.png")
        assert shot.stat().st_size > 0

        ql.status = loaded("62")  # the right roll goes in: ready, in the language on screen
        console.check_health()
        d.wait_for(lambda: not console.printer_alert, what="the printer ready again")
        assert console.printer_text.startswith(tr("Printer: {state}").format(state=tr("ready")) + " (")
        assert "62 mm" in console.printer_text


def test_a_paused_zebra_says_it_is_paused_and_a_ready_one_is_said_in_every_language(drive, make_kiosk):
    with VirtualZebra() as zebra:
        zebra.flags.paused = True
        d = drive(make_kiosk(role="reception", device="desk-1", printer=f"{zebra.url}?dpi=203&label=4x6"))
        unlock(d)
        console = d.current()
        d.wait_for(lambda: console.printer_alert, what="the paused alert")
        assert "the printer is paused (press PAUSE on the printer to resume)" in console.printer_text
        d.screenshot(SCREENSHOTS / "console-printer-zebra-paused.png")
        zebra.flags.paused = False
        console.check_health()
        d.wait_for(lambda: not console.printer_alert, what="the printer ready again")
        for lang in ("zh_TW", "en", "zh_CN"):
            d.tap({"zh_CN": "繁體", "zh_TW": "EN", "en": "简体"}[tr.lang])
            d.pump(0.1)
            assert console.printer_text == tr("Printer: {state}").format(state=tr("ready"))


def test_with_a_fallback_in_use_the_first_printers_trouble_is_in_its_own_words(drive, make_kiosk, virtual_printer):
    with NetworkQL(loaded("29")) as ql:
        desk = make_kiosk(role="reception", device="desk-1", printer=ql.url(model="QL-820NWB", label="62"))
        spare = f"network://127.0.0.1:{virtual_printer.port}?profile=TM-T20II&timeout=10"
        settings = dataclasses.replace(desk.settings, printer_fallback=spare)
        d = drive(Kiosk.open(settings, lambda: open_printers(settings.printer_url, settings.printer_fallback)))
        unlock(d)
        console = d.current()
        d.wait_for(lambda: console.printer_alert and "29 mm" in console.printer_text, what="the fallback line")
        fallback_in_use = tr("Printer: the fallback is in use ({state}); the first printer: {trouble}")
        assert console.printer_text.startswith(fallback_in_use.format(state=tr("ready"), trouble="wrong labels: "))
        assert "loaded 29 mm, the badge needs 62 mm" in console.printer_text
        d.screenshot(SCREENSHOTS / "console-printer-fallback-wrong-roll.png")
