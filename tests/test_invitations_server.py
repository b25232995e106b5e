"""Invitations made by the central server, over real HTTP on 127.0.0.1 (SQLite and PostgreSQL):
who may invite, refusals, the expected visit pulled and folded by a real device whose key ring
verifies the invitation, the email a real SMTP server receives (its QR decoded back to the text),
header injection, and ``kiosk-server invite``. The card and a picture of the email are saved under
artifacts/invitations/ for a person to look at."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

import pytest
import requests
import zxingcpp
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from kiosk.core import invites
from kiosk.core.hosts import host_id_for
from kiosk.core.invites import Invitation
from kiosk.core.tokens import KeyRing, new_visit_id
from kiosk.errors import ValidationError
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.badge import fit_text
from printer.device import PreviewPrinter
from printer.fonts import unsupported_chars
from sync.client import SyncClient
from sync.server import invitations
from sync.server.cli import main
from sync.worker import Syncer
from tests.notify_fixtures import smtp_server, start_smtp, tls_cert  # noqa: F401
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "invitations"
LISI = {"name": "李四", "department": "研发部", "email": "lisi@example.com"}
LISI_ID = host_id_for("李四", "研发部", "lisi@example.com")
HEADERS = ["Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type"]
BEIJING = timezone(timedelta(hours=8))
# Tomorrow at 09:00 in Beijing: an invitation may start at most a year ahead.
NINE = (datetime.now(BEIJING) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def shanghai(monkeypatch):
    """The server shows local time: pin it to UTC+8."""
    monkeypatch.setenv("TZ", "CST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def call(server, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
    headers = server.headers(token) if token else {}
    return requests.request(method, f"{server.url}/v1{path}", headers=headers, timeout=30, **kw)


def invite(server, token: str, **body) -> requests.Response:
    return call(server, "POST", "/invitations", token, json={"name": "张三", "host_id": LISI_ID, **body})


def made(response: requests.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def refused(response: requests.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"], response.json()["error"]


def stored(server) -> int:
    return requests.get(server.url + "/v1/health", timeout=10).json()["events"]


@pytest.fixture
def directory(server):
    """hq and branch with a reception desk each, and a directory holding 李四."""
    response = call(server, "PUT", "/hosts", server.admin, json={"hosts": [LISI, {"host_id": "emp-0042",
                                                                                   "name": "Alice Smith"}]})
    assert response.status_code == 200, response.text
    return {"desk": server.device("hq", "desk", "reception"), "branch": server.device("branch", "desk", "reception")}


class Device:
    """A real device: its own SQLite log and key ring, synced with the server."""

    def __init__(self, tmp_path, server, site: str, name: str, role: str):
        settings = Settings(data_dir=str(tmp_path / name), site=site, device=name, role=role)
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / name / "paper"))
        self.token = server.device(site, name, role)
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, self.token))


# -- who may invite -------------------------------------------------------------------------------

def test_admins_and_reception_desks_invite_to_their_site_and_nobody_else_does(server, directory):
    made(invite(server, server.admin, site="hq"))
    made(invite(server, directory["desk"]))
    made(invite(server, directory["desk"], site="hq"))
    refused(invite(server, directory["desk"], site="branch"), 403, "own site")
    refused(invite(server, directory["branch"], site="hq"), 403, "own site")
    refused(invite(server, server.device("hq", "kiosk-a", "visitor")), 403, "reception")
    refused(invite(server, server.device("hq", "exit-1", "exit")), 403, "reception")
    refused(invite(server, None), 401, "Bearer")
    refused(invite(server, server.admin), 422, "site")
    refused(invite(server, server.admin, site="nowhere"), 422, "no device is registered at site nowhere")
    assert stored(server) == 3


def test_the_server_s_device_name_is_reserved(server):
    refused(call(server, "POST", "/devices", server.admin, json={"site": "hq", "name": "server"}), 422, "server")


BAD = [
    ({"host_id": "nobody"}, "host_id nobody is not in the host directory"),
    ({"host_id": None, "host": "李四"}, "name the host by host_id"),
    ({"host": "李四"}, "not both"),
    ({"host_id": None}, "name the host"),
    ({"hours": 0}, "hours"), ({"hours": 721}, "hours"), ({"hours": 1.5}, "hours"), ({"hours": "12"}, "hours"),
    ({"email": "zhangsan"}, "email"), ({"email": "zs@example.com\r\nBcc: evil@x.example"}, "email"),
    ({"email": "张三 <zs@example.com>"}, "email"),
    ({"email": "john.@example.com"}, "email"),  # the email package refuses to write it: not a 500 later
    ({"name": "张\x1b[2J三"}, "name contains a character that is not allowed"), ({"name": ""}, "name is required"),
    ({"name": "张" * 31}, "name is too long"), ({"name": "张三\r\nBcc: evil@x.example"}, "name contains"),
    ({"company": "华为\nBcc: evil@x.example"}, "company contains"), ({"purpose": "p" * 61}, "purpose is too long"),
    ({"phone": "call me"}, "phone"), ({"visitor_type": "Guest"}, "visitor_type"),
    ({"valid_from": NINE.isoformat()[:19]}, "timezone"), ({"valid_from": 1900000000}, "ISO 8601"),
    ({"valid_from": "2020-05-01T09:00:00+08:00"}, "expired already"),
    ({"valid_from": (NINE + timedelta(days=366)).isoformat()}, "within 365 days"),
    ({"colour": "red"}, "colour"), ({"site": "h q"}, "site"),
]


@pytest.mark.parametrize("change, fragment", BAD, ids=[repr(c)[:40] for c, _ in BAD])
def test_bad_invitations_get_a_clear_4xx_and_store_nothing(server, directory, change, fragment):
    refused(invite(server, directory["desk"], **change), 422, fragment)
    assert stored(server) == 0


def test_a_free_text_host_when_the_server_has_no_directory(server):
    desk = server.device("hq", "desk", "reception")
    answer = made(call(server, "POST", "/invitations", desk, json={"name": "张三", "host": " 王  芳 "}))
    [event] = call(server, "GET", "/events", desk).json()["events"]
    assert event["data"]["host"] == {"host_id": host_id_for("王 芳"), "name": "王 芳", "department": ""}
    assert answer["emailed"] is False and answer["reason"] == "no email address was given"


# -- the expected visit and the signature, as devices see them ----------------------------------------

def test_devices_pull_the_expected_visit_and_their_key_ring_verifies_it(server, directory, tmp_path):
    desk = Device(tmp_path, server, "hq", "desk-2", "reception")
    kiosk = Device(tmp_path, server, "hq", "kiosk-a", "visitor")
    branch = Device(tmp_path, server, "branch", "kiosk-b", "visitor")
    body = {"company": "华为技术有限公司", "phone": "138 0013 8000", "purpose": "商务洽谈", "visitor_type": "interview",
            "valid_from": NINE.isoformat(), "hours": 8}
    answer = made(invite(server, desk.token, **body))
    assert datetime.fromisoformat(answer["valid_from"]) == NINE and answer["emailed"] is False
    assert datetime.fromisoformat(answer["expires"]) == NINE + timedelta(hours=8)
    at = int(NINE.timestamp()) + 1800

    for device in (desk, kiosk, branch):
        device.syncer.sync_once()
    visit = kiosk.kiosk.log.visit(answer["invite_id"])
    assert visit.state == "expected" and visit.site == "hq"
    assert dict(visit.visitor) == {"name": "张三", "company": "华为技术有限公司", "phone": "13800138000",
                                   "purpose": "商务洽谈"}
    assert dict(visit.host) == {"host_id": LISI_ID, "name": "李四", "department": "研发部"}
    verdict = invites.read(answer["text"], kiosk.kiosk.keyring(), now=at, site="hq")
    assert verdict.ok, verdict.reason
    i = verdict.invitation
    assert (i.invite_id, i.name, i.host, i.host_id, i.visitor_type, i.expires - i.valid_from) == (
        answer["invite_id"], "张三", "李四", LISI_ID, "interview", 8 * 3600)
    assert kiosk.kiosk.keyring().get(i.key_id).device == "server"
    # A device of another site has neither the visit nor the key.
    assert branch.kiosk.log.visit(answer["invite_id"]) is None
    assert invites.read(answer["text"], branch.kiosk.keyring(), now=at, site="branch").reason == invites.UNKNOWN_KEY

    # The key ring straight from GET /v1/keys, as the sync client hands it to a device.
    keys = SyncClient(server.url, desk.token).keys()
    assert [(k.device, k.revoked) for k in keys if k.key_id == i.key_id] == [("server", False)]
    assert invites.read(answer["text"], KeyRing(k for k in keys if k.site == "hq"), now=at, site="hq").ok
    assert invites.read(answer["text"], KeyRing(keys), now=i.expires, site="hq").reason == invites.EXPIRED

    # Reception sees the expected visitor; the server's events count per site.
    visits = call(server, "GET", "/visits", desk.token).json()["visits"]
    assert [(v["visit_id"], v["state"], v["name"]) for v in visits] == [(answer["invite_id"], "expected", "张三")]
    made(invite(server, desk.token))
    made(invite(server, server.admin, site="branch"))
    logs = {site: call(server, "GET", "/events", server.admin, params={"site": site}).json()["events"]
            for site in ("hq", "branch")}
    seqs = {site: [e["seq"] for e in events if e["device"] == "server"] for site, events in logs.items()}
    assert seqs == {"hq": [1, 2], "branch": [1]}


def test_a_directory_id_that_is_not_hex_travels_in_the_event_only(server, directory):
    answer = made(invite(server, directory["desk"], host_id="emp-0042"))
    [event] = call(server, "GET", "/events", directory["desk"]).json()["events"]
    assert event["data"]["host"] == {"host_id": "emp-0042", "name": "Alice Smith", "department": ""}
    # The text holds a host id of 12 hex digits or none; the expected visit has the rest.
    ring = KeyRing(SyncClient(server.url, directory["desk"]).keys())
    verdict = invites.read(answer["text"], ring, now=int(time.time()), site="hq")
    assert verdict.ok and (verdict.invitation.host_id, verdict.invitation.host) == ("", "Alice Smith")


# -- the email --------------------------------------------------------------------------------------

@pytest.fixture
def mailed(server, smtp_server):
    """The server emails invitations through a real SMTP server (STARTTLS, its own CA)."""
    server.app.state.mailer = invitations.mailer(smtp_server.url())
    return smtp_server


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].decode() for line in head.split(b"\r\n") if not line.startswith((b" ", b"\t"))]


def inline_png(message: EmailMessage) -> tuple[EmailMessage, Image.Image]:
    [part] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    return part, Image.open(BytesIO(part.get_content()))


def scanned(card: Image.Image) -> str:
    """The card's QR, read as a kiosk camera would; it must be big enough to read off a phone
    screen (4 pixels a module or more) and have its white quiet zone of 4 modules."""
    [found] = zxingcpp.read_barcodes(card, formats=zxingcpp.BarcodeFormat.QRCode)
    modules = 17 + 4 * int(found.extra["Version"])
    left, top = found.position.top_left.x, found.position.top_left.y
    dots = (found.position.top_right.x - left) / modules
    assert dots >= 4
    quiet, size = 4 * round(dots), modules * dots
    box = card.convert("L").crop((left - quiet, top - quiet, left + size + quiet, top + size + quiet))
    w, h = box.size
    edges = [(0, 0, w, quiet), (0, h - quiet, w, h), (0, 0, quiet, h), (w - quiet, 0, w, h)]
    assert [box.crop(edge).getextrema() for edge in edges] == [(255, 255)] * 4
    return found.text


def test_the_visitor_gets_the_qr_by_email(server, directory, mailed, shanghai):
    answer = made(invite(server, directory["desk"], company="华为技术有限公司", purpose="商务洽谈",
                         email="zhangsan@example.com", valid_from=NINE.isoformat(), hours=12))
    assert (answer["emailed"], answer["reason"]) == (True, "")
    [mail] = mailed.mails
    assert mail.tls and (mail.mail_from, mail.rcpt_tos) == ("kiosk@example.com", ["zhangsan@example.com"])
    assert header_names(mail.raw) == HEADERS and mail.raw.split(b"\r\n\r\n", 1)[0].isascii()
    message = mail.message()
    assert message["Subject"] == "您的访客邀请 / Your visitor invitation"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("张三", "zhangsan@example.com")
    assert message["Message-ID"] == f"<{answer['invite_id']}@kiosk>"

    # Plain text, Chinese first, then English; and the text itself for typing in.
    plain = message.get_body("plain").get_content().splitlines()
    assert plain[:2] == ["张三，您好：", "Dear 张三,"]
    for line in ("被访人 Host: 李四 · 研发部", f"时间 When: {NINE:%Y-%m-%d} 09:00 – 21:00 (UTC+08:00)", "地点 Where: hq",
                 "事由 Purpose: 商务洽谈", "在访客机上扫描此二维码", "Scan this QR code at the visitor kiosk", answer["text"]):
        assert line in plain, line
    assert plain.index("在访客机上扫描此二维码") < plain.index("Scan this QR code at the visitor kiosk")

    # The card inline beside the HTML (multipart/related, by Content-ID), its QR exactly the text.
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    part, card = inline_png(message)
    assert part["Content-Disposition"].startswith("inline")
    assert f'src="cid:{part["Content-ID"][1:-1]}"' in message.get_body("html").get_content()
    assert scanned(card) == answer["text"]
    for text in ("张三", "华为技术有限公司", "李四 · 研发部", "访客邀请", "在访客机上扫描此二维码", "被访人 Host"):
        assert unsupported_chars(text) == []  # the card's font draws every character: no tofu

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    card.save(ARTIFACTS / "invitation-card.png")
    email_picture(message, card).save(ARTIFACTS / "invitation-email.png")


def test_the_longest_invitation_still_fits_its_card_and_scans(server, mailed, shanghai):
    """Every field at its longest: texts shrink, wrap and end in "…", the QR (version 21 here)
    keeps 4 pixels a module or more."""
    desk = server.device("hq", "desk", "reception")
    longest = {"name": "欧阳" * 15, "company": "华为技术有限公司" * 7 + "有限公司", "host": "Alexandra Montgomery Smithson",
               "purpose": "商务洽谈" * 15, "phone": "+86 138 0013 8000", "visitor_type": "contractor", "hours": 720,
               "email": "ouyang@example.com"}
    answer = made(call(server, "POST", "/invitations", desk, json=longest))
    _, card = inline_png(mailed.mails[0].message())
    assert scanned(card) == answer["text"] and card.width == 600
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    card.save(ARTIFACTS / "invitation-card-longest.png")


def email_picture(message: EmailMessage, card: Image.Image) -> Image.Image:
    """What the visitor's mail client shows, roughly: the headers and plain text beside the card."""
    width = 560
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Date", "Subject")] + [""]
    lines += message.get_body("plain").get_content().splitlines()
    fitted = [fit_text(line, width, max_size=18, min_size=14, max_lines=8) for line in lines]
    height = sum(f.height + 8 if f.lines else 14 for f in fitted)
    picture = Image.new("L", (width + card.width + 60, max(height, card.height) + 40), 255)
    draw = ImageDraw.Draw(picture)
    y = 20
    for f in fitted:
        f.draw(draw, 20, y, width)
        y += f.height + 8 if f.lines else 14
    picture.paste(card.convert("L"), (width + 40, 20))
    return picture


@pytest.mark.parametrize("name, company", [
    ("O'Brien (Lisa)", 'Evil" <evil@x.example>, Bcc: evil@x.example'),
    ("Mary-Jane O’Neil · 张", "=?utf-8?b?QmNjOiBldmlsQHguZXhhbXBsZQ==?="),
])
def test_visitor_text_never_makes_a_header_or_a_recipient(server, directory, mailed, name, company):
    answer = made(invite(server, directory["desk"], name=name, company=company, email="visitor@example.com"))
    assert answer["emailed"] is True
    [mail] = mailed.mails
    assert mail.rcpt_tos == ["visitor@example.com"]
    assert header_names(mail.raw) == HEADERS and mail.raw.split(b"\r\n\r\n", 1)[0].isascii()
    message = mail.message()
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "visitor@example.com")
    assert "Bcc" not in message and message["Subject"] == invitations.SUBJECT


@settings(max_examples=60, deadline=None)
@given(name=st.text(alphabet="张三李四欧阳𠀀AbcZéÅñßДжÖ ·•・'’-.()", min_size=1, max_size=30))
def test_any_name_an_invitation_accepts_makes_one_to_header_and_nothing_else(name):
    """Letters of several scripts and every symbol a name may hold (what it may not is refused:
    test_line_breaks_in_visitor_text_are_refused_before_any_email)."""
    try:
        invitation = Invitation(invite_id=new_visit_id(), site="hq", key_id="0" * 8, valid_from=0, expires=3600,
                                visitor_type="guest", name=name, company='Evil" <e@x.example>, Bcc: e@x.example',
                                host="李四")
    except ValidationError:
        reject()
    made = invitations.Made(invitation, "VI1TEXT", "", False, "")
    raw = invitations.message(made, "kiosk@example.com", "visitor@example.com").as_bytes()
    assert header_names(raw) == HEADERS and raw.split(b"\r\n\r\n", 1)[0].isascii()
    [to] = message_from_bytes(raw, policy=policy.default)["To"].addresses
    # Python's parser keeps the space between two encoded words that RFC 2047 says to drop, so a
    # long name can come back with one more space than it has; it is otherwise the same.
    assert ("".join(to.display_name.split()), to.addr_spec) == ("".join(invitation.name.split()), "visitor@example.com")


def test_line_breaks_in_visitor_text_are_refused_before_any_email(server, directory, mailed):
    for change in ({"name": "张三\r\nBcc: evil@x.example"}, {"company": "华为\nBcc: evil@x.example"},
                   {"purpose": "面试\u2028Bcc: evil@x.example"}, {"email": "v@example.com\r\nBcc: evil@x.example"},
                   {"email": "v@example.com, evil@x.example"}):
        refused(invite(server, directory["desk"], **{"email": "v@example.com", **change}), 422, "")
    assert mailed.mails == [] and stored(server) == 0


def test_an_email_that_cannot_be_sent_leaves_the_invitation_made(server, directory, mailed, start_smtp):
    mailed.answers["RCPT"] = "550 5.1.1 no such user"
    answer = made(invite(server, directory["desk"], email="nobody@example.com"))
    assert answer["emailed"] is False and "550 5.1.1 no such user" in answer["reason"]
    guarded = start_smtp(users={"kiosk": "right-pw"})
    server.app.state.mailer = invitations.mailer(guarded.url(userinfo="kiosk:wrong-pw@"))
    answer = made(invite(server, directory["desk"], email="zs@example.com"))
    assert answer["emailed"] is False and "535" in answer["reason"] and "wrong-pw" not in answer["reason"]
    guarded.stop()
    answer = made(invite(server, directory["desk"], email="zs@example.com"))
    assert answer["emailed"] is False and "cannot reach" in answer["reason"]
    server.app.state.mailer = None
    answer = made(invite(server, directory["desk"], email="zs@example.com"))
    assert answer["emailed"] is False and "--smtp" in answer["reason"]
    events = call(server, "GET", "/events", directory["desk"]).json()["events"]
    assert [e["kind"] for e in events] == ["expected"] * 4  # every invitation was made all the same


# -- kiosk-server invite ------------------------------------------------------------------------------

def test_cli_invite_prints_it_saves_the_card_and_emails_it(db_url, tmp_path, capsys, smtp_server, shanghai,
                                                           monkeypatch):
    def kiosk_server(*args) -> int:
        return main(["--db", db_url, *args])

    assert kiosk_server("add-device", "--site", "hq", "--name", "desk", "--role", "reception") == 0
    capsys.readouterr()
    card = tmp_path / "card.png"
    assert kiosk_server("invite", "--site", "hq", "--name", "张三", "--host", "李四", "--company", "华为",
                        "--purpose", "面试", "--from", NINE.isoformat(), "--hours", "8", "--email", "zs@example.com",
                        "--qr", str(card), "--smtp", smtp_server.url()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["invite", "valid", "emailed", "text"]
    invite_id, text = lines[0].split()[-1], lines[3].split()[-1]
    assert lines[1] == f"valid      {NINE:%Y-%m-%d} 09:00 – 17:00 (UTC+08:00)" and lines[2] == "emailed    yes"
    assert scanned(Image.open(card)) == text
    [mail] = smtp_server.mails
    assert mail.rcpt_tos == ["zs@example.com"] and text in mail.message().get_body("plain").get_content()

    # KIOSK_SMTP stands in for --smtp; a card that cannot be written leaves the invitation made.
    monkeypatch.setenv("KIOSK_SMTP", smtp_server.url())
    assert kiosk_server("invite", "--site", "hq", "--name", "王五", "--host", "李四", "--email", "ww@example.com",
                        "--qr", str(tmp_path / "no" / "such" / "card.png")) == 1
    said = capsys.readouterr()
    assert "emailed    yes" in said.out and "the invitation was made, but" in said.err
    assert len(smtp_server.mails) == 2
    pulled = requests_free_pull(db_url)
    assert [(e["visit_id"], e["device"], e["seq"]) for e in pulled][0] == (invite_id, "server", 1) and len(pulled) == 2

    assert kiosk_server("invite", "--site", "hq", "--name", "张三", "--host", "李四", "--hours", "9999") == 1
    assert capsys.readouterr().err.startswith("kiosk-server: hours must be")
    for url, said in (("https://hooks.slack.com/services/T0/B0/TOKEN42", "must be an smtp://"),
                      ("smtp://kiosk:hunter2@mail.example.com", "from=")):
        assert kiosk_server("serve", "--port", "0", "--smtp", url) == 1
        err = capsys.readouterr().err
        assert said in err and "hunter2" not in err and "TOKEN42" not in err


def requests_free_pull(db_url: str) -> list[dict]:
    """The site's log as the server stores it."""
    from sync.server import store
    from sync.server.db import Database

    db = Database(db_url)
    try:
        return store.pull(db, "hq", 0, 100)[0]
    finally:
        db.close()
