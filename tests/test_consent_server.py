"""Consent events against the real server (SQLite and PostgreSQL), as an attacker holding one
device token would try them: an exit post may not record anyone's consent (the push is refused
whole, 403), and a malformed consent from a visitor kiosk is refused alone, the rest of its push
stored; either way the site's sync, roll call and reception list are unaffected. An honest one
is stored, folded onto its visit and pulled by every device."""

from __future__ import annotations

from kiosk.core import consent
from kiosk.core.tokens import new_visit_id
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_server import Api, event

NOTICE = consent.record(consent.NOTICE, True, by=consent.START, lang="zh_CN", at=1_000,
                        notice=consent.Notice("2026-12-07", "s", "t", "zh_CN"))


def on_site(server, token) -> list[str]:
    return [v["visit_id"] for v in Api(server, token).ok("get", "/visits", params={"on_site": "true"})["visits"]]


def test_an_exit_post_cannot_record_consent_and_the_site_goes_on(server):
    kiosk = Api(server, server.device("hq", "kiosk-a"))
    visit_id = new_visit_id()
    kiosk.ok("post", "/events", json={"events": [event(seq=1, visit_id=visit_id),
                                                 event(seq=2, visit_id=visit_id, kind="consent", data=NOTICE)]})
    exit_token = server.device("hq", "exit-1", "exit")
    forged = event(seq=1, site="hq", device="exit-1", visit_id=visit_id, kind="consent",
                   data={**NOTICE, "version": "forged"})
    answer = Api(server, exit_token).post("/events", json={"events": [forged]})
    assert answer.status_code == 403 and "may not write consent events" in answer.json()["error"]
    reception = server.device("hq", "desk-1", "reception")
    assert on_site(server, reception) == [visit_id]
    pulled = Api(server, reception).ok("get", "/events", params={"after": 0})["events"]
    assert [e["data"].get("version") for e in pulled if e["kind"] == "consent"] == ["2026-12-07"]


def test_a_malformed_consent_is_refused_alone(server):
    kiosk = Api(server, server.device("hq", "kiosk-a"))
    visit_id = new_visit_id()
    good = event(seq=1, visit_id=visit_id)
    bad = event(seq=2, visit_id=visit_id, kind="consent", data={"purpose": "notice", "given": "yes"})
    answer = kiosk.ok("post", "/events", json={"events": [good, bad]})
    assert answer["accepted"] == [good["event_id"]]
    [refused] = answer["refused"]
    assert refused["event_id"] == bad["event_id"] and "given must be true or false" in refused["reason"]
    assert on_site(server, server.device("hq", "desk-1", "reception")) == [visit_id]
