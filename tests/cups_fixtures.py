"""A private CUPS daemon for tests: its own config, spool, cache and logs under a temporary
directory, listening on a free 127.0.0.1 port, with queues made by lpadmin from the Debian
driver PPDs (printer-driver-ptouch, printer-driver-dymo) on ``file://`` back ends, so the
bytes a queue writes are exactly what its driver would send to the label printer.

Run as root (CI, this machine) the daemon runs its filters as ``lp``, as the system cupsd
does; run as another user, everything runs as that user (CUPS allows both). The fixtures skip,
saying why, when CUPS or a driver is not installed (``./setup.sh test`` installs them).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CUPSD = "/usr/sbin/cupsd"
LPADMIN = "/usr/sbin/lpadmin"
DRIVERS = {
    "ql": ("/usr/lib/cups/driver/ptouch", "ptouch:0/ppd/ptouch-driver/Brother-QL-820NWB-ptouch-ql.ppd"),
    "dymo": ("/usr/lib/cups/driver/dymo", "dymo:0/cups/model/lw450.ppd"),
}


@dataclass
class Cups:
    root: Path
    port: int
    process: subprocess.Popen

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def lpadmin(self, *args: str) -> None:
        run = subprocess.run([LPADMIN, "-h", self.server, *args], capture_output=True, text=True,
                             env=self.env(), timeout=60)
        if run.returncode:
            raise RuntimeError(f"lpadmin {' '.join(args)}: {run.stderr.strip()}")

    def tool(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([*argv, "-h", self.server], capture_output=True, text=True, env=self.env(), timeout=60)

    def env(self) -> dict:
        return {**os.environ, "CUPS_SERVER": self.server}

    def add_queue(self, name: str, driver: str, uri: str | None = None) -> Path:
        """A queue on the driver's PPD that writes its output to a file; returns the file."""
        program, ppd_name = DRIVERS[driver]
        if not os.access(program, os.X_OK):
            pytest.skip(f"{program} missing: apt install printer-driver-{'ptouch' if driver == 'ql' else 'dymo'}")
        ppd = self.root / f"{name}.ppd"
        ppd.write_bytes(subprocess.run([program, "cat", ppd_name], capture_output=True, check=True).stdout)
        out = self.root / "out" / f"{name}.bin"
        self.lpadmin("-p", name, "-E", "-v", uri or f"file://{out}", "-P", str(ppd))
        return out

    def error_log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _filter_user() -> tuple[str, str]:
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, _group_name(me.pw_gid)
    return "lp", "lp"  # cupsd never runs filters as root


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _write_config(root: Path, port: int) -> None:
    user, group = _filter_user()
    for sub in ("spool/tmp", "cache", "state", "log", "ppd", "out"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # Filters run as lp: they read the spool and the file back end writes under out/.
        uid, gid = pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
        for sub in ("spool", "spool/tmp", "out"):
            os.chown(root / sub, uid, gid)
        os.chmod(root, 0o755)
    (root / "cups-files.conf").write_text(f"""\
ServerRoot {root}
RequestRoot {root}/spool
TempDir {root}/spool/tmp
CacheDir {root}/cache
StateDir {root}/state
AccessLog {root}/log/access_log
ErrorLog {root}/log/error_log
PageLog {root}/log/page_log
FileDevice Yes
User {user}
Group {group}
SystemGroup {"sys" if group == "root" else "root"}
Sandboxing Relaxed
""")
    (root / "cupsd.conf").write_text(f"""\
Listen 127.0.0.1:{port}
LogLevel debug
Browsing No
WebInterface No
DefaultAuthType None
JobRetryInterval 1
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")


def start_cups(root: Path) -> Cups:
    if not (os.access(CUPSD, os.X_OK) and os.access(LPADMIN, os.X_OK)):
        pytest.skip("CUPS is not installed: apt install cups (./setup.sh test)")
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    _write_config(root, port)
    process = subprocess.Popen([CUPSD, "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cups = Cups(root, port, process)
    for _ in range(200):  # up to 10 s for the daemon to listen
        if process.poll() is not None:
            raise RuntimeError(f"cupsd exited {process.returncode}: "
                               f"{process.stderr.read().decode(errors='replace')}\n{cups.error_log()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return cups
        except OSError:
            time.sleep(0.05)
    stop_cups(cups)
    raise RuntimeError(f"cupsd did not listen on {cups.server}:\n{cups.error_log()}")


def stop_cups(cups: Cups) -> None:
    cups.process.terminate()
    try:
        cups.process.wait(10)
    except subprocess.TimeoutExpired:
        cups.process.kill()
        cups.process.wait()


@pytest.fixture(scope="module")
def cups():
    # Not pytest's tmp_path: it is private to us (0700), and the filters run as lp.
    root = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
    daemon = start_cups(root)
    try:
        yield daemon
    finally:
        stop_cups(daemon)
        shutil.rmtree(root, ignore_errors=True)
