"""Helpers for the web console's tests over real HTTP (sync.server.console): accounts made in
the server's database, a logged-in ``requests`` session acting as a browser, and real kiosks
that sign visitors in and sync, so the console shows what the Projector folded.

The server under test sends cookies without Secure (``Settings.secure_cookies``), as
KIOSK_CONSOLE_INSECURE_COOKIES=1 does: the tests speak plain http to 127.0.0.1, and a client
sends a Secure cookie over https only.
"""

from __future__ import annotations

import re

import requests

from kiosk.core.events import new_id
from kiosk.core.hosts import Host
from kiosk.core.tokens import new_visit_id
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.server.app import now_ms
from sync.server.console import accounts
from sync.worker import Syncer

PASSWORD = "correct horse battery staple"
LISI = Host("a1b2c3d4e5f6", "李四", "研发部", "lisi@example.com")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def plain_http(server) -> None:
    """Cookies without Secure, for http://127.0.0.1 (as KIOSK_CONSOLE_INSECURE_COOKIES=1)."""
    server.app.state.console.secure_cookies = False


def add_user(server, name: str, role: str, sites: list[str] | None = None, password: str = PASSWORD) -> None:
    accounts.add_user(server.app.state.db, name, role, sites, password, now_ms())


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


class Browser:
    """A requests session that logs in through the login form, as a browser does."""

    def __init__(self, server):
        self.url = server.url
        self.http = requests.Session()
        self.csrf = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=30, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        return self.http.post(self.url + path, data=data, allow_redirects=False, timeout=30, **kwargs)

    def log_in(self, name: str, password: str = PASSWORD, next: str = "") -> requests.Response:
        form = self.get(f"/console/login?next={next}")
        assert form.status_code == 200, form.text
        answer = self.post("/console/login", {"name": name, "password": password, "csrf": csrf_of(form.text),
                                              "next": next})
        return answer

    def token_from(self, path: str = "/console/account") -> str:
        """The session's CSRF token, from a page that has a form (every page has the log-out one)."""
        page = self.get(path)
        assert page.status_code == 200, page.text
        self.csrf = csrf_of(page.text)
        return self.csrf


class Kiosk1:
    """A real visitor kiosk of ``site`` that signs visitors in and syncs them to the server."""

    def __init__(self, tmp_path, server, site: str, name: str = "kiosk-a"):
        self.token = server.device(site, name, "visitor")
        settings = Settings(data_dir=str(tmp_path / f"{site}-{name}"), site=site, device=name, server=server.url,
                            token=self.token, role="visitor")
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / f"{site}-{name}" / "paper"))
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, self.token))

    def sign_in(self, name: str, phone: str = "", **kwargs) -> str:
        visit = self.kiosk.check_in(name=name, company=kwargs.pop("company", "测试公司"), phone=phone, host=LISI,
                                    **kwargs).visit
        self.syncer.sync_once()
        return visit.visit_id


def push_signed_in(server, token: str, site: str, device: str, seq: int, name: str, company: str = "",
                   host: str = "李四") -> str:
    """A sign-in pushed straight to the API with a device's token, as an attacker holding one
    would, past the kiosk's own checks of what is typed: the visit's id."""
    visit_id = new_visit_id()
    data = {"visitor": {"name": name, "company": company, "phone": "13800000001", "purpose": ""},
            "host": {"host_id": "h1", "name": host, "department": "研发部"}, "lang": "zh_CN"}
    answer = requests.post(f"{server.url}/v1/events", headers=server.headers(token), timeout=30, json={"events": [
        {"event_id": new_id(), "site": site, "device": device, "seq": seq, "ts": now_ms(), "kind": "signed_in",
         "visit_id": visit_id, "data": data}]})
    assert answer.status_code == 200 and answer.json()["accepted"], answer.text
    return visit_id
