"""Secrets that used to leak from the running server, checked on ``kiosk-server serve`` as its own
process (SQLite and PostgreSQL): approval links in the access log, and database and SMTP
passwords in the command line that ``ps`` shows every local user."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys

import pytest
import requests
from sqlalchemy.engine import make_url

from sync.server import auth, passwords
from sync.server.accesslog import redact
from sync.server.app import now_ms
from sync.server.db import Database
from sync.server.errors import ServerError
from tests.server_fixtures import ROOT, ServerProcess, db_url, pg_url  # noqa: F401
from tests.test_approvals_server import Device

DB_PASSWORD = "db-Pa55word-9f3"
SMTP_PASSWORD = "smtp-Pa55word-7c1"
SMTP_URL = f"smtp://kiosk:{SMTP_PASSWORD}@127.0.0.1:2525?from=kiosk@example.com"


class _Served:
    """What tests.test_approvals_server.Device needs of a server, for one running as a process."""

    def __init__(self, process: ServerProcess):
        self.url, self._db_url = process.url, process.db_url

    def device(self, site: str, name: str, role: str = "visitor") -> str:
        db = Database(self._db_url)
        try:
            return auth.add_device(db, site, name, role, now_ms())
        finally:
            db.close()


@pytest.fixture
def served(db_url):
    process = ServerProcess(db_url)
    try:
        yield process
    finally:
        process.stop()


def test_an_approval_link_is_not_in_the_access_log(tmp_path, served):
    """Whoever reads the server's journal must not be able to approve a waiting visitor."""
    device = Device(tmp_path, _Served(served))
    _visit_id, link = device.sign_in()
    device.syncer.sync_once()
    token = link.rsplit("/", 1)[1]
    assert requests.get(link, timeout=30).status_code == 200
    assert requests.post(link, data={"decision": "approve"}, timeout=30).status_code == 200
    assert requests.get(link + "?from=singlemessage", timeout=30).status_code == 200

    served.stop()
    log = served.output()
    assert token not in log and token[:20] not in log
    fingerprint = hashlib.sha256(token.encode()).hexdigest()[:8]
    line = re.escape(f"/v1/approvals/[redacted:{fingerprint}]")
    # Still useful: method, the path with the token's fingerprint (the same for each use of the
    # link), the query and the status.
    assert re.search(rf'"GET {line} HTTP/1.1" 200', log), log
    assert re.search(rf'"POST {line} HTTP/1.1" 200', log), log
    assert re.search(rf'"GET {line}\?from=singlemessage HTTP/1.1" 200', log), log
    assert re.search(r'"POST /v1/events HTTP/1.1" 200', log), log  # other lines as they were


def test_redaction_of_any_path_segment_after_approvals():
    assert redact('1.2.3.4 - "GET /v1/approvals/VA1ABC/x?y=1 HTTP/1.1" 404') == \
        f'1.2.3.4 - "GET /v1/approvals/[redacted:{hashlib.sha256(b"VA1ABC").hexdigest()[:8]}]/x?y=1 HTTP/1.1" 404'
    assert redact("GET /v1/events?after=3") == "GET /v1/events?after=3"


def _cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode()


def _with_password(url: str) -> str:
    """The URL with a password; SQLite has none to hold, and the test cluster trusts any."""
    parsed = make_url(url)
    return url if parsed.get_backend_name() == "sqlite" else \
        parsed.set(password=DB_PASSWORD).render_as_string(hide_password=False)


def test_serve_reads_the_database_url_from_a_file_and_smtp_from_the_environment(tmp_path, db_url):
    url = _with_password(db_url)
    secret = tmp_path / "db-url"
    secret.write_text(url + "\n")
    secret.chmod(0o600)
    process = ServerProcess(url, args=["--db-file", str(secret)], env={"KIOSK_SMTP": SMTP_URL})
    try:
        assert requests.get(process.url + "/v1/health", timeout=10).json()["db"] == make_url(url).get_backend_name()
        shown = _cmdline(process.proc.pid)
        assert "--db-file" in shown and DB_PASSWORD not in shown and SMTP_PASSWORD not in shown
    finally:
        process.stop()
    assert "warning" not in process.output()


def test_serve_reads_smtp_from_a_file_and_the_database_from_the_environment(tmp_path, db_url):
    url = _with_password(db_url)
    smtp = tmp_path / "smtp-url"
    smtp.write_text(SMTP_URL)
    process = ServerProcess(url, args=["--smtp-file", str(smtp)], env={"KIOSK_SERVER_DB": url})
    try:
        assert requests.get(process.url + "/v1/health", timeout=10).status_code == 200
        shown = _cmdline(process.proc.pid)
        assert DB_PASSWORD not in shown and SMTP_PASSWORD not in shown
    finally:
        process.stop()


def test_a_password_in_an_argument_works_with_a_warning(tmp_path, capsys):
    assert passwords.setting("--smtp", SMTP_URL, None, "KIOSK_SMTP") == SMTP_URL
    warned = capsys.readouterr().err
    assert "warning: the --smtp URL holds a password" in warned and "--smtp-file" in warned
    assert SMTP_PASSWORD not in warned
    assert passwords.setting("--db", "sqlite:////tmp/x.sqlite3", None, "KIOSK_SERVER_DB") == "sqlite:////tmp/x.sqlite3"
    assert capsys.readouterr().err == ""


def test_file_and_environment_precedence_and_refusals(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_SMTP", "smtp+plain://localhost?from=env@example.com")
    assert passwords.setting("--smtp", None, None, "KIOSK_SMTP") == "smtp+plain://localhost?from=env@example.com"
    file = tmp_path / "smtp"
    file.write_text("\n  smtp+plain://localhost?from=file@example.com  \n")
    assert passwords.setting("--smtp", None, str(file), "KIOSK_SMTP") == "smtp+plain://localhost?from=file@example.com"
    with pytest.raises(ServerError, match="both given"):
        passwords.setting("--smtp", "smtp://x", str(file), "KIOSK_SMTP")
    with pytest.raises(ServerError, match="cannot read .*missing"):
        passwords.setting("--db", None, str(tmp_path / "missing"), "KIOSK_SERVER_DB")
    (tmp_path / "blank").write_text(" \n")
    with pytest.raises(ServerError, match="is empty"):
        passwords.setting("--db", None, str(tmp_path / "blank"), "KIOSK_SERVER_DB")


def test_the_command_says_a_bad_db_file_on_stderr(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "sync.server", "--db-file", str(tmp_path / "nope"), "add-admin",
                           "--name", "ops"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("kiosk-server: --db-file: cannot read")
