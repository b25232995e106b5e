"""What the server accepts from a device's push, attacked as a device of each role would: one
token, the real server on SQLite and PostgreSQL, real HTTP. Each attack is refused, whole (a 4xx)
or event by event (listed in ``refused``; one dated ahead of the server's clock is listed in
``retry`` and stored once that clock catches up), and afterwards the site is whole: its events pull and
check, a fresh reception desk syncs and holds the honest visit on its roll call and reception
list, and the server's visits list names the honest visitor."""

from __future__ import annotations

import pytest
import requests

from kiosk.core import events as ev
from kiosk.core.events import new_id
from kiosk.core.tokens import new_visit_id
from kiosk.core.visits import payload_error
from kiosk.errors import RoleRefused
from sync import protocol
from sync.server import cli
from tests.server_fixtures import db_url, pg_url, server, start_server  # noqa: F401
from tests.test_sync import HOST, Device

ROLES = ("visitor", "reception", "exit")
DEEP = {"x": 1}
for _ in range(256):
    DEEP = {"x": DEEP}


class Attacker:
    """Whoever holds one device token of ``role`` at site hq, pushing by hand."""

    def __init__(self, server, role: str, name: str = "lobby-x"):
        self.server, self.name, self.seq = server, name, 0
        self.session = requests.Session()
        self.session.headers.update(server.headers(server.device("hq", name, role)))

    def event(self, kind: str, visit_id: str, data, *, ts: int | None = None) -> dict:
        self.seq += 1
        return {"event_id": new_id(), "site": "hq", "device": self.name, "seq": self.seq,
                "ts": ts if ts is not None else protocol_now(), "kind": kind, "visit_id": visit_id, "data": data}

    def push(self, *events: dict) -> requests.Response:
        return self.session.post(self.server.url + "/v1/events", json={"events": list(events)}, timeout=30)


def protocol_now() -> int:
    import time

    return int(time.time() * 1000)


@pytest.fixture
def site(server, tmp_path):
    """The site before the attack: a visitor kiosk has signed 张三 in and synced."""
    kiosk = Device(tmp_path, "kiosk-a", "visitor", server.device("hq", "kiosk-a"), server.url)
    visit = kiosk.kiosk.check_in(name="张三", host=HOST, company="华为").visit
    kiosk.sync_until_done()
    return kiosk, visit.visit_id


def assert_site_whole(server, tmp_path, visit_id: str, name: str = "张三") -> None:
    """The site's pull serves only events that pass the checks; a fresh reception desk syncs and
    has the honest visitor on its roll call (printed too) and its list; the server lists them."""
    admin = server.headers(server.admin)
    cursor, more = 0, True
    while more:
        page = requests.get(server.url + "/v1/events", params={"site": "hq", "after": cursor}, headers=admin,
                            timeout=30)
        assert page.status_code == 200, page.text
        for raw in page.json()["events"]:
            assert payload_error(raw["kind"], raw["data"]) == "", raw
            protocol.check_event(raw, None)
        cursor, more = page.json()["cursor"], page.json()["more"]
    desk_name = f"desk-{new_id()[:6]}"
    desk = Device(tmp_path, desk_name, "reception", server.device("hq", desk_name, "reception"), server.url)
    desk.sync_until_done()
    here = {v.visit_id: v.visitor.get("name") for v in desk.kiosk.in_building()}
    assert here.get(visit_id) == name
    desk.kiosk.print_roll_call(desk.kiosk.in_building())
    queue = desk.kiosk.queue(0)
    assert visit_id in {v.visit_id for v in queue.waiting + queue.with_host}
    listed = requests.get(server.url + "/v1/visits", params={"site": "hq"}, headers=admin, timeout=30).json()
    assert {v["visit_id"]: v["name"] for v in listed["visits"]}.get(visit_id) == name


def stored_ids(server) -> set[str]:
    admin = server.headers(server.admin)
    found, cursor, more = set(), 0, True
    while more:
        page = requests.get(server.url + "/v1/events", params={"site": "hq", "after": cursor}, headers=admin,
                            timeout=30).json()
        found |= {e["event_id"] for e in page["events"]}
        cursor, more = page["cursor"], page["more"]
    return found


# -- payloads no reader can read: refused one by one ------------------------------------------

def _poison(case: str, role: str) -> tuple[str, dict]:
    """(kind, data) of a hostile payload under a kind the role may write."""
    if role == "exit":  # it writes sign-outs and ratings only
        return {"name is a list": (ev.SIGNED_OUT, {"by": ["scan"]}),
                "name is a number": (ev.RATED, {"rating": "5"}),
                "nested 256 levels": (ev.SIGNED_OUT, {"by": "scan", "x": DEEP}),
                "hidden characters": (ev.SIGNED_OUT, {"by": "scan\u202e"})}[case]
    person = {"host": {"host_id": "h1", "name": "李四", "department": ""}, "lang": "zh_CN"}
    return {"name is a list": (ev.SIGNED_IN, {**person, "visitor": {"name": ["张", "三"]}}),
            "name is a number": (ev.SIGNED_IN, {**person, "visitor": {"name": 12345}}),
            "nested 256 levels": (ev.SIGNED_IN, {**person, "visitor": {"name": "李雷"}, "agreement": DEEP}),
            "hidden characters": (ev.SIGNED_IN, {**person, "visitor": {"name": "\u202e雷李"}})}[case]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", ["name is a list", "name is a number", "nested 256 levels", "hidden characters"])
def test_a_payload_no_reader_can_read_is_refused_alone(server, tmp_path, site, role, case):
    _kiosk, visit_id = site
    attacker = Attacker(server, role)
    kind, data = _poison(case, role)
    honest = attacker.event(ev.RATED, visit_id, {"rating": 5})
    poison = attacker.event(kind, new_visit_id() if kind == ev.SIGNED_IN else visit_id, data)
    answer = attacker.push(honest, poison)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accepted"] == [honest["event_id"]]
    assert [r["event_id"] for r in body["refused"]] == [poison["event_id"]] and body["refused"][0]["reason"]
    assert poison["event_id"] not in stored_ids(server)
    assert_site_whole(server, tmp_path, visit_id)


# -- kinds a role never writes: the whole push refused -----------------------------------------

FORBIDDEN = [("exit", ev.SIGNED_IN), ("exit", ev.BADGE_ISSUED), ("exit", ev.APPROVED), ("exit", ev.HOST_MET),
             ("exit", ev.BADGE_LOST), ("exit", ev.COMPLAINT), ("visitor", ev.APPROVED), ("visitor", ev.DENIED),
             ("visitor", ev.HOST_MET), ("visitor", ev.COMPLAINT),
             *[(role, kind) for role in ROLES for kind in (ev.EXPECTED, ev.TOMBSTONED)]]
VALID = {ev.SIGNED_IN: {"visitor": {"name": "李雷"}, "host": {"name": "李四"}},
         ev.EXPECTED: {"visitor": {"name": "李雷"}, "host": {"name": "李四"}},
         ev.BADGE_ISSUED: {"badge_id": "AAAAAAAA", "issued_at": 1, "expires_at": 2**40},
         ev.BADGE_LOST: {"badge_id": "AAAAAAAA"}, ev.COMPLAINT: {"text": "x"},
         ev.TOMBSTONED: {"event_id": "0" * 32, "reason": "x"}}


@pytest.mark.parametrize("role, kind", FORBIDDEN, ids=[f"{r}-{k}" for r, k in FORBIDDEN])
def test_a_kind_the_role_never_writes_refuses_the_whole_push(server, tmp_path, site, role, kind):
    _kiosk, visit_id = site
    attacker = Attacker(server, role)
    honest = attacker.event(ev.RATED, visit_id, {"rating": 1})
    forged = attacker.event(kind, visit_id, VALID.get(kind, {}))
    answer = attacker.push(honest, forged)
    assert answer.status_code == 403, answer.text
    assert f"a {role} device may not write {kind}" in answer.json()["error"]
    assert not {honest["event_id"], forged["event_id"]} & stored_ids(server)
    assert_site_whole(server, tmp_path, visit_id)


def test_what_each_role_records_is_what_its_row_allows(server, tmp_path):
    """The table against the code: a visitor kiosk, a reception desk and an exit post doing their
    day's work through the real services sync without a refusal."""
    kiosk = Device(tmp_path, "kiosk-a", "visitor", server.device("hq", "kiosk-a"), server.url)
    desk = Device(tmp_path, "desk", "reception", server.device("hq", "desk", "reception"), server.url)
    post = Device(tmp_path, "exit-1", "exit", server.device("hq", "exit-1", "exit"), server.url)
    for device in (kiosk, desk, post):
        device.sync_until_done()
    first = kiosk.kiosk.check_in(name="张三", host=HOST, company="华为")
    second = kiosk.kiosk.check_in(name="李雷", host=HOST)
    kiosk.kiosk.leave_message(first.visit.visit_id, "我在大厅")
    kiosk.kiosk.mark_lost(second.badge_id)
    kiosk.sync_until_done()
    desk.sync_until_done()
    desk.kiosk.host_met(first.visit.visit_id)
    desk.kiosk.complain(first.visit.visit_id, "等太久")
    reprinted = desk.kiosk.reprint(first.visit.visit_id)
    desk.kiosk.sign_out_by_hand(second.visit.visit_id, "badge lost")
    desk.sync_until_done()
    post.sync_until_done()
    assert post.kiosk.check_out(reprinted.badge).ok
    post.kiosk.rate(first.visit.visit_id, 5)
    for device in (post, kiosk, desk):
        device.sync_until_done()
        assert device.syncer.status.refused == 0
    assert kiosk.visits() == desk.visits() == post.visits()



def test_an_exit_post_refuses_what_its_role_never_writes_and_its_sign_outs_still_sync(server, tmp_path):
    """`kiosk lost` or a sign-in at an exit post would record a kind its role never writes, and
    the server would refuse its whole push (403) for good: refused here, before anything is
    written, so the post's sign-outs still reach the site."""
    kiosk = Device(tmp_path, "kiosk-a", "visitor", server.device("hq", "kiosk-a"), server.url)
    post = Device(tmp_path, "exit-1", "exit", server.device("hq", "exit-1", "exit"), server.url)
    first = kiosk.kiosk.check_in(name="张三", host=HOST)
    second = kiosk.kiosk.check_in(name="李雷", host=HOST)
    kiosk.sync_until_done()
    post.sync_until_done()
    before = post.event_ids()
    with pytest.raises(RoleRefused, match="^an exit post cannot mark badges lost: do it at reception$"):
        post.kiosk.mark_lost(first.badge_id)
    with pytest.raises(RoleRefused, match="^an exit post cannot sign visitors in"):
        post.kiosk.check_in(name="王五", host=HOST)
    assert post.event_ids() == before  # nothing recorded
    assert post.kiosk.check_out(first.badge).ok
    post.kiosk.sign_out_by_hand(second.visit.visit_id, "no badge")
    post.sync_until_done()
    assert post.syncer.status.refused == 0 and post.syncer.status.pending == 0
    kiosk.sync_until_done()
    assert kiosk.kiosk.on_site() == []
    assert {v.visit_id: v.state for v in kiosk.kiosk.log.visits_in(["signed_out"])} == {
        first.visit.visit_id: "signed_out", second.visit.visit_id: "signed_out"}

# -- a second sign-in of a visit ---------------------------------------------------------------

@pytest.mark.parametrize("role", ["visitor", "reception"])
@pytest.mark.parametrize("kind", [ev.SIGNED_IN, ev.BLOCKED])
def test_an_earlier_forged_sign_in_does_not_rewrite_a_visit(server, tmp_path, site, role, kind):
    _kiosk, visit_id = site
    attacker = Attacker(server, role)
    forged = attacker.event(kind, visit_id, {"visitor": {"name": "冒名者"}, "host": {"name": "李四"}}, ts=1)
    forged["ts"] = protocol_now() - 3_600_000  # an hour before the real sign-in: the fold would put it first
    answer = attacker.push(forged)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == [] and "already signed in" in answer.json()["refused"][0]["reason"]
    assert_site_whole(server, tmp_path, visit_id)


def test_the_sign_in_of_an_invited_visit_is_its_first_and_only(server, tmp_path):
    admin = server.headers(server.admin)
    first, second = Attacker(server, "visitor", "kiosk-1"), Attacker(server, "visitor", "kiosk-2")
    made = requests.post(server.url + "/v1/invitations", json={"site": "hq", "name": "韩梅梅", "host": "李四"},
                         headers=admin, timeout=30)
    assert made.status_code == 201, made.text
    visit_id = made.json()["invite_id"]
    person = {"visitor": {"name": "韩梅梅"}, "host": {"name": "李四"}, "invite_id": visit_id}
    used = first.event(ev.SIGNED_IN, visit_id, person)
    assert first.push(used).json()["accepted"] == [used["event_id"]]  # after the server's expected: fine
    again = second.event(ev.SIGNED_IN, visit_id, {**person, "visitor": {"name": "冒名者"}})
    assert [r["event_id"] for r in second.push(again).json()["refused"]] == [again["event_id"]]
    assert_site_whole(server, tmp_path, visit_id, "韩梅梅")


# -- a use of an invitation --------------------------------------------------------------------

def _invite(server, name: str = "王小明") -> dict:
    made = requests.post(server.url + "/v1/invitations", json={"site": "hq", "name": name, "host": "李四"},
                         headers=server.headers(server.admin), timeout=30)
    assert made.status_code == 201, made.text
    return made.json()


def _refusals(answer: requests.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {r["event_id"]: r["reason"] for r in answer.json()["refused"]}


@pytest.mark.parametrize("role", ["visitor", "reception"])
def test_a_forged_use_of_an_invitation_is_refused_and_the_invitation_still_admits(server, tmp_path, site, role):
    """A second device token pushes ``invitation_used`` by hand: under an invitation naming
    another device's visit, or a visit it never signed in, or one of its own signed in without
    that invitation; under a visit that is no invitation. Each is refused alone, the invitation
    still admits its visitor at a kiosk after sync, and the honest visit is not marked shared."""
    kiosk, visit_id = site
    made = _invite(server)
    invite_id = made["invite_id"]
    attacker = Attacker(server, role)
    own = new_visit_id()
    opened = attacker.event(ev.SIGNED_IN, own, {"visitor": {"name": "冒名者"}, "host": {"name": "李四"}})
    assert attacker.push(opened).json()["accepted"] == [opened["event_id"]]
    forged = {
        "another device's visit": attacker.event(ev.INVITATION_USED, invite_id, {"visit_id": visit_id}),
        "a visit nobody opened": attacker.event(ev.INVITATION_USED, invite_id, {"visit_id": new_visit_id()}),
        "its own visit, not with this invitation": attacker.event(ev.INVITATION_USED, invite_id, {"visit_id": own}),
        "under a visit that is no invitation": attacker.event(ev.INVITATION_USED, visit_id, {"visit_id": own}),
    }
    refused = _refusals(attacker.push(*forged.values()))
    assert set(refused) == {e["event_id"] for e in forged.values()}
    assert "was not signed in by device lobby-x" in refused[forged["another device's visit"]["event_id"]]
    assert "was not signed in by device lobby-x" in refused[forged["a visit nobody opened"]["event_id"]]
    assert f"not signed in with invitation {invite_id}" in \
        refused[forged["its own visit, not with this invitation"]["event_id"]]
    assert "is no invitation" in refused[forged["under a visit that is no invitation"]["event_id"]]
    assert not {e["event_id"] for e in forged.values()} & stored_ids(server)
    kiosk.sync_until_done()
    invited = kiosk.kiosk.read_invitation(made["text"])  # not refused as used
    admitted = kiosk.kiosk.check_in(name=invited.name, host=kiosk.kiosk.invited_host(invited),
                                    phone=invited.phone, invitation=invited).visit
    kiosk.sync_until_done()
    assert admitted.invite_id == invite_id
    assert_site_whole(server, tmp_path, visit_id)
    assert_site_whole(server, tmp_path, admitted.visit_id, "王小明")
    desk = Device(tmp_path, "desk-z", "reception", server.device("hq", "desk-z", "reception"), server.url)
    desk.sync_until_done()
    here = {v.visit_id: v for v in desk.kiosk.in_building()}
    assert here[visit_id].invite_id is None or here[visit_id].invite_id == ""
    assert (here[visit_id].invitation_shared_with, here[admitted.visit_id].invitation_shared_with) == ((), ())
    assert desk.kiosk.log.visit(invite_id).invitation_uses == (admitted.visit_id,)


@pytest.mark.parametrize("kind", [ev.SIGNED_IN, ev.BLOCKED])
@pytest.mark.parametrize("together", [True, False], ids=["same push", "opening pushed before"])
def test_a_use_beside_its_own_opening_is_stored(server, tmp_path, kind, together):
    """An honest device's use names the visit it opened with the invitation, in the same push
    (whatever the order inside it) or in an earlier one."""
    device = Attacker(server, "visitor", "lobby-y")
    invite_id = _invite(server)["invite_id"]
    own = new_visit_id()
    data = {"visitor": {"name": "王小明"}, "host": {"name": "李四"}, "invite_id": invite_id}
    if kind == ev.BLOCKED:
        data["reasons"] = ["watchlist_block"]
    opening = device.event(kind, own, data)
    use = device.event(ev.INVITATION_USED, invite_id, {"visit_id": own})
    if together:
        answer = device.push(use, opening)
        assert _refusals(answer) == {} and set(answer.json()["accepted"]) == {opening["event_id"], use["event_id"]}
    else:
        assert device.push(opening).json()["accepted"] == [opening["event_id"]]
        assert _refusals(device.push(use)) == {}
    assert {opening["event_id"], use["event_id"]} <= stored_ids(server)


def test_a_use_whose_opening_is_refused_is_refused(server, tmp_path):
    """The opening a use names must itself be stored: a second sign-in of a visit, refused,
    opens nothing a use could name."""
    first, second = Attacker(server, "visitor", "lobby-1"), Attacker(server, "visitor", "lobby-2")
    invite_id = _invite(server)["invite_id"]
    taken = new_visit_id()
    person = {"visitor": {"name": "王小明"}, "host": {"name": "李四"}, "invite_id": invite_id}
    assert first.push(first.event(ev.SIGNED_IN, taken, person)).status_code == 200
    again = second.event(ev.SIGNED_IN, taken, person)
    use = second.event(ev.INVITATION_USED, invite_id, {"visit_id": taken})
    refused = _refusals(second.push(again, use))
    assert "already signed in" in refused[again["event_id"]]
    assert "was not signed in by device lobby-2" in refused[use["event_id"]]


# -- kinds this server does not know -----------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_a_kind_from_newer_software_is_refused_alone(server, tmp_path, site, role):
    _kiosk, visit_id = site
    attacker = Attacker(server, role)
    honest, newer = attacker.event(ev.RATED, visit_id, {"rating": 3}), attacker.event("teleported", visit_id, {})
    body = attacker.push(honest, newer).json()
    assert body["accepted"] == [honest["event_id"]]
    assert "does not know the event kind teleported" in body["refused"][0]["reason"]
    assert_site_whole(server, tmp_path, visit_id)


# -- tombstones --------------------------------------------------------------------------------

def _store_unchecked(server, raw: dict) -> None:
    """An event as a server before these checks stored it (the poison the audit found)."""
    from kiosk.core.events import encode_data
    from sync.server.db import events

    with server.app.state.db.write() as conn:
        conn.execute(events.insert(), {**{k: raw[k] for k in protocol.FIELDS if k != "data"},
                                       "data": encode_data(raw["data"]), "received_at": raw["ts"]})


def _cli(server, capsys, *args: str) -> tuple[int, str, str]:
    status = cli.main(["--db", server.db_url, "events", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_stored_poison_event_tombstoned_leaves_the_site_whole(server, tmp_path, site, capsys):
    _kiosk, visit_id = site
    old = Attacker(server, "visitor")
    poison = old.event(ev.SIGNED_IN, new_visit_id(), {"visitor": {"name": ["张", "三"]}, "host": {"name": "李四"}})
    _store_unchecked(server, poison)
    assert poison["event_id"] in stored_ids(server)  # served to every device of the site, until...

    status, out, err = _cli(server, capsys, "tombstone", poison["event_id"], "--reason", "a name that is a list")
    assert status == 0 and poison["event_id"] in out, err
    assert poison["event_id"] not in stored_ids(server)
    assert_site_whole(server, tmp_path, visit_id)
    status, out, _ = _cli(server, capsys, "list", "--tombstoned")
    assert status == 0 and poison["event_id"] in out and "a name that is a list" in out and "(kiosk-server)" in out
    status, out, _ = _cli(server, capsys, "list", "--site", "hq", "--visit", poison["visit_id"])
    assert poison["event_id"] in out and "\tyes\t" in out
    status, _, err = _cli(server, capsys, "tombstone", poison["event_id"], "--reason", "again")
    assert status == 1 and "already tombstoned" in err


def test_a_forged_sign_out_tombstoned_puts_the_visitor_back_on_every_device(server, tmp_path, site):
    """A device that pulled the event before the tombstone drops it when the tombstone arrives:
    the tombstone travels as an event of the server's that every fold honours."""
    _kiosk, visit_id = site
    desk = Device(tmp_path, "desk-1", "reception", server.device("hq", "desk-1", "reception"), server.url)
    forger = Attacker(server, "exit", "exit-x")
    forged = forger.event(ev.SIGNED_OUT, visit_id, {"by": "scan"})
    assert forger.push(forged).status_code == 200
    desk.sync_until_done()
    assert visit_id not in {v.visit_id for v in desk.kiosk.in_building()}  # the forgery, believed

    admin = server.headers(server.admin)
    url = f"{server.url}/v1/events/{forged['event_id']}/tombstone"
    as_device = requests.post(url, json={"reason": "x"}, headers=forger.session.headers, timeout=30)
    assert as_device.status_code == 403
    done = requests.post(url, json={"reason": "forged by exit-x"}, headers=admin, timeout=30)
    assert done.status_code == 200, done.text
    assert done.json()["by"] == "admin" and done.json()["kind"] == ev.SIGNED_OUT
    assert requests.post(url, json={"reason": "again"}, headers=admin, timeout=30).status_code == 409
    missing = requests.post(f"{server.url}/v1/events/{'0' * 32}/tombstone", json={"reason": "x"}, headers=admin,
                            timeout=30)
    assert missing.status_code == 404

    desk.sync_until_done()
    assert visit_id in {v.visit_id for v in desk.kiosk.in_building()}  # back, on the device that had it
    assert forged["event_id"] in {e.event_id for e in desk.kiosk.log.events(visit_id)}  # kept, not folded
    assert_site_whole(server, tmp_path, visit_id)
    exported = requests.get(server.url + "/v1/export", params={"format": "json", "site": "hq"}, headers=admin,
                            timeout=30).json()
    assert {v["visit_id"]: v["state"] for v in exported}[visit_id] == "waiting"


# -- the device's side of a refusal ------------------------------------------------------------

def test_a_device_keeps_its_refused_events_and_syncs_on(server, tmp_path):
    """An older kiosk recorded an event this server refuses (a name longer than it allows): the
    kiosk is not stopped; the event stays in its log, marked, is never pushed again, and
    reception sees the count."""
    kiosk = Device(tmp_path, "kiosk-old", "visitor", server.device("hq", "kiosk-old"), server.url)
    long_name = {"visitor": {"name": "长" * 200}, "host": {"name": "李四"}}
    [refused] = kiosk.kiosk.log.record((ev.SIGNED_IN, new_visit_id(), long_name))
    later = kiosk.kiosk.check_in(name="张三", host=HOST)
    kiosk.sync_until_done()
    assert kiosk.syncer.status.refused == 1
    stored = stored_ids(server)
    assert refused.event_id not in stored
    assert {e.event_id for e in kiosk.kiosk.log.events(later.visit.visit_id)} <= stored
    kiosk.sync_until_done()  # not pushed again, still counted
    assert kiosk.syncer.status.refused == 1 and stored_ids(server) == stored
    assert refused.event_id in {e.event_id for e in kiosk.kiosk.log.events(refused.visit_id)}
    from kiosk.store.refused import RefusedTable

    [listed] = RefusedTable(kiosk.kiosk.log.db).listed()
    assert (listed.event_id, listed.kind) == (refused.event_id, ev.SIGNED_IN) and "visitor.name" in listed.reason


class ServerClock:
    """The server's clock (create_app(clock=...)): the real time, moved on when the test says."""

    def __init__(self):
        self.offset = 0

    def __call__(self) -> int:
        return protocol_now() + self.offset


@pytest.fixture
def clocked(db_url):  # noqa: F811 - the fixture of that name
    clock = ServerClock()
    running = start_server(db_url, clock=clock)
    try:
        yield running, clock
    finally:
        running.stop()
    assert not running.errors, running.errors


def test_a_device_whose_clock_jumped_ahead_loses_nothing_once_the_server_clock_catches_up(clocked, tmp_path):
    """A kiosk's clock ran two days ahead for one sign-in (an NTP glitch) and was put right. That
    sign-in is not refused for good: the push stops before it, what came before goes through, and
    once the server's clock is near its time it is stored and every device has it. The events
    after it are dated right (the log no longer freezes its time ahead, kiosk.core.hlc): the
    server stores them at once, though the push goes over them again until the early one is in."""
    server, clock = clocked
    kiosk = Device(tmp_path, "kiosk-a", "visitor", server.device("hq", "kiosk-a"), server.url)
    before = kiosk.kiosk.check_in(name="赵六", host=HOST).visit.visit_id
    kiosk.clock_offset = 2 * 86_400_000
    ann = kiosk.kiosk.check_in(name="Ann One", host=HOST).visit.visit_id
    kiosk.clock_offset = 0
    later = [kiosk.kiosk.check_in(name=name, host=HOST).visit.visit_id for name in ("Bob Two", "Cat Three")]
    ahead = kiosk.kiosk.log.events(ann)
    after = [e for v in later for e in kiosk.kiosk.log.events(v)]

    for _ in range(2):  # held, round after round, and never marked refused
        kiosk.sync_until_done()
        status = kiosk.syncer.status
        assert (status.refused, status.pending, status.held) == (0, len(ahead + after), len(ahead + after))
        assert "ahead of the server's clock" in status.held_reason
    stored = stored_ids(server)
    assert {e.event_id for e in kiosk.kiosk.log.events(before)} <= stored
    assert not {e.event_id for e in ahead} & stored
    assert {e.event_id for e in after} <= stored  # rightly dated: stored at once
    from kiosk.store.refused import RefusedTable

    assert RefusedTable(kiosk.kiosk.log.db).count() == 0

    clock.offset = 2 * 86_400_000  # real time catches up with the events
    kiosk.sync_until_done()
    assert (kiosk.syncer.status.pending, kiosk.syncer.status.held, kiosk.syncer.status.refused) == (0, 0, 0)
    assert {e.event_id for e in ahead} <= stored_ids(server)
    listed = requests.get(server.url + "/v1/visits", params={"site": "hq"}, headers=server.headers(server.admin),
                          timeout=30).json()["visits"]
    assert {v["visit_id"] for v in listed} == {before, ann, *later}
    desk = Device(tmp_path, "desk", "reception", server.device("hq", "desk", "reception"), server.url)
    desk.sync_until_done()
    assert {before, ann, *later} <= {v.visit_id for v in desk.kiosk.in_building()}
