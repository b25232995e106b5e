"""The console with two printers and with a badge whose printing was never confirmed: the
printer line says the fallback is in use and why the first printer is not, and a badge that
may be in the visitor's hand is neither called "not printed" nor revoked without a word."""

from __future__ import annotations

import dataclasses

from kiosk.core.hosts import Host
from kiosk.core.tokens import badge_number
from kiosk.services import Kiosk
from kiosk.ui.i18n import tr
from printer.fallback import open_printers
from printer.virtual import VirtualPrinter
from tests.ptyprinter import PtyPrinter
from tests.ui.test_console import unlock
from tests.ui.test_visitor_flow import HOSTS, sign_in_to_review

HOST = Host("h1", "李四", "研发部")


def test_the_printer_line_shows_the_fallback_in_use_and_why(drive, make_kiosk, virtual_printer, tmp_path):
    virtual_printer.mode = "paper-out"  # the first printer
    with VirtualPrinter(tmp_path / "spare") as spare:
        desk = make_kiosk(role="reception", device="desk-1")
        spare_url = f"network://127.0.0.1:{spare.port}?profile=TM-T20II&timeout=10"
        settings = dataclasses.replace(desk.settings, printer_fallback=spare_url)
        desk = Kiosk.open(settings, lambda: open_printers(settings.printer_url, settings.printer_fallback))
        d = drive(desk)
        unlock(d)
        console = d.current()
        wanted = tr("Printer: the fallback is in use ({state}); the first printer: {trouble}").format(
            state=tr("ready"), trouble=tr("OUT OF PAPER"))
        d.wait_for(lambda: console.printer_text == wanted, what="the fallback line")
        assert console.printer_alert  # badges print, but someone must see to the first printer
        for button in ("繁體", "EN"):  # said again in the language on screen
            d.tap(button)
            d.pump(0.1)
        assert tr.lang == "en" and console.printer_text == \
            "Printer: the fallback is in use (ready); the first printer: OUT OF PAPER"
        virtual_printer.mode = "ready"
        console.check_health()
        d.wait_for(lambda: console.printer_text == "Printer: ready", what="back on the first printer")


def test_a_badge_whose_printing_is_unknown_is_flagged_confirmed_or_said_revoked(drive, make_kiosk):
    with PtyPrinter(460800, mode_after=(1_000, "silent")) as serial_printer:  # takes the job, then says nothing
        desk = make_kiosk(role="reception", device="desk-1", printer=serial_printer.url(timeout=4))
        first = desk.check_in(name="张三", company="华为", host=HOST)
        serial_printer.mode, serial_printer.received = "ready", 0
        serial_printer.mode_after = (1_000, "silent")
        second = desk.check_in(name="王五", host=HOST)
        assert first.print_unknown and second.print_unknown
        serial_printer.mode_after, serial_printer.mode = None, "ready"
        d = drive(desk)
        unlock(d)
        console = d.current()
        for result in (first, second):
            assert console.flag(desk.log.visit(result.visit.visit_id)) == tr("badge may have printed: check the printer")
        console.select(first.visit.visit_id)
        d.pump(0.1)
        d.tap(tr("The badge came out"))
        d.wait_for(lambda: desk.log.visit(first.visit.visit_id).current_badge.printed, what="recorded as printed")
        assert desk.verdict(first.badge).ok  # still valid: nobody reprinted it
        console.select(second.visit.visit_id)
        d.pump(0.1)
        assert tr("The badge came out") in d.texts()
        d.tap(tr("Reprint badge"))
        old = badge_number(second.badge_id)
        d.wait_for(lambda: old in console.notice, what="the reprint notice")
        new = desk.log.visit(second.visit.visit_id).current_badge
        assert console.notice == tr("New badge {number} printed; badge {old} no longer works: take it back from "
                                    "the visitor.").format(number=badge_number(new.badge_id), old=old)


def test_a_visitor_whose_badge_was_sent_but_not_confirmed_is_sent_to_the_tray_not_told_it_failed(drive, make_kiosk):
    with PtyPrinter(460800, mode_after=(1_000, "silent")) as serial_printer:
        kiosk = make_kiosk(printer=serial_printer.url(timeout=4))
        kiosk.import_hosts(HOSTS)
        d = drive(kiosk)
        sign_in_to_review(d)
        d.tap(tr("Print my badge"))
        d.wait_for(lambda: d.current().state == "print_unknown", what="the unconfirmed print")
        assert tr("You are signed in. Please take your badge from the printer") in d.texts()
        assert tr("If no badge came out, please see reception.") in d.texts()
        [page] = serial_printer.wait_for_pages(1)  # and it did come out
        [visit] = kiosk.on_site()
        assert visit.current_badge.print_unknown
