"""One invitation used twice offline: two kiosks cut off from each other both accept it, then
sync through the real server (SQLite and PostgreSQL). Each person keeps a visit of their own:
both are on every device's roll call (the printed pages too), in reception's queue with the
mark, in ``kiosk onsite --json`` and in the server's export, and a third scan is refused as
used. Real SQLite logs on every device, real HTTP; the devices' clocks are the test's."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime

import pytest
import requests
from PIL import Image, ImageChops

from kiosk.core import invites
from kiosk.errors import InvitationRefused
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from printer.lists import RollCallEntry, render_roll_call
from sync.client import SyncClient
from sync.worker import Syncer
from tests.conftest import KioskCommand
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

MINUTE = 60_000


class Device:
    """A kiosk or a reception desk on its own data directory, with a clock the test moves: time
    passing, so its monotonic clock moves with it (the server's time heard is carried forward by
    it, kiosk.core.hlc)."""

    def __init__(self, tmp_path, server, name: str, role: str, now_ms: int):
        self.name, self.role, self.ms = name, role, now_ms
        self.data_dir = tmp_path / name
        settings = Settings(data_dir=str(self.data_dir), site="hq", device=name, role=role)
        self.kiosk = Kiosk.open(settings, PreviewPrinter(self.data_dir / "paper"), clock=lambda: self.ms,
                                monotonic=lambda: self.ms / 1000)
        self.syncer = Syncer(self.kiosk, SyncClient(server.url, server.device("hq", name, role)))

    def sync(self) -> None:
        self.syncer.sync_once()

    def sign_in(self, text: str):
        """What the welcome screen does with a scanned invitation: read it, then sign in with it."""
        invited = self.kiosk.read_invitation(text)
        return self.kiosk.check_in(name=invited.name, company=invited.company, phone=invited.phone,
                                   purpose=invited.purpose, host=self.kiosk.invited_host(invited),
                                   visitor_type=invited.visitor_type, invitation=invited).visit

    def onsite_json(self) -> dict:
        return KioskCommand(self.data_dir, KIOSK_DEVICE=self.name, KIOSK_ROLE=self.role).json("onsite")


def make_invitation(server) -> dict:
    answer = requests.post(f"{server.url}/v1/invitations", headers=server.headers(server.admin), timeout=30,
                           json={"site": "hq", "name": "张三", "company": "华为", "host": "李四", "purpose": "商务洽谈"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def export(server, fmt: str) -> requests.Response:
    response = requests.get(f"{server.url}/v1/export", params={"format": fmt, "site": "hq"},
                            headers=server.headers(server.admin), timeout=30)
    response.raise_for_status()
    return response


def printed_roll_call(device: Device) -> Image.Image:
    kiosk = device.kiosk
    kiosk.print_roll_call(kiosk.in_building())
    [page] = kiosk.printer.last_paths
    return Image.open(page)


def roll_call_of(device: Device, signed_in: list[int]) -> Image.Image:
    """The roll call page as it must print: 张三 twice, at the two kiosks' times."""
    tz = datetime.now().astimezone().tzinfo
    entries = [RollCallEntry("张三", "华为", "李四", "", since=datetime.fromtimestamp(ms / 1000, tz), state="waiting")
               for ms in signed_in]
    [page] = render_roll_call(entries, width=device.kiosk.printer.width, site="hq", organisation="", lang="zh_CN",
                              printed_at=datetime.fromtimestamp(device.ms / 1000, tz))
    return page


def same_image(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


def test_an_invitation_taken_at_two_kiosks_cut_off_from_each_other_keeps_both_people(server, tmp_path):
    start = int(time.time() * 1000)
    lobby_a = Device(tmp_path, server, "lobby-a", "visitor", start)
    lobby_b = Device(tmp_path, server, "lobby-b", "visitor", start)
    desk = Device(tmp_path, server, "desk", "reception", start)
    exit_post = Device(tmp_path, server, "exit-1", "exit", start)
    invitation = make_invitation(server)
    for device in (lobby_a, lobby_b, desk, exit_post):
        device.sync()  # the server's key and the expected visit reach every device

    # Cut off from each other (neither syncs), both kiosks accept the same invitation.
    lobby_a.ms, lobby_b.ms = start + 1 * MINUTE, start + 2 * MINUTE
    first, second = lobby_a.sign_in(invitation["text"]), lobby_b.sign_in(invitation["text"])
    assert first.visit_id != second.visit_id and first.invite_id == second.invite_id == invitation["invite_id"]
    for device in (lobby_a, lobby_b, lobby_a, desk, exit_post):
        device.sync()
    assert (lobby_a.syncer.status.refused, lobby_b.syncer.status.refused) == (0, 0)  # each use stored
    desk.ms = lobby_a.ms = lobby_b.ms = exit_post.ms = start + 5 * MINUTE

    both = {first.visit_id: second.visit_id, second.visit_id: first.visit_id}
    for device in (lobby_a, lobby_b, desk, exit_post):
        kiosk = device.kiosk
        here = kiosk.in_building()
        assert {v.visit_id for v in here} == set(both), device.name
        for visit in here:  # each marked, naming the other; the later one is the second use
            assert [o["visit_id"] for o in visit.invitation_shared_with] == [both[visit.visit_id]]
            assert visit.invitation_use == (1 if visit.visit_id == first.visit_id else 2)
        [other] = kiosk.log.visit(second.visit_id).invitation_shared_with
        assert (other["name"], other["device"], other["signed_in_at"]) == ("张三", "lobby-a", start + MINUTE)
        assert other["badge_id"] == first.current_badge.badge_id  # the number reception can ask to see
        waiting = kiosk.queue(start).waiting  # what the reception console lists
        assert sorted(v.visit_id for v in waiting if v.invitation_shared_with) == sorted(both)
        assert kiosk.log.visit(invitation["invite_id"]).invitation_uses == (first.visit_id, second.visit_id)
        assert same_image(printed_roll_call(device), roll_call_of(device, [start + MINUTE, start + 2 * MINUTE]))

        listed = device.onsite_json()
        assert listed["count"] == 2
        assert {(r["visit_id"], r["name"], r["invite_id"], r["invitation_used_more_than_once"],
                 tuple(r["invitation_also_used_by"])) for r in listed["visits"]} == {
            (mine, "张三", invitation["invite_id"], True, (theirs,)) for mine, theirs in both.items()}

        if device is exit_post:  # it signs nobody in
            continue
        # A third scan, after sync, is refused as used, at the welcome screen and in the transaction.
        with pytest.raises(InvitationRefused) as third:
            device.sign_in(invitation["text"])
        assert third.value.reason == invites.USED

    rows = {row["visit_id"]: row for row in export(server, "json").json()}
    assert rows[invitation["invite_id"]]["state"] == "used"
    assert rows[invitation["invite_id"]]["invitation_also_used_by"] == [first.visit_id, second.visit_id]
    for mine, theirs in both.items():
        row = rows[mine]
        assert (row["name"], row["state"], row["invite_id"], row["invitation_used_more_than_once"],
                row["invitation_also_used_by"]) == ("张三", "waiting", invitation["invite_id"], True, [theirs])
    table = {row["visit_id"]: row for row in csv.DictReader(io.StringIO(export(server, "csv").content.decode("utf-8-sig")))}
    assert table[first.visit_id]["invitation_used_more_than_once"] == "True"
    assert table[invitation["invite_id"]]["invitation_also_used_by"] == f"{first.visit_id} {second.visit_id}"

    # A kiosk that was never cut off refuses it too, from what sync brought it.
    late = Device(tmp_path, server, "lobby-c", "visitor", start + 6 * MINUTE)
    late.sync()
    with pytest.raises(InvitationRefused) as fourth:
        late.sign_in(invitation["text"])
    assert fourth.value.reason == invites.USED


def test_an_invitation_used_once_is_marked_nowhere(server, tmp_path):
    start = int(time.time() * 1000)
    lobby, desk = Device(tmp_path, server, "lobby-a", "visitor", start), Device(tmp_path, server, "desk", "reception", start)
    invitation = make_invitation(server)
    lobby.sync()
    lobby.ms += MINUTE
    visit = lobby.sign_in(invitation["text"])
    lobby.sync()
    desk.sync()
    [here] = desk.kiosk.in_building()
    assert (here.visit_id, here.invite_id, here.invitation_shared_with) == (visit.visit_id, invitation["invite_id"], ())
    [row] = desk.onsite_json()["visits"]
    assert (row["invitation_used_more_than_once"], row["invitation_also_used_by"]) == (False, [])
    rows = {row["visit_id"]: row for row in export(server, "json").json()}
    assert rows[invitation["invite_id"]]["state"] == "used"
    assert [(r["invitation_used_more_than_once"], r["invitation_also_used_by"]) for r in rows.values()] == [(False, [])] * 2


def test_a_use_pushed_one_event_a_batch_is_stored_after_its_sign_in(server, tmp_path, monkeypatch):
    """The server stores a use only beside the sign-in it names; the kiosk logs the sign-in first,
    so wherever the batches are cut (here after every event) the use is stored and counts."""
    import sync.worker

    monkeypatch.setattr(sync.worker, "MAX_BATCH", 1)
    start = int(time.time() * 1000)
    lobby = Device(tmp_path, server, "lobby-a", "visitor", start)
    invitation = make_invitation(server)
    lobby.sync()
    lobby.ms += MINUTE
    visit = lobby.sign_in(invitation["text"])
    lobby.sync()
    assert lobby.syncer.status.refused == 0
    rows = {row["visit_id"]: row for row in export(server, "json").json()}
    assert rows[invitation["invite_id"]]["state"] == "used" and visit.visit_id in rows
    late = Device(tmp_path, server, "lobby-c", "visitor", start + 2 * MINUTE)
    late.sync()
    with pytest.raises(InvitationRefused) as again:
        late.sign_in(invitation["text"])
    assert again.value.reason == invites.USED
