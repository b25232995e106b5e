"""Bounded work per device, against the real server (SQLite and PostgreSQL): a device writes at
most MAX_VISIT_EVENTS live events to one visit (an event past it is refused alone, naming the
visit; the device's first sign-out of it never is; another device's share is untouched), a
device that pushes or pulls too fast gets 429 with Retry-After, and the real sync worker waits
it out and sets aside refused events instead of failing or stalling."""

from __future__ import annotations

from contextlib import closing

import pytest
import requests

from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.events import Event, new_id
from kiosk.core.visits import fold
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from sync.client import SyncClient
from sync.protocol import MAX_VISIT_EVENTS
from sync.server import auth, bounds, store, tombstones
from sync.server.app import create_app, now_ms
from sync.server.db import Database
from sync.server.ratelimit import PULL_RATE, PUSH_RATE, Limits, Rate
from sync.worker import Syncer
from tests.server_fixtures import db_url, pg_url, server, start_server  # noqa: F401

PERSON = {"visitor": {"name": "张三", "company": "华为"}, "host": {"name": "李四"}}


class Maker:
    """A device's events, as raw JSON: its name and a running sequence number."""

    def __init__(self, name: str):
        self.name, self.seq = name, 0

    def events(self, visit_id: str, count: int, kind: str = ev.MESSAGE_LEFT) -> list[dict]:
        made = []
        for _ in range(count):
            self.seq += 1
            data = PERSON if kind == ev.SIGNED_IN else {"text": f"message {self.seq}"}
            made.append(Event(new_id(), "hq", self.name, self.seq, now_ms(), kind, visit_id, data).to_dict())
        return made


class Pusher(Maker):
    """One device token, speaking raw HTTP as an attacker (or a buggy device) would."""

    def __init__(self, server, name: str = "lobby-1", role: str = "visitor"):
        super().__init__(name)
        self.server = server
        self.headers = server.headers(server.device("hq", name, role))

    def push(self, events: list[dict]) -> requests.Response:
        return requests.post(self.server.url + "/v1/events", json={"events": events}, headers=self.headers, timeout=30)

    def pull(self, after: int = 0) -> requests.Response:
        return requests.get(self.server.url + "/v1/events", params={"after": after}, headers=self.headers, timeout=30)


def fill(pusher: Pusher, visit_id: str, count: int) -> None:
    events = pusher.events(visit_id, 1, ev.SIGNED_IN) + pusher.events(visit_id, count - 1)
    for start in range(0, len(events), 250):
        assert pusher.push(events[start:start + 250]).status_code == 200


def device(tmp_path, server, name: str, role: str = "visitor", **kiosk_args) -> Syncer:
    settings = Settings(data_dir=str(tmp_path / name), site="hq", device=name, role=role)
    kiosk = Kiosk.open(settings, PreviewPrinter(tmp_path / name / "paper"))
    return Syncer(kiosk, SyncClient(server.url, server.device("hq", name, role)), **kiosk_args)


def test_a_push_past_the_cap_is_refused_naming_the_visit_and_its_events(server, tmp_path):
    attacker = Pusher(server)
    full, other = tokens.new_visit_id(), tokens.new_visit_id()
    fill(attacker, full, MAX_VISIT_EVENTS - 5)
    crossing = attacker.events(full, 10) + attacker.events(other, 1, ev.SIGNED_IN)
    answer = attacker.push(crossing)
    assert answer.status_code == 200  # refused one by one, as any refused content: the rest is stored
    refused = {item["event_id"]: item["reason"] for item in answer.json()["refused"]}
    assert list(refused) == [e["event_id"] for e in crossing[5:10]]  # those past the cap, in push order
    assert all(full in reason and str(MAX_VISIT_EVENTS) in reason for reason in refused.values())
    assert set(answer.json()["accepted"]) == {e["event_id"] for e in crossing if e["event_id"] not in refused}
    pulled = attacker.pull().json()
    assert len(pulled["events"]) == MAX_VISIT_EVENTS + 1 and not pulled["more"]  # the visit full, and the other
    # The full visit takes nothing more.
    more = attacker.events(full, 1)
    assert [item["event_id"] for item in attacker.push(more).json()["refused"]] == [more[0]["event_id"]]
    # The site is unaffected: a fresh device syncs every other event, and reception lists the visits.
    fresh = device(tmp_path, server, "lobby-2")
    fresh.sync_once()
    assert fresh.kiosk.log.count_events() == MAX_VISIT_EVENTS + 1
    assert {v.visit_id for v in fresh.kiosk.log.on_site()} == {full, other}
    listed = requests.get(server.url + "/v1/visits", params={"site": "hq"}, headers=server.headers(server.admin),
                          timeout=30).json()["visits"]
    assert {v["visit_id"] for v in listed} == {full, other}


def test_events_already_stored_do_not_count_twice(server):
    pusher = Pusher(server)
    visit = tokens.new_visit_id()
    events = pusher.events(visit, 1, ev.SIGNED_IN) + pusher.events(visit, MAX_VISIT_EVENTS - 1)
    assert pusher.push(events[:200]).status_code == 200
    answer = pusher.push(events)  # a retried batch: what is known is not new
    assert answer.status_code == 200 and len(answer.json()["known"]) == 200


def test_an_honest_device_over_the_cap_sets_the_refused_events_aside_and_keeps_syncing(server, tmp_path):
    syncer = device(tmp_path, server, "lobby-1")
    log = syncer.kiosk.log
    runaway, normal = tokens.new_visit_id(), tokens.new_visit_id()
    log.record((ev.SIGNED_IN, runaway, PERSON))
    log.record(*[(ev.MESSAGE_LEFT, runaway, {"text": str(n)}) for n in range(MAX_VISIT_EVENTS + 9)])
    log.record((ev.SIGNED_IN, normal, PERSON))
    done = syncer.sync_once()
    assert (done.pushed, done.refused) == (MAX_VISIT_EVENTS + 1, 10)  # the runaway visit full, and the other
    assert syncer.status.pending == 0  # not stalled: the cursor moved past the refused events
    later = tokens.new_visit_id()
    log.record((ev.SIGNED_IN, later, PERSON))
    assert syncer.sync_once().pushed == 1
    reception = device(tmp_path, server, "desk")
    reception.sync_once()
    assert {v.visit_id for v in reception.kiosk.log.on_site()} == {runaway, normal, later}


def test_a_device_flooding_a_visit_fills_only_its_own_share_and_the_visit_still_ends(server, tmp_path):
    # The attacker holds one exit post's token: exit posts may write rated events to any visit.
    desk = device(tmp_path, server, "desk")
    visit = tokens.new_visit_id()
    desk.kiosk.log.record((ev.SIGNED_IN, visit, PERSON))
    desk.sync_once()
    attacker = Pusher(server, "gate2", "exit")

    def rated(count: int) -> list[dict]:
        made = attacker.events(visit, count)
        for event in made:
            event.update(kind=ev.RATED, data={"rating": 1})
        return made

    flood = rated(MAX_VISIT_EVENTS)
    assert len(attacker.push(flood).json()["accepted"]) == MAX_VISIT_EVENTS
    more = rated(1)
    assert [item["event_id"] for item in attacker.push(more).json()["refused"]] == [more[0]["event_id"]]
    # Its own sign-outs past its share: the first is stored (a visit must be able to end), no more.
    outs = attacker.events(visit, 3)
    for event in outs:
        event.update(kind=ev.SIGNED_OUT, data={"by": "manual"})
    answer = attacker.push(outs).json()
    assert answer["accepted"] == [outs[0]["event_id"]] and len(answer["refused"]) == 2
    # An admin withdraws the flood: tombstones (the server's own events) take no device's room.
    db = server.app.state.db
    for event in flood:
        tombstones.tombstone(db, event["event_id"], "flood", "admin", now_ms())
    # The honest devices still write to the visit: the desk a message, the gate the sign-out.
    desk.kiosk.log.record((ev.MESSAGE_LEFT, visit, {"text": "taxi is here"}))
    assert desk.sync_once().refused == 0
    gate = device(tmp_path, server, "gate", role="exit")
    gate.sync_once()
    gate.kiosk.log.record((ev.SIGNED_OUT, visit, {"by": "manual"}))
    done = gate.sync_once()
    assert (done.pushed, done.refused) == (1, 0)
    listed = requests.get(server.url + "/v1/visits", params={"site": "hq", "on_site": "true"},
                          headers=server.headers(server.admin), timeout=30).json()["visits"]
    assert visit not in {v["visit_id"] for v in listed}  # the visit ended on the server
    fresh = device(tmp_path, server, "lobby-9")
    fresh.sync_once()
    assert fresh.kiosk.log.visit(visit).state == "signed_out" and not fresh.kiosk.log.on_site()
    # Once the flood is withdrawn, the attacker's share is free again: bounded, and the admin
    # revokes its token (README).
    assert attacker.push(rated(1)).json()["refused"] == []


class Clock:
    """The server limiter's clock, which moves only when the test says time has passed: what
    the buckets allow does not depend on how busy the machine running the test is."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(db_url, clock):  # noqa: F811 - the fixture of that name
    """The real server with tight limits: one push or pull a second, two at once."""
    running = start_server(db_url, limits=Limits(push=Rate(1.0, 2), pull=Rate(1.0, 2), clock=clock))
    try:
        yield running
    finally:
        running.stop()
    assert not running.errors, running.errors


def test_pushing_or_pulling_too_fast_is_a_429_with_retry_after(limited):
    device_a = Pusher(limited, "lobby-1")
    visit = tokens.new_visit_id()
    assert device_a.push(device_a.events(visit, 1, ev.SIGNED_IN)).status_code == 200
    assert device_a.push(device_a.events(visit, 1)).status_code == 200
    refused = device_a.push(device_a.events(visit, 1))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "try again" in refused.json()["error"]
    assert [device_a.pull().status_code for _ in range(3)] == [200, 200, 429]
    # Per device: another device of the site, and admins, are not slowed by this one.
    device_b = Pusher(limited, "lobby-2")
    assert device_b.push(device_b.events(tokens.new_visit_id(), 1, ev.SIGNED_IN)).status_code == 200
    admin = limited.headers(limited.admin)
    for _ in range(4):
        assert requests.get(limited.url + "/v1/events", params={"site": "hq"}, headers=admin,
                            timeout=30).status_code == 200


def test_the_worker_waits_as_long_as_the_server_asks_and_the_round_succeeds(limited, clock, tmp_path):
    waits: list[float] = []

    def sleep(seconds: float) -> bool:  # the worker's wait: time passes for the server too
        waits.append(seconds)
        clock.now += seconds
        return False  # not told to stop

    syncer = device(tmp_path, limited, "lobby-1", sleep=sleep)
    for _ in range(3):  # three rounds, each a push and a pull: the third push finds its bucket empty
        syncer.kiosk.log.record((ev.SIGNED_IN, tokens.new_visit_id(), PERSON))
        done = syncer.sync_once()
        assert done.pushed == 1
    # Each refusal waited its Retry-After (1 s) and the request after it found a token refilled.
    # (More than one: a first round pulls before it pushes, for purges made while it was away.)
    assert waits and set(waits) == {1.0}
    assert syncer.status.rate_limited == len(waits)
    assert syncer.status.pending == 0
    assert syncer.status.last_error == ""


def test_the_server_limits_devices_unless_told_otherwise(tmp_path):
    limits = create_app(f"sqlite:///{tmp_path / 'server.sqlite3'}").state.limits
    assert (limits.push, limits.pull) == (PUSH_RATE, PULL_RATE)


def test_the_projection_folds_many_long_visits_a_bounded_share_per_transaction(db_url, monkeypatch):  # noqa: F811
    """A push touching many long visits: each projection transaction (which holds the site's
    write lock) folds again at most PROJECT_BUDGET stored events, and the visits end up right."""
    monkeypatch.setattr(bounds, "PROJECT_BUDGET", 100)
    with closing(Database(db_url)) as db:
        device_ = auth.authenticate(db, auth.add_device(db, "hq", "lobby-1", "visitor", now_ms()))
        pusher = Maker("lobby-1")
        visits = [tokens.new_visit_id() for _ in range(6)]
        first = [e for v in visits for e in pusher.events(v, 1, ev.SIGNED_IN) + pusher.events(v, 39)]
        store.push(db, device_, first, now_ms())
        store.project_all(db, "hq")
        store.push(db, device_, [e for v in visits for e in pusher.events(v, 1)], now_ms())
        rounds = 1
        while not store.project(db, "hq"):
            rounds += 1
        assert rounds == 3  # 41 events a visit, 100 a transaction: two visits each
        for visit in visits:
            stored = [Event.from_dict(e) for e in store.pull(db, "hq", 0, 1000)[0] if e["visit_id"] == visit]
            assert store.get_visit(db, "hq", visit) == fold(stored)
            assert len(store.get_visit(db, "hq", visit).messages) == 40
