"""The central server against a local user and a stranger on the network: its files are its
user's alone, and what a request makes it hold (memory, a connection) is bounded in size and
time, the token checked before a large body is read (sync.server.intake, kiosk.privatefiles).

Attacks are made as an attacker would: raw sockets that send headers and part of a body and
stall, against ``kiosk-server serve`` as its own process where its memory or its files are
what is checked.
"""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from sync import protocol
from sync.server import auth
from sync.server.app import now_ms
from sync.server.cli import main
from sync.server.db import Database
from sync.server.intake import STRANGER_BYTES
from tests.server_fixtures import ROOT, ServerProcess, db_url, pg_url, server  # noqa: F401

HANG_GUARD_S = 60  # a socket read that waits longer than this has hung: the test fails
STALLED = 100
READ_TIMEOUT_S = 3


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def kiosk_server(*args: str) -> subprocess.CompletedProcess:
    """``kiosk-server ARGS`` as its own process, with the usual umask outside systemd (022)."""
    return subprocess.run([sys.executable, "-m", "sync.server", *args], capture_output=True, text=True,
                          timeout=HANG_GUARD_S, cwd=ROOT, umask=0o022)


# -- files -------------------------------------------------------------------------------------

def test_serve_makes_the_database_its_wal_and_shm_and_exports_private(tmp_path):
    directory = tmp_path / "fresh"
    path = directory / "server.sqlite3"
    served = ServerProcess(f"sqlite:///{path}", umask=0o022)
    try:
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()  # the server holds the database open (WAL)
        assert {p: mode(p) for p in (directory, path, wal, shm)} == {
            directory: 0o700, path: 0o600, wal: 0o600, shm: 0o600}
        exported = tmp_path / "visits.csv"
        done = kiosk_server("--db", f"sqlite:///{path}", "export", "--output", str(exported))
        assert done.returncode == 0, done.stderr
        assert mode(exported) == 0o600
    finally:
        served.stop()


def test_an_export_file_is_private_even_one_that_was_not(tmp_path):
    """An export written over an older one that others could read is made private too."""
    url = f"sqlite:///{tmp_path / 'db' / 'server.sqlite3'}"
    new, old = tmp_path / "visits.csv", tmp_path / "visits.json"
    old.write_text("an earlier export")
    old.chmod(0o644)
    for output, fmt in ((new, "csv"), (old, "json")):
        done = kiosk_server("--db", url, "export", "--format", fmt, "--output", str(output))
        assert done.returncode == 0, done.stderr
        assert mode(output) == 0o600
    assert json.loads(old.read_text()) == []


@pytest.mark.parametrize("exposed", ["", "-wal"])
def test_a_database_other_users_may_read_is_refused(tmp_path, capsys, exposed):
    path = tmp_path / "server.sqlite3"
    Database(f"sqlite:///{path}").close()
    Path(f"{path}{exposed}").touch()
    Path(f"{path}{exposed}").chmod(0o644)  # as an older kiosk-server made it outside systemd
    assert main(["--db", f"sqlite:///{path}", "add-admin", "--name", "ops"]) == 1
    err = capsys.readouterr().err
    assert "may be read by other users (mode 0644)" in err and f"chmod 600 {path}{exposed}" in err


# -- bodies ------------------------------------------------------------------------------------

def connect(url: str) -> socket.socket:
    address = urlsplit(url)
    return socket.create_connection((address.hostname, address.port), timeout=HANG_GUARD_S)


def push_head(token: str, length: int | None = None) -> bytes:
    framing = b"Transfer-Encoding: chunked" if length is None else b"Content-Length: %d" % length
    return (b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n" + framing + b"\r\n\r\n")


def answer(sock: socket.socket, *, until_closed: bool = False) -> tuple[int, dict, bytes]:
    """Status, JSON body and headers of the answer; ``until_closed``: read on until the server
    closes the connection (a read that never ends fails the test)."""
    received = b""
    while b"\r\n\r\n" not in received or until_closed or len(received.partition(b"\r\n\r\n")[2]) < length(received):
        data = sock.recv(65536)
        if not data:
            break
        received += data
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), head.lower()


def length(received: bytes) -> int:
    head = received.partition(b"\r\n\r\n")[0].lower()
    return int(head.split(b"content-length:", 1)[1].split(b"\r\n")[0]) if b"content-length:" in head else 0


def test_a_stranger_is_refused_before_the_body_is_read(server):
    """Headers and a sixteenth of a 2 MB body, then nothing: answered 401 at once, so the server
    did not wait for the rest before it judged the token. Chunked, with no length announced, too."""
    part = b"x" * (protocol.MAX_BODY_BYTES // 16)
    for head, sent in ((push_head("not-a-token", protocol.MAX_BODY_BYTES), part),
                       (push_head("not-a-token"), b"%x\r\n%s\r\n" % (len(part), part))):
        with connect(server.url) as sock:
            sock.sendall(head + sent)
            status, body, headers = answer(sock)
        assert status == 401 and body == {"error": "unknown token"}
        assert b"www-authenticate: bearer" in headers and b"connection: close" in headers
    revoked = server.device("hq", "old")
    auth.revoke_device(server.app.state.db, "hq", "old", now_ms())
    with connect(server.url) as sock:
        sock.sendall(push_head(revoked, protocol.MAX_BODY_BYTES) + part)
        assert answer(sock)[:2] == (401, {"error": "device hq/old has been revoked"})


def test_a_client_sending_a_whole_large_body_with_a_bad_token_reads_its_401(server):
    """The refusal does not reset the connection under a client still sending (as requests
    does, the whole body before it reads): the device hears that its token is refused."""
    pushed = requests.post(server.url + "/v1/events", data=b"x" * protocol.MAX_BODY_BYTES, timeout=HANG_GUARD_S,
                           headers={"Authorization": "Bearer not-a-token", "Content-Type": "application/json"})
    assert pushed.status_code == 401 and pushed.json() == {"error": "unknown token"}


def test_a_small_body_from_a_stranger_is_still_refused_401_before_422(server):
    pushed = requests.post(server.url + "/v1/events", data=b"{not json", timeout=HANG_GUARD_S,
                           headers={"Authorization": "Bearer not-a-token", "Content-Type": "application/json"})
    assert pushed.status_code == 401 and pushed.json() == {"error": "unknown token"}


def test_the_approval_page_takes_no_large_body(server):
    """It needs no bearer token, so a body to it is a stranger's: small, or refused unread."""
    with connect(server.url) as sock:
        sock.sendall(b"POST /v1/approvals/whatever HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n" % (STRANGER_BYTES + 1))
        status, body, _ = answer(sock)
    assert status == 413 and body == {"error": f"the request body is larger than {STRANGER_BYTES} bytes"}


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for process {pid}")


@pytest.fixture
def served_device(tmp_path):
    """``kiosk-server serve`` with a short body timeout, and a visitor device's token."""
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    db = Database(url)
    token = auth.add_device(db, "hq", "kiosk-a", "visitor", now_ms())
    db.close()
    served = ServerProcess(url, "--read-timeout", str(READ_TIMEOUT_S))
    try:
        yield served, token
    finally:
        served.stop()


def test_stalled_bodies_are_dropped_and_their_memory_with_them(served_device):
    """100 devices' tokens (one, stolen) each send half of a 2 MB push and stall. Each is
    answered 408 and closed once the body timeout passes, and the server's memory comes back
    down: the old server kept every partial body, and the connection, for ever."""
    served, token = served_device
    for _ in range(3):  # what the first requests load (modules, caches) is part of the baseline
        requests.post(served.url + "/v1/events", json={"events": []}, timeout=HANG_GUARD_S,
                      headers={"Authorization": f"Bearer {token}"})
    baseline, peak_before = rss_kib(served.proc.pid), rss_kib(served.proc.pid, "VmHWM")
    half = b"x" * (protocol.MAX_BODY_BYTES // 2)
    sockets = []
    try:
        for _ in range(STALLED):
            sock = connect(served.url)
            sockets.append(sock)
            sock.sendall(push_head(token, protocol.MAX_BODY_BYTES) + half)
        answers = [answer(sock, until_closed=True) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert all(status == 408 and "did not arrive whole" in body["error"] for status, body, _ in answers)
    held_at_peak = rss_kib(served.proc.pid, "VmHWM") - peak_before
    kept = rss_kib(served.proc.pid) - baseline
    sent_kib = STALLED * len(half) // 1024
    assert held_at_peak > sent_kib // 2  # the bodies were really read and held while they stalled
    print(f"baseline {baseline} KiB, peak +{held_at_peak} KiB, kept +{kept} KiB")
    assert kept < sent_kib // 4, f"the server kept {kept} KiB after its {STALLED} stalled bodies were dropped"
    pushed = requests.post(served.url + "/v1/events", json={"events": []}, timeout=HANG_GUARD_S,
                           headers={"Authorization": f"Bearer {token}"})
    assert pushed.status_code == 200


def test_a_stranger_that_stalls_after_its_401_is_closed_too(served_device):
    """After its answer the server drops what comes of the refused body for a while (so that a
    client still sending can read it), but not for ever."""
    served, _ = served_device
    with connect(served.url) as sock:
        sock.sendall(push_head("not-a-token", protocol.MAX_BODY_BYTES) + b"x" * 1000)
        assert answer(sock, until_closed=True)[:2] == (401, {"error": "unknown token"})


def test_headers_are_bounded_in_size(served_device):
    """64 MB of header lines: the server closes the connection after 16 KiB of them (the old
    one read them all into memory); sending on then fails."""
    served, _ = served_device
    line = b"X-Pad: " + b"a" * 8000 + b"\r\n"
    with connect(served.url) as sock:
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        with pytest.raises(OSError):  # broken pipe or reset: the server closed the connection
            for _ in range(8192):
                sock.sendall(line)


def test_connections_beyond_the_cap_are_answered_503_until_idle_ones_are_closed(tmp_path):
    """Idle connections count against the cap, so a stranger could hold every slot with sockets
    that send nothing, or half a request line: the server closes them after the read timeout."""
    served = ServerProcess(f"sqlite:///{tmp_path / 'server.sqlite3'}", "--max-connections", "5",
                           "--read-timeout", str(READ_TIMEOUT_S))
    idle: list[socket.socket] = []
    try:
        idle += [connect(served.url) for _ in range(2)]
        assert requests.get(served.url + "/v1/health", timeout=HANG_GUARD_S).status_code == 200
        idle += [connect(served.url) for _ in range(3)]
        idle[-1].sendall(b"GET /v1/hea")
        refused = requests.get(served.url + "/v1/health", timeout=HANG_GUARD_S)
        assert refused.status_code == 503
        assert [sock.recv(1) for sock in idle] == [b""] * len(idle)  # each closed by the server
        assert requests.get(served.url + "/v1/health", timeout=HANG_GUARD_S).status_code == 200
    finally:
        for sock in idle:
            sock.close()
        served.stop()
