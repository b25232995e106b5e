"""Roles on signatures and reads, against the real server (SQLite and PostgreSQL) and real devices
syncing with it: an attacker holding an exit post's token can register no key, and nothing it
signs (a badge, an invitation, an approval link) is accepted by a visitor kiosk, an exit post or
the server's approval page, whether with a key it registered before exit posts were refused keys
or with one it made up; what an exit post pulls holds no visitor phone number and no host
channel secret. The honest paths still work: reception invites and a visitor kiosk admits the
invitation, a kiosk's approval link approves, badges of visitor and reception devices let their
holders out at the exit post."""

from __future__ import annotations

import base64
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core import invites, tokens, trust
from kiosk.core.approvals import approval_token
from kiosk.core.hosts import Host
from kiosk.core.invites import Invitation
from kiosk.core.tokens import Signer, new_badge_id, new_visit_id
from kiosk.core.visits import AWAITING_APPROVAL, SIGNED_OUT, WAITING
from kiosk.errors import InvitationRefused
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.store.outbox import OutboxTable
from printer.device import PreviewPrinter
from sync.client import AuthError, SyncClient
from sync.server import store
from sync.server.app import now_ms
from sync.server.db import keys as server_keys
from sync.worker import DIRECTORY_ETAG, DIRECTORY_HASH, Syncer
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

PHONE = "13912345678"
SECRETS = ("wecom-key-s3cret", "hook-s3cret", "bot-s3cret-token")
LISI = {"host_id": "a1b2c3d4e5f6", "name": "李四", "department": "研发部", "email": "lisi@example.com",
        "phone": "13700001111", "channels": [f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={SECRETS[0]}",
                                              f"webhook+https://hooks.example.com/in#secret={SECRETS[1]}",
                                              f"https://hooks.slack.com/services/T000/B000/{SECRETS[2]}"]}


class Device:
    """A device of site hq on its own data directory, syncing with the server for real."""

    def __init__(self, tmp_path, server, name: str, role: str):
        self.token = server.device("hq", name, role)
        settings = Settings(data_dir=str(tmp_path / name), site="hq", device=name, role=role, server=server.url,
                            token=self.token)
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / name / "paper"))
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, self.token))
        self.file = settings.data_path / "kiosk.sqlite3"

    def sync(self) -> None:
        self.syncer.sync_once()


def call(server, method: str, path: str, token: str, **kwargs) -> requests.Response:
    return requests.request(method, server.url + "/v1" + path, headers=server.headers(token), timeout=30, **kwargs)


def key_body(private: Ed25519PrivateKey) -> dict:
    public = private.public_key()
    return {"key_id": tokens.key_id_of(public), "public_key": base64.b64encode(public.public_bytes_raw()).decode()}


def badge(signer: Signer, *, hours: int = 8) -> str:
    now = int(time.time())
    return signer.sign(badge_id=new_badge_id(), visit_id=new_visit_id(), site="hq", issued_at=now,
                       expires_at=now + hours * 3600)


def invitation(private: Ed25519PrivateKey) -> str:
    now = int(time.time())
    return invites.sign(Invitation(invite_id=invites.new_invite_id(), site="hq",
                                   key_id=tokens.key_id_of(private.public_key()), valid_from=now - 60,
                                   expires=now + 3600, visitor_type="guest", name="冒名者", host="李四"), private)


def legacy_key(server, device: str) -> Ed25519PrivateKey:
    """A key as the server stored it for an exit post before exit posts were refused keys."""
    private = Ed25519PrivateKey.generate()
    with server.app.state.db.write() as conn:
        conn.execute(server_keys.insert().values(key_id=tokens.key_id_of(private.public_key()), site="hq",
                                                 device=device, public_key=private.public_key().public_bytes_raw(),
                                                 registered_at=now_ms()))
    return private


@pytest.fixture
def site(tmp_path, server):
    """A visitor kiosk, a reception desk and an exit post of site hq, the directory on the server
    (李四's own channels hold secrets), every device synced until each knows the others' keys."""
    call(server, "PUT", "/hosts", server.admin, json={"hosts": [LISI]}).raise_for_status()
    devices = {role: Device(tmp_path, server, name, role)
               for name, role in (("kiosk-a", "visitor"), ("desk", "reception"), ("exit-1", "exit"))}
    for _ in range(2):  # the second round brings each device the keys the others registered in the first
        for device in devices.values():
            device.sync()
    return devices


# -- keys -------------------------------------------------------------------------------------

def test_an_exit_post_may_not_register_a_key(server, site):
    attacker = site["exit"].token
    refused = call(server, "PUT", "/keys", attacker, json=key_body(Ed25519PrivateKey.generate()))
    assert refused.status_code == 403
    assert "exit device holds no signing key" in refused.json()["error"]
    with pytest.raises(AuthError, match="holds no signing key"):
        SyncClient(server.url, attacker).register_key("0" * 8, bytes(32))
    ring = call(server, "GET", "/keys", attacker).json()["keys"]
    assert sorted((k["device"], k["role"], k["revoked"]) for k in ring) == [
        ("desk", "reception", False), ("kiosk-a", "visitor", False)]
    # The devices that sign visitors in still register theirs (each did on its first sync).
    fresh = call(server, "PUT", "/keys", site["reception"].token, json=key_body(Ed25519PrivateKey.generate()))
    assert fresh.status_code == 200 and fresh.json()["role"] == "reception"


def test_what_an_exit_post_signed_is_refused_everywhere_after_a_real_sync(server, site):
    kiosk, desk, exit_post = site["visitor"], site["reception"], site["exit"]
    registered = legacy_key(server, "exit-1")  # accepted by the server before this change
    made_up = Ed25519PrivateKey.generate()  # refused now: PUT /v1/keys is a 403 for an exit post
    assert call(server, "PUT", "/keys", exit_post.token, json=key_body(made_up)).status_code == 403
    for device in site.values():
        device.sync()

    # Every device learns the exit post's old key as revoked, and as an exit post's.
    for device in site.values():
        held = device.kiosk.keyring().get(tokens.key_id_of(registered.public_key()))
        assert (held.device, held.role, held.revoked) == ("exit-1", trust.EXIT, True)

    # A badge it signs lets nobody out, at the kiosk or at the exit post; the log is untouched.
    for forged, reason in ((badge(Signer(registered)), tokens.WRONG_SIGNER),
                           (badge(Signer(made_up)), tokens.UNKNOWN_KEY)):
        for device in (kiosk, exit_post):
            before = device.kiosk.log.count_events()
            result = device.kiosk.check_out(forged)
            assert not result.ok and result.reason == reason
            assert device.kiosk.log.count_events() == before
    assert "exit device" in kiosk.kiosk.verdict(badge(Signer(registered))).detail

    # An invitation it signs fills nothing in, and says why.
    with pytest.raises(InvitationRefused, match="invitations are signed only by server keys") as refused:
        kiosk.kiosk.read_invitation(invitation(registered))
    assert refused.value.reason == tokens.WRONG_SIGNER
    with pytest.raises(InvitationRefused) as refused:
        kiosk.kiosk.read_invitation(invitation(made_up))
    assert refused.value.reason == invites.UNKNOWN_KEY


def test_an_invitation_signed_by_any_device_key_is_refused(server, site, tmp_path):
    """Even a visitor kiosk's or reception's own key, good as it is for badges, invites nobody."""
    kiosk, desk = site["visitor"], site["reception"]
    for signer_device in (kiosk, desk):
        forged = invites.sign(Invitation(invite_id=invites.new_invite_id(), site="hq",
                                         key_id=signer_device.kiosk.signer.key_id, valid_from=int(time.time()) - 60,
                                         expires=int(time.time()) + 3600, visitor_type="guest", name="冒名者",
                                         host="李四"), signer_device.kiosk.signer._key)
        for reader in (kiosk, desk):
            with pytest.raises(InvitationRefused, match="wrong_signer") as refused:
                reader.kiosk.read_invitation(forged)
            assert refused.value.reason == tokens.WRONG_SIGNER


def test_an_approval_link_signed_by_an_exit_posts_key_decides_nothing(server, site):
    kiosk = site["visitor"]
    registered = legacy_key(server, "exit-1")
    visit = kiosk.kiosk.check_in(name="王芳", host=Host(**{**LISI, "channels": ()}), visitor_type="contractor",
                                 answers={"work_area": "3F", "permit": "P-1", "tools": "no"}).visit
    assert visit.state == AWAITING_APPROVAL
    kiosk.sync()
    before = requests.get(server.url + "/v1/health", timeout=10).json()["events"]
    for private in (registered, Ed25519PrivateKey.generate()):
        link = server.url + "/v1/approvals/" + approval_token(Signer(private), visit_id=visit.visit_id, site="hq",
                                                              now=int(time.time()))
        shown = requests.get(link, timeout=30)
        assert shown.status_code == 404 and "This approval link is not valid." in shown.text
        posted = requests.post(link, data={"decision": "approve"}, timeout=30)
        assert posted.status_code == 404 and "This approval link is not valid." in posted.text
    assert requests.get(server.url + "/v1/health", timeout=10).json()["events"] == before
    kiosk.sync()
    assert kiosk.kiosk.log.visit(visit.visit_id).state == AWAITING_APPROVAL


def test_the_servers_own_key_signs_invitations_and_nothing_else(server, site):
    kiosk, exit_post = site["visitor"], site["exit"]
    own = store.signer(server.app.state.db, "hq", now_ms())  # as the server signs invitations
    for device in site.values():
        device.sync()
    assert kiosk.kiosk.read_invitation(invitation(own)).name == "冒名者"  # (what it signs, it means)
    for device in (kiosk, exit_post):
        result = device.kiosk.check_out(badge(Signer(own)))
        assert result.reason == tokens.WRONG_SIGNER and "the server's own key" in result.detail
    visit = kiosk.kiosk.check_in(name="王芳", host=Host(LISI["host_id"], "李四"), visitor_type="contractor",
                                 answers={"work_area": "3F", "permit": "P-1", "tools": "no"}).visit
    kiosk.sync()
    link = server.url + "/v1/approvals/" + approval_token(Signer(own), visit_id=visit.visit_id, site="hq",
                                                          now=int(time.time()))
    assert requests.post(link, data={"decision": "approve"}, timeout=30).status_code == 404


# -- the honest paths -------------------------------------------------------------------------

def test_reception_invites_and_the_visitor_kiosk_admits_the_invitation(server, site):
    kiosk, desk = site["visitor"], site["reception"]
    host = desk.kiosk.directory.get(LISI["host_id"])
    made = desk.kiosk.invite(name="王小明", host=host, email="", phone=PHONE, company="华为")
    kiosk.sync()
    invited = kiosk.kiosk.read_invitation(made["text"])
    assert (invited.name, invited.phone) == ("王小明", PHONE)
    assert kiosk.kiosk.keyring().get(invited.key_id).role == trust.SERVER
    signed_in = kiosk.kiosk.check_in(name=invited.name, host=kiosk.kiosk.invited_host(invited), phone=invited.phone,
                                     invitation=invited)
    # A visit of its own, recorded as the invitation's use.
    assert signed_in.visit.invite_id == made["invite_id"] and signed_in.visit.state == WAITING


def test_a_visitor_kiosks_approval_link_still_approves(server, site):
    kiosk = site["visitor"]
    visit = kiosk.kiosk.check_in(name="王芳", host=kiosk.kiosk.directory.get(LISI["host_id"]),
                                 visitor_type="contractor", answers={"work_area": "3F", "permit": "P-1", "tools": "no"})
    asked = next(p for p in OutboxTable(kiosk.kiosk.log.db).due(kiosk.kiosk.clock()) if p.notice.link)
    kiosk.sync()
    assert requests.get(asked.notice.link, timeout=30).status_code == 200
    assert requests.post(asked.notice.link, data={"decision": "approve"}, timeout=30).status_code == 200
    kiosk.sync()
    assert kiosk.kiosk.log.visit(visit.visit.visit_id).state == WAITING


def test_badges_of_visitor_and_reception_devices_let_their_holders_out_at_the_exit_post(server, site):
    kiosk, desk, exit_post = site["visitor"], site["reception"], site["exit"]
    host = kiosk.kiosk.directory.get(LISI["host_id"])
    badges = [device.kiosk.check_in(name=name, host=host, phone=PHONE).badge
              for device, name in ((kiosk, "张三"), (desk, "Alice Smith"))]
    for device in (kiosk, desk):
        device.sync()
    exit_post.sync()
    for text, name in zip(badges, ("张三", "Alice Smith")):
        result = exit_post.kiosk.check_out(text)
        assert result.ok, result.reason
        assert result.visit.visitor["name"] == name and result.visit.known
    exit_post.sync()
    kiosk.sync()
    assert {v.state for v in kiosk.kiosk.log.visits_in([SIGNED_OUT, WAITING])} == {SIGNED_OUT}


# -- what each role pulls ---------------------------------------------------------------------

def test_an_exit_post_pulls_no_phone_number_and_no_secret(server, site):
    kiosk, desk, exit_post = site["visitor"], site["reception"], site["exit"]
    host = kiosk.kiosk.directory.get(LISI["host_id"])
    visit = kiosk.kiosk.check_in(name="张三", company="华为", purpose="面试", host=host, phone=PHONE,
                                 agreement={"version": "3", "lang": "zh_CN", "signature": [[[0.5, 0.5]]]}).visit
    kiosk.kiosk.leave_message(visit.visit_id, f"请回电 {PHONE}")
    kiosk.sync()
    exit_post.sync()

    pulled = call(server, "GET", "/events", exit_post.token).text
    hosts = call(server, "GET", "/hosts", exit_post.token).text
    for text in (pulled, hosts):
        assert PHONE not in text and LISI["phone"] not in text and LISI["email"] not in text
        assert not any(secret in text for secret in SECRETS)
    assert "signature" not in pulled
    # Nor is any of it in the exit post's own file (the log and the directory).
    wal = exit_post.file.with_name(exit_post.file.name + "-wal")
    stored = exit_post.file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for secret in (PHONE, LISI["phone"], LISI["email"], *SECRETS):
        assert secret.encode() not in stored, secret
    # What the exit post shows is there, and it agrees with the kiosk on the visit.
    seen = exit_post.kiosk.log.visit(visit.visit_id)
    assert (seen.visitor["name"], seen.visitor["company"], seen.state, seen.signed_in_at) == (
        "张三", "华为", WAITING, visit.signed_in_at)
    assert exit_post.kiosk.directory.get(LISI["host_id"]).name == "李四"

    # The devices that tell hosts get what they need to: the visitor's phone, the host's channels.
    for device in (kiosk, desk):
        assert PHONE in call(server, "GET", "/events", device.token).text
        listed = call(server, "GET", "/hosts", device.token).json()["hosts"]
        assert listed[0]["channels"] == LISI["channels"] and listed[0]["email"] == LISI["email"]
    desk.sync()
    assert desk.kiosk.log.visit(visit.visit_id).visitor["phone"] == PHONE


def test_an_exit_post_keeps_no_phone_number_it_pulled_before(server, site):
    """What an exit post pulled before the server redacted its pulls (or from a server that does
    not) is brought down to the exit view on its next sync, and its directory to names; its own
    events are left as written."""
    kiosk, exit_post = site["visitor"], site["exit"]
    visit = kiosk.kiosk.check_in(name="张三", company="华为", host=Host(LISI["host_id"], "李四"), phone=PHONE)
    kiosk.sync()
    exit_post.kiosk.log.ingest(kiosk.kiosk.log.events(visit.visit.visit_id))  # as an older server handed it
    assert exit_post.kiosk.log.visit(visit.visit.visit_id).visitor["phone"] == PHONE
    assert exit_post.kiosk.check_out(visit.badge).ok
    own = [e for e in exit_post.kiosk.log.events(visit.visit.visit_id) if e.device == "exit-1"]
    exit_post.kiosk.import_hosts([Host(**{**LISI, "channels": tuple(LISI["channels"])})])  # the directory too,
    exit_post.kiosk.log.db.set_meta(DIRECTORY_HASH, "digest of the whole directory")  # as its sync noted it
    exit_post.kiosk.log.db.set_meta(DIRECTORY_ETAG, "")  # (a sync before ETags noted none)
    exit_post.sync()
    assert exit_post.kiosk.directory.get(LISI["host_id"]) == Host(LISI["host_id"], "李四", "研发部")
    held = exit_post.kiosk.log.visit(visit.visit.visit_id)
    assert (held.visitor["name"], held.visitor["phone"], held.state) == ("张三", "", SIGNED_OUT)
    assert [e for e in exit_post.kiosk.log.events(visit.visit.visit_id) if e.device == "exit-1"] == own
    conn = exit_post.kiosk.log.db.connection()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for secret in (PHONE, LISI["phone"], LISI["email"], *SECRETS):
        assert secret.encode() not in exit_post.file.read_bytes(), secret
    kiosk.sync()
    assert kiosk.kiosk.log.visit(visit.visit.visit_id).state == SIGNED_OUT


def test_reads_refused_by_role(server, site):
    assert call(server, "GET", "/watchlist", site["exit"].token).status_code == 403
    assert call(server, "GET", "/visits", site["visitor"].token).status_code == 403
    for role in ("reception", "exit"):
        visits = call(server, "GET", "/visits", site[role].token)
        assert visits.status_code == 200 and all("phone" not in v for v in visits.json()["visits"])
