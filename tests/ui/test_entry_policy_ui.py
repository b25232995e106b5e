"""The entry policy on the touchscreen: a contractor answers their questions and signs the
contractor agreement, then waits for approval and gets the badge when reception approves; a
visitor on the watchlist is sent to reception without a word about why."""

from __future__ import annotations

import zxingcpp

from kiosk.core.watchlist import BLOCK, WatchEntry
from kiosk.ui.i18n import tr
from kiosk.ui.app import KioskApp
from tests.ui.driver import PIN, SCREENSHOTS, Driver, reception_desk
from tests.ui.test_kiosk_behaviour import FakeClock
from tests.ui.test_visitor_flow import HOSTS, SIGNATURE, next_button, pick_candidate


def to_type_screen(d, name_keys: list[tuple[str, str]]):
    d.tap(tr("Sign in"))
    assert d.screen == "who"
    for keys, candidate in name_keys:
        d.type_keys(keys)
        pick_candidate(d, candidate)
    d.tap(next_button(d))
    d.tap(next_button(d))  # no company
    assert d.screen == "visit"


def to_review(d):
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    d.type_keys("ls")
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap("李四   研发部")
    assert d.screen == "agreement"
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    assert d.screen == "review"


def test_a_contractor_answers_waits_for_approval_and_gets_the_badge(make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    clock = FakeClock()
    d = Driver(KioskApp(kiosk, pin=PIN, monotonic=clock)).start()
    try:
        contractor_flow(d, kiosk, clock, virtual_printer)
    finally:
        d.stop()


def contractor_flow(d, kiosk, clock, virtual_printer):
    to_type_screen(d, [("zhao", "赵"), ("liu", "六")])
    d.tap("施工人员")
    assert d.screen == "question" and "施工区域" in d.texts()
    d.type_keys("jifang")
    pick_candidate(d, "机房")
    d.tap(next_button(d))
    assert "施工许可证号" in d.texts()
    d.tap(next_button(d))  # a required answer left empty is asked for again
    assert d.screen == "question" and tr("Please fill this in.") in d.texts()
    d.type_keys("2026")
    d.tap(next_button(d))
    d.tap(tr("Yes"))  # carries tools
    to_review(d)
    assert "施工人员入场安全须知" in d.app.flow.screen("agreement").text
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.app.flow.screen("printing").state == "awaiting", what="the approval request")
    assert tr("Your visit needs approval") in d.texts() and not virtual_printer.jobs
    visit = d.app.flow.last_check_in.visit
    assert visit.answers == {"work_area": "机房", "permit": "2026", "tools": "yes"}

    clock.now += kiosk.settings.idle_seconds + 1  # waiting is not idling: the screen stays
    d.pump(0.7)
    assert d.app.flow.screen("printing").state == "awaiting" and d.screen == "printing"
    reception_desk(kiosk).decide(visit.visit_id, approve=True, by="前台")  # through the shared log
    d.wait_for(lambda: d.screen == "done", what="the badge after approval", timeout=20)
    [job] = virtual_printer.wait_for_jobs(1)
    [qr] = zxingcpp.read_barcodes(job.image, formats=zxingcpp.BarcodeFormat.QRCode)
    claims = kiosk.verdict(qr.text).claims
    assert claims.visit_id == visit.visit_id and claims.expires_at - claims.issued_at == 10 * 3600


def test_a_visitor_on_the_watchlist_is_sent_to_reception(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    kiosk.entry.replace_watchlist([WatchEntry("w1", "张伟", action=BLOCK, note="禁止入内")])
    d = drive(kiosk)
    to_type_screen(d, [("zhang", "张"), ("wei", "卫")])  # 张卫 sounds as 张伟: the list asks by sound
    d.tap(tr("Meeting"))
    to_review(d)
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.app.flow.screen("printing").state == "see_reception", what="the refusal")
    shown = " ".join(d.texts())
    assert tr("Please see reception") in shown and "禁止入内" not in shown and "watchlist" not in shown.lower()
    d.screenshot(SCREENSHOTS / "blocked-visitor-zh_CN.png")
    assert not virtual_printer.jobs
