"""Pull the plug: kill -9 a process in the middle of a loop of check-ins, at random moments.
Every check-in it reported as done must be in the log, whole, and the file must be sound."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from tests.conftest import ROOT

CHILD = textwrap.dedent("""
    import sys
    from kiosk.core.hosts import Host
    from kiosk.services import Kiosk
    from kiosk.settings import Settings
    from printer.device import PreviewPrinter

    data = sys.argv[1]
    kiosk = Kiosk.open(Settings(data_dir=data, site="hq", device="k1"), PreviewPrinter(data + "/previews"))
    host = Host("h1", "李四", "研发部")
    for i in range(10_000):
        result = kiosk.check_in(name=f"访客{i}", host=host, company="华为技术有限公司")
        print(result.visit.visit_id, flush=True)
""")


def run_and_kill(data_dir, rnd):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    reported = []
    wanted = rnd.randint(1, 12)
    while len(reported) < wanted:
        line = proc.stdout.readline()
        assert line, "the child died on its own"
        reported.append(line.strip())
    time.sleep(rnd.uniform(0, 0.05))  # land anywhere in the next check-in: commit, render, print
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reported += [line.strip() for line in proc.stdout]  # lines already written before the kill
    return reported


def test_kill_minus_nine_loses_nothing_reported(tmp_path):
    rnd = random.Random(os.environ.get("KIOSK_CRASH_SEED", "20261123"))
    data_dir = tmp_path / "data"
    reported = []
    for _ in range(6):
        reported += run_and_kill(data_dir, rnd)
    conn = sqlite3.connect(data_dir / "kiosk.sqlite3")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    on_file = {visit_id for (visit_id,) in conn.execute("SELECT visit_id FROM visits WHERE state = 'waiting'")}
    assert set(reported) <= on_file
    # nothing half-written: every visit has its sign-in and its badge, from one transaction
    kinds = conn.execute("SELECT visit_id, group_concat(kind) FROM events GROUP BY visit_id").fetchall()
    for visit_id, joined in kinds:
        assert {"signed_in", "badge_issued"} <= set(joined.split(",")), visit_id
    # the derived table agrees with the log it was derived from
    assert len(on_file) == len(kinds)
