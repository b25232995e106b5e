"""A purge killed with SIGKILL at random moments, in a real subprocess: every visit is whole or
purged, never half (its events, its folded row and its purge record agree), and the next purge
finishes the work."""

import json
import os
import random
import signal
import subprocess
import sys
import time

from kiosk.core import events as ev
from kiosk.core.purge import DAY_MS
from kiosk.store.db import Database
from kiosk.store.log import EventLog
from tests.conftest import ROOT

VISITS = 3000
START = 1_700_000_000_000
PURGE = """
import sys
from kiosk import retention
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
settings = Settings(data_dir=sys.argv[1], site="hq", device="k1", role="reception")
kiosk = Kiosk.open(settings, PreviewPrinter(sys.argv[1] + "/p"), lambda: int(sys.argv[2]))
print("ready", flush=True)
retention.purge_now(kiosk)
print("done", flush=True)
"""


def populate(data_dir):
    log = EventLog(Database(data_dir / "kiosk.sqlite3"), "hq", "k1", lambda: START)
    for start in range(0, VISITS, 500):
        specs = []
        for i in range(start, start + 500):
            visit_id = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[int(c)] for c in f"{i:016d}")
            specs += [(ev.SIGNED_IN, visit_id, {"visitor": {"name": f"访客{i}号", "company": "星辰", "phone": f"139{i:08d}"},
                                                "host": {"name": "李四", "department": "研发部"},
                                                "agreement": {"version": "1", "strokes": [[1, 2]]}}),
                      (ev.SIGNED_OUT, visit_id, {"by": "manual", "note": f"访客{i}号 left"})]
        log.record(*specs)
    log.db.close()


def consistent(data_dir) -> tuple[int, int]:
    """(visits purged, visits whole); AssertionError naming a visit that is half purged."""
    db = Database(data_dir / "kiosk.sqlite3")
    purged = {row[0] for row in db.read("SELECT visit_id FROM purges")}
    whole = 0
    for visit_id, name, doc in db.read("SELECT visit_id, name, doc FROM visits"):
        datas = [json.loads(d) for (d,) in db.read("SELECT data FROM events WHERE visit_id = ?", (visit_id,))]
        stripped = ["purged" in d for d in datas]
        if visit_id in purged:
            assert all(stripped) and name == "" and json.loads(doc)["visitor"] == {}, visit_id
        else:
            assert not any(stripped) and name.startswith("访客"), visit_id
            whole += 1
    db.close()
    return len(purged), whole


def test_a_purge_killed_at_random_leaves_each_visit_whole_or_purged(tmp_path):
    rnd = random.Random(15)
    data_dir = tmp_path / "data"
    populate(data_dir)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    now = START + 200 * DAY_MS
    counts = []
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, "-c", PURGE, str(data_dir), str(now)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        purged, whole = consistent(data_dir)
        assert purged + whole == VISITS
        counts.append(purged)
    done = subprocess.run([sys.executable, "-c", PURGE, str(data_dir), str(now)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.stdout.split() == ["ready", "done"], done.stderr
    assert consistent(data_dir) == (VISITS, 0)
    print("visits purged when each kill came:", counts)
