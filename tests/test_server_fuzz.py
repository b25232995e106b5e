"""Property-based fuzzing of the running server from its own OpenAPI document (schemathesis):
for every operation, requests that follow the document and requests that break it (wrong types,
missing and unknown fields, out-of-range values) must get a documented answer, never a 5xx.

Admin operations are called with an admin token, the rest with a device token. Pushed events
that follow the document are given this device's identity and a current clock, so that random
payloads reach the fold and the database too, not only the validation layer.
"""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation

from kiosk.core import roles
from kiosk.core.events import Event, new_id
from kiosk.core.visits import fold
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401

ADMIN_OPERATIONS = {("PUT", "/v1/hosts"), ("GET", "/v1/export"), ("POST", "/v1/devices"),
                    ("DELETE", "/v1/devices/{site}/{name}")}
KINDS = sorted(roles.WRITES["reception"])  # the kinds the fuzzing (reception) device may write
EXAMPLES = 40  # per operation and generation mode: the file stays within about a minute


@pytest.fixture
def api_schema(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


@pytest.fixture
def tokens(server):
    return {"device": server.device("hq", "kiosk-a", "reception"), "admin": server.admin}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_input_makes_the_server_fail(case, server, tokens):
    who = "admin" if (case.method.upper(), case.path) in ADMIN_OPERATIONS else "device"
    _as_this_device(case)
    # A case whose headers break the document (no Authorization, say) goes as generated.
    token = {} if case.meta.is_negative_at(ParameterLocation.HEADER) else {"Authorization": f"Bearer {tokens[who]}"}
    case.call_and_validate(headers=token,
                           checks=[checks.not_a_server_error, checks.status_code_conformance,
                                   checks.content_type_conformance, checks.response_schema_conformance,
                                   checks.negative_data_rejection])
    assert not server.errors, server.errors


def _as_this_device(case) -> None:
    """In pushes that follow the document, give the events this device's identity, a current
    clock and kinds the fold reads, so that random payloads get past the identity and clock
    checks to the fold and the database. (Requests that break the document go as generated.)"""
    if case.path != "/v1/events" or case.method.upper() != "POST" or case.meta.generation.mode.is_negative:
        return
    for index, event in enumerate(case.body["events"]):
        event.update(site="hq", device="kiosk-a", ts=time.time_ns() // 1_000_000, kind=KINDS[index % len(KINDS)])


# -- hostile payloads through the fold ---------------------------------------------------------

_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(st.characters(exclude_categories=()), max_size=12))  # surrogates and NUL too
_junk = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                            max_size=3), max_leaves=12)


def _mostly(good):
    """Mostly what the fold expects, sometimes anything at all."""
    return st.one_of(good, good, _junk)


_badge = _mostly(st.sampled_from(["AAAAAAAA", "BBBBBBBB"]))
_person = _mostly(st.fixed_dictionaries({"name": _mostly(st.text(max_size=8))},
                                        optional={"company": _junk, "department": _junk, "phone": _junk}))
# Every key the fold reads, so that wrong types meet the code that reads them.
_payloads = st.fixed_dictionaries(
    {"badge_id": _badge, "issued_at": _mostly(st.integers(0, 2**40)), "expires_at": _mostly(st.integers(0, 2**40))},
    optional={"visitor": _person, "host": _person, "replaces": _badge, "rating": _mostly(st.integers(1, 5)),
              "by": _mostly(st.just("scan")), "lang": _junk, "needs_approval": _junk, "reason": _junk, "x": _junk})
_visits = ["AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCC"]  # few, so events of one visit meet


@st.composite
def _batches(draw) -> list[dict]:
    return [{"site": "hq", "device": "kiosk-a", "seq": draw(st.integers(0, 99)),
             "ts": time.time_ns() // 1_000_000 - draw(st.integers(0, 10**9)), "kind": draw(st.sampled_from(KINDS)),
             "visit_id": draw(st.sampled_from(_visits)), "data": draw(_payloads)}
            for _ in range(draw(st.integers(1, 3)))]


@given(batch=_batches())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
def test_hostile_payloads_never_break_the_fold(server, tokens, batch):
    """Whatever a device puts in its events' data, a push is stored (but for the events refused
    one by one) or refused with a 4xx, and the visits the server answers with stay the fold of the events it hands out."""
    kiosk = {"Authorization": f"Bearer {tokens['device']}"}
    for event in batch:  # fresh ids: hypothesis would repeat its own across examples
        event["event_id"] = new_id()
    pushed = requests.post(server.url + "/v1/events", json={"events": batch}, headers=kiosk, timeout=30)
    assert pushed.status_code in (200, 409, 422), pushed.text
    events = requests.get(server.url + "/v1/events", headers=kiosk, timeout=30).json()["events"]
    by_visit: dict[str, list[Event]] = {}
    for raw in events:
        by_visit.setdefault(raw["visit_id"], []).append(Event.from_dict(raw))
    answered = requests.get(server.url + "/v1/visits", headers=kiosk, timeout=30).json()["visits"]
    assert {v["visit_id"]: v["state"] for v in answered} == {v: fold(e).state for v, e in by_visit.items()}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    for fmt in ("json", "csv"):
        exported = requests.get(server.url + "/v1/export", params={"format": fmt}, headers=admin, timeout=30)
        assert exported.status_code == 200, exported.text
    assert not server.errors, server.errors
