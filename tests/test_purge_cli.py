"""The purge commands as an operator runs them: `kiosk purge [--dry-run]` in its own process on a
log written 200 days back, and `kiosk-server retention|purge|person erase` against the real
server's database, the devices then syncing the site's policy and purges."""

import json
import time

import pytest

from kiosk import retention
from kiosk.core.hosts import Host
from kiosk.core.purge import DAY_MS, Retention
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.server import cli as server_cli
from sync.worker import Syncer
from tests.conftest import KioskCommand
from tests.privacy_bytes import hits, sqlite_files
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

HOST = Host("h1", "李四", "研发部")
OLD = ("欧阳娜娜", "星辰量子科技", "13912345678")
NEW = ("司马懿然", "青鸾数据", "18600004321")


class Clock:
    def __init__(self, ms):
        self.ms = ms

    def __call__(self):
        return self.ms


def device(tmp_path, clock, name="kiosk-a"):
    settings = Settings(data_dir=str(tmp_path / name), site="hq", device=name, role="reception")
    return Kiosk.open(settings, PreviewPrinter(tmp_path / "paper"), clock)


def sign_in(kiosk, person):
    visit = kiosk.check_in(name=person[0], company=person[1], phone=person[2], host=HOST)
    kiosk.sign_out_by_hand(visit.visit.visit_id, "left")
    return visit.visit.visit_id


def test_kiosk_purge_by_the_devices_own_settings(tmp_path):
    clock = Clock(int(time.time() * 1000) - 200 * DAY_MS)
    kiosk = device(tmp_path, clock)
    sign_in(kiosk, OLD)
    clock.ms += 160 * DAY_MS  # 40 days ago: its signature and sensitive data are due
    sign_in(kiosk, NEW)
    kiosk.log.db.close()
    run = KioskCommand(tmp_path / "kiosk-a", KIOSK_DEVICE="kiosk-a", KIOSK_ROLE="reception")
    assert run.json("purge", "--dry-run") == {"dry_run": True, "visits": 2, "by_scope": {"sensitive": 1, "all": 1},
                                              "retention_days": 180, "sensitive_retention_days": 30}
    assert {t for _, t in hits(sqlite_files(tmp_path / "kiosk-a"), OLD)} == set(OLD)  # a dry run purges nothing
    assert run.json("purge")["visits"] == 2
    assert hits(sqlite_files(tmp_path / "kiosk-a"), OLD) == []
    assert {t for _, t in hits(sqlite_files(tmp_path / "kiosk-a"), NEW)} == set(NEW)  # 40 days: identity kept
    assert run.json("purge")["visits"] == 0
    shorter = KioskCommand(tmp_path / "kiosk-a", KIOSK_DEVICE="kiosk-a", KIOSK_ROLE="reception",
                           KIOSK_RETENTION_DAYS="10", KIOSK_SENSITIVE_RETENTION_DAYS="20")
    refused = shorter("purge", check=1)
    assert "sensitive_retention_days" in refused.stderr and "retention_days" in refused.stderr


def server_cmd(capsys, url, *args):
    code = server_cli.main(["--db", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_server_retention_purge_and_erase(server, db_url, tmp_path, capsys):
    clock = Clock(int(time.time() * 1000) - 200 * DAY_MS)
    kiosk = device(tmp_path, clock)
    syncer = Syncer(kiosk, SyncClient(server.url, server.device("hq", "kiosk-a", "reception"), timeout=(2, 10)))
    old = sign_in(kiosk, OLD)
    syncer.sync_once()
    clock.ms = int(time.time() * 1000)
    new = sign_in(kiosk, NEW)
    # the device would purge the old visit itself at its next round; the server's timer is what is tested here
    kiosk.log.db.set_meta("sync.purged_day", str(clock.ms // DAY_MS))
    kiosk.log.db.set_meta(retention.SITE_POLICY, json.dumps({"retention_days": 180, "sensitive_retention_days": 30},
                                                            sort_keys=True))
    syncer.sync_once()

    code, _, err = server_cmd(capsys, db_url, "retention", "set", "--site", "hq", "--days", "100",
                              "--sensitive-days", "200")
    assert code == 1 and "sensitive_retention_days" in err
    assert server_cmd(capsys, db_url, "retention", "set", "--site", "hq", "--days", "150", "--sensitive-days", "20")[0] == 0
    assert "retention_days 150, sensitive_retention_days 20" in server_cmd(capsys, db_url, "retention", "show",
                                                                           "--site", "hq")[1]
    code, out, err = server_cmd(capsys, db_url, "purge", "--dry-run")
    assert (code, out, err.strip()) == (0, f"hq\t{old}\tall\n", "would purge 1 visits")
    code, _, err = server_cmd(capsys, db_url, "person", "erase")
    assert code == 1 and "--phone" in err
    code, out, err = server_cmd(capsys, db_url, "person", "erase", "--name", " 司马懿然 ", "--company", "青鸾数据")
    assert (code, out) == (0, f"hq\t{new}\n") and "erased 1 visits" in err
    assert server_cmd(capsys, db_url, "purge")[1] == f"hq\t{old}\tall\n"
    assert server_cmd(capsys, db_url, "person", "erase", "--phone", "186 0000 4321")[1] == ""  # already erased

    syncer.sync_once()  # the purges come with the pull at once; the policy within the hour
    assert retention.policy(kiosk) == Retention(180, 30)
    clock.ms += 3_600_000
    syncer.sync_once()
    assert retention.policy(kiosk) == Retention(150, 20)
    assert kiosk.log.visit(old).visitor == {} and kiosk.log.visit(new).purged == "all"
    files = sqlite_files(tmp_path / "kiosk-a")
    if db_url.startswith("sqlite"):
        files += [p for p in tmp_path.iterdir() if p.name.startswith("server.sqlite3")]
    assert hits(files, OLD + NEW) == []
