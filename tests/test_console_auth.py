"""The web console's accounts, sessions and audit log over real HTTP on 127.0.0.1 (SQLite and
PostgreSQL), acting as a browser and as an attacker would: no data without a session, a new
session id at login, CSRF refused, lockout after wrong passwords, no open redirect, security
headers on every page, another site's visit a 404, phones unmasked only with a reason and
recorded, and an audit log the database itself refuses to rewrite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sync.server.app import now_ms
from sync.server.console import accounts, audit
from sync.server.db import audit_log, console_sessions
from tests.console_fixtures import PASSWORD, Browser, Kiosk1, add_user, csrf_of, plain_http
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "boss", "admin")
    return server


def entries(server, **chosen) -> list[audit.Entry]:
    return audit.entries(server.app.state.db, audit.Filter(**chosen))


def test_no_session_no_data(console):
    browser = Browser(console)
    page = browser.get("/console/audit?who=boss")
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=%2Fconsole%2Faudit%3Fwho%3Dboss"
    api = browser.post("/console/api/visits/A/0123456789abcdef/phone", {"reason": "x"})
    assert api.status_code == 401 and api.json() == {"error": "log in to the console first"}
    forged = browser.get("/console/audit", cookies={"console": "made-up-session-id"})
    assert forged.status_code == 303


def test_login_page_headers(console):
    page = Browser(console).get("/console/login")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and " on" not in page.text.replace(" one", "")  # no inline handlers


def test_login_makes_a_new_session_and_logout_ends_it(console):
    browser = Browser(console)
    browser.http.cookies.set("console", "fixated-by-attacker", domain="127.0.0.1", path="/")
    answer = browser.log_in("boss", next="/console/audit")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/audit"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    session_id = browser.http.cookies.get("console", domain="127.0.0.1")
    assert session_id and session_id != "fixated-by-attacker"
    with console.app.state.db.read() as conn:  # only its hash is stored
        stored = conn.execute(sa.select(console_sessions.c.id_hash)).scalars().all()
    assert len(stored) == 1 and session_id not in stored[0]
    assert browser.get("/console/audit").status_code == 200
    token = browser.token_from()
    assert browser.post("/console/logout", {"csrf": token}).status_code == 303
    browser.http.cookies.set("console", session_id, domain="127.0.0.1", path="/")  # a copy kept is dead
    assert browser.get("/console/audit").status_code == 303
    assert {"login", "logout"} <= {e.action for e in entries(console, who="boss")}


def test_secure_cookie_by_default(server):
    add_user(server, "boss", "admin")
    browser = Browser(server)
    form = browser.get("/console/login")
    answer = browser.post("/console/login", {"name": "boss", "password": PASSWORD, "csrf": csrf_of(form.text)},
                          cookies={"console-login": form.cookies["console-login"]})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-console=") and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("next_page", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                       "javascript:alert(1)", "/console/audit\r\nSet-Cookie: x=1"])
def test_no_open_redirect_after_login(console, next_page):
    answer = Browser(console).log_in("boss", next=next_page)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"


def test_login_without_its_form_token_is_refused(console):
    browser = Browser(console)
    answer = browser.post("/console/login", {"name": "boss", "password": PASSWORD, "csrf": "guessed"})
    assert answer.status_code == 403
    assert browser.http.cookies.get("console") is None


def test_post_without_csrf_is_refused(console):
    browser = Browser(console)
    browser.log_in("boss")
    token = browser.token_from()
    assert browser.post("/console/logout", {}).status_code == 403
    assert browser.post("/console/logout", {"csrf": token[:-1] + "x"}).status_code == 403
    assert browser.get("/console/account").status_code == 200  # still logged in: nothing was done


def test_wrong_passwords_lock_the_account(console):
    browser = Browser(console)
    for _ in range(accounts.LOCK_AFTER - 1):
        assert browser.log_in("boss", "wrong password!").status_code == 401
    locked = browser.log_in("boss", "wrong password!")
    assert locked.status_code == 429
    assert browser.log_in("boss").status_code == 429  # the right one too, while locked
    actions = [e.action for e in entries(console, who="boss")]
    assert actions.count("login_failed") == accounts.LOCK_AFTER - 1 and "login_locked" in actions
    with console.app.state.db.read() as conn:  # no password anywhere in the log
        logged = " ".join(map(str, conn.execute(sa.select(audit_log)).all()))
    assert "wrong password" not in logged and PASSWORD not in logged


def test_an_address_that_fails_too_often_is_refused(console):
    browser = Browser(console)
    for i in range(20):  # each name unknown: no account locks, the address does
        assert browser.log_in(f"nobody{i}", "guess guess guess").status_code == 401
    assert browser.log_in("boss").status_code == 429
    assert "password" not in " ".join(e.target for e in entries(console))


def test_audit_log_is_append_only(console):
    db = console.app.state.db
    audit.record(db, "boss", "search", now_ms(), target="zs")
    for change in (audit_log.update().values(who="nobody"), audit_log.delete()):
        with pytest.raises(Exception, match="append-only"):
            with db.write() as conn:
                conn.execute(change)
    assert [e.who for e in entries(console, action="search")] == ["boss"]


def test_audit_page_filters_and_exports(console):
    add_user(console, "desk", "reception", ["A"])
    browser = Browser(console)
    browser.log_in("boss")
    audit.record(console.app.state.db, "boss", "search", now_ms(), target="=HYPERLINK(\"x\")")
    page = browser.get("/console/audit?action=search")
    assert page.status_code == 200 and "HYPERLINK" in page.text and "<td>login</td>" not in page.text
    csv = browser.get("/console/audit.csv?action=search")
    assert csv.status_code == 200 and "'=HYPERLINK" in csv.content.decode("utf-8-sig")
    assert {"audit_view", "audit_export"} <= {e.action for e in entries(console, who="boss")}
    desk = Browser(console)
    desk.log_in("desk")
    assert desk.get("/console/audit").status_code == 403


def test_unmask_a_phone(console, tmp_path):
    add_user(console, "guard", "security", ["A"])
    add_user(console, "desk", "reception", ["A"])
    kiosk_a, kiosk_b = Kiosk1(tmp_path, console, "A"), Kiosk1(tmp_path, console, "B")
    visit_a = kiosk_a.sign_in("王芳", phone="13812345678")
    visit_b = kiosk_b.sign_in("赵六", phone="13987654321")
    guard = Browser(console)
    guard.log_in("guard")
    token = guard.token_from()
    path = f"/console/api/visits/A/{visit_a}/phone"
    assert guard.post(path, {"csrf": token, "reason": "  "}).status_code == 422
    assert guard.post(path, {"reason": "lost badge"}).status_code == 403  # no CSRF token
    answer = guard.post(path, {"reason": "访客遗失物品，联系本人"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200 and answer.json() == {"phone": "13812345678"}
    assert answer.headers["cache-control"] == "no-store"
    other_site = guard.post(f"/console/api/visits/B/{visit_b}/phone", {"csrf": token, "reason": "curious"})
    assert other_site.status_code == 404 and "139" not in other_site.text
    [entry] = entries(console, action="unmask")
    assert (entry.who, entry.target, entry.reason) == ("guard", f"A/{visit_a}", "访客遗失物品，联系本人")
    desk = Browser(console)
    desk.log_in("desk")
    refused = desk.post(path, {"csrf": desk.token_from(), "reason": "why not"})
    assert refused.status_code == 403 and "138" not in refused.text


def test_removed_user_is_logged_out(console):
    add_user(console, "temp", "auditor")
    browser = Browser(console)
    browser.log_in("temp")
    assert browser.get("/console/audit").status_code == 200
    accounts.remove_user(console.app.state.db, "temp")
    assert browser.get("/console/audit").status_code == 303


def test_account_commands(tmp_path, monkeypatch, capsys):
    import io

    from sync.server.cli import main
    db = ["--db", str(tmp_path / "server.sqlite3")]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*db, "add-user", "--name", "王敏", "--role", "reception", "--site", "A", "--site", "B"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*db, "add-user", "--name", "x", "--role", "admin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert main([*db, "users"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["王敏\treception\tA,B\t"]
    assert main([*db, "audit"]) == 0
    listed = capsys.readouterr().out
    assert "user_add\t王敏" in listed and PASSWORD not in listed
    assert main([*db, "remove-user", "王敏"]) == 0
    assert main([*db, "remove-user", "王敏"]) == 1
    assert "no account named 王敏" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # no --password option exists
        main([*db, "add-user", "--name", "y", "--role", "admin", "--password", PASSWORD])


def test_insecure_cookies_only_when_asked(monkeypatch):
    from sync.server.console.session import INSECURE_ENV, Settings
    monkeypatch.delenv(INSECURE_ENV, raising=False)
    assert Settings.from_env().secure_cookies and Settings.from_env().cookie == "__Host-console"
    monkeypatch.setenv(INSECURE_ENV, "1")
    assert not Settings.from_env().secure_cookies and Settings.from_env().cookie == "console"


def test_insecure_cookies_only_on_loopback(console):
    """KIOSK_CONSOLE_INSECURE_COOKIES is for http://127.0.0.1: reached by any other name (a
    proxy passing the public Host on), the server sets Secure cookies all the same."""
    browser = Browser(console)
    public = {"Host": "visitors.example.com"}
    form = browser.get("/console/login", headers=public)
    assert "Secure" in form.headers["set-cookie"]
    answer = browser.post("/console/login", {"name": "boss", "password": PASSWORD, "csrf": csrf_of(form.text)},
                          headers=public, cookies={"console-login": form.cookies["console-login"]})
    assert answer.status_code == 303
    assert answer.headers["set-cookie"].startswith("__Host-console=") and "Secure" in answer.headers["set-cookie"]
