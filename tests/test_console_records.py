"""The register, a visit's page, the statistics and the exports over real HTTP (a logged-in
requests session acting as a browser) against the real server on SQLite and PostgreSQL, with
visits pushed as devices push them: who may see what (another site's visit is a 404, whatever
the path), what the audit log keeps of each look, and the downloads read back."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import openpyxl
import pytest

from sync.server.console import audit
from tests.console_fixtures import Browser, add_user, plain_http
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_console_data import HOSTILE, Device, _now

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "guard", "security", ["A"])
    add_user(server, "audit", "auditor")
    add_user(server, "boss", "admin")
    a, b = Device(server, "A", "desk"), Device(server, "B", "desk")
    start = _now() - 5 * 86_400_000
    visits = {"张三": a.visit("张三", start, rating=4), "赵六": b.visit("赵六", start + 3_600_000)}
    for n, name in enumerate(HOSTILE):
        visits[name] = a.visit(name, start + (n + 2) * 3_600_000, company=name, host=name)
    server.visits = visits
    return server


def logged_in(server, name: str) -> Browser:
    browser = Browser(server)
    assert browser.log_in(name).status_code == 303
    return browser


def entries(server, action: str) -> list[audit.Entry]:
    return audit.entries(server.app.state.db, audit.Filter(action=action))


def test_unauthenticated_requests_get_the_login_page_never_data(console):
    anyone = Browser(console)
    visit_id, _ = console.visits["张三"]
    for path in ("/console/register?name=zs", f"/console/visits/A/{visit_id}", "/console/register.xlsx",
                 "/console/stats", "/console/stats/by_host.csv", "/console/stats/all.xlsx"):
        answer = anyone.get(path)
        assert answer.status_code == 303 and "/console/login" in answer.headers["location"], path
        assert "张三" not in answer.text


def test_zs_finds_zhang_san_and_the_search_is_audited(console):
    desk = logged_in(console, "desk")
    page = desk.get("/console/register?name=zs")
    assert page.status_code == 200 and "张三" in page.text and "赵六" not in page.text
    visit_id, _ = console.visits["张三"]
    assert f"/console/visits/A/{visit_id}" in page.text
    searched = entries(console, "search")[0]
    # Who searched and which visits they saw; not what was typed about a person (the append-only
    # log could never forget it when the person is erased).
    assert (searched.who, searched.detail["searched_by"], searched.detail["visits"]) == ("desk", ["name"], [visit_id])
    assert "zs" not in json.dumps(searched.detail)


def test_a_visit_page_shows_history_and_signature_with_the_phone_masked(console):
    guard = logged_in(console, "guard")
    visit_id, _ = console.visits["张三"]
    page = guard.get(f"/console/visits/A/{visit_id}")
    assert page.status_code == 200
    assert "138****5678" in page.text and "13812345678" not in page.text
    assert "2026-03" in page.text and "badge_issued" in page.text and "<svg" in page.text
    assert 'class="unmask"' in page.text  # security may ask for the number, giving a reason
    viewed = entries(console, "view_visit")[0]
    assert (viewed.who, viewed.target) == ("guard", f"A/{visit_id}")
    auditor = logged_in(console, "audit")
    assert 'class="unmask"' not in auditor.get(f"/console/visits/A/{visit_id}").text


def test_reception_of_site_a_gets_404_for_site_b(console):
    desk = logged_in(console, "desk")
    b_visit, _ = console.visits["赵六"]
    for path in (f"/console/visits/B/{b_visit}", f"/console/visits/A/{b_visit}", "/console/register?site=B"):
        answer = desk.get(path)
        assert answer.status_code == 404 and "赵六" not in answer.text, path
    assert "赵六" not in desk.get("/console/register").text
    assert "赵六" in logged_in(console, "boss").get(f"/console/visits/B/{b_visit}").text


def test_names_typed_to_attack_are_text(console):
    boss = logged_in(console, "boss")
    page = boss.get("/console/register").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    stats = boss.get("/console/stats").text
    assert "<script>alert(1)" not in stats and "&lt;script&gt;" in stats


def test_only_admins_and_auditors_export_and_each_export_is_audited(console):
    assert logged_in(console, "desk").get("/console/register.xlsx").status_code == 403
    assert logged_in(console, "guard").get("/console/stats").status_code == 403
    auditor = logged_in(console, "audit")
    answer = auditor.get("/console/register.xlsx?company=hyperlink")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    names = [row[3].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["'" + HOSTILE[0]]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    text = auditor.get("/console/register.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + 2 + len(HOSTILE)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    exported = {(e.who, e.target, e.detail.get("format")) for e in entries(console, "export")}
    assert exported == {("audit", "register", "xlsx"), ("audit", "register", "csv")}


def test_statistics_charts_and_their_downloads(console):
    auditor = logged_in(console, "audit")
    page = auditor.get("/console/stats")
    assert page.status_code == 200 and page.text.count("<svg") == 9
    svg = auditor.get("/console/stats/by_site.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    tree = ET.fromstring(svg.text)
    labels = [t.text for t in tree.iter(f"{SVG}text")]
    assert "A" in labels and "B" in labels
    numbers = auditor.get("/console/stats/by_site.csv").content.decode("utf-8-sig")
    assert dict(list(csv.reader(io.StringIO(numbers)))[1:]) == {"A": str(1 + len(HOSTILE)), "B": "1"}
    book = openpyxl.load_workbook(io.BytesIO(auditor.get("/console/stats/all.xlsx").content))
    assert len(book.sheetnames) == 9
    assert auditor.get("/console/stats/nothing.svg").status_code == 404
    assert auditor.get("/console/stats?since=2026-13-01").status_code == 422
