"""The console's complaints and management pages over real HTTP (SQLite and PostgreSQL): a
complaint recorded at a reception desk followed up to resolved, site scope (404), read-only
auditors, CSRF; the host CSV upload and its bad lines, devices added and revoked (the token then
refused by the API), the watchlist, invitations made and cancelled (the kiosk then refuses the
code), and console users; each change in the audit log."""

from __future__ import annotations

import re

import pytest
import requests

from kiosk.core import invites
from kiosk.core.events import new_id
from kiosk.core.tokens import new_visit_id
from kiosk.errors import InvitationRefused
from sync.server.app import now_ms
from sync.server.console import audit
from tests.console_fixtures import PASSWORD, Browser, Kiosk1, add_user, plain_http
from tests.notify_fixtures import smtp_server, start_smtp, tls_cert  # noqa: F401
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

HOSTS_CSV = "name,department,email,phone\n李四,研发部,lisi@example.com,13800000000\n王五,财务部,wangwu@example.com,\n"
BAD_HOSTS_CSV = "name,department,email,phone\n李四,研发部,lisi@example.com,\n,财务部,nobody@example.com,\n"


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "deskb", "reception", ["B"])
    add_user(server, "boss", "admin")
    add_user(server, "eye", "auditor")
    return server


def logged_in(server, name: str) -> Browser:
    browser = Browser(server)
    assert browser.log_in(name).status_code == 303
    browser.token_from()
    return browser


def record_complaint(server, site: str, text: str, visitor: str = "王芳") -> str:
    """A visit signed in at a reception desk and a complaint recorded there, pushed as the desk
    pushes: the complaint event's id."""
    desks = server.__dict__.setdefault("desks", {})  # site -> [token, events pushed]
    if site not in desks:
        desks[site] = [server.device(site, f"desk-{site}", "reception"), 0]
    token, seq = desks[site]
    desks[site][1] += 2
    visit_id, complaint = new_visit_id(), new_id()
    data = {"visitor": {"name": visitor, "company": "测试公司", "phone": "", "purpose": ""},
            "host": {"host_id": "h1", "name": "李四", "department": "研发部"}, "lang": "zh_CN"}
    batch = [{"event_id": new_id(), "site": site, "device": f"desk-{site}", "seq": seq + 1, "ts": now_ms() - 60_000,
              "kind": "signed_in", "visit_id": visit_id, "data": data},
             {"event_id": complaint, "site": site, "device": f"desk-{site}", "seq": seq + 2, "ts": now_ms() - 30_000,
              "kind": "complaint", "visit_id": visit_id, "data": {"text": text}}]
    answer = requests.post(f"{server.url}/v1/events", headers=server.headers(token), json={"events": batch}, timeout=30)
    assert answer.status_code == 200 and len(answer.json()["accepted"]) == 2, answer.text
    return complaint


def actions(server, action: str) -> list[audit.Entry]:
    return audit.entries(server.app.state.db, audit.Filter(action=action))


def test_a_complaint_is_followed_up_to_resolved(console):
    complaint = record_complaint(console, "A", "等了四十分钟没人接待 <script>alert(1)</script>")
    desk = logged_in(console, "desk")
    listing = desk.get("/console/complaints?status=open")
    assert listing.status_code == 200 and complaint in listing.text and "王芳" in listing.text
    assert "<script>alert(1)" not in listing.text and "&lt;script&gt;" in listing.text
    page = f"/console/complaints/A/{complaint}"
    assert desk.post(page, {"owner": "desk", "status": "in_progress", "note": "no token"}).status_code == 403
    taken = desk.post(page, {"csrf": desk.csrf, "owner": "desk", "status": "in_progress", "note": "已致电访客"})
    assert taken.status_code == 303
    assert desk.post(page, {"csrf": desk.csrf, "owner": "desk", "status": "resolved",
                            "note": "已道歉并改进排班"}).status_code == 303
    shown = desk.get(page).text
    assert "已致电访客" in shown and "已道歉并改进排班" in shown and 'id="resolution"' in shown
    assert complaint in desk.get("/console/complaints?status=resolved&owner=desk").text
    assert complaint not in desk.get("/console/complaints?status=open").text
    changes = actions(console, "complaint")
    assert [e.detail.get("status") for e in reversed(changes)] == ["in_progress", "resolved"]
    assert all(e.who == "desk" and e.target == f"A/{complaint}" for e in changes)
    # The notes' words stay out of the append-only log (a purge could never empty them there).
    assert [e.detail.get("note_added") for e in reversed(changes)] == [len("已致电访客"), len("已道歉并改进排班")]
    assert not any("已致电访客" in str(e.detail) + e.reason for e in changes)
    assert desk.post(page, {"csrf": desk.csrf, "owner": "nobody-such", "status": "open"}).status_code == 422


def test_complaints_of_another_site_and_the_auditor(console):
    theirs = record_complaint(console, "B", "B 的投诉", visitor="赵六")
    record_complaint(console, "A", "A 的投诉")
    desk = logged_in(console, "desk")
    assert "赵六" not in desk.get("/console/complaints").text
    assert desk.get(f"/console/complaints/B/{theirs}").status_code == 404
    assert desk.get("/console/complaints?site=B").status_code == 404
    assert desk.post(f"/console/complaints/B/{theirs}", {"csrf": desk.csrf, "status": "resolved"}).status_code == 404
    eye = logged_in(console, "eye")
    assert eye.get(f"/console/complaints/B/{theirs}").status_code == 200
    assert eye.post(f"/console/complaints/B/{theirs}", {"csrf": eye.csrf, "status": "resolved"}).status_code == 403
    assert not actions(console, "complaint")


def test_host_csv_upload_tells_the_bad_line(console):
    boss = logged_in(console, "boss")
    bad = boss.post("/console/manage/hosts/upload", {"csrf": boss.csrf},
                    files={"file": ("hr.csv", BAD_HOSTS_CSV.encode("utf-8"), "text/csv")})
    assert bad.status_code == 422 and "hr.csv" in bad.text and "line 3" in bad.text, bad.text
    assert "lisi@example.com" not in boss.get("/console/manage/hosts").text  # nothing was replaced
    assert boss.post("/console/manage/hosts/upload", {},
                     files={"file": ("hr.csv", HOSTS_CSV.encode(), "text/csv")}).status_code == 403
    good = boss.post("/console/manage/hosts/upload", {"csrf": boss.csrf},
                     files={"file": ("hr.csv", HOSTS_CSV.encode("gb18030"), "text/csv")})
    assert good.status_code == 303
    listed = requests.get(f"{console.url}/v1/hosts", headers=console.headers(console.device("A", "k1")), timeout=30)
    assert {h["name"] for h in listed.json()["hosts"]} == {"李四", "王五"}
    page = boss.get("/console/manage/hosts").text
    assert "13800000000" not in page  # phones masked
    [entry] = actions(console, "hosts_upload")
    assert entry.detail == {"hosts": 2}


def test_watchlist_csv_upload_and_a_bad_one_refused_in_words(console):
    boss = logged_in(console, "boss")
    page = "/console/manage/watchlist/upload"
    nothing = boss.post(page, {"csrf": boss.csrf}, files={"file": ("", b"", "text/csv")})
    assert nothing.status_code == 422 and "choose a CSV file" in nothing.text
    bad = boss.post(page, {"csrf": boss.csrf}, files={"file": ("list.csv", "姓名,动作\n,拦截\n".encode(), "text/csv")})
    assert bad.status_code == 422 and "list.csv" in bad.text and "/tmp" not in bad.text, bad.text
    good = boss.post(page, {"csrf": boss.csrf},
                     files={"file": ("list.csv", "name,action\n黑名单甲,block\n".encode(), "text/csv")})
    assert good.status_code == 303
    assert "黑名单甲" in boss.get("/console/manage/watchlist").text
    [entry] = actions(console, "watchlist_upload")
    assert entry.detail == {"entries": 1}


def test_device_added_and_revoked(console):
    boss = logged_in(console, "boss")
    added = boss.post("/console/manage/devices/add", {"csrf": boss.csrf, "site": "A", "name": "lobby-2",
                                                       "role": "visitor"})
    assert added.status_code == 200 and 'id="token"' in added.text
    token = added.text.split('id="token">')[1].split("<")[0]
    assert token not in boss.get("/console/manage/devices").text  # shown once
    assert requests.get(f"{console.url}/v1/keys", headers=console.headers(token), timeout=30).status_code == 200
    assert boss.post("/console/manage/devices/A/lobby-2/revoke", {}).status_code == 403
    assert boss.post("/console/manage/devices/A/lobby-2/revoke", {"csrf": boss.csrf}).status_code == 303
    refused = requests.get(f"{console.url}/v1/keys", headers=console.headers(token), timeout=30)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]
    assert [e.target for e in actions(console, "device_add")] == ["A/lobby-2"]
    assert all(token not in str(e.detail) for e in audit.entries(console.app.state.db))
    desk = logged_in(console, "desk")
    assert desk.get("/console/manage/devices").status_code == 403


def test_invitation_created_and_cancelled(console, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "A")
    desk = logged_in(console, "desk")
    made = desk.post("/console/manage/invitations", {"csrf": desk.csrf, "site": "A", "name": "陈七",
                                                     "host": "李四", "hours": "8"})
    assert made.status_code == 200 and 'id="made"' in made.text, made.text
    text = made.text.split('class="token">')[1].split("<")[0]
    kiosk.syncer.sync_once()
    invitation = kiosk.kiosk.read_invitation(text)
    assert desk.post("/console/manage/invitations", {"csrf": desk.csrf, "site": "B", "name": "x",
                                                     "host": "李四"}).status_code == 404
    cancel = f"/console/manage/invitations/A/{invitation.invite_id}/cancel"
    assert desk.post(cancel, {}).status_code == 403
    assert desk.post(cancel, {"csrf": desk.csrf}).status_code == 303
    assert desk.post(cancel, {"csrf": desk.csrf}).status_code == 409
    kiosk.syncer.sync_once()
    with pytest.raises(InvitationRefused) as refused:
        kiosk.kiosk.read_invitation(text)
    assert refused.value.reason == invites.USED
    assert "已取消" in desk.get("/console/manage/invitations").text  # cancelled, in the default zh_CN
    assert [e.action for e in reversed(audit.entries(console.app.state.db)) if e.action.startswith("invitation")] == [
        "invitation_add", "invitation_cancel"]


def test_users_and_watchlist(console):
    boss = logged_in(console, "boss")
    added = boss.post("/console/manage/users/add", {"csrf": boss.csrf, "name": "new-desk", "role": "reception",
                                                    "sites": "A, B", "password": "a secret password 42"})
    assert added.status_code == 303
    assert boss.post("/console/manage/users/new-desk", {"csrf": boss.csrf, "role": "auditor",
                                                        "sites": ""}).status_code == 303
    fresh = Browser(console)
    assert fresh.log_in("new-desk", "a secret password 42").status_code == 303
    assert fresh.get("/console/audit").status_code == 200  # an auditor now
    assert boss.post("/console/manage/users/boss/remove", {"csrf": boss.csrf}).status_code == 403
    assert boss.post("/console/manage/users/new-desk/remove", {"csrf": boss.csrf}).status_code == 303
    assert fresh.get("/console/audit").status_code == 303  # logged out with the account
    assert all("a secret password" not in str(e.detail) + e.reason + e.target
               for e in audit.entries(console.app.state.db))
    assert [e.action for e in reversed(actions(console, "user_change"))] == ["user_change"]
    assert boss.post("/console/manage/watchlist/add", {"csrf": boss.csrf, "name": "黑名单", "phone": "13900000000",
                                                       "action": "block", "note": "<b>bold</b>"}).status_code == 303
    page = boss.get("/console/manage/watchlist").text
    assert "黑名单" in page and "13900000000" not in page and "&lt;b&gt;bold" in page
    entry_id = re.search(r'/console/manage/watchlist/([0-9a-f]+)/remove', page).group(1)
    assert boss.post(f"/console/manage/watchlist/{entry_id}/remove", {"csrf": boss.csrf}).status_code == 303
    assert "黑名单" not in boss.get("/console/manage/watchlist").text
    assert [e.action for e in reversed(audit.entries(console.app.state.db)) if e.action.startswith("watchlist")] == [
        "watchlist_add", "watchlist_remove"]
    desk = logged_in(console, "desk")
    for path in ("/console/manage/users", "/console/manage/watchlist", "/console/manage/hosts"):
        assert desk.get(path).status_code == 403, path
    assert desk.post("/console/manage/users/add", {"csrf": desk.csrf, "name": "x", "role": "admin",
                                                   "password": PASSWORD}).status_code == 403


def test_an_invitation_emailed_again(console, smtp_server):
    from sync.server import invitations
    console.app.state.mailer = invitations.mailer(smtp_server.url())
    console.device("A", "kiosk-a")  # a site is one with a device
    desk = logged_in(console, "desk")
    made = desk.post("/console/manage/invitations", {"csrf": desk.csrf, "site": "A", "name": "陈七", "host": "李四"})
    assert made.status_code == 200 and not smtp_server.mails
    text = made.text.split('class="token">')[1].split("<")[0]
    invite_id = re.search(r'data-invite="([A-Z2-7]+)"', made.text).group(1)
    again = f"/console/manage/invitations/A/{invite_id}/resend"
    assert desk.post(again, {"email": "chen@example.com"}).status_code == 403
    sent = desk.post(again, {"csrf": desk.csrf, "email": "chen@example.com"})
    assert sent.status_code == 200 and text in sent.text
    [mail] = smtp_server.mails
    assert mail.rcpt_tos == ["chen@example.com"] and text in mail.message().get_body(("plain",)).get_content()
    [entry] = actions(console, "invitation_resend")
    assert entry.detail == {"emailed": True} and "chen@example.com" not in str(entry.detail)


def test_edit_one_host(console):
    boss = logged_in(console, "boss")
    assert boss.post("/console/manage/hosts/upload", {"csrf": boss.csrf},
                     files={"file": ("hr.csv", HOSTS_CSV.encode(), "text/csv")}).status_code == 303
    from sync.server import store
    lisi = next(h for h in store.all_hosts(console.app.state.db) if h.name == "李四")
    page = boss.get(f"/console/manage/hosts/{lisi.host_id}")
    assert page.status_code == 200 and "13800000000" not in page.text  # the form shows the phone masked
    form = {"csrf": boss.csrf, "name": "李四", "english_name": "Li Si", "department": "研发二部",
            "email": lisi.email, "phone": "138****0000", "aliases": "小李; Lisa", "language": "zh_CN"}
    assert boss.post(f"/console/manage/hosts/{lisi.host_id}", {**form, "name": ""}).status_code == 422
    assert boss.post(f"/console/manage/hosts/{lisi.host_id}", form).status_code == 303
    edited = store.get_host(console.app.state.db, lisi.host_id)
    assert (edited.department, edited.english_name, edited.aliases, edited.phone) == (
        "研发二部", "Li Si", ("小李", "Lisa"), "13800000000")  # the masked phone left as it was
    [entry] = actions(console, "host_edit")
    assert entry.detail == {"changed": ["aliases", "department", "english_name", "language"]}


FORMS = ("/console/complaints/A/{event}", "/console/manage/hosts/upload", "/console/manage/hosts/h1",
         "/console/manage/devices/add", "/console/manage/devices/A/desk-A/revoke", "/console/manage/watchlist/add",
         "/console/manage/watchlist/e1/remove", "/console/manage/watchlist/upload", "/console/manage/invitations",
         "/console/manage/invitations/A/AAAAAAAAAAAAAAAA/resend",
         "/console/manage/invitations/A/AAAAAAAAAAAAAAAA/cancel",
         "/console/manage/users/add", "/console/manage/users/desk", "/console/manage/users/desk/remove")


def test_every_form_without_its_token_is_refused(console):
    """Each form of these pages, posted as another site's page would post it (the session's
    cookie goes along, the token cannot), with a wrong token and with none: 403, nothing done."""
    event = record_complaint(console, "A", "投诉")
    boss = logged_in(console, "boss")
    fields = {"site": "A", "name": "lobby-9", "role": "reception", "status": "resolved", "owner": "boss",
              "password": PASSWORD, "email": "x@example.com", "host": "李四", "sites": ""}
    before = len(audit.entries(console.app.state.db, limit=None))
    for path in FORMS:
        for token in ({}, {"csrf": boss.csrf[:-2] + "xx"}):
            refused = boss.post(path.format(event=event), {**fields, **token})
            assert refused.status_code == 403, (path, refused.text)
    assert len(audit.entries(console.app.state.db, limit=None)) == before
    assert "lobby-9" not in boss.get("/console/manage/devices").text
    assert "desk" in boss.get("/console/manage/users").text
