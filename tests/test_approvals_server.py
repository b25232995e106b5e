"""The host's approval page over real HTTP on 127.0.0.1 (SQLite and PostgreSQL): a real kiosk
whose policy asks for approval (a contractor) signs a visitor in, syncs, and the link in its notice to the
host opens the page; the host's answer reaches the kiosk by sync. Decided once, whatever is
posted after or at the same time; forged, expired, revoked and other sites' links refused with
a page; what a device sent shown escaped."""

from __future__ import annotations

import base64
import re
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core import events as ev
from kiosk.core.approvals import VALID_S, approval_token
from kiosk.core.events import new_id
from kiosk.core.hosts import Host
from kiosk.core.tokens import Signer, new_visit_id
from kiosk.core.visits import AWAITING_APPROVAL, DENIED, WAITING
from kiosk.services import APPROVAL_PATH, Kiosk
from kiosk.settings import Settings
from kiosk.store.outbox import OutboxTable
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.server.approvals import BY
from sync.worker import Syncer
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

# Approval requests go to the host's own channels only: this one's is a bot nobody listens to.
LISI = Host("a1b2c3d4e5f6", "李四", "研发部", "lisi@example.com", channels=("slack+http://127.0.0.1:9/hook",))
CONTRACTOR = {"visitor_type": "contractor", "answers": {"work_area": "3F 机房", "permit": "P-1", "tools": "no"}}


class Device:
    """A real kiosk of site hq with the server set (so its notices carry the link); its policy
    asks for approval of contractors."""

    def __init__(self, tmp_path, server, name: str = "kiosk-a", role: str = "visitor"):
        self.token = server.device("hq", name, role)
        settings = Settings(data_dir=str(tmp_path / name), site="hq", device=name, server=server.url,
                            token=self.token, role=role)
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / name / "paper"))
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, self.token))

    def sign_in(self) -> tuple[str, str]:
        """王芳, a contractor, signs in and waits for approval: (her visit id, the link the host
        is sent)."""
        visit = self.kiosk.check_in(name="王芳", company="竞品科技", purpose="商务洽谈", host=LISI, **CONTRACTOR).visit
        assert visit.state == AWAITING_APPROVAL
        [pending] = OutboxTable(self.kiosk.log.db).due(self.kiosk.clock())
        return visit.visit_id, pending.notice.link

    def state(self, visit_id: str) -> str:
        return self.kiosk.log.visit(visit_id).state


@pytest.fixture
def device(tmp_path, server) -> Device:
    return Device(tmp_path, server)


@pytest.fixture
def asked(device) -> tuple[str, str]:
    """A visit awaiting approval that has reached the server."""
    visit_id, link = device.sign_in()
    device.syncer.sync_once()
    return visit_id, link


def page(response: requests.Response, status: int, *fragments: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    for fragment in fragments:
        assert fragment in response.text, response.text
    return response.text


def post(link: str, **form) -> requests.Response:
    return requests.post(link, data=form, timeout=30)


def stored(server) -> int:
    return requests.get(server.url + "/v1/health", timeout=10).json()["events"]


# -- the page and the decision ----------------------------------------------------------------

def test_the_host_opens_the_link_and_approves_and_the_kiosk_learns_it_by_sync(server, device, asked):
    visit_id, link = asked
    assert link.startswith(f"{server.url}{APPROVAL_PATH}/VA1")
    shown = requests.get(link, timeout=30)
    html = page(shown, 200, "王芳", "竞品科技", "商务洽谈", "李四 · 研发部", 'value="approve"', 'value="deny"')
    assert '<meta name="viewport"' in html and not re.search(r"(src|href)=|<script", html)  # self-contained
    assert "frame-ancestors 'none'" in shown.headers["content-security-policy"]
    assert shown.headers["referrer-policy"] == "no-referrer"

    page(post(link, decision="approve", note="请到 3 楼"), 200, "已同意", "Approved")
    device.syncer.sync_once()
    assert device.state(visit_id) == WAITING  # approved: the kiosk's wait screen prints the badge now
    [decision] = [e for e in device.kiosk.log.events(visit_id) if e.kind == ev.APPROVED]
    assert (decision.device, decision.data) == ("server", {"by": BY, "note": "请到 3 楼"})
    assert device.kiosk.issue_badge(visit_id).printed
    again = page(requests.get(link, timeout=30), 200, "already decided: approved")
    assert 'name="decision"' not in again


def test_the_host_denies(server, device, asked):
    visit_id, link = asked
    page(post(link, decision="deny"), 200, "已拒绝", "Denied")
    device.syncer.sync_once()
    assert device.state(visit_id) == DENIED


def test_a_visit_is_decided_once(server, device, asked):
    visit_id, link = asked
    page(post(link, decision="approve"), 200)
    before = stored(server)
    page(post(link, decision="deny"), 409, "already decided: approved")
    page(post(link, decision="approve"), 409, "already decided")
    assert stored(server) == before
    device.syncer.sync_once()
    assert device.state(visit_id) == WAITING


def test_a_decision_made_at_reception_first_is_not_overturned(server, device, asked, tmp_path):
    visit_id, link = asked
    desk = Device(tmp_path, server, "desk", "reception")  # a visitor kiosk never decides (the role table)
    desk.syncer.sync_once()
    desk.kiosk.decide(visit_id, approve=False, by="前台")
    desk.syncer.sync_once()
    page(requests.get(link, timeout=30), 200, "already decided: denied")
    page(post(link, decision="approve"), 409, "已拒绝")
    device.syncer.sync_once()
    assert device.state(visit_id) == DENIED


def test_two_answers_at_once_store_one(server, device, asked):
    visit_id, link = asked
    barrier = threading.Barrier(2)
    statuses = []

    def answer(decision):
        barrier.wait()
        statuses.append(post(link, decision=decision).status_code)

    threads = [threading.Thread(target=answer, args=(d,)) for d in ("approve", "deny")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    device.syncer.sync_once()
    assert len([e for e in device.kiosk.log.events(visit_id) if e.kind in (ev.APPROVED, ev.DENIED)]) == 1


def test_a_link_opened_before_the_kiosk_pushed_the_visit_says_to_wait(server, device):
    device.syncer.sync_once()  # its key is registered; the visit comes after
    visit_id, link = device.sign_in()
    page(requests.get(link, timeout=30), 404, "reload in a minute")
    page(post(link, decision="approve"), 404)
    device.syncer.sync_once()
    page(requests.get(link, timeout=30), 200, "王芳")


def test_query_strings_that_messaging_apps_add_are_ignored(server, asked):
    page(requests.get(asked[1] + "?from=singlemessage&isappinstalled=0", timeout=30), 200, "王芳")


def test_a_form_without_a_decision_or_not_a_form_stores_nothing(server, device, asked):
    visit_id, link = asked
    before = stored(server)
    page(post(link, note="嗯"), 422, "Choose approve or deny")
    page(post(link, decision="maybe"), 422)
    page(post(link, decision="approve", note="a\x07b"), 422, "note")
    page(requests.post(link, json={"decision": "approve"}, timeout=30), 415)
    page(requests.post(link, data=b"decision=approve&note=%FF", timeout=30,
                       headers={"Content-Type": "application/x-www-form-urlencoded"}), 422, "UTF-8")
    assert stored(server) == before
    page(requests.get(link, timeout=30), 200, 'value="approve"')


# -- links that are not good ------------------------------------------------------------------

def test_forged_expired_revoked_and_other_sites_links_get_a_page_and_store_nothing(server, device, asked):
    visit_id, link = asked
    base, token = link.rsplit("/", 1)
    at = len(token) // 2
    forged = token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1:]
    stranger = Signer(Ed25519PrivateKey.generate())  # a key no device registered
    signer, now = device.kiosk.signer, int(time.time())
    cases = {
        forged: (404, "not valid"),
        "VA1" + "A" * 120: (404, "not valid"),
        "hello": (404, "not valid"),
        approval_token(stranger, visit_id=visit_id, site="hq", now=now): (404, "not valid"),
        approval_token(signer, visit_id=visit_id, site="hq", now=now - VALID_S - 1): (403, "expired"),
        approval_token(signer, visit_id=visit_id, site="branch", now=now): (404, "not valid"),  # hq's key
    }
    before = stored(server)
    for text, (status, fragment) in cases.items():
        page(requests.get(f"{base}/{text}", timeout=30), status, fragment, "访客审批")
        page(post(f"{base}/{text}", decision="approve"), status, fragment)
    requests.delete(f"{server.url}/v1/devices/hq/kiosk-a", headers=server.headers(server.admin), timeout=10)
    page(requests.get(link, timeout=30), 403, "retired")
    page(post(link, decision="approve"), 403, "retired")
    assert stored(server) == before


def test_what_a_device_sent_is_shown_escaped(server):
    """The server stores what devices push as they push it; the page must not run any of it."""
    token = server.device("hq", "kiosk-x")
    auth = server.headers(token)
    signer = Signer(Ed25519PrivateKey.generate())
    key = {"key_id": signer.key_id, "public_key": base64.b64encode(signer.public_key.public_bytes_raw()).decode()}
    assert requests.put(f"{server.url}/v1/keys", json=key, headers=auth, timeout=10).status_code == 200
    visit_id, now = new_visit_id(), int(time.time() * 1000)
    signed_in = {"visitor": {"name": "<script>alert(1)</script>", "company": 'A&B "Co"',
                             "purpose": "<img src=x onerror=alert(1)>"},
                 "host": {"name": "</td><b>李四"}, "needs_approval": True}
    pushed = [{"event_id": new_id(), "site": "hq", "device": "kiosk-x", "seq": 1, "ts": now, "kind": ev.SIGNED_IN,
               "visit_id": visit_id, "data": signed_in}]
    assert requests.post(f"{server.url}/v1/events", json={"events": pushed}, headers=auth, timeout=10).ok
    text = approval_token(signer, visit_id=visit_id, site="hq", now=now // 1000)
    html = page(requests.get(f"{server.url}{APPROVAL_PATH}/{text}", timeout=30), 200,
                "&lt;script&gt;alert(1)&lt;/script&gt;", "A&amp;B &quot;Co&quot;", "&lt;/td&gt;&lt;b&gt;李四")
    assert "<script" not in html and "<img" not in html and "<b>" not in html


def test_the_routes_are_in_the_openapi_document(server):
    paths = requests.get(f"{server.url}/openapi.json", timeout=10).json()["paths"]
    operations = paths[f"{APPROVAL_PATH}/{{token}}"]
    assert set(operations) == {"get", "post"}
    assert "text/html" in operations["get"]["responses"]["200"]["content"]
    assert operations["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"][
        "decision"]["enum"] == ["approve", "deny"]
