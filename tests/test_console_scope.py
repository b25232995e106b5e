"""Site scope of the console's pages that reach every site, over real HTTP against the real
server (SQLite and PostgreSQL): the audit log (its entries have no site) and the management of
devices, users, hosts and the watchlist are for accounts of all sites; an admin or auditor kept
to site A is refused them in words (403), is not offered them in the menu, and changes nothing
(site B's devices keep working, no account appears). Invitations stay per site. And page titles,
which browsers keep in their history, hold no form and no visitor's name."""

from __future__ import annotations

import re

import pytest
import requests

from sync.server.console import accounts, audit
from tests.console_fixtures import PASSWORD, Browser, add_user, plain_http, push_signed_in
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

HOSTS_CSV = "name,department,email,phone\n李四,研发部,lisi@example.com,13800000000\n"
WATCH_CSV = "name,company,phone,action\n坏人,,13900000000,block\n"
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
EVERY_SITE = "only an account of all sites may use it"


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "boss", "admin")
    add_user(server, "eye", "auditor")
    add_user(server, "boss-a", "admin", ["A"])
    add_user(server, "eye-a", "auditor", ["A"])
    add_user(server, "desk-a", "reception", ["A"])
    add_user(server, "desk-b", "reception", ["B"])
    return server


def logged_in(server, name: str) -> Browser:
    browser = Browser(server)
    assert browser.log_in(name).status_code == 303
    browser.token_from()
    return browser


def refused(answer: requests.Response) -> bool:
    return answer.status_code == 403 and EVERY_SITE in answer.text


def menu(page: str) -> set[str]:
    return set(re.findall(r'href="(/console/[^"?]*)"', page.split('class="menu"')[1].split("</nav>")[0]))


def title(page: str) -> str:
    [found] = TITLE.findall(page)
    return found


# -- 1: the audit log --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["boss-a", "eye-a"])
def test_a_scoped_account_cannot_read_the_audit_log_of_every_site(console, name):
    logged_in(console, "desk-b")  # site B's reception: its login is in the log
    scoped = logged_in(console, name)
    page, csv = scoped.get("/console/audit"), scoped.get("/console/audit.csv")
    assert refused(page) and "desk-b" not in page.text, page.text
    assert refused(csv) and "desk-b" not in csv.text, csv.text
    assert "/console/audit" not in menu(scoped.get("/console/account").text)
    assert scoped.get("/console/").headers["location"] != "/console/audit"
    assert not audit.entries(console.app.state.db, audit.Filter(action="audit_view"))


@pytest.mark.parametrize("name", ["boss", "eye"])
def test_an_account_of_all_sites_still_reads_the_audit_log(console, name):
    logged_in(console, "desk-b")
    reader = logged_in(console, name)
    assert "/console/audit" in menu(reader.get("/console/account").text)
    page = reader.get("/console/audit")
    assert page.status_code == 200 and "desk-b" in page.text
    csv = reader.get("/console/audit.csv")
    assert csv.status_code == 200 and "desk-b" in csv.text


# -- 2: management beyond one's sites ----------------------------------------------------------

def test_a_scoped_admin_cannot_add_or_revoke_devices(console):
    b_token = console.device("B", "desk-b1", "reception")
    boss_a = logged_in(console, "boss-a")
    assert refused(boss_a.get("/console/manage/devices"))
    for site in ("B", "A"):
        added = boss_a.post("/console/manage/devices/add", {"csrf": boss_a.csrf, "site": site, "name": "spy",
                                                             "role": "reception"})
        assert refused(added) and 'id="token"' not in added.text, added.text
    assert refused(boss_a.post("/console/manage/devices/B/desk-b1/revoke", {"csrf": boss_a.csrf}))
    kept = requests.get(f"{console.url}/v1/keys", headers=console.headers(b_token), timeout=30)
    assert kept.status_code == 200, kept.text  # site B's desk still works
    listed = logged_in(console, "boss").get("/console/manage/devices").text
    assert "spy" not in listed and "desk-b1" in listed
    assert not audit.entries(console.app.state.db, audit.Filter(action="device_add"))


def test_a_scoped_admin_cannot_make_or_change_accounts(console):
    boss_a = logged_in(console, "boss-a")
    assert refused(boss_a.get("/console/manage/users"))
    made = boss_a.post("/console/manage/users/add", {"csrf": boss_a.csrf, "name": "root", "role": "admin",
                                                     "sites": "", "password": PASSWORD})
    assert refused(made)
    assert accounts.get_user(console.app.state.db, "root") is None
    assert refused(boss_a.post("/console/manage/users/desk-b", {"csrf": boss_a.csrf, "role": "admin", "sites": ""}))
    assert refused(boss_a.post("/console/manage/users/desk-b/remove", {"csrf": boss_a.csrf}))
    desk_b = accounts.get_user(console.app.state.db, "desk-b")
    assert (desk_b.role, desk_b.sites) == ("reception", ("B",))


def test_a_scoped_admin_cannot_change_hosts_or_the_watchlist(console):
    boss_a = logged_in(console, "boss-a")
    for path in ("/console/manage/hosts", "/console/manage/watchlist", "/console/manage/hosts/h1"):
        assert refused(boss_a.get(path)), path
    assert refused(boss_a.post("/console/manage/hosts/upload", {"csrf": boss_a.csrf},
                               files={"file": ("hr.csv", HOSTS_CSV.encode(), "text/csv")}))
    assert refused(boss_a.post("/console/manage/hosts/h1", {"csrf": boss_a.csrf, "name": "x"}))
    assert refused(boss_a.post("/console/manage/watchlist/add", {"csrf": boss_a.csrf, "name": "坏人",
                                                                 "action": "block"}))
    assert refused(boss_a.post("/console/manage/watchlist/upload", {"csrf": boss_a.csrf},
                               files={"file": ("w.csv", WATCH_CSV.encode(), "text/csv")}))
    assert refused(boss_a.post("/console/manage/watchlist/0123abcd/remove", {"csrf": boss_a.csrf}))
    token = console.device("A", "k1")
    hosts = requests.get(f"{console.url}/v1/hosts", headers=console.headers(token), timeout=30).json()["hosts"]
    assert hosts == []
    assert "坏人" not in logged_in(console, "boss").get("/console/manage/watchlist").text


def test_a_scoped_admin_keeps_the_invitations_of_its_sites(console):
    console.device("A", "k1")  # an invitation is for a site with a device
    boss_a = logged_in(console, "boss-a")
    start = boss_a.get("/console/manage")
    assert start.status_code == 303 and start.headers["location"] == "/console/manage/invitations"
    page = boss_a.get("/console/manage/invitations")
    assert page.status_code == 200
    offered = set(re.findall(r'href="/console/manage/(\w+)"', page.text.split('class="subnav"')[1].split("</nav>")[0]))
    assert offered == {"invitations"}
    made = boss_a.post("/console/manage/invitations", {"csrf": boss_a.csrf, "site": "A", "name": "陈七",
                                                       "host": "李四", "hours": "8"})
    assert made.status_code == 200 and 'id="made"' in made.text, made.text
    assert boss_a.post("/console/manage/invitations", {"csrf": boss_a.csrf, "site": "B", "name": "x",
                                                       "host": "李四"}).status_code == 404
    everything = logged_in(console, "boss").get("/console/manage/invitations").text
    assert set(re.findall(r'href="/console/manage/(\w+)"', everything.split('class="subnav"')[1].split("</nav>")[0])) \
        == {"hosts", "devices", "watchlist", "invitations", "users"}


# -- 3, 4: page titles -------------------------------------------------------------------------

def test_the_invitations_title_holds_no_form_and_no_visitor(console):
    desk = logged_in(console, "desk-a")
    for page in (desk.get("/console/manage/invitations"),
                 desk.post("/console/manage/invitations", {"csrf": desk.csrf, "site": "A", "name": "陈七",
                                                           "phone": "13912345678", "host": "李四",
                                                           "hours": "x"})):
        assert title(page.text) == "邀请 · 访客管理控制台", title(page.text)
        assert page.text.count('id="invite"') == 1  # the form once, in the page


def test_a_visit_page_title_has_no_name(console):
    token = console.device("A", "desk-a1", "reception")
    visit_id = push_signed_in(console, token, "A", "desk-a1", 1, "王芳")
    page = logged_in(console, "boss").get(f"/console/visits/A/{visit_id}")
    assert page.status_code == 200 and "王芳" in page.text
    shown = title(page.text)
    assert "王芳" not in shown and re.fullmatch(r"来访 · \d{4}-\d{2}-\d{2} · 访客管理控制台", shown), shown
