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
