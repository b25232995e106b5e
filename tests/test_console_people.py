"""The console's page for one person's rights (sync.server.console.people) over real HTTP (a
logged-in requests session acting as a browser) against the real server on SQLite and
PostgreSQL, with visits pushed as devices push them on two sites: found by phone and by name and
company, reception kept to its own site, the export downloaded, the erasure (the person gone from
``person find`` and from every byte of the server's SQLite file), what the audit log keeps, and
the CSRF token required."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sync.server import person as people
from sync.server.console import audit
from tests.console_fixtures import Browser, add_user, csrf_of, plain_http
from tests.privacy_bytes import hits
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_console_data import Device, _now

NAME, COMPANY, PHONE = "欧阳娜娜", "星辰量子科技", "13912345678"
TYPED_PHONE = "+86 139 1234 5678"  # as a person may say it at the desk: the kiosk kept 13912345678
OTHER = ("王芳", "华为", "13800001111")


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "boss", "admin")
    add_user(server, "guard", "security", ["A", "B"])
    a, b = Device(server, "A", "desk-a"), Device(server, "B", "desk-b")
    start = _now() - 3 * 86_400_000
    server.person = {"A": a.visit(NAME, start, company=COMPANY, phone=PHONE)[0],
                     "B": b.visit(NAME, start + 3_600_000, company=COMPANY, phone=PHONE)[0]}
    server.other = a.visit(OTHER[0], start + 7_200_000, company=OTHER[1], phone=OTHER[2])[0]
    return server


def logged_in(server, name: str) -> Browser:
    browser = Browser(server)
    assert browser.log_in(name).status_code == 303
    browser.token_from("/console/people")
    return browser


def search(browser: Browser, **typed) -> str:
    answer = browser.post("/console/people", {"csrf": browser.csrf, **typed})
    assert answer.status_code == 200, answer.text
    return answer.text


def listed(server) -> list[str]:
    """Both of the person's visits, as the erase form lists them."""
    return [f"{site}/{visit_id}" for site, visit_id in server.person.items()]


def entries(server, action: str) -> list[audit.Entry]:
    return audit.entries(server.app.state.db, audit.Filter(action=action))


def test_an_admin_finds_the_person_on_both_sites_by_phone_and_by_name_and_company(console):
    boss = logged_in(console, "boss")
    for typed in ({"phone": TYPED_PHONE}, {"name": f" {NAME} ", "company": COMPANY}):
        page = search(boss, **typed)
        for site, visit_id in console.person.items():
            assert f'href="/console/visits/{site}/{visit_id}"' in page
        assert console.other not in page and OTHER[0] not in page
        assert PHONE not in page and "139****5678" in page  # masked
    logged = entries(console, "person_find")
    assert [e.detail["searched_by"] for e in logged] == [["company", "name"], ["phone"]]  # newest first
    assert all(sorted(e.detail["visits"]) == [f"A/{console.person['A']}", f"B/{console.person['B']}"]
               for e in logged)


def test_reception_sees_and_erases_only_its_own_sites_visits(console):
    desk = logged_in(console, "desk")
    page = search(desk, phone=PHONE)
    assert console.person["A"] in page and console.person["B"] not in page
    # B's visit named in the form as well, as a forged form would: not erased
    erased = desk.post("/console/people/erase", {"csrf": desk.csrf, "phone": PHONE, "reason": "本人书面申请",
                                                 "confirm": "yes", "visit": listed(console)})
    assert erased.status_code == 200 and 'id="person-erased"' in erased.text
    assert "已删除 1 条来访记录" in erased.text
    left = people.find_person(console.app.state.db, people.who(phone=PHONE))
    assert [(v.site, v.visit_id) for v in left] == [("B", console.person["B"])]
    [entry] = entries(console, "person_erase")
    assert entry.detail == {"searched_by": ["phone"], "visits": [f"A/{console.person['A']}"]}


def test_security_may_not_use_the_page(console):
    guard = Browser(console)
    guard.log_in("guard")
    assert guard.get("/console/people").status_code == 403
    csrf = guard.token_from("/console/account")
    assert guard.post("/console/people/erase", {"csrf": csrf, "phone": PHONE, "reason": "x",
                                                "confirm": "yes"}).status_code == 403
    assert len(people.find_person(console.app.state.db, people.who(phone=PHONE))) == 2


def test_the_export_downloads_the_persons_visits_as_json_phones_masked(console):
    desk = logged_in(console, "desk")
    answer = desk.post("/console/people/export", {"csrf": desk.csrf, "name": NAME, "company": COMPANY})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    assert "attachment" in answer.headers["content-disposition"]
    document = json.loads(answer.content)
    assert [v["visit_id"] for v in document["visits"]] == [console.person["A"]]  # reception: site A only
    assert document["visits"][0]["visitor"]["phone"] == "139****5678"
    assert PHONE not in answer.text
    [entry] = entries(console, "person_export")
    assert entry.detail == {"searched_by": ["company", "name"], "visits": [f"A/{console.person['A']}"]}


def test_an_admin_erases_the_person_everywhere_and_no_byte_of_them_is_left(console):
    boss = logged_in(console, "boss")
    search(boss, phone=PHONE)
    refused = boss.post("/console/people/erase", {"csrf": boss.csrf, "phone": PHONE, "reason": "本人申请"})
    assert refused.status_code == 400 and len(people.find_person(console.app.state.db, people.who(phone=PHONE))) == 2
    answer = boss.post("/console/people/erase", {"csrf": boss.csrf, "phone": PHONE, "reason": "本人申请",
                                                 "confirm": "yes", "visit": listed(console)})
    assert answer.status_code == 200 and "已删除 2 条来访记录" in answer.text
    boss.post("/console/people/erase", {"csrf": boss.csrf, "name": NAME, "company": COMPANY, "reason": "本人申请",
                                        "confirm": "yes", "visit": listed(console)})  # nothing left to erase: found none
    db = console.app.state.db
    assert people.find_person(db, people.who(phone=PHONE)) == []
    assert people.find_person(db, people.who(name=NAME, company=COMPANY)) == []
    assert [v.visit_id for v in people.find_person(db, people.who(phone=OTHER[2]))] == [console.other]
    erasures = entries(console, "person_erase")
    assert sorted(erasures[-1].detail["visits"]) == sorted(f"{s}/{v}" for s, v in console.person.items())
    assert erasures[0].detail["visits"] == [] and erasures[-1].reason == "本人申请"
    every = json.dumps([vars(e) for e in audit.entries(db)], ensure_ascii=False)
    assert console.person["A"] in every
    assert NAME not in every and COMPANY not in every and PHONE not in every
    if console.db_url.startswith("sqlite:///"):
        command = subprocess.run([sys.executable, "-m", "sync.server", "person", "find", "--db", console.db_url,
                                  "--phone", PHONE], capture_output=True, text=True, timeout=120)
        assert command.returncode == 0 and "0 visits" in command.stderr and NAME not in command.stdout
        path = Path(console.db_url[len("sqlite:///"):])
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        assert hits(files, [OTHER[0]])  # the search finds what is kept
        assert hits(files, [NAME, COMPANY, PHONE]) == []


def test_only_the_visits_the_page_listed_are_erased(console):
    """A visit of the person signed in after the page was shown is not erased unseen."""
    boss = logged_in(console, "boss")
    answer = boss.post("/console/people/erase", {"csrf": boss.csrf, "phone": PHONE, "reason": "本人申请",
                                                 "confirm": "yes", "visit": [f"A/{console.person['A']}"]})
    assert answer.status_code == 200 and "已删除 1 条来访记录" in answer.text
    left = people.find_person(console.app.state.db, people.who(phone=PHONE))
    assert [(v.site, v.visit_id) for v in left] == [("B", console.person["B"])]


def test_a_post_without_the_csrf_token_is_refused(console):
    boss = logged_in(console, "boss")
    for path in ("/console/people", "/console/people/export", "/console/people/erase"):
        answer = boss.post(path, {"phone": PHONE, "reason": "x", "confirm": "yes"})
        assert answer.status_code == 403, path
        assert boss.post(path, {"csrf": "forged", "phone": PHONE, "reason": "x",
                                "confirm": "yes"}).status_code == 403
    assert len(people.find_person(console.app.state.db, people.who(phone=PHONE))) == 2
    assert entries(console, "person_erase") == [] and entries(console, "person_export") == []


def test_the_page_asks_for_phone_or_name(console):
    boss = logged_in(console, "boss")
    answer = boss.post("/console/people", {"csrf": boss.csrf})
    assert answer.status_code == 400 and 'id="person-error"' in answer.text
    assert csrf_of(answer.text)
