"""Offline-first sync, end to end: a real server (SQLite and PostgreSQL), real devices on
their own SQLite files, the network broken on purpose by a proxy, clocks skewed, the server
killed mid-batch. At the end every event is stored exactly once and every device agrees."""

import os
import subprocess
import sys
import time

import pytest
import requests

from kiosk.core import tokens
from kiosk.core.hosts import Host
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import AuthError, SyncClient, Unreachable
from sync.server import auth
from sync.server.app import now_ms
from sync.server.db import Database as ServerDatabase
from sync.worker import Syncer
from tests.conftest import ROOT
from tests.faultproxy import FaultProxy
from tests.server_fixtures import ServerProcess, db_url, pg_url, server  # noqa: F401

HOST = Host("h1", "李四", "研发部")
MINUTE = 60_000
FAULTS = {"pass": 3, "drop": 1, "delay": 1, "bad_gateway": 1, "reset_after_request": 1}


class Device:
    """A kiosk, a reception desk or an exit post: its own data directory, clock and syncer."""

    def __init__(self, tmp_path, name, role, token, url, *, site="hq", skew_ms=0):
        self.clock_offset = skew_ms
        settings = Settings(data_dir=str(tmp_path / name), site=site, device=name, role=role)
        self.kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / name / "paper"),
                                clock=lambda: int(time.time() * 1000) + self.clock_offset)
        self.token = token
        self.connect(url)

    def connect(self, url):
        self.syncer = Syncer(self.kiosk, SyncClient(url, self.token, timeout=(1, 3)))

    def sync_until_done(self, rounds=40):
        for _ in range(rounds):
            try:
                self.syncer.sync_once()
                return
            except Unreachable:
                continue
        raise AssertionError(f"{self.kiosk.settings.device} never got through")

    def visits(self):
        return {v.visit_id: (v.state, v.signed_out_at) for v in
                self.kiosk.log.visits_in(["waiting", "with_host", "signed_out", "awaiting_approval"])}

    def event_ids(self):
        return [row[0] for row in self.kiosk.log.db.read("SELECT event_id FROM events")]


def admin_get(server, path, **params):
    response = requests.get(server.url + "/v1" + path, params=params, headers=server.headers(server.admin), timeout=10)
    response.raise_for_status()
    return response


def test_three_devices_an_offline_exit_and_a_faulty_network_agree(server, tmp_path):
    kiosk = Device(tmp_path, "kiosk-a", "visitor", server.device("hq", "kiosk-a"), server.url, skew_ms=+10 * MINUTE)
    desk = Device(tmp_path, "reception", "reception", server.device("hq", "reception", "reception"), server.url)
    exit_post = Device(tmp_path, "exit-b", "exit", server.device("hq", "exit-b", "exit"), server.url,
                       skew_ms=-10 * MINUTE)
    branch = Device(tmp_path, "branch-1", "visitor", server.device("branch", "branch-1"), server.url, site="branch")
    for device in (kiosk, desk, exit_post, branch):
        device.sync_until_done()  # keys and directory while the network is up

    first = kiosk.kiosk.check_in(name="张三", host=HOST, company="华为技术有限公司")
    second = kiosk.kiosk.check_in(name="Alice Smith", host=HOST, company="Contoso")
    branch.kiosk.check_in(name="王五", host=HOST)
    # The exit post is cut off: it has never seen either visit, but it knows kiosk A's key.
    out = exit_post.kiosk.check_out(first.badge)
    assert out.ok and not out.visit.known

    with FaultProxy(int(server.url.rsplit(":", 1)[1]), weights=FAULTS, seed=7) as proxy:
        for device in (kiosk, desk, exit_post, branch):
            device.connect(proxy.url)
        for _ in range(2):  # twice round, so each device also pulls what the others pushed
            for device in (exit_post, kiosk, desk, branch):
                device.sync_until_done()
        assert {"drop", "bad_gateway", "reset_after_request"} <= set(proxy.fates)

    assert [d.syncer.status.pending for d in (kiosk, desk, exit_post, branch)] == [0, 0, 0, 0]
    expected = {first.visit.visit_id: "signed_out", second.visit.visit_id: "waiting"}
    for device in (kiosk, desk, exit_post):
        assert {v: s for v, (s, _) in device.visits().items()} == expected
        assert [v.visit_id for v in device.kiosk.on_site()] == [second.visit.visit_id]
    assert kiosk.visits() == desk.visits() == exit_post.visits()
    # every event exactly once, everywhere
    for device in (kiosk, desk, exit_post):
        assert len(device.event_ids()) == len(set(device.event_ids()))
    assert sorted(kiosk.event_ids()) == sorted(desk.event_ids()) == sorted(exit_post.event_ids())
    exported = admin_get(server, "/export", format="json", site="hq").json()
    assert sorted((v["visit_id"], v["state"]) for v in exported) == sorted(expected.items())
    # the branch sees nothing of hq
    assert set(branch.visits()) == {v.visit_id for v in branch.kiosk.on_site()}
    assert all(k.site == "branch" for k in branch.kiosk.keyring()._keys.values())
    assert not set(branch.event_ids()) & set(kiosk.event_ids())


def test_a_revoked_device_is_stopped_at_once(server, tmp_path):
    device = Device(tmp_path, "kiosk-a", "visitor", server.device("hq", "kiosk-a"), server.url)
    device.sync_until_done()
    requests.delete(f"{server.url}/v1/devices/hq/kiosk-a", headers=server.headers(server.admin), timeout=10)
    device.kiosk.check_in(name="张三", host=HOST)
    with pytest.raises(AuthError):
        device.syncer.sync_once()
    # the worker keeps the device working and says a person must act
    device.syncer._sleep = lambda seconds: True  # one round, then stop
    lines = []
    device.syncer.run(report=lines.append)
    assert device.syncer.status.needs_attention and device.syncer.status.last_error
    assert len(lines) == 1 and lines[0].startswith("sync failed")
    assert len(device.kiosk.on_site()) == 1


def stored_count(url):
    return requests.get(f"{url}/v1/health", timeout=5).json()["events"]


def test_the_server_killed_mid_batch_loses_and_doubles_nothing(tmp_path):
    db = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    token = auth.add_device(ServerDatabase(db), "hq", "kiosk-a", "visitor", now_ms())
    server_process = ServerProcess(db)
    device = Device(tmp_path, "kiosk-a", "visitor", token, server_process.url)
    for _ in range(1500):  # 3,000 events: six batches, so the push spans several requests
        visit_id = tokens.new_visit_id()
        device.kiosk.log.record(("signed_in", visit_id, {"visitor": {"name": "张三"}, "host": {}}),
                                ("rated", visit_id, {"rating": 5}))  # kinds a visitor kiosk writes
    try:
        pusher = subprocess.Popen([sys.executable, "-m", "kiosk", "sync", "--once"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL,
                                  env={**os.environ, "PYTHONPATH": str(ROOT), "KIOSK_DATA_DIR": str(tmp_path / "kiosk-a"),
                                       "KIOSK_SITE": "hq", "KIOSK_DEVICE": "kiosk-a",
                                       "KIOSK_SERVER": server_process.url, "KIOSK_TOKEN": token})
        while stored_count(server_process.url) == 0:  # the first batch is in: the rest is on its way
            time.sleep(0.002)
        server_process.kill()  # kill -9, wherever it is: mid-request, mid-transaction
        assert pusher.wait(timeout=60) == 1  # the device saw its sync fail
        server_process = ServerProcess(db)
        assert 0 < stored_count(server_process.url) < 3000  # the kill landed in the middle of the push
        device.connect(server_process.url)
        device.sync_until_done()
        assert stored_count(server_process.url) == 3000 == device.kiosk.log.count_events()
    finally:
        server_process.stop()


def test_the_directory_reaches_devices_with_every_field(server, tmp_path):
    channel = "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=TOKEN42#secret=SECabc"
    lisi = {"host_id": "emp-0042", "name": "李四", "department": "研发部", "email": "lisi@example.com",
            "phone": "13800000001", "english_name": "Li Si", "aliases": ["小李", "Lisa"], "language": "en",
            "channels": [channel]}
    admin = server.headers(server.admin)
    put = requests.put(server.url + "/v1/hosts", json={"hosts": [lisi]}, headers=admin, timeout=10)
    assert put.status_code == 200, put.text
    desk = Device(tmp_path, "reception", "reception", server.device("hq", "reception", "reception"), server.url)
    assert desk.syncer.sync_once().hosts == 1
    expected = Host("emp-0042", "李四", "研发部", "lisi@example.com", "13800000001", "Li Si", ("小李", "Lisa"), "en",
                    (channel,))
    assert desk.kiosk.directory.all() == [expected]
    assert desk.kiosk.host_index().search("xiaoli") == [expected]
    assert desk.syncer.sync_once().hosts is None  # unchanged: not imported again
    lisi["aliases"] = ["四哥"]  # a change in any field reaches the device
    requests.put(server.url + "/v1/hosts", json={"hosts": [lisi]}, headers=admin, timeout=10)
    assert desk.syncer.sync_once().hosts == 1
    assert desk.kiosk.host_index().search("四哥")[0].aliases == ("四哥",)
