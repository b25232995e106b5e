"""The console's live board and roll call over real HTTP (SQLite and PostgreSQL), with real
kiosks syncing: what is on site, approvals decided from the board reaching the kiosk (which then
prints the badge), another site's board a 404, visitor-typed names shown as text, and the roll
call's list."""

from __future__ import annotations

import pytest
import requests

from kiosk.core import events as ev
from kiosk.core.events import new_id
from kiosk.core.visits import WAITING
from sync.server.app import now_ms
from sync.server.console import audit
from tests.console_fixtures import Browser, Kiosk1, add_user, plain_http, push_signed_in
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

CONTRACTOR = {"visitor_type": "contractor", "answers": {"work_area": "3F 机房", "permit": "P-1", "tools": "no"}}
XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "guard", "security", ["A"])
    add_user(server, "boss", "admin")
    return server


def logged_in(server, name: str) -> Browser:
    browser = Browser(server)
    assert browser.log_in(name).status_code == 303
    return browser


def test_board_shows_the_site_and_hides_others(console, tmp_path):
    a, b = Kiosk1(tmp_path, console, "A"), Kiosk1(tmp_path, console, "B")
    a.sign_in("王芳")
    b.sign_in("赵六")
    desk = logged_in(console, "desk")
    page = desk.get("/console/board")
    assert page.status_code == 200 and "王芳" in page.text and "赵六" not in page.text
    assert desk.get("/console/board/A").status_code == 200
    for path in ("/console/board/B", "/console/board/live?site=B", "/console/rollcall/B"):
        refused = desk.get(path)
        assert refused.status_code == 404 and "赵六" not in refused.text, path
    boss = logged_in(console, "boss").get("/console/board")
    assert "王芳" in boss.text and "赵六" in boss.text
    for path in ("/console/board", "/console/board/live", "/console/rollcall/A", "/console/board/B",
                 "/console/no-such-page"):
        answer = desk.get(path)
        assert answer.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert answer.headers["cache-control"] == "no-store", path
    live = desk.get("/console/board/live")
    assert live.status_code == 200 and "王芳" in live.text and "<html" not in live.text
    assert live.headers["cache-control"] == "no-store"


def test_visitor_typed_fields_are_shown_as_text(console, tmp_path):
    token = console.device("A", "kiosk-x")
    for seq, name in enumerate(XSS, start=1):
        push_signed_in(console, token, "A", "kiosk-x", seq, name, company=name, host=name)
    desk = logged_in(console, "desk")
    for path in ("/console/board", "/console/board/live", "/console/rollcall/A"):
        html = desk.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html, path
        assert "<script>alert" not in html and "<img src=x" not in html, path


def test_approve_from_the_board_and_the_kiosk_prints(console, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "A")
    visit_id = kiosk.sign_in("王芳", **CONTRACTOR)
    desk = logged_in(console, "desk")
    page = desk.get("/console/board/A")
    assert f'/console/board/A/{visit_id}/decide' in page.text
    decide = f"/console/board/A/{visit_id}/decide"
    token = desk.token_from("/console/board/A")
    assert desk.post(decide, {"decision": "approve"}).status_code == 403  # no CSRF token
    guard = logged_in(console, "guard")
    assert guard.post(decide, {"decision": "approve", "csrf": guard.token_from()}).status_code == 403
    done = desk.post(decide, {"decision": "approve", "csrf": token, "next": "/console/board/A"})
    assert done.status_code == 303 and done.headers["location"] == "/console/board/A"
    assert desk.post(decide, {"decision": "deny", "csrf": token}).status_code == 409
    kiosk.syncer.sync_once()
    assert kiosk.kiosk.log.visit(visit_id).state == WAITING
    [decision] = [e for e in kiosk.kiosk.log.events(visit_id) if e.kind == ev.APPROVED]
    assert decision.data["by"] == "desk (console)"
    assert kiosk.kiosk.issue_badge(visit_id).printed
    [entry] = audit.entries(console.app.state.db, audit.Filter(action="approve"))
    assert (entry.who, entry.target) == ("desk", f"A/{visit_id}")


def test_another_sites_visit_cannot_be_decided(console, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "B")
    visit_id = kiosk.sign_in("赵六", **CONTRACTOR)
    desk = logged_in(console, "desk")
    answer = desk.post(f"/console/board/B/{visit_id}/decide", {"decision": "approve", "csrf": desk.token_from()})
    assert answer.status_code == 404
    kiosk.syncer.sync_once()
    assert not [e for e in kiosk.kiosk.log.events(visit_id) if e.kind == ev.APPROVED]


def test_roll_call_lists_everyone_on_site(console, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "A")
    for name in ("王芳", "李雷", "韩梅梅"):
        kiosk.sign_in(name)
    gone = kiosk.sign_in("张三")
    kiosk.kiosk.sign_out_by_hand(gone, "left by the side door")
    kiosk.syncer.sync_once()
    desk = logged_in(console, "desk")
    assert desk.get("/console/rollcall").headers["location"] == "/console/rollcall/A"  # one site: straight there
    page = desk.get("/console/rollcall/A")
    assert page.status_code == 200
    for name in ("王芳", "李雷", "韩梅梅"):
        assert name in page.text
    assert "张三" not in page.text
    assert 'src="/console/static/rollcall.js"' in page.text and 'media="print"' in page.text
    assert [e.target for e in audit.entries(console.app.state.db, audit.Filter(action="rollcall_view"))] == ["A"]
    add_user(console, "audit", "auditor")
    assert logged_in(console, "audit").get("/console/rollcall/A").status_code == 403


def test_devices_to_look_at(console):
    """A kiosk whose newest badge did not print, and a device never heard from, are flagged."""
    token = console.device("A", "lobby")
    console.device("A", "exit-1", "exit")
    visit_id = push_signed_in(console, token, "A", "lobby", 1, "王芳")
    now = now_ms()
    events = [{"event_id": new_id(), "site": "A", "device": "lobby", "seq": seq, "ts": now, "kind": kind,
               "visit_id": visit_id, "data": data} for seq, kind, data in (
        (2, "badge_issued", {"badge_id": "ABCD2345", "issued_at": now, "expires_at": now + 3_600_000}),
        (3, "print_failed", {"badge_id": "ABCD2345", "reason": "纸张用完 <b>out of paper</b>"}))]
    answer = requests.post(f"{console.url}/v1/events", headers=console.headers(token), json={"events": events},
                           timeout=30)
    assert answer.status_code == 200 and len(answer.json()["accepted"]) == 2, answer.text
    board = logged_in(console, "desk").get("/console/board/live?site=A").text
    lobby = board[board.index("<td data-label=\"设备\">lobby</td>"):].split("</tr>")[0]
    assert "最近一张访客卡未打印：纸张用完 &lt;b&gt;out of paper&lt;/b&gt;" in lobby
    exit_post = board[board.index("<td data-label=\"设备\">exit-1</td>"):].split("</tr>")[0]
    assert "从未" in exit_post and "超过一小时无数据" in exit_post
    assert '<span class="count">2</span>' in board  # two devices need a look
