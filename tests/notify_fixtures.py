"""Real servers on 127.0.0.1 for notification tests: an SMTP server (aiosmtpd) that speaks
STARTTLS or implicit TLS with a self-signed certificate, and an HTTP receiver; both record what
they get and can be told to fail.

Use in a test module (pytest finds fixtures by name, so import them)::

    from tests.notify_fixtures import Reply, http_receiver, make_notice, smtp_server, start_smtp, tls_cert  # noqa: F401

``smtp_server`` is an :class:`SmtpServer` with STARTTLS; ``start_smtp(tls=..., users=...)`` starts
others (``tls`` is "starttls", "implicit" or None; ``users`` {name: password} requires AUTH).
``server.url(scheme)`` is a channel URL that trusts the certificate (``?cafile=``);
``server.mails`` the :class:`Mail` received (envelope, raw bytes, TLS version);
``server.answers["RCPT"] = "550 5.1.1 no such user"`` (or "MAIL", "DATA") refuses a command;
``server.delay`` makes DATA slow; ``server.stop()`` takes it down.

``LOCAL_HTTP`` (the ``allow_plain_http`` setting ``ALLOW_LOCAL_HTTP``) lets channels reach them.

``make_notice(**changes)`` is a complete ARRIVED notice in zh_CN (王小明 of 华为 for 李四).

``http_receiver`` is an :class:`HttpReceiver`: ``.url``, ``.hits`` (:class:`Hit`: method, path, at,
query, headers, body) and ``.script(Reply(502), Reply(200, b"garbage"), Reply(200, {"errcode": 0}))``
for the next answers (then ``.default``); ``Reply(delay=2)`` answers late; ``.stop()`` to be down.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.notify import Notice
from kiosk.notify.notice import ARRIVED
from kiosk.notify.plainhttp import PlainHttp

HOST = "127.0.0.1"
# The receivers here speak plain HTTP on 127.0.0.1, which channels reach only when allowed.
ALLOW_LOCAL_HTTP = HOST
LOCAL_HTTP = PlainHttp.parse(ALLOW_LOCAL_HTTP)
AT = 1714530600000  # 2024-05-01 02:30 UTC, 10:30 in Shanghai


def make_notice(**changes) -> Notice:
    fields = dict(notice_id="V7Q2K3MZ4XJ5R6TA.email", kind=ARRIVED, language="zh_CN", site="总部", host_name="李四",
                  host_email="lisi@example.com", host_phone="13800000001", visitor_name="王小明", company="华为",
                  purpose="商务洽谈", at=AT, meet_at="1F 前台")
    return Notice(**{**fields, **changes})


@dataclass(frozen=True)
class TlsCert:
    cert: Path  # PEM; a client trusts the server with ``cafile=cert``
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_cert(directory: Path) -> TlsCert:
    """A self-signed certificate for localhost and 127.0.0.1, its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    paths = TlsCert(directory / "cert.pem", directory / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


def free_port() -> int:
    # aiosmtpd's Controller needs the port before it starts. Not the one in server_fixtures: that
    # module imports the whole sync server, which these tests do not need.
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: str | None  # the TLS version the message came over, None in clear

    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)


class SmtpServer:
    def __init__(self, cert: TlsCert, *, tls: str | None = "starttls", users: dict[str, str] | None = None):
        self.cert, self.users = cert, users or {}
        self.mails: list[Mail] = []
        self.answers: dict[str, str] = {}  # command -> an error answer to give instead of accepting
        self.delay = 0.0                   # seconds before answering DATA
        self.port = free_port()
        options: dict = {"authenticator": self._authenticate, "auth_required": bool(self.users)}
        if tls == "starttls":
            options |= {"tls_context": cert.server_context(), "require_starttls": True}
        elif tls == "implicit":
            options |= {"ssl_context": cert.server_context()}
        else:
            options |= {"auth_require_tls": False}
        self._controller = Controller(self, hostname=HOST, port=self.port, **options)
        self._controller.start()

    def url(self, scheme: str = "smtp", *, sender: str = "kiosk@example.com", userinfo: str = "") -> str:
        return f"{scheme}://{userinfo}{HOST}:{self.port}?from={sender}&cafile={self.cert.cert}"

    def stop(self) -> None:
        if self._controller.loop.is_running():
            self._controller.stop()

    # aiosmtpd handler hooks
    async def handle_MAIL(self, server, session, envelope, address, options):
        envelope.mail_from = address
        return self.answers.get("MAIL", "250 OK")

    async def handle_RCPT(self, server, session, envelope, address, options):
        if "RCPT" in self.answers:
            return self.answers["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        if "DATA" in self.answers:
            return self.answers["DATA"]
        ssl_object = server.transport.get_extra_info("ssl_object")
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                               ssl_object.version() if ssl_object else None))
        return "250 Message accepted"

    def _authenticate(self, server, session, envelope, mechanism, data) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.users.get(data.login.decode()) == data.password.decode()
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> TlsCert:
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def start_smtp(tls_cert):
    started: list[SmtpServer] = []

    def start(**options) -> SmtpServer:
        started.append(SmtpServer(tls_cert, **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp) -> SmtpServer:
    return start_smtp()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | dict | list = b""  # a dict or list is sent as JSON
    delay: float = 0.0               # seconds to wait before answering

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "text/plain; charset=utf-8"
        return json.dumps(self.body, ensure_ascii=False).encode(), "application/json; charset=utf-8"


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    raw_query: str
    headers: Message  # case-insensitive
    body: bytes
    at: float = field(default_factory=time.time)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def json(self):
        return json.loads(self.body)


class HttpReceiver:
    def __init__(self, default: Reply = Reply(200, {"errcode": 0, "errmsg": "ok"})):
        self.default = default
        self.hits: list[Hit] = []
        self._replies: deque[Reply] = deque()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler())
        self._server.handle_error = lambda request, address: None  # a client that gave up is expected
        self.url = f"http://{HOST}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        """The next answers, in order; after them, ``default``."""
        self._replies.extend(replies)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                url = urlsplit(self.path)
                receiver.hits.append(Hit(self.command, url.path, url.query, self.headers, body))
                reply = receiver._replies.popleft() if receiver._replies else receiver.default
                time.sleep(reply.delay)
                data, content_type = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()
