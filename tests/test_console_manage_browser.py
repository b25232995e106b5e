"""The complaints and management pages in a real browser (Debian's chromium, headless, through
selenium) against the real server on 127.0.0.1 (SQLite and PostgreSQL): a complaint followed
from open to resolved with its resolution time shown, a host CSV uploaded (its bad line told in
words, then a good one), a device added (its token shown once) and revoked (the token then
refused by the API), an invitation created and cancelled (the kiosk then refuses it), another
site's complaint a 404 for reception, a form whose CSRF token was taken away refused; and
screenshots of every page in zh_CN, zh_TW and en under artifacts/console/."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from kiosk.errors import InvitationRefused
from tests.browser_fixtures import ARTIFACTS, chrome  # noqa: F401
from tests.console_fixtures import Kiosk1, add_user, plain_http
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_console_browser import WAIT_S, log_in
from tests.test_console_manage import BAD_HOSTS_CSV, HOSTS_CSV, record_complaint


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "boss", "admin")
    return server


def wait_for(driver, condition):
    """Until ``condition`` holds; an element of the page being left (stale) is looked for again."""
    return WebDriverWait(driver, WAIT_S, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def logged_in(driver, server, name: str, path: str) -> None:
    log_in(driver, server, name, path=path)
    wait_for(driver, lambda d: d.current_url.endswith(path))


def submit(driver, form_selector: str) -> None:
    """Post the form and wait for the page that answers it (else, on a loaded machine, the next
    step's page load can be overtaken by this answer arriving late)."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, f"{form_selector} button[type=submit]").click()
    WebDriverWait(driver, WAIT_S).until(staleness_of(page))


def test_a_complaint_from_open_to_resolved(console, chrome):
    complaint = record_complaint(console, "A", "前台无人，等了四十分钟")
    logged_in(chrome, console, "desk", "/console/complaints")
    row = chrome.find_element(By.CSS_SELECTOR, f"tr[data-complaint='{complaint}']")
    assert "待处理" in row.text and "王芳" in row.text
    row.find_element(By.TAG_NAME, "a").click()
    wait_for(chrome, lambda d: d.find_elements(By.ID, "follow-up"))
    Select(chrome.find_element(By.NAME, "owner")).select_by_value("desk")
    Select(chrome.find_element(By.NAME, "status")).select_by_value("in_progress")
    chrome.find_element(By.NAME, "note").send_keys("已致电访客")
    submit(chrome, "#follow-up")
    wait_for(chrome, lambda d: "处理中" in d.find_element(By.ID, "status").text)
    Select(chrome.find_element(By.NAME, "status")).select_by_value("resolved")
    chrome.find_element(By.NAME, "note").send_keys("已道歉，调整排班")
    submit(chrome, "#follow-up")
    wait_for(chrome, lambda d: "已解决" in d.find_element(By.ID, "status").text)
    assert "分钟" in chrome.find_element(By.ID, "resolution").text  # the resolution time, in words
    notes = chrome.find_element(By.CSS_SELECTOR, "ol.notes").text
    assert "已致电访客" in notes and "已道歉，调整排班" in notes and "desk" in notes
    chrome.get(console.url + "/console/complaints?status=resolved")
    assert complaint in chrome.find_element(By.CSS_SELECTOR, "table.complaints").get_attribute("innerHTML")


def test_another_sites_complaint_is_a_404_and_a_form_without_its_token_is_refused(console, chrome):
    theirs = record_complaint(console, "B", "B 的投诉", visitor="赵六")
    mine = record_complaint(console, "A", "A 的投诉")
    logged_in(chrome, console, "desk", "/console/complaints")
    chrome.get(f"{console.url}/console/complaints/B/{theirs}")
    assert "404" in chrome.find_element(By.TAG_NAME, "h1").text and "赵六" not in chrome.page_source
    chrome.get(f"{console.url}/console/complaints/A/{mine}")
    chrome.execute_script("document.querySelector('#follow-up input[name=csrf]').remove()")
    Select(chrome.find_element(By.NAME, "status")).select_by_value("resolved")
    submit(chrome, "#follow-up")
    wait_for(chrome, lambda d: "403" in d.find_element(By.TAG_NAME, "h1").text)
    chrome.get(f"{console.url}/console/complaints/A/{mine}")
    assert "待处理" in chrome.find_element(By.ID, "status").text  # nothing changed


def upload(chrome, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    chrome.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(path))
    submit(chrome, "form[action$='/hosts/upload']")


def test_host_csv_upload(console, chrome, tmp_path):
    logged_in(chrome, console, "boss", "/console/manage/hosts")
    upload(chrome, tmp_path, "hr.csv", BAD_HOSTS_CSV)
    problem = wait_for(chrome, lambda d: d.find_element(By.ID, "problem")).text
    assert "hr.csv" in problem and "line 3" in problem and "name" in problem, problem
    assert "lisi@example.com" not in chrome.find_element(By.TAG_NAME, "table").text  # nothing replaced
    upload(chrome, tmp_path, "hr.csv", HOSTS_CSV)
    wait_for(chrome, lambda d: d.find_elements(By.ID, "done"))
    table = chrome.find_element(By.TAG_NAME, "table").text
    assert "李四" in table and "王五" in table and "13800000000" not in table


def test_device_added_and_revoked(console, chrome):
    logged_in(chrome, console, "boss", "/console/manage/devices")
    chrome.find_element(By.NAME, "site").send_keys("A")
    chrome.find_element(By.NAME, "name").send_keys("lobby-2")
    submit(chrome, "form[action$='/devices/add']")
    token = wait_for(chrome, lambda d: d.find_element(By.ID, "token")).text.strip()
    headers = console.headers(token)
    assert requests.get(f"{console.url}/v1/keys", headers=headers, timeout=30).status_code == 200
    chrome.get(console.url + "/console/manage/devices")
    assert token not in chrome.page_source  # shown once
    chrome.find_element(By.CSS_SELECTOR, "tr[data-device='A/lobby-2'] button.bad").click()
    wait_for(chrome, lambda d: d.find_elements(By.ID, "done"))
    assert chrome.find_elements(By.CSS_SELECTOR, "tr[data-device='A/lobby-2'] .badge.bad")
    refused = requests.get(f"{console.url}/v1/keys", headers=headers, timeout=30)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]


def test_invitation_created_and_cancelled(console, chrome, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "A")
    logged_in(chrome, console, "desk", "/console/manage/invitations")
    form = chrome.find_element(By.ID, "invite")
    form.find_element(By.NAME, "name").send_keys("陈七")
    form.find_element(By.NAME, "host").send_keys("李四")
    submit(chrome, "#invite")
    text = wait_for(chrome, lambda d: d.find_element(By.CSS_SELECTOR, "#made .token")).text.strip()
    kiosk.syncer.sync_once()
    invite_id = kiosk.kiosk.read_invitation(text).invite_id
    chrome.find_element(By.CSS_SELECTOR, f"tr[data-invite='{invite_id}'] form[action$='/cancel'] button").click()
    wait_for(chrome, lambda d: d.find_elements(By.ID, "done"))
    assert "已取消" in chrome.find_element(By.CSS_SELECTOR, f"tr[data-invite='{invite_id}']").text
    kiosk.syncer.sync_once()
    with pytest.raises(InvitationRefused):
        kiosk.kiosk.read_invitation(text)


PAGES = {"complaints": "/console/complaints", "manage-hosts": "/console/manage/hosts",
         "manage-devices": "/console/manage/devices", "manage-watchlist": "/console/manage/watchlist",
         "manage-invitations": "/console/manage/invitations", "manage-users": "/console/manage/users"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_screenshots(console, chrome, tmp_path):
    """The complaints and management pages in each language, desktop and phone widths, as PNG
    files under artifacts/console/ for people to look at."""
    kiosk = Kiosk1(tmp_path, console, "A")
    kiosk.sign_in("李雷")
    complaint = record_complaint(console, "A", "前台无人，等了四十分钟；洗手间没有纸巾")
    record_complaint(console, "A", "The badge printer jammed twice", visitor="Jane O'Neil")
    logged_in(chrome, console, "boss", "/console/manage/hosts")
    upload(chrome, tmp_path, "hr.csv", HOSTS_CSV)
    chrome.get(console.url + "/console/manage/invitations")
    chrome.find_element(By.CSS_SELECTOR, "#invite input[name=name]").send_keys("陈七")
    submit(chrome, "#invite")
    wait_for(chrome, lambda d: d.find_elements(By.ID, "made"))
    chrome.get(console.url + "/console/manage/watchlist")
    for name, value in (("name", "黑名单"), ("company", "某某公司"), ("phone", "13900000000"), ("note", "曾经闹事")):
        chrome.find_element(By.CSS_SELECTOR, f"form[action$='/watchlist/add'] input[name={name}]").send_keys(value)
    submit(chrome, "form[action$='/watchlist/add']")
    wait_for(chrome, lambda d: d.find_elements(By.ID, "done"))
    chrome.get(f"{console.url}/console/complaints/A/{complaint}")
    Select(chrome.find_element(By.NAME, "owner")).select_by_value("desk")
    Select(chrome.find_element(By.NAME, "status")).select_by_value("resolved")
    chrome.find_element(By.NAME, "note").send_keys("已道歉，调整排班并补充纸巾")
    submit(chrome, "#follow-up")
    wait_for(chrome, lambda d: d.find_elements(By.ID, "resolution"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {**PAGES, "complaint": f"/console/complaints/A/{complaint}",
             "manage-host-edit": "/console/manage/hosts/" + _first_host(console)}
    for lang in ("zh_CN", "zh_TW", "en"):
        chrome.set_window_size(1280, 900)
        chrome.get(f"{console.url}/console/lang?to={lang}&next=/console/complaints")
        for page, path in shots.items():
            chrome.get(console.url + path)
            chrome.save_screenshot(str(ARTIFACTS / f"{page}-{lang}.png"))
        chrome.get(console.url + "/console/manage/hosts")  # a bad upload, its lines told
        upload(chrome, tmp_path, "hr.csv", BAD_HOSTS_CSV)
        wait_for(chrome, lambda d: d.find_elements(By.ID, "problem"))
        chrome.save_screenshot(str(ARTIFACTS / f"manage-hosts-bad-{lang}.png"))
        chrome.get(console.url + "/console/manage/devices")  # a device added: its token, once
        chrome.find_element(By.NAME, "site").send_keys("A")
        chrome.find_element(By.NAME, "name").send_keys(f"lobby-{lang}")
        submit(chrome, "form[action$='/devices/add']")
        wait_for(chrome, lambda d: d.find_elements(By.ID, "token"))
        chrome.save_screenshot(str(ARTIFACTS / f"manage-device-added-{lang}.png"))
        chrome.set_window_size(390, 844)  # a phone
        for page in ("complaints", "complaint", "manage-invitations"):
            chrome.get(console.url + shots[page])
            chrome.save_screenshot(str(ARTIFACTS / f"{page}-phone-{lang}.png"))
    assert len(list(ARTIFACTS.glob("manage-*.png"))) >= 3 * 8


def _first_host(server) -> str:
    from sync.server import store
    return store.all_hosts(server.app.state.db)[0].host_id
