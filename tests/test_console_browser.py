"""The web console in a real browser (Debian's chromium, headless, through selenium) against the
real server on 127.0.0.1 (SQLite and PostgreSQL) with real kiosks syncing: log in, lock out on
wrong passwords, a forged CSRF token refused, names typed to attack shown as text (no script
runs), another site a 404, a visitor approved from the board (the kiosk then prints), the board
updating without a reload; and screenshots of the pages in zh_CN, zh_TW and en under
artifacts/console/."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from kiosk.core.visits import WAITING
from sync.server.console import accounts
from tests.browser_fixtures import ARTIFACTS, chrome  # noqa: F401
from tests.console_fixtures import PASSWORD, Kiosk1, add_user, plain_http, push_signed_in
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_console_board import CONTRACTOR, XSS

WAIT_S = 20  # how long a page may take to show what is awaited (not a speed check)


@pytest.fixture
def console(server):
    plain_http(server)
    add_user(server, "desk", "reception", ["A"])
    add_user(server, "boss", "admin")
    return server


def log_in(driver, server, name: str, password: str = PASSWORD, path: str = "/console/") -> None:
    driver.get(server.url + path)
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
    # The answer is a new page (the one asked for, or the form again with its error): wait for
    # it, or a loaded machine reads the old page (its earlier error) or none at all.
    WebDriverWait(driver, WAIT_S).until(staleness_of(page))


def wait_for(driver, condition):
    return WebDriverWait(driver, WAIT_S).until(lambda d: condition(d))


def test_log_in_and_see_the_board(console, chrome, tmp_path):
    Kiosk1(tmp_path, console, "A").sign_in("王芳")
    log_in(chrome, console, "desk", path="/console/rollcall/A")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/rollcall/A"))  # back where the login began
    assert "王芳" in chrome.find_element(By.ID, "rollcall").text
    chrome.get(console.url + "/console/")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/board"))
    assert "王芳" in chrome.find_element(By.ID, "board").text


def test_wrong_passwords_lock_the_account(console, chrome):
    for _ in range(accounts.LOCK_AFTER - 1):
        log_in(chrome, console, "desk", "not the password")
        assert "用户名或密码错误" in chrome.find_element(By.CSS_SELECTOR, ".error").text
    log_in(chrome, console, "desk", "not the password")
    assert "已锁定" in chrome.find_element(By.CSS_SELECTOR, ".error").text
    log_in(chrome, console, "desk")  # the right password, while locked
    assert "已锁定" in chrome.find_element(By.CSS_SELECTOR, ".error").text
    assert "/console/login" in chrome.current_url


def test_a_forged_csrf_token_is_refused(console, chrome):
    log_in(chrome, console, "boss", path="/console/audit")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/audit"))
    chrome.execute_script("document.querySelector('input[name=csrf]').value = 'forged'")  # as a forged form would
    chrome.find_element(By.CSS_SELECTOR, "form[action='/console/logout'] button").click()
    wait_for(chrome, lambda d: "403" in d.find_element(By.TAG_NAME, "h1").text)
    chrome.get(console.url + "/console/audit")
    assert chrome.current_url.endswith("/console/audit")  # still logged in: the forged post did nothing


def test_attacking_names_are_shown_as_text(console, chrome):
    token = console.device("A", "kiosk-x")
    for seq, name in enumerate(XSS, start=1):
        push_signed_in(console, token, "A", "kiosk-x", seq, name, company=name)
    log_in(chrome, console, "desk")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/board"))
    for path in ("/console/board", "/console/rollcall/A"):
        chrome.get(console.url + path)
        names = [cell.text for cell in chrome.find_elements(By.CSS_SELECTOR, "td.name")]
        assert sorted(names) == sorted(XSS), path
        assert not chrome.find_elements(By.CSS_SELECTOR, "main img"), path  # no element was injected
        with pytest.raises(NoAlertPresentException):
            chrome.switch_to.alert.text


def test_reception_of_one_site_gets_404_for_another(console, chrome, tmp_path):
    Kiosk1(tmp_path, console, "B").sign_in("赵六")
    log_in(chrome, console, "desk")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/board"))
    chrome.get(console.url + "/console/board/B")
    assert "404" in chrome.find_element(By.TAG_NAME, "h1").text and "赵六" not in chrome.page_source


def test_approve_from_the_board_and_the_kiosk_prints(console, chrome, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "A")
    visit_id = kiosk.sign_in("王芳", **CONTRACTOR)
    log_in(chrome, console, "desk")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/board"))
    chrome.find_element(By.CSS_SELECTOR, f"tr[data-visit='{visit_id}'] button[value=approve]").click()
    wait_for(chrome, lambda d: not d.find_elements(By.CSS_SELECTOR, "table.awaiting"))
    kiosk.syncer.sync_once()
    assert kiosk.kiosk.log.visit(visit_id).state == WAITING
    assert kiosk.kiosk.issue_badge(visit_id).printed


def test_the_board_updates_without_a_reload(console, chrome, tmp_path):
    kiosk = Kiosk1(tmp_path, console, "A")
    log_in(chrome, console, "desk")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/board"))
    chrome.execute_script("window.notReloaded = true")
    kiosk.sign_in("韩梅梅")
    wait_for(chrome, lambda d: "韩梅梅" in d.find_element(By.ID, "board").text)
    assert chrome.execute_script("return window.notReloaded") is True


PAGES = {"login": "/console/login", "board": "/console/board", "rollcall": "/console/rollcall/A",
         "audit": "/console/audit", "account": "/console/account"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_screenshots(console, chrome, tmp_path):
    """Every page of this part of the console in each language, desktop and phone widths, as PNG
    files under artifacts/console/ for people to look at."""
    kiosk = Kiosk1(tmp_path, console, "A")
    for name in ("王芳", "李雷", "Jane O'Neil"):
        kiosk.sign_in(name)
    kiosk.sign_in("张伟", **CONTRACTOR)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("zh_CN", "zh_TW", "en"):
        chrome.get(f"{console.url}/console/lang?to={lang}&next=/console/login")
        chrome.save_screenshot(str(ARTIFACTS / f"login-{lang}.png"))
    log_in(chrome, console, "boss")
    wait_for(chrome, lambda d: d.current_url.endswith("/console/board"))
    for lang in ("zh_CN", "zh_TW", "en"):
        chrome.set_window_size(1280, 1400)
        chrome.get(f"{console.url}/console/lang?to={lang}&next=/console/board")
        for page, path in PAGES.items():
            if page != "login":
                chrome.get(console.url + path)
                chrome.save_screenshot(str(ARTIFACTS / f"{page}-{lang}.png"))
        chrome.get(console.url + PAGES["rollcall"])  # as printed (print.css)
        chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        chrome.save_screenshot(str(ARTIFACTS / f"rollcall-print-{lang}.png"))
        chrome.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        chrome.set_window_size(390, 844)  # a phone
        for page in ("board", "rollcall"):
            chrome.get(console.url + PAGES[page])
            chrome.save_screenshot(str(ARTIFACTS / f"{page}-phone-{lang}.png"))
    assert len(list(ARTIFACTS.glob("*.png"))) >= 3 * 8
