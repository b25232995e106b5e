"""The person page in a real browser (Debian's chromium, headless, through selenium) against the
real server with real kiosks on two sites: an admin finds a person by phone and erases them, and
the kiosks forget them at their next sync; and screenshots of the page in zh_CN, zh_TW and en
under artifacts/console/."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from sync.server import person as people
from tests.browser_fixtures import ARTIFACTS, chrome  # noqa: F401
from tests.console_fixtures import Kiosk1, add_user, plain_http
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_console_browser import WAIT_S, log_in, wait_for

NAME, COMPANY, PHONE = "欧阳娜娜", "星辰量子科技", "13912345678"


@pytest.fixture
def console(server, tmp_path):
    plain_http(server)
    add_user(server, "boss", "admin")
    server.kiosks = {site: Kiosk1(tmp_path, server, site) for site in ("A", "B")}
    server.visits = {site: k.sign_in(NAME, PHONE, company=COMPANY) for site, k in server.kiosks.items()}
    server.kiosks["A"].sign_in("王芳", "13800001111", company="华为")
    return server


def find(driver, server, phone: str) -> None:
    driver.get(server.url + "/console/people")
    driver.find_element(By.NAME, "phone").send_keys(phone)
    submit(driver, "#person-search button[type=submit]")


def submit(driver, selector: str) -> None:
    """Click ``selector`` and wait for the page it answers with. On a loaded machine the page may
    still be settling from the step before (a node found a moment earlier no longer belongs to
    the document): then find it again in the document as it is now."""
    for attempt in range(3):
        page = driver.find_element(By.TAG_NAME, "html")
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
        except (StaleElementReferenceException, WebDriverException) as e:
            if attempt == 2 or ("belong to the document" not in str(e) and not isinstance(
                    e, StaleElementReferenceException)):
                raise
            continue
        WebDriverWait(driver, WAIT_S).until(staleness_of(page))
        return


def test_an_admin_finds_and_erases_a_person_and_the_kiosks_forget_them(console, chrome):
    log_in(chrome, console, "boss")
    wait_for(chrome, lambda d: d.find_elements(By.CSS_SELECTOR, "a[href='/console/people']"))  # in the menu
    find(chrome, console, PHONE)
    rows = chrome.find_elements(By.CSS_SELECTOR, "#person-visits tbody tr[data-visit]")
    assert sorted(r.get_attribute("data-visit") for r in rows) == sorted(console.visits.values())
    table = chrome.find_element(By.ID, "person-visits").text
    assert "139****5678" in table and PHONE not in table
    chrome.find_element(By.ID, "erase-reason").send_keys("本人书面申请删除")
    chrome.find_element(By.ID, "erase-button").click()  # the box unticked: the browser asks for it first
    assert chrome.find_elements(By.ID, "person-visits")
    chrome.find_element(By.ID, "erase-confirm").click()
    submit(chrome, "#erase-button")
    assert "已删除 2 条来访记录" in chrome.find_element(By.ID, "person-erased").text
    assert people.find_person(console.app.state.db, people.who(phone=PHONE)) == []
    for site, kiosk in console.kiosks.items():
        kiosk.syncer.sync_once()
        assert NAME not in str(kiosk.kiosk.log.visit(console.visits[site]).visitor)
    find(chrome, console, PHONE)
    assert not chrome.find_elements(By.CSS_SELECTOR, "#person-visits tbody tr[data-visit]")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_screenshots(console, chrome):
    """The page in each language, with a person found (desktop and phone widths), as PNG files
    under artifacts/console/ for people to look at."""
    log_in(chrome, console, "boss")
    wait_for(chrome, lambda d: "/console/login" not in d.current_url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang in ("zh_CN", "zh_TW", "en"):
        chrome.get(f"{console.url}/console/lang?to={lang}&next=/console/people")
        for width, height, suffix in ((1280, 1100, ""), (390, 1700, "-phone")):
            chrome.set_window_size(width, height)
            find(chrome, console, PHONE)
            assert len(chrome.find_elements(By.CSS_SELECTOR, "#person-visits tbody tr[data-visit]")) == 2
            chrome.save_screenshot(str(ARTIFACTS / f"people{suffix}-{lang}.png"))
