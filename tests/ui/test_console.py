"""The reception console under Xvfb: the PIN in front of it, a realistic day on screen (50
visitors, mixed languages) in every language, a visitor signed in at another kiosk appearing
after sync, each action on a visit, the log search, the roll call reaching the printer, and
the printer's and sync's health shown plainly."""

from __future__ import annotations

import dataclasses
import random

import pytest

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.core.watchlist import BLOCK, WatchEntry
from kiosk.errors import VisitorBlocked
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.ui.i18n import LANGUAGES, tr
from kiosk.ui.launch import syncer_for
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.worker import Syncer
from tests.server_fixtures import start_server
from tests.ui.driver import PIN, SCREENSHOTS

HOSTS = [Host("h1", "李四", "研发部"), Host("h2", "Alice Smith", "Sales"), Host("h3", "陳大文", "財務部"),
         Host("h4", "王芳", "行政部")]
NAMES = ["张伟", "王秀英", "Maria García", "李娜", "Tanaka Hiroshi", "刘洋", "陳志明", "John O'Brien", "赵敏",
         "黃美玲", "Nguyễn Văn An", "孙丽", "周杰", "Émilie Dubois", "吴磊", "林淑芬", "Kim Min-jun", "郑爽"]
COMPANIES = ["华为技术有限公司", "ACME Logistics", "", "台積電", "顺丰速运", "Siemens AG", "腾讯科技", "自由职业"]


@pytest.fixture
def reception(make_kiosk):
    return make_kiosk(role="reception", device="desk-1")


def unlock(d):
    assert d.screen == "staff"
    d.type_keys(PIN)
    d.tap(tr("OK"))
    d.wait_for(lambda: d.screen == "console" and d.current().queue is not None, what="the console")


def a_busy_day(kiosk: Kiosk, count: int = 50, seed: int = 7) -> None:
    rnd = random.Random(seed)
    for n in range(count):
        name = NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else f" {n}")
        visit = kiosk.check_in(name=name, company=rnd.choice(COMPANIES), host=rnd.choice(HOSTS),
                               phone=f"1380000{n:04d}", purpose=rnd.choice(["会议", "面试", "Delivery", "維修"])).visit
        fate = rnd.random()
        if fate < 0.3:
            kiosk.host_met(visit.visit_id)
        elif fate < 0.4:
            kiosk.log.record((ev.APPROVAL_REQUESTED, visit.visit_id, {"why": "contractor"}))
        elif fate < 0.6:
            kiosk.sign_out_by_hand(visit.visit_id, "left")
    kiosk.entry.replace_watchlist([WatchEntry("w1", "张伟", company="某某贸易", action=BLOCK, note="2024 年盗窃，禁止入内")])
    with pytest.raises(VisitorBlocked):
        kiosk.check_in(name="張偉", company="某某贸易", host=HOSTS[0])
    kiosk.check_in(name="赵六", company="安装工程公司", host=HOSTS[0], visitor_type="contractor",
                   answers={"work_area": "3F 机房", "permit": "2026-118", "tools": "yes"})


def test_a_visitor_signed_in_at_another_kiosk_appears_after_sync(make_kiosk, drive, tmp_path):
    server = start_server(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    try:
        desk = make_kiosk(role="reception", device="desk-1")
        desk = Kiosk.open(dataclasses.replace(desk.settings, server=server.url,
                                              token=server.device("hq", "desk-1", "reception")), desk.printer_factory)
        lobby = Kiosk.open(Settings(data_dir=str(tmp_path / "lobby"), site="hq", device="lobby-2"),
                           PreviewPrinter(tmp_path / "lobby-paper"))
        lobby_sync = Syncer(lobby, SyncClient(server.url, server.device("hq", "lobby-2")))
        syncer = syncer_for(desk)
        from kiosk.ui.app import KioskApp
        from tests.ui.driver import Driver

        d = Driver(KioskApp(desk, pin=PIN, syncer=syncer)).start()
        try:
            unlock(d)
            assert d.current().counts["waiting"] == 0
            lobby.check_in(name="远方来客", company="异地分公司", host=HOSTS[0])
            lobby_sync.sync_once()
            d.wait_for(lambda: d.current().counts["waiting"] == 1, timeout=30, what="the synced visitor")
            d.pump(0.3)
            assert any("远方来客" in text for text in d.texts())
            d.current().sync_health()
            assert d.current().sync_text == tr("Synced {n} s ago").format(
                n=int(__import__("time").time() - syncer.status.last_success)), d.current().sync_text
            assert not d.current().sync_alert
        finally:
            d.stop()
    finally:
        server.stop()


def test_reception_acts_on_a_visit(drive, reception, virtual_printer):
    visit = reception.check_in(name="张三", company="华为", host=HOSTS[0]).visit
    virtual_printer.wait_for_jobs(1)
    d = drive(reception)
    unlock(d)
    console = d.current()

    def select():
        d.wait_for(lambda: console.rows, what="rows")
        d.tap(next(w for w in console.ids.list.walk() if getattr(w, "visit_id", "") == visit.visit_id))
        assert console.selected is not None and console.selected.visit_id == visit.visit_id

    select()
    d.tap(tr("Reprint badge"))
    d.wait_for(lambda: len(virtual_printer.jobs) == 2, what="the reprint")
    d.wait_for(lambda: reception.log.visit(visit.visit_id).badges[0].revoked == "reprinted", what="the old badge revoked")
    d.tap(tr("Host has met them"))
    d.wait_for(lambda: reception.log.visit(visit.visit_id).state == "with_host", what="host met")
    console.show_tab("with_host")
    select()
    d.tap(tr("Record a complaint"))
    d.physical_keys("等候太久")
    d.tap(tr("OK"))
    d.wait_for(lambda: reception.log.visit(visit.visit_id).complaints == ("等候太久",), what="the complaint")
    select()
    d.tap(tr("Sign out by hand"))
    d.app.flow.keyboard.mode = "latin"
    d.physical_keys("left by the side door")
    d.tap(tr("OK"))
    d.wait_for(lambda: reception.log.visit(visit.visit_id).state == "signed_out", what="the sign-out")
    signed_out = [e for e in reception.log.events(visit.visit_id) if e.kind == ev.SIGNED_OUT]
    assert signed_out[0].data == {"by": "manual", "note": "left by the side door"}
    d.wait_for(lambda: console.counts["left"] == 1, what="the queue to refresh")


def test_search_roll_call_and_printer_health(drive, reception, virtual_printer):
    a_busy_day(reception, 12)
    jobs = len(virtual_printer.wait_for_jobs(12))
    virtual_printer.mode = "paper-out"
    d = drive(reception)
    unlock(d)
    console = d.current()
    d.wait_for(lambda: console.printer_alert, what="the paper-out alert")
    assert tr("OUT OF PAPER") in console.printer_text
    virtual_printer.mode = "ready"
    d.tap(tr("Search"))
    d.physical_keys("0003")
    d.tap(tr("OK"))
    d.wait_for(lambda: console.tab == "search", what="search results")
    assert [r["title"].split()[0] for r in console.rows] == [NAMES[3]]
    d.tap(tr("Roll call"))
    d.wait_for(lambda: console.tab == "roll_call", what="the roll call")
    assert console.counts["roll_call"] == len(reception.in_building())
    assert len(virtual_printer.wait_for_jobs(jobs + 1)) > jobs  # the list reached the printer
    assert tr("Roll call: {n} in the building; list printed.").format(n=console.counts["roll_call"]) == console.notice


@pytest.mark.parametrize("lang", LANGUAGES)
def test_screenshots_of_a_realistic_day(drive, reception, lang):
    a_busy_day(reception, 50)
    d = drive(reception)
    d.app.flow.set_language(lang)
    unlock(d)
    console = d.current()
    for tab in ("waiting", "approval", "with_host", "left"):
        console.show_tab(tab)
        if console.rows:  # the first, or the visitor the watchlist stopped
            stopped = [r for r in console.rows if r["flag"] == tr("blocked (watchlist)")]
            console.select((stopped or console.rows)[0]["visit_id"])
        d.pump(0.2)
        d.screenshot(SCREENSHOTS / f"console-{tab}-{lang}.png")
    assert sum(console.counts[t] for t in ("waiting", "approval", "with_host", "left")) == 52
    d.app.flow.set_language("zh_CN")


def test_search_text_names_a_day_in_any_common_form():
    from datetime import datetime

    from kiosk.ui.screens.console import search_terms

    now = datetime(2026, 12, 1, 15, 0).astimezone()
    day = int(datetime(2026, 11, 30).astimezone().timestamp() * 1000)
    assert search_terms("张 2026-11-30", now) == ("张", day, day + 86_400_000)
    assert search_terms("11/30 华为", now) == ("华为", day, day + 86_400_000)
    assert search_terms("13-45", now) == ("13-45", None, None)  # no 13th month: just text
    assert search_terms("5678", now) == ("5678", None, None)


def test_the_end_of_day_signs_out_who_is_left_and_tells_reception(drive, make_kiosk):
    from datetime import datetime, timedelta

    cutoff = (datetime.now() - timedelta(minutes=1)).strftime("%H:%M")
    settings = make_kiosk(role="reception", device="desk-1", auto_signout_at=cutoff).settings
    earlier = Kiosk.open(settings, PreviewPrinter(settings.data_path / "paper"),
                         clock=lambda: int(datetime.now().timestamp() * 1000) - 2 * 3_600_000)
    stayed = earlier.check_in(name="加班的访客", host=HOSTS[0]).visit  # two hours ago, before the cut-off
    desk = Kiosk.open(settings, PreviewPrinter(settings.data_path / "paper"))
    d = drive(desk)
    unlock(d)
    d.current().end_of_day()
    d.wait_for(lambda: desk.log.visit(stayed.visit_id).state == "signed_out", what="the automatic sign-out")
    d.wait_for(lambda: "加班的访客" in d.current().notice, what="the summary for reception")
    assert desk.log.visit(stayed.visit_id).signed_out_by == "auto"


def test_an_unattended_console_locks_itself_and_bad_input_is_said(make_kiosk):
    from kiosk.ui.app import CONSOLE_LOCK_SECONDS, KioskApp
    from tests.ui.driver import Driver

    now = [1000.0]
    desk = make_kiosk(role="reception", device="desk-1")
    desk.check_in(name="张三", host=HOSTS[0])
    d = Driver(KioskApp(desk, pin=PIN, monotonic=lambda: now[0])).start()
    try:
        unlock(d)
        console = d.current()
        console.select(console.rows[0]["visit_id"])
        d.tap(tr("Record a complaint"))
        d.tap(tr("OK"))  # nothing typed: a complaint needs words
        d.wait_for(lambda: console.notice == tr("Please fill this in."), what="the refusal")
        now[0] += CONSOLE_LOCK_SECONDS + 1
        d.pump(0.7)
        assert d.screen == "staff" and not d.current().unlocked
    finally:
        d.stop()


def test_events_set_aside_by_sync_are_shown_and_everyone_else_is_listed(make_kiosk, tmp_path):
    """A poison event an older server stored (a visitor name that is a list, another one a
    number, one far too large): reception still sees every other visitor, and the sync status
    says how many events were set aside and why."""
    from kiosk.core.events import encode_data, new_id
    from kiosk.core.tokens import new_visit_id
    from sync.server.app import now_ms
    from sync.server.db import events as server_events

    server = start_server(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    try:
        lobby = Kiosk.open(Settings(data_dir=str(tmp_path / "lobby"), site="hq", device="lobby-2"),
                           PreviewPrinter(tmp_path / "lobby-paper"))
        lobby.check_in(name="远方来客", company="异地分公司", host=HOSTS[0])
        Syncer(lobby, SyncClient(server.url, server.device("hq", "lobby-2"))).sync_once()
        server.app.state.projector.stop()  # the server's own visits are not what is tested here
        host = {"host_id": "h1", "name": "李四", "department": "研发部"}
        with server.app.state.db.write() as conn:
            conn.execute(server_events.insert(), [
                {"event_id": new_id(), "site": "hq", "device": "old", "seq": n, "ts": now_ms(), "kind": ev.SIGNED_IN,
                 "visit_id": new_visit_id(), "data": encode_data({"visitor": {"name": name}, "host": host}),
                 "received_at": now_ms()} for n, name in enumerate([["a", "list"], 12345, "长" * 20_000], start=1)])
        desk = make_kiosk(role="reception", device="desk-1")
        desk = Kiosk.open(dataclasses.replace(desk.settings, server=server.url,
                                              token=server.device("hq", "desk-1", "reception")), desk.printer_factory)
        syncer = syncer_for(desk)
        from kiosk.ui.app import KioskApp
        from tests.ui.driver import Driver

        d = Driver(KioskApp(desk, pin=PIN, syncer=syncer)).start()
        try:
            unlock(d)
            d.wait_for(lambda: syncer.status.set_aside.count >= 1 and d.current().counts["waiting"] >= 1,
                       timeout=30, what="the first sync")
            d.current().refresh()
            d.pump(0.5)
            assert any("远方来客" in said for said in d.texts())
            d.current().sync_health()
            found = syncer.status.set_aside
            shown = tr("{n} synced events set aside: {reasons}").format(n=found.count, reasons="; ".join(found.reasons))
            assert d.current().sync_text.endswith(" — " + shown) and d.current().sync_alert
            assert "larger than" in shown  # the reason, not just a count
            d.screenshot(SCREENSHOTS / "console-events-set-aside-zh_CN.png")
        finally:
            d.stop()
    finally:
        server.stop()
