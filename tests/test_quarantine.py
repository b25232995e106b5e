"""A device's ingest of pulled pages against hostile events, on a real SQLite log: it never
raises, takes every event that passes the checks, and sets the others aside once each; and
a log written before payloads were checked (old visits with a number or a list where text
belongs) is still read, listed and printed."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ImageDraw

from kiosk.core import events as ev
from kiosk.core.events import Event, encode_data
from kiosk.core.hosts import Host
from kiosk.core.readable import readable, text
from kiosk.core.visits import WAITING, fold, payload_error
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.store import quarantine
from kiosk.store.db import Database
from kiosk.store.log import EventLog, visit_to_json
from printer.device import PreviewPrinter
from sync.client import checked_page
from sync.protocol import ProtocolError, check_event

VISITS = ["A" * 16, "B" * 16, "C" * 16]
SIGNED_IN = {"visitor": {"name": "张三", "company": "华为", "phone": "", "purpose": ""},
             "host": {"host_id": "h1", "name": "李四", "department": "研发部"}, "lang": "zh_CN"}
VALID_PAYLOADS = [(ev.SIGNED_IN, SIGNED_IN), (ev.HOST_MET, {}), (ev.RATED, {"rating": 4}),
                  (ev.BADGE_ISSUED, {"badge_id": "AAAAAAAA", "issued_at": 1, "expires_at": 2}),
                  (ev.BADGE_LOST, {"badge_id": "AAAAAAAA"}), (ev.SIGNED_OUT, {"by": "scan"}),
                  (ev.COMPLAINT, {"text": "太吵"}), (ev.APPROVAL_REQUESTED, {"reasons": ["type"]})]


def nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = {"x": value}
    return value


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                     max_leaves=8)
# Values under the keys the fold reads, of every type, some deep or long.
_hostile_value = st.one_of(_json, st.integers(0, 2**70), st.text(min_size=3000, max_size=3000),
                           st.integers(1, 300).map(nested),
                           st.dictionaries(st.sampled_from(["name", "company", "phone", "purpose", "host_id"]), _json,
                                           max_size=3))
_hostile_data = st.dictionaries(st.sampled_from(["visitor", "host", "badge_id", "issued_at", "expires_at", "key_id",
                                                 "replaces", "rating", "text", "by", "reason", "lang", "reasons",
                                                 "watchlist", "answers", "channel", "error", "needs_approval"]),
                                _hostile_value, max_size=6)


@st.composite
def raw_event(draw, hostile: bool) -> dict:
    kind, data = (draw(st.sampled_from(sorted(ev.KINDS))), draw(_hostile_data)) if hostile else \
        draw(st.sampled_from(VALID_PAYLOADS))
    return {"event_id": uuid.uuid4().hex, "site": "hq", "device": draw(st.sampled_from(["k1", "desk", "exit"])),
            "seq": draw(st.integers(1, 50)), "ts": draw(st.integers(0, 10_000)), "kind": kind,
            "visit_id": draw(st.sampled_from(VISITS)), "data": data}


# Whatever else a page may hold: not objects, missing or extra fields, fields of the wrong type.
_broken = st.one_of(_json, raw_event(True).flatmap(lambda e: st.sampled_from(list(e)).map(
    lambda field: {k: v for k, v in e.items() if k != field})),
                    raw_event(True).flatmap(lambda e: _json.map(lambda v: {**e, "seq": v})),
                    raw_event(True).map(lambda e: {**e, "extra": 1}))


def passes_checks(raw) -> bool:
    try:
        event = check_event(raw, None)
    except ProtocolError:
        return False
    return not payload_error(event.kind, event.data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(raw_event(False), raw_event(True), _broken), max_size=25))
def test_any_page_is_ingested_whole_and_never_raises(page):
    with tempfile.TemporaryDirectory() as directory:
        log = EventLog(Database(Path(directory) / "kiosk.sqlite3"), "hq", "desk")
        events, refused = checked_page(page)
        new = log.ingest(events, refused)
        stored = {row[0] for row in log.db.read("SELECT event_id FROM events")}
        fit = [raw for raw in page if passes_checks(raw)]
        assert stored == {raw["event_id"] for raw in fit} == {e.event_id for e in new}
        set_aside = {quarantine.raw_text(raw) for raw in page if not passes_checks(raw)}
        assert len(quarantine.listed(log.db)) == len(set_aside)
        assert log.ingest(*checked_page(page)) == []  # the same page again: nothing new, nothing twice
        assert len(quarantine.listed(log.db)) == len(set_aside)
        for visit in log.visits_in(["waiting", "with_host", "signed_out", "expected", "awaiting_approval"]):
            assert readable(visit) is visit  # every text field is text
            assert isinstance(visit.visitor.get("name", ""), str)


def test_an_event_its_visit_cannot_be_folded_with_is_set_aside_alone(tmp_path):
    """The fold's own failures, whatever payload_error lets through: here a payload no JSON
    could carry (the page's other events and the visit's earlier ones are kept)."""
    log = EventLog(Database(tmp_path / "kiosk.sqlite3"), "hq", "desk")
    first = Event(uuid.uuid4().hex, "hq", "k1", 1, 1000, ev.SIGNED_IN, VISITS[0], SIGNED_IN)
    assert log.ingest([first]) == [first]
    poison = Event(uuid.uuid4().hex, "hq", "k1", 2, 2000, ev.HOST_MET, VISITS[0], {"why": {1, 2}})
    met = Event(uuid.uuid4().hex, "hq", "k1", 3, 3000, ev.HOST_MET, VISITS[0], {})
    other = Event(uuid.uuid4().hex, "hq", "k1", 4, 3000, ev.SIGNED_IN, VISITS[1], SIGNED_IN)
    assert log.ingest([poison, met, other]) == [met, other]
    [row] = quarantine.listed(log.db)
    assert row["event_id"] == poison.event_id and "cannot be folded" in row["reason"]
    assert log.visit(VISITS[0]).host_met_at == 3000 and log.visit(VISITS[1]).state == WAITING
    assert quarantine.describe(quarantine.summary(log.db)).startswith("1 pulled event could not be ingested")


def test_a_full_disk_still_fails_the_whole_page(tmp_path, monkeypatch):
    """Our own disk failing is not an event's fault: nothing is set aside, nothing half-stored."""
    import sqlite3

    from kiosk.errors import StoreError
    from kiosk.store import log as log_module

    log = EventLog(Database(tmp_path / "kiosk.sqlite3"), "hq", "desk")

    def disk_full(*_args):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(log_module.EventLog, "_materialise", lambda self, conn, ids: disk_full())
    with pytest.raises(StoreError, match="full"):
        log.ingest([Event(uuid.uuid4().hex, "hq", "k1", 1, 1000, ev.SIGNED_IN, VISITS[0], SIGNED_IN)])
    assert log.count_events() == 0 and quarantine.listed(log.db) == []


# -- a log from before: visits stored with numbers and lists where text belongs ------------------

OLD_VISITORS = [  # what the fold carried into stored visits before payloads were checked
    ({"name": 12345, "company": 3.5}, {"host_id": "h1", "name": ["李", "四"], "department": {"a": 1}}),
    ({"name": True, "company": None, "purpose": ["x"]}, {"name": 7}),
    ({"name": "Bob", "company": ["Contoso"]}, {"name": None, "department": 2}),
]


def old_log(tmp_path) -> Kiosk:
    """A reception device whose log an older version wrote: its events and its visits rows as
    that version stored them (visit_to_json of the fold, a number in the name column)."""
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "desk"), site="hq", device="desk", role="reception"),
                       PreviewPrinter(tmp_path / "desk" / "previews"))
    kiosk.check_in(name="张三", host=Host("h1", "李四", "研发部"), company="华为")
    with kiosk.log.db.write() as conn:
        for n, (visitor, host) in enumerate(OLD_VISITORS, start=1):
            event = Event(uuid.uuid4().hex, "hq", "old", n, 1000 * n, ev.SIGNED_IN, VISITS[n - 1],
                          {"visitor": visitor, "host": host, "lang": ["zh"], "reasons": [1, {"a": 2}]})
            conn.execute("INSERT INTO events (event_id, site, device, seq, ts, kind, visit_id, data)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (event.event_id, "hq", "old", n, event.ts, event.kind,
                                                                event.visit_id, encode_data(event.data)))
            visit = fold([event])
            name = visitor["name"] if isinstance(visitor["name"], (int, float, str)) else ""
            conn.execute("INSERT INTO visits (visit_id, state, site, name, company, signed_in_at, signed_out_at, doc)"
                         " VALUES (?, ?, ?, ?, '', ?, NULL, ?)", (visit.visit_id, visit.state, "hq", name,
                                                                  visit.signed_in_at, visit_to_json(visit)))
    return kiosk


def test_an_old_log_is_listed_and_printed_whole(tmp_path, monkeypatch):
    kiosk = old_log(tmp_path)
    on_site = kiosk.on_site()
    assert len(on_site) == 4 and len(kiosk.queue(0).waiting) == 4
    names = [v.visitor.get("name", "") for v in on_site]
    assert names == ["12345", "", "Bob", "张三"]
    assert all(readable(v) is v for v in on_site)
    assert on_site[0].host == {"host_id": "h1", "name": "", "department": ""}

    drawn = []
    original = ImageDraw.ImageDraw.text
    monkeypatch.setattr(ImageDraw.ImageDraw, "text", lambda self, xy, said, *a, **kw: (
        drawn.append(said), original(self, xy, said, *a, **kw))[1])
    kiosk.print_roll_call(kiosk.in_building())
    assert {"12345", "Bob", "张三"} <= set(drawn)
    assert any(said.startswith(VISITS[1][:8]) for said in drawn)  # the nameless by visit id (cut to fit)
    assert "在场人数 On site: 4" in drawn
    assert len(list((tmp_path / "desk" / "previews").glob("*roll-call*.png"))) == 1


def test_an_old_log_and_the_commands(tmp_path):
    from tests.conftest import KioskCommand

    old_log(tmp_path)
    command = KioskCommand(tmp_path / "desk", KIOSK_DEVICE="desk", KIOSK_ROLE="reception")
    listed = json.loads(command("onsite", "--json", check=0).stdout)["visits"]
    assert [r["name"] for r in listed] == ["12345", "", "Bob", "张三"]
    rolled = command("roll-call", check=0)
    assert "12345" in rolled.stdout and "张三" in rolled.stdout and "4 in the building; list printed" in rolled.stdout


@pytest.mark.parametrize("value, shown", [("张三", "张三"), (12345, "12345"), (2.5, "2.5"), (None, ""), (True, ""),
                                          (["a"], ""), ({"a": 1}, ""), (nested(50), "")])
def test_text_keeps_what_can_be_shown(value, shown):
    assert text(value) == shown
