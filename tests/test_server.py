"""The central server over real HTTP on 127.0.0.1, against SQLite and PostgreSQL: the sync API,
auth and site isolation, hostile input (always a readable 4xx, never a 500, nothing stored
half), concurrency, restarts, migrations, and the kiosk-server command."""

from __future__ import annotations

import base64
import csv
import io
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.events import Event, encode_data, new_id
from kiosk.core.hosts import Host, host_id_for
from kiosk.core.tokens import key_id_of, new_visit_id
from sync import protocol
from sync.server import auth, projector, store
from sync.server import db as server_db
from sync.server.cli import main
from sync.server.db import Database, normalise_url, projections, visits
from sync.server.errors import DatabaseError, Unauthorized
from tests.server_fixtures import ServerProcess, db_url, pg_url, server, start_server  # noqa: F401

SIGNED_IN = {"visitor": {"name": "张三", "company": "华为", "phone": "13800000001", "purpose": "面试"},
             "host": {"host_id": "h1", "name": "李四", "department": "研发部"}, "lang": "zh_CN"}


def now() -> int:
    return time.time_ns() // 1_000_000


def event(seq: int = 1, kind: str = "signed_in", visit_id: str | None = None, data: dict | None = None,
          site: str = "hq", device: str = "kiosk-a", ts: int | None = None) -> dict:
    return {"event_id": new_id(), "site": site, "device": device, "seq": seq, "ts": now() if ts is None else ts,
            "kind": kind, "visit_id": visit_id or new_visit_id(),
            "data": SIGNED_IN if data is None and kind == "signed_in" else (data or {})}


class Api:
    """requests against the running server with one token."""

    def __init__(self, server, token: str | None):
        self.base = server.url + protocol.API
        self.session = requests.Session()
        if token:
            self.session.headers.update(server.headers(token))

    def __getattr__(self, method):
        return lambda path, **kw: self.session.request(method.upper(), self.base + path, timeout=30, **kw)

    def ok(self, method: str, path: str, **kw):
        response = getattr(self, method)(path, **kw)
        assert response.status_code < 300, response.text
        body = response.json() if response.content else None
        if isinstance(body, dict) and "server_time" in body:  # pushes' and pulls': the server's clock
            assert type(body.pop("server_time")) is int
        return body


def refused(response: requests.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture
def kiosk(server):
    return Api(server, server.device("hq", "kiosk-a"))


@pytest.fixture
def admin(server):
    return Api(server, server.admin)


def stored(server) -> int:
    return requests.get(server.url + "/v1/health", timeout=10).json()["events"]


# -- push and pull -----------------------------------------------------------------------------

def test_health_names_the_database(server, db_url):
    body = requests.get(server.url + "/v1/health", timeout=10).json()
    assert body == {"status": "ok", "db": normalise_url(db_url).split(":")[0].split("+")[0], "events": 0}


def test_push_then_pull_round_trip(server, kiosk):
    batch = [event(seq=i) for i in range(1, 6)]
    assert kiosk.ok("post", "/events", json={"events": batch}) == {
        "accepted": [e["event_id"] for e in batch], "known": [], "refused": [], "retry": []}
    page = kiosk.ok("get", "/events", params={"after": 0, "limit": 3})
    assert page["events"] == batch[:3] and page["more"] is True
    rest = kiosk.ok("get", "/events", params={"after": page["cursor"]})
    assert rest["events"] == batch[3:] and rest["more"] is False
    assert kiosk.ok("get", "/events", params={"after": rest["cursor"]}) == {
        "events": [], "cursor": rest["cursor"], "more": False}


def test_a_replayed_batch_is_all_known_and_stores_nothing(server, kiosk):
    batch = [event(seq=i) for i in range(1, 4)]
    kiosk.ok("post", "/events", json={"events": batch[:1]})
    assert kiosk.ok("post", "/events", json={"events": batch}) == {
        "accepted": [e["event_id"] for e in batch[1:]], "known": [batch[0]["event_id"]], "refused": [], "retry": []}
    assert kiosk.ok("post", "/events", json={"events": batch + batch}) == {
        "accepted": [], "known": [e["event_id"] for e in batch], "refused": [], "retry": []}
    assert stored(server) == 3


def test_a_known_id_with_other_content_is_a_conflict(server, kiosk):
    first = event()
    kiosk.ok("post", "/events", json={"events": [first]})
    refused(kiosk.post("/events", json={"events": [{**first, "seq": 9}]}), 409, first["event_id"])
    refused(kiosk.post("/events", json={"events": [event(), first, {**first, "seq": 9}]}), 422, "events[2]")
    assert stored(server) == 1


def test_an_id_stored_by_another_site_is_a_conflict(server, kiosk):
    first = event()
    kiosk.ok("post", "/events", json={"events": [first]})
    branch = Api(server, server.device("branch", "kiosk-a"))
    refused(branch.post("/events", json={"events": [{**first, "site": "branch"}]}), 409, first["event_id"])
    assert branch.ok("get", "/events")["events"] == [] and stored(server) == 1


def test_visits_are_folded_from_every_stored_event_across_batches_and_retries(server, kiosk, admin):
    visit, other = new_visit_id(), new_visit_id()
    signed_in = event(seq=1, visit_id=visit)
    kiosk.ok("post", "/events", json={"events": [signed_in]})
    # A retry repeating the sign-in, with a new event of its visit and one of another visit.
    printed = event(seq=2, kind="badge_printed", visit_id=visit, data={"badge_id": "AAAAAAAA"})
    second = event(seq=3, visit_id=other)
    assert kiosk.ok("post", "/events", json={"events": [signed_in, printed, second]}) == {
        "accepted": [printed["event_id"], second["event_id"]], "known": [signed_in["event_id"]], "refused": [], "retry": []}
    desk = Api(server, server.device("hq", "desk", "reception"))  # the host is met at reception
    desk.ok("post", "/events", json={"events": [event(kind="host_met", visit_id=visit, data={}, device="desk")]})
    signed_out = event(seq=4, kind="signed_out", visit_id=visit, data={"by": "scan"})
    kiosk.ok("post", "/events", json={"events": [signed_out]})
    visits = {v["visit_id"]: v for v in admin.ok("get", "/visits")["visits"]}
    assert {v: visits[v]["state"] for v in visits} == {visit: "signed_out", other: "waiting"}
    assert visits[visit]["name"] == "张三" and visits[visit]["signed_out_at"]
    exported = {v["visit_id"]: v for v in admin.ok("get", "/export", params={"format": "json"})}
    assert exported[visit]["host_met_at"] and exported[visit]["signed_out_by"] == "scan"


def test_the_protocol_hands_the_server_each_payload_as_stored():
    raw = event(data={"b": 1, "a": {"y": "张三", "x": [2, None]}})
    checked, text = protocol.checked_event(raw, now())
    assert checked == Event.from_dict(raw) == protocol.check_event(raw, None)
    assert text == encode_data(raw["data"]) and json.loads(text) == raw["data"]


def test_one_malformed_event_stores_none_of_its_batch(server, kiosk):
    batch = [event(seq=1), event(seq=2), {**event(seq=3), "seq": "3"}]
    refused(kiosk.post("/events", json={"events": batch}), 422, "events[2]", "seq")
    assert stored(server) == 0
    assert kiosk.ok("get", "/events")["events"] == []


def test_an_unfoldable_event_is_refused_alone_and_the_rest_stored(server, kiosk):
    fine, unfoldable = event(seq=1), event(seq=2, kind="badge_issued", data={"issued_at": 1})
    answer = kiosk.ok("post", "/events", json={"events": [fine, unfoldable]})
    assert answer["accepted"] == [fine["event_id"]]
    assert [r["event_id"] for r in answer["refused"]] == [unfoldable["event_id"]]
    assert "badge_id" in answer["refused"][0]["reason"]
    assert [e["event_id"] for e in kiosk.ok("get", "/events")["events"]] == [fine["event_id"]]


def test_a_device_pushes_only_its_own_events(server, kiosk):
    for wrong in ({"site": "branch"}, {"device": "kiosk-b"}):
        refused(kiosk.post("/events", json={"events": [event(), {**event(seq=2), **wrong}]}), 403,
                "events[1]", "its own events")
    assert stored(server) == 0


def test_admins_push_nothing_and_name_the_site_to_pull(server, kiosk, admin):
    refused(admin.post("/events", json={"events": [event()]}), 403, "device token")
    refused(admin.get("/events"), 422, "site")
    pushed = kiosk.ok("post", "/events", json={"events": [event()]})["accepted"]
    assert [e["event_id"] for e in admin.ok("get", "/events", params={"site": "hq"})["events"]] == pushed
    assert admin.ok("get", "/events", params={"site": "branch"})["events"] == []


def test_events_dated_far_behind_the_server_clock_are_refused(server, kiosk):
    skewed = event(ts=now() - protocol.MAX_PAST_MS - 60_000)
    answer = kiosk.ok("post", "/events", json={"events": [skewed]})
    assert answer["accepted"] == [] and answer["refused"][0]["event_id"] == skewed["event_id"]
    assert "days ago" in answer["refused"][0]["reason"] and answer["retry"] == [] and stored(server) == 0
    skewed = [event(seq=1, ts=now() - 10 * 60_000), event(seq=2, ts=now() + 10 * 60_000)]
    assert len(kiosk.ok("post", "/events", json={"events": skewed})["accepted"]) == 2


def test_events_dated_far_ahead_of_the_server_clock_are_asked_for_again_not_refused(server, kiosk):
    ahead = event(seq=1, ts=now() + protocol.MAX_FUTURE_MS + 60_000)
    fine = event(seq=2)
    answer = kiosk.ok("post", "/events", json={"events": [ahead, fine]})
    assert answer["accepted"] == [fine["event_id"]] and answer["refused"] == []
    assert [r["event_id"] for r in answer["retry"]] == [ahead["event_id"]]
    assert "ahead of the server's clock" in answer["retry"][0]["reason"] and stored(server) == 1


# -- auth and isolation ------------------------------------------------------------------------

def test_tokens_are_required_and_checked(server, kiosk, admin):
    anonymous = Api(server, None)
    refused(anonymous.get("/events"), 401, "Bearer")
    assert anonymous.get("/events").headers["WWW-Authenticate"] == "Bearer"
    refused(Api(server, "x" * 43).get("/keys"), 401, "unknown token")
    refused(anonymous.get("/keys", headers={"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}), 401)
    refused(kiosk.put("/hosts", json={"hosts": []}), 403, "admin token")
    refused(kiosk.get("/export"), 403, "admin token")
    refused(admin.get("/keys"), 403, "device token")


def test_a_device_of_another_site_sees_nothing_of_this_one(server, kiosk):
    visit = new_visit_id()
    kiosk.ok("post", "/events", json={"events": [event(visit_id=visit)]})
    signer = Ed25519PrivateKey.generate().public_key()
    kiosk.ok("put", "/keys", json=key_body(signer))
    other = Api(server, server.device("branch", "desk", "reception"))
    assert other.ok("get", "/events")["events"] == []
    assert other.ok("get", "/keys")["keys"] == []
    assert other.ok("get", "/visits")["visits"] == []
    for path in ("/events", "/visits"):
        refused(other.get(path, params={"site": "hq"}), 403, "own site")
    reception = Api(server, server.device("hq", "desk", "reception"))
    assert [v["visit_id"] for v in reception.ok("get", "/visits")["visits"]] == [visit]


def test_a_revoked_device_is_refused_at_once_and_its_keys_distrusted(server, kiosk, admin):
    signer = Ed25519PrivateKey.generate().public_key()
    kiosk.ok("put", "/keys", json=key_body(signer))
    exit_post = Api(server, server.device("hq", "exit-1", "exit"))
    assert [k["revoked"] for k in exit_post.ok("get", "/keys")["keys"]] == [False]
    assert admin.delete("/devices/hq/kiosk-a").status_code == 204
    refused(kiosk.post("/events", json={"events": [event()]}), 401, "revoked")
    refused(kiosk.get("/keys"), 401, "revoked")
    assert exit_post.ok("get", "/keys")["keys"] == [
        {"key_id": key_id_of(signer), "public_key": base64.b64encode(signer.public_bytes_raw()).decode(),
         "site": "hq", "device": "kiosk-a", "revoked": True, "role": "visitor"}]
    assert admin.delete("/devices/hq/kiosk-a").status_code == 204  # again: still revoked, no error
    refused(admin.post("/devices", json={"site": "hq", "name": "kiosk-a"}), 409, "new name")


def test_admins_register_and_revoke_devices(server, admin):
    made = admin.post("/devices", json={"site": "hq", "name": "exit-2", "role": "exit"})
    assert made.status_code == 201
    body = made.json()
    assert (body["site"], body["name"], body["role"]) == ("hq", "exit-2", "exit")
    assert Api(server, body["token"]).ok("get", "/visits") == {"visits": []}
    refused(admin.post("/devices", json={"site": "hq", "name": "exit-2"}), 409, "already registered")
    refused(admin.post("/devices", json={"site": "hq", "name": "bad name!"}), 422, "name")
    refused(admin.post("/devices", json={"site": "hq", "name": "x", "role": "boss"}), 422, "role")
    refused(admin.delete("/devices/hq/nobody"), 404, "hq/nobody")


# -- hostile input -----------------------------------------------------------------------------

def _raw(body: bytes, **headers):
    return {"data": body, "headers": {"Content-Type": "application/json", **headers}}


HOSTILE = [
    ("not JSON", _raw(b'{"events": [1,'), "not valid JSON"),
    ("JSON but not an object", {"json": [1, 2]}, "body"),
    ("no body", {}, "body"),
    ("not UTF-8", _raw(b'{"events": ["\xff\xfe"]}'), ""),
    ("wrong content type", {"data": b'{"events": []}', "headers": {"Content-Type": "text/plain"}}, "body"),
    ("events not a list", {"json": {"events": "all"}}, "events"),
    ("unknown top-level field", {"json": {"events": [], "extra": 1}}, "extra"),
    ("event not an object", {"json": {"events": ["x"]}}, "events[0]"),
    ("unknown event field", {"json": {"events": [{**event(), "color": "red"}]}}, "color"),
    ("missing event field", {"json": {"events": [{k: v for k, v in event().items() if k != "kind"}]}}, "kind"),
    ("float seq", {"json": {"events": [{**event(), "seq": 1.5}]}}, "seq"),
    ("boolean ts", {"json": {"events": [{**event(), "ts": True}]}}, "ts"),
    ("huge seq", {"json": {"events": [{**event(), "seq": 10**40}]}}, "seq"),
    ("huge string", {"json": {"events": [{**event(), "site": "h" * 1_000_000}]}}, "site"),
    ("bad visit id", {"json": {"events": [{**event(), "visit_id": "../../etc/passwd"}]}}, "visit_id"),
    ("deep nesting", _raw(b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"), ""),
    ("too many events", {"json": {"events": [event(seq=i) for i in range(protocol.MAX_BATCH + 1)]}}, "events"),
]


@pytest.mark.parametrize("case, request_args, fragment", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_pushes_get_a_readable_4xx_and_store_nothing(server, kiosk, case, request_args, fragment):
    response = kiosk.post("/events", **request_args)
    assert 400 <= response.status_code < 500, response.text
    assert fragment in response.json()["error"]
    assert stored(server) == 0


REFUSED_ALONE = [
    ("data too large", {"json": {"events": [event(data={"x": "字" * 5000})]}}, "larger than"),
    ("NaN in data", _raw(json.dumps({"events": [event(data={"x": "?"})]}).replace('"?"', "NaN").encode()), "NaN"),
    ("lone surrogate in data", _raw(json.dumps({"events": [event(data={"x": "\ud800"})]}).encode()), "surrogate"),
]


@pytest.mark.parametrize("case, request_args, fragment", REFUSED_ALONE, ids=[h[0] for h in REFUSED_ALONE])
def test_hostile_payloads_are_refused_one_by_one_and_stored_nowhere(server, kiosk, case, request_args, fragment):
    answer = kiosk.ok("post", "/events", **request_args)
    assert answer["accepted"] == [] and len(answer["refused"]) == 1
    assert fragment in answer["refused"][0]["reason"]
    assert stored(server) == 0


def test_a_trailing_newline_is_not_part_of_an_event_field(server, kiosk):
    assert kiosk.post("/events", json={"events": [{**event(), "kind": "signed_in\n"}]}).status_code == 422


def test_hostile_queries_and_paths_get_a_4xx(server, kiosk, admin):
    for params in ({"after": -1}, {"after": "x"}, {"after": 2**70}, {"limit": 0}, {"limit": 10**6},
                   {"site": "hq\n"}):
        assert kiosk.get("/events", params=params).status_code == 422, params
    refused(admin.get("/visits", params={"since": "2024-05-01T00:00:00"}), 422, "since")
    refused(admin.get("/export", params={"format": "xlsx"}), 422, "format")
    refused(admin.delete("/devices/hq/" + "x" * 300), 422, "name")
    refused(admin.get("/nowhere"), 404)
    refused(admin.patch("/events"), 405)


def _http(server, head: bytes, chunks=()) -> tuple[int, dict]:
    """Send a request by hand (requests cannot send a body that lies about its length) and read
    the answer; the server must answer without waiting for the rest of the body."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head)
        for chunk in chunks:
            sock.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status_line, rest = answer.split(b"\r\n", 1)
    return int(status_line.split()[1]), json.loads(rest.split(b"\r\n\r\n", 1)[1])


def _length(answer: bytes) -> int:
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    return int(head.split(b"content-length:", 1)[1].split(b"\r\n")[0]) if b"content-length:" in head else 0


def test_an_oversized_body_is_refused_before_it_is_read(server):
    token = server.device("hq", "kiosk-a")
    head = (b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n")
    # Announced too large: refused on the headers alone; the body is never sent.
    status, body = _http(server, head + b"Content-Length: %d\r\n\r\n" % (protocol.MAX_BODY_BYTES + 1))
    assert status == 413 and "larger than" in body["error"]
    # Chunked, with no length announced: refused once the chunks add up to too much.
    chunk = b"x" * 65536
    count = protocol.MAX_BODY_BYTES // len(chunk) + 1
    status, body = _http(server, head + b"Transfer-Encoding: chunked\r\n\r\n",
                         [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * count)
    assert status == 413 and "larger than" in body["error"]
    assert stored(server) == 0


# -- keys, hosts, visits, export ---------------------------------------------------------------

def key_body(public_key) -> dict:
    return {"key_id": key_id_of(public_key), "public_key": base64.b64encode(public_key.public_bytes_raw()).decode()}


def test_key_registration_rules(server, kiosk):
    mine = Ed25519PrivateKey.generate().public_key()
    body = key_body(mine)
    expected = {**body, "site": "hq", "device": "kiosk-a", "revoked": False, "role": "visitor"}
    assert kiosk.ok("put", "/keys", json=body) == expected
    assert kiosk.ok("put", "/keys", json=body) == expected  # again: idempotent
    refused(kiosk.put("/keys", json={**body, "key_id": "00000000"}), 422, "key_id")
    refused(kiosk.put("/keys", json={**body, "public_key": "not base64!"}), 422, "base64")
    refused(kiosk.put("/keys", json={**body, "public_key": base64.b64encode(b"short").decode()}), 422, "32-byte")
    refused(kiosk.put("/keys", json={**body, "extra": 1}), 422, "extra")
    thief = Api(server, server.device("hq", "kiosk-b"))
    refused(thief.put("/keys", json=body), 409, body["key_id"])
    second = Ed25519PrivateKey.generate().public_key()
    thief.ok("put", "/keys", json=key_body(second))
    assert sorted(k["key_id"] for k in kiosk.ok("get", "/keys")["keys"]) == sorted([body["key_id"],
                                                                                     key_id_of(second)])


def test_hosts_are_replaced_whole_and_checked(server, kiosk, admin):
    hosts = [{"name": "李四", "department": "研发部", "email": "lisi@example.com", "phone": "13800000001"},
             {"host_id": "emp-0042", "name": "Alice  Smith", "department": "Sales"}]
    put = admin.ok("put", "/hosts", json={"hosts": hosts})["hosts"]
    assert [h["name"] for h in put] == ["李四", "Alice Smith"]  # cleaned as the kiosk cleans input
    assert put[1]["host_id"] == "emp-0042" and len(put[0]["host_id"]) == 12
    assert sorted(h["name"] for h in kiosk.ok("get", "/hosts")["hosts"]) == ["Alice Smith", "李四"]
    refused(admin.put("/hosts", json={"hosts": [hosts[0], {"name": "bad\x07name"}]}), 422, "hosts[1]", "name")
    refused(admin.put("/hosts", json={"hosts": [hosts[0], hosts[0]]}), 422, "hosts[1]", "hosts[0]")
    refused(admin.put("/hosts", json={"hosts": [{"name": "x", "title": "CEO"}]}), 422, "title")
    assert len(kiosk.ok("get", "/hosts")["hosts"]) == 2  # what was refused changed nothing
    admin.ok("put", "/hosts", json={"hosts": hosts[1:]})
    assert [h["host_id"] for h in admin.ok("get", "/hosts")["hosts"]] == ["emp-0042"]


SMTP_CHANNEL = "smtp://kiosk:hunter2@mail.example.com:587?from=kiosk@example.com"
DINGTALK_CHANNEL = "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=TOKEN42#secret=SECabc"


def test_hosts_carry_english_names_aliases_language_and_channels(server, kiosk, admin):
    lisi = {"name": "李四", "department": "研发部", "email": "lisi@example.com", "english_name": " Li  Si ",
            "aliases": ["小李", " Lisa ", "", "小李"], "language": "zh_TW", "channels": [SMTP_CHANNEL, DINGTALK_CHANNEL]}
    [put] = admin.ok("put", "/hosts", json={"hosts": [lisi]})["hosts"]
    assert (put["english_name"], put["aliases"], put["language"]) == ("Li Si", ["小李", "Lisa"], "zh_TW")
    # Devices read the channels: they deliver the notices.
    [got] = kiosk.ok("get", "/hosts")["hosts"]
    assert got == {**put, "phone": ""} and got["channels"] == [SMTP_CHANNEL, DINGTALK_CHANNEL]
    assert [h["english_name"] for h in admin.ok("get", "/hosts")["hosts"]] == ["Li Si"]


@pytest.mark.parametrize("change, fragments", [
    ({"aliases": [f"别名{i}" for i in range(11)]}, ["aliases"]),
    ({"aliases": ["长" * 41]}, ["aliases is too long"]),
    ({"aliases": ["小李\n"]}, ["aliases contains"]),
    ({"aliases": "小李"}, ["aliases"]),
    ({"english_name": "L" * 101}, ["english_name is too long"]),
    ({"language": "fr"}, ["language"]),
    ({"language": "简体"}, ["language"]),  # the CSV's spellings are for people; the API takes the codes
    ({"channels": [SMTP_CHANNEL] * 6}, ["channels"]),
    ({"channels": [SMTP_CHANNEL, "ftp://kiosk:hunter2@files.example.com/TOKEN42"]}, ["hosts[0]", "channel 2"]),
    ({"channels": ["dingtalk+https://oapi.dingtalk.com/robot/send?access_token=TOKEN42#SECabc"]}, ["channel 1"]),
])
def test_host_fields_are_checked(server, admin, change, fragments):
    response = admin.put("/hosts", json={"hosts": [{"name": "李四", **change}]})
    refused(response, 422, *fragments)
    assert not [secret for secret in ("hunter2", "TOKEN42", "SECabc") if secret in response.text]
    assert admin.ok("get", "/hosts")["hosts"] == []


def test_visits_on_site_follow_sign_in_and_sign_out(server, kiosk, admin):
    first, second = new_visit_id(), new_visit_id()
    kiosk.ok("post", "/events", json={"events": [event(seq=1, visit_id=first), event(seq=2, visit_id=second)]})
    reception = Api(server, server.device("hq", "desk", "reception"))
    on_site = reception.ok("get", "/visits", params={"on_site": "true"})["visits"]
    assert sorted(v["visit_id"] for v in on_site) == sorted([first, second])
    assert on_site[0]["name"] == "张三" and on_site[0]["host"] == "李四" and on_site[0]["department"] == "研发部"
    assert "13800000001" not in json.dumps(on_site)
    exit_post = Api(server, server.device("hq", "exit-1", "exit"))
    exit_post.ok("post", "/events", json={"events": [event(kind="signed_out", visit_id=first, data={"by": "scan"},
                                                           device="exit-1")]})
    assert [v["visit_id"] for v in exit_post.ok("get", "/visits", params={"on_site": "true"})["visits"]] == [second]
    everyone = {v["visit_id"]: v for v in admin.ok("get", "/visits")["visits"]}
    assert everyone[first]["state"] == "signed_out" and everyone[first]["signed_out_at"]
    signed_in = datetime.fromisoformat(everyone[first]["signed_in_at"])
    window = {"since": (signed_in - timedelta(minutes=1)).isoformat(), "until": (signed_in + timedelta(minutes=1))
              .isoformat()}
    assert len(admin.ok("get", "/visits", params={**window, "site": "hq"})["visits"]) == 2
    earlier = {"since": "2000-01-01T00:00:00+08:00", "until": window["since"]}
    assert admin.ok("get", "/visits", params=earlier)["visits"] == []
    refused(kiosk.get("/visits"), 403, "reception")


def test_export_as_csv_for_excel_and_as_json(server, kiosk, admin):
    named = {**SIGNED_IN, "visitor": {**SIGNED_IN["visitor"], "company": "=HYPERLINK(\"http://x\")"}}
    kiosk.ok("post", "/events", json={"events": [event(seq=1), event(seq=2, data=named)]})
    other = Api(server, server.device("branch", "kiosk-a"))
    other.ok("post", "/events", json={"events": [event(site="branch")]})
    response = admin.get("/export", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbfsite,visit_id,state,name,company,")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["site"] for r in rows) == ["branch", "hq", "hq"]
    assert {r["company"] for r in rows} == {"华为", "'=HYPERLINK(\"http://x\")"}
    assert "phone" not in rows[0] and "13800000001" not in response.text
    as_json = admin.ok("get", "/export", params={"site": "hq"})
    assert len(as_json) == 2 and {v["name"] for v in as_json} == {"张三"} and as_json[0]["purpose"] == "面试"


# -- concurrency, restarts, migrations ---------------------------------------------------------

def test_overlapping_batches_pushed_at_once_are_stored_exactly_once(server):
    token = server.device("hq", "kiosk-a", "reception")  # it signs in and meets hosts
    visits = [new_visit_id() for _ in range(20)]
    everything = [event(seq=i, visit_id=visits[i % 20], kind=("signed_in", "host_met")[i >= 20], data={})
                  for i in range(200)]

    def pusher(n: int) -> list[tuple[int, dict]]:
        api = Api(server, token)
        answers = []
        for start in range(n * 10, 200 + n * 10, 40):  # each thread a shifted, wrapping window
            batch = [everything[(start + j) % 200] for j in range(60)]
            response = api.post("/events", json={"events": batch})
            answers.append((response.status_code, response.json()))
        return answers

    with ThreadPoolExecutor(10) as pool:
        answers = [a for result in pool.map(pusher, range(10)) for a in result]
    assert {status for status, _ in answers} == {200}
    accepted = [i for _, body in answers for i in body["accepted"]]
    assert sorted(accepted) == sorted(e["event_id"] for e in everything)  # each accepted exactly once
    admin = Api(server, server.admin)
    pulled, cursor, more = [], 0, True
    while more:
        page = admin.ok("get", "/events", params={"site": "hq", "after": cursor, "limit": 70})
        pulled += page["events"]
        cursor, more = page["cursor"], page["more"]
    assert sorted(e["event_id"] for e in pulled) == sorted(e["event_id"] for e in everything)
    on_site = admin.ok("get", "/visits", params={"on_site": "true"})["visits"]
    assert sorted(v["visit_id"] for v in on_site) == sorted(visits)
    assert {v["state"] for v in on_site} == {"with_host"}  # every visit folded from all its events


def test_the_projector_folds_pushed_events_into_visits_without_a_read(server):
    """A push only stores events; the visits table catches up off the request path, even when
    nobody asks for visits (the reads that bring it up to date themselves are tested above)."""
    visit, desk = new_visit_id(), Api(server, server.device("hq", "desk", "reception"))
    desk.ok("post", "/events", json={"events": [event(seq=1, visit_id=visit, device="desk"),
                                                event(seq=2, kind="host_met", visit_id=visit, device="desk")]})
    deadline = time.monotonic() + 10 * projector.MAX_LAG_S
    while (state := _visit_state(server.app.state.db, visit)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state == "with_host"


def _visit_state(db: Database, visit_id: str) -> str | None:
    with db.read() as conn:  # the table itself: a read through the API would project first
        return conn.execute(sa.select(visits.c.state).where(visits.c.visit_id == visit_id)).scalar()


def test_a_version_1_database_migrates(server, kiosk, db_url):
    """Version 1 folded visits inside each push (its events are all in its visits already),
    knew hosts by name, department, email and phone only, and had no keys of the server's own
    and no watchlist."""
    visit = new_visit_id()
    kiosk.ok("post", "/events", json={"events": [event(seq=1, visit_id=visit)]})
    server.stop()
    db = Database(db_url)
    assert store.project(db, "hq") is True
    with db.write() as conn:  # back to version 1, as the old server left it
        conn.execute(sa.text("DROP TABLE projections"))
        conn.execute(sa.text("DROP TABLE hosts"))
        conn.execute(sa.text("DROP TABLE signers"))
        conn.execute(sa.text("DROP TABLE watchlist"))
        conn.execute(sa.text("DROP TABLE tombstones"))
        conn.execute(sa.text("DROP TABLE revisions"))
        conn.execute(sa.text("DROP TABLE purges"))
        conn.execute(sa.text("DROP TABLE retention"))
        for table in ("console_sessions", "console_users", "audit_log", "complaints", "complaint_notes",
                      "complaint_intake"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
        conn.execute(sa.text("DROP INDEX events_site_device"))
        server_db._hosts_v1.create(conn)
        conn.execute(sa.text("UPDATE schema_version SET version = 1"))
    db.close()
    db = Database(db_url)
    try:
        with db.read() as conn:
            assert conn.execute(sa.select(projections.c.site, projections.c.server_seq)).all() == [("hq", 1)]
        assert _visit_state(db, visit) == "waiting"
        store.replace_hosts(db, [Host("a1", "李四", aliases=("小李",), language="zh_CN")])
        assert store.all_hosts(db)[0].aliases == ("小李",)
        key = store.signer(db, "hq", now()).private_bytes_raw()  # version 4: the server's own keys, made once
        assert [k["device"] for k in store.site_keys(db, "hq")] == ["server"]
        assert store.signer(db, "hq", now()).private_bytes_raw() == key
        assert store.get_watchlist(db) is None  # version 5: a watchlist, none uploaded yet
    finally:
        db.close()


def test_a_restarted_server_keeps_its_data_and_tokens(server, db_url):
    token = server.device("hq", "kiosk-a")
    batch = [event(seq=1), event(seq=2)]
    Api(server, token).ok("post", "/events", json={"events": batch})
    server.stop()
    again = start_server(db_url, admin_name=None)
    try:
        kiosk = Api(again, token)
        assert kiosk.ok("get", "/events")["events"] == batch
        assert kiosk.ok("post", "/events", json={"events": batch})["known"] == [e["event_id"] for e in batch]
    finally:
        again.stop()


def test_a_database_from_a_newer_server_is_refused(db_url):
    db = Database(db_url)
    with db.write() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = 99"))
    db.close()
    with pytest.raises(DatabaseError, match="schema version 99, newer"):
        Database(db_url)


def test_the_sqlite_file_is_durable(tmp_path):
    db = Database(str(tmp_path / "s.sqlite3"))
    with db.read() as conn:
        pragmas = [conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in ("journal_mode", "synchronous",
                                                                           "foreign_keys")]
    assert pragmas == ["wal", 2, 1]  # 2: FULL


# -- the kiosk-server command ------------------------------------------------------------------

def test_cli_manages_devices_hosts_and_exports(db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KIOSK_SERVER_DB", db_url)
    assert main(["add-device", "--site", "hq", "--name", "kiosk-a", "--role", "reception"]) == 0
    token = capsys.readouterr().out
    assert token.endswith("\n") and len(token.strip()) == 43 and "\n" not in token.strip()
    assert main(["add-admin", "--name", "ops"]) == 0
    assert len(capsys.readouterr().out.strip()) == 43
    db = Database(db_url)
    assert auth.authenticate(db, token.strip()) == auth.Device("hq", "kiosk-a", "reception")
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("姓名,部门,邮箱\n李四,研发部,lisi@example.com\n王芳,财务部,\n", encoding="gb18030")
    assert main(["hosts", "import", str(hosts)]) == 0
    assert "2" in capsys.readouterr().out
    out = tmp_path / "visits.csv"
    assert main(["export", "--format", "csv", "--output", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfsite,visit_id")
    assert main(["export", "--format", "json", "--site", "hq"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["revoke-device", "--site", "hq", "--name", "kiosk-a"]) == 0
    with pytest.raises(Unauthorized, match="revoked"):
        auth.authenticate(db, token.strip())
    db.close()


def test_cli_imports_and_lists_hosts_without_secrets_or_phones(db_url, tmp_path, capsys):
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("姓名,部门,邮箱,电话,英文名,别名,语言,通知渠道\n"
                     f"李四,研发部,lisi@example.com,13800000001,Li Si,小李、Lisa,繁體,{SMTP_CHANNEL} {DINGTALK_CHANNEL}\n"
                     "王芳,财务部,,,,,,\n", encoding="gb18030")
    assert main(["--db", db_url, "hosts", "import", str(hosts)]) == 0
    assert capsys.readouterr().out == "2 hosts imported\n"
    db = Database(db_url)
    try:
        lisi = next(h for h in store.all_hosts(db) if h.name == "李四")
    finally:
        db.close()
    assert (lisi.english_name, lisi.aliases, lisi.language, lisi.channels) == (
        "Li Si", ("小李", "Lisa"), "zh_TW", (SMTP_CHANNEL, DINGTALK_CHANNEL))
    assert main(["--db", db_url, "hosts", "list"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["host_id", "name", "english_name", "department", "email", "language", "aliases",
                                   "channels"]
    assert sorted(rows) == sorted([
        f"{lisi.host_id}\t李四\tLi Si\t研发部\tlisi@example.com\tzh_TW\t小李; Lisa\t"
        "email mail.example.com:587; dingtalk oapi.dingtalk.com",
        f"{host_id_for('王芳', '财务部', '', '')}\t王芳\t\t财务部\t\t\t\t"])
    # A second import replaces the directory whole.
    hosts.write_text("name\n赵六\n", encoding="utf-8")
    assert main(["--db", db_url, "hosts", "import", str(hosts)]) == 0 and main(["--db", db_url, "hosts", "list"]) == 0
    assert [line.split("\t")[1] for line in capsys.readouterr().out.splitlines()[2:]] == ["赵六"]


def test_cli_errors_are_one_line_and_exit_1(db_url, tmp_path, capsys):
    assert main(["--db", db_url, "revoke-device", "--site", "hq", "--name", "ghost"]) == 1
    assert capsys.readouterr().err.strip() == "kiosk-server: no device hq/ghost"
    assert main(["--db", db_url, "add-device", "--site", "h q", "--name", "x"]) == 1
    assert "site" in capsys.readouterr().err
    assert main(["--db", db_url, "hosts", "import", str(tmp_path / "missing.csv")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["--db", "mysql://x/y", "export"]) == 1
    with pytest.raises(SystemExit) as usage:
        main(["--db", db_url, "add-device", "--site", "hq"])
    assert usage.value.code == 2


def test_kiosk_server_serve_logs_requests_but_never_tokens(db_url):
    db = Database(db_url)
    token = auth.add_device(db, "hq", "kiosk-a", "visitor", now())
    db.close()
    served = ServerProcess(db_url)
    try:
        pushed = requests.post(served.url + "/v1/events", json={"events": [event()]}, timeout=30,
                               headers={"Authorization": f"Bearer {token}"})
        assert pushed.status_code == 200, pushed.text
    finally:
        served.stop()
    log = served.output()
    assert '"POST /v1/events HTTP/1.1" 200' in log and token not in log


def test_cli_serve_refuses_a_newer_database(db_url, capsys):
    db = Database(db_url)
    with db.write() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = 99"))
    db.close()
    assert main(["--db", db_url, "serve", "--port", "0"]) == 1
    assert "newer than this kiosk-server" in capsys.readouterr().err


def test_only_one_of_two_threads_registers_a_name(server):
    barrier = threading.Barrier(2)
    results = []

    def register():
        barrier.wait()
        results.append(Api(server, server.admin).post("/devices", json={"site": "hq", "name": "twin"}).status_code)

    threads = [threading.Thread(target=register) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
