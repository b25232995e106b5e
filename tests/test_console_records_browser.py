"""The register, a visit's page, the statistics and the exports in a real browser (Debian's
chromium, headless, through selenium) against the real server on SQLite and PostgreSQL: log in,
find 张三 by ``zs``, open the visit, unmask its phone with a reason and find that in the audit log,
download the register as XLSX and read it back with
openpyxl, statistics charts drawn from 90 days of generated visits, another site's visit a 404;
and screenshots of the register, a visit and the statistics in zh_CN, zh_TW and en under
artifacts/console/."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from selenium.webdriver.common.by import By

from tests.browser_fixtures import ARTIFACTS, chrome  # noqa: F401
from tests.console_data import generate
from tests.console_fixtures import add_user, plain_http
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_console_browser import log_in, wait_for
from tests.test_console_data import HOSTILE, Device, _now

DOWNLOAD_WAIT_S = 30


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "audit", "auditor")
    a, b = Device(server, "A", "desk"), Device(server, "B", "desk")
    start = _now() - 3 * 86_400_000
    server.visits = {"张三": a.visit("张三", start, rating=5), "赵六": b.visit("赵六", start + 60_000),
                     "李雷": a.visit("李雷", start + 86_400_000, company="腾讯科技", host="王五", department="市场部")}
    for n, name in enumerate(HOSTILE[:2]):
        server.visits[name] = a.visit(name, start + (n + 2) * 3_600_000, company=name)
    return server


def search_by_name(chrome, typed: str) -> None:
    field = chrome.find_element(By.CSS_SELECTOR, "#register-search input[name=name]")
    field.clear()
    field.send_keys(typed)
    chrome.find_element(By.CSS_SELECTOR, "#register-search button[type=submit]").click()


def test_find_zhang_san_by_zs_open_the_visit_and_export_xlsx(console, chrome, tmp_path):
    log_in(chrome, console, "audit", path="/console/register")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/register"))
    search_by_name(chrome, "zs")
    wait_for(chrome, lambda d: "name=zs" in d.current_url)
    results = chrome.find_element(By.ID, "register-results")
    assert "张三" in results.text and "李雷" not in results.text
    results.find_element(By.LINK_TEXT, "张三").click()
    wait_for(chrome, lambda d: "/console/visits/A/" in d.current_url)
    history = chrome.find_element(By.ID, "visit-history").text
    assert "signed_in" in history and "signed_out" in history and "138****5678" in chrome.page_source
    assert chrome.find_element(By.CSS_SELECTOR, "figure.signature svg path")
    chrome.back()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    chrome.find_element(By.ID, "export-xlsx").click()
    book = openpyxl.load_workbook(_downloaded(downloads, "register.xlsx"))
    sheet = book.worksheets[0]
    assert [row[3].value for row in sheet.iter_rows(min_row=2)] == ["张三"]  # the search's visits only
    assert sheet.cell(row=1, column=4).value == "姓名"


def test_unmask_a_phone_with_a_reason_and_see_it_in_the_audit_log(console, chrome):
    add_user(console, "guard", "security")
    visit_id, _ = console.visits["张三"]
    log_in(chrome, console, "guard", path=f"/console/visits/A/{visit_id}")
    wait_for(chrome, lambda d: f"/console/visits/A/{visit_id}" in d.current_url)
    shown = chrome.find_element(By.CSS_SELECTOR, "form.unmask [data-phone]")
    assert shown.text == "138****5678"
    chrome.find_element(By.CSS_SELECTOR, "form.unmask input[name=reason]").send_keys("访客遗失手机，联系本人")
    chrome.find_element(By.CSS_SELECTOR, "form.unmask button[type=submit]").click()
    wait_for(chrome, lambda d: shown.text == "13812345678")
    chrome.delete_all_cookies()  # the auditor, in the same browser
    log_in(chrome, console, "audit", path="/console/audit")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/audit"))
    log = chrome.find_element(By.TAG_NAME, "main").text
    assert "guard" in log and "访客遗失手机，联系本人" in log and f"A/{visit_id}" in log
    assert "13812345678" not in chrome.page_source


def _downloaded(folder: Path, name: str) -> Path:
    deadline = time.monotonic() + DOWNLOAD_WAIT_S
    while time.monotonic() < deadline:
        done = folder / name
        if done.exists() and not list(folder.glob("*.crdownload")):
            return done
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded: {sorted(p.name for p in folder.iterdir())}")


def test_reception_of_site_a_gets_404_for_site_b(console, chrome):
    visit_b, _ = console.visits["赵六"]
    log_in(chrome, console, "desk", path="/console/register")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/register"))
    assert "赵六" not in chrome.find_element(By.ID, "register-results").text
    chrome.get(f"{console.url}/console/visits/B/{visit_b}")
    assert "404" in chrome.find_element(By.TAG_NAME, "h1").text and "赵六" not in chrome.page_source


def test_statistics_charts_drawn_from_90_days(console, chrome):
    generate(console.app.state.db, 3000, days=90, sites=("A", "B"), now_ms=_now())
    since = (date.today() - timedelta(days=100)).isoformat()
    log_in(chrome, console, "audit", path=f"/console/stats?since={since}")
    wait_for(chrome, lambda d: "/console/stats" in d.current_url)
    total = int(chrome.find_element(By.ID, "stats-total").text.replace(",", ""))
    assert total == 3000 + len(console.visits)
    line = chrome.find_element(By.CSS_SELECTOR, "#chart-per_day svg polyline")
    assert len(line.get_attribute("points").split()) == 101
    for chart in ("by_site", "by_host", "by_type", "by_hour", "per_month"):
        bars = chrome.find_elements(By.CSS_SELECTOR, f"#chart-{chart} svg rect[fill='#2f6fde']")
        assert bars and any(float(b.get_attribute("height") or 0) > 0 for b in bars), chart
        assert chrome.find_element(By.CSS_SELECTOR, f"#chart-{chart} svg").size["height"] > 60, chart  # laid out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_screenshots(console, chrome):
    """The register, a visit and the statistics in each language, desktop and phone widths, as
    PNG files under artifacts/console/ for people to look at."""
    generate(console.app.state.db, 3000, days=90, sites=("A", "B"), now_ms=_now())
    visit_id, _ = console.visits["张三"]
    pages = {"register": "/console/register?name=zs", "register-all": "/console/register",
             "visit": f"/console/visits/A/{visit_id}", "stats": "/console/stats"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    add_user(console, "boss", "admin")
    log_in(chrome, console, "boss", path="/console/register")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/register"))
    for lang in ("zh_CN", "zh_TW", "en"):
        chrome.get(f"{console.url}/console/lang?to={lang}&next=/console/register")
        for width, height, suffix in ((1280, 900, ""), (390, 844, "-phone")):
            chrome.set_window_size(width, height)
            for page, path in pages.items():
                chrome.get(console.url + path)
                full = chrome.execute_script("return document.documentElement.scrollHeight")
                chrome.set_window_size(width, min(max(full + 140, height), 4000))  # 140: the window's own bars
                chrome.save_screenshot(str(ARTIFACTS / f"{page}{suffix}-{lang}.png"))
                chrome.set_window_size(width, height)
    assert len(list(ARTIFACTS.glob("stats*-*.png"))) >= 6
