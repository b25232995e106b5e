"""``kiosk-server person find|export`` against the real server on SQLite and PostgreSQL: visits
pushed by devices of two sites over HTTP, then one person found by phone (with or without the
country code) or by name and company across both sites, and exported for them as JSON with the
privacy notice they accepted (its version) and each visit's history; no output holds the whole
phone number."""

from __future__ import annotations

import json
import os

from kiosk.core import consent
from kiosk.core.tokens import new_visit_id
from sync.server.cli import main
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_server import Api, event

PHONE, OTHER_PHONE = "13812345678", "13987654321"
ANSWERS_ID = "110101199001011234"


def signed_in(name, company, phone, **extra):
    return {"visitor": {"name": name, "company": company, "phone": phone, "purpose": f"回电 {phone}"},
            "host": {"host_id": "h1", "name": "李四", "department": "研发部"}, "lang": "zh_CN", **extra}


def visit_of(api, site, device, data, *, seq, notice=True):
    visit_id = new_visit_id()
    batch = [event(seq=seq, site=site, device=device, visit_id=visit_id, data=data)]
    if notice:
        batch.append(event(seq=seq + 1, site=site, device=device, visit_id=visit_id, kind="consent",
                           data={"purpose": "notice", "given": True, "by": "start", "version": "2026-12-07",
                                 "digest": "0123456789abcdef", "lang": "zh_CN", "at": 1_000}))
    assert api.ok("post", "/events", json={"events": batch})["accepted"] == [e["event_id"] for e in batch]
    return visit_id


def two_sites(server):
    hq = Api(server, server.device("hq", "kiosk-a"))
    sz = Api(server, server.device("sz", "desk-1", "reception"))
    mine = [visit_of(hq, "hq", "kiosk-a", signed_in("张三", "华为", PHONE, answers={"id_card": ANSWERS_ID}), seq=1),
            visit_of(sz, "sz", "desk-1", signed_in("张三", "华为", "+86" + PHONE), seq=1),
            visit_of(hq, "hq", "kiosk-a", signed_in("Zhang  San", "Huawei", PHONE), seq=3, notice=False)]
    visit_of(hq, "hq", "kiosk-a", signed_in("张三", "腾讯", OTHER_PHONE), seq=5)  # another 张三
    return mine


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_find_by_phone_reaches_every_site_and_shows_it_masked(server, db_url, capsys):
    mine = two_sites(server)
    code, out, err = run(capsys, "--db", db_url, "person", "find", "--phone", "+86 138-1234-5678", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert sorted(v["visit_id"] for v in found) == sorted(mine)
    assert {v["site"] for v in found} == {"hq", "sz"}
    assert {v["phone"] for v in found} == {"138****5678", "861******5678"}
    assert PHONE not in out + err and "3 visits of phone 861******5678" in err

    code, out, err = run(capsys, "--db", db_url, "person", "find", "--phone", PHONE, "--site", "sz")
    assert code == 0 and out.count("\n") == 2 and PHONE not in out  # the header and sz's visit


def test_find_by_name_and_company_as_typed_case_and_spaces_aside(server, db_url, capsys):
    mine = two_sites(server)
    code, out, _ = run(capsys, "--db", db_url, "person", "find", "--name", "张三", "--company", "华为", "--json")
    assert sorted(v["visit_id"] for v in json.loads(out)) == sorted(mine[:2])  # not 腾讯's 张三
    code, out, _ = run(capsys, "--db", db_url, "person", "find", "--name", "zhang san", "--company", "HUAWEI", "--json")
    assert [v["visit_id"] for v in json.loads(out)] == [mine[2]]


def test_export_for_the_person_holds_their_visits_notice_and_history_never_the_whole_number(
        server, db_url, capsys, tmp_path):
    mine = two_sites(server)
    path = tmp_path / "zhang.json"
    code, out, err = run(capsys, "--db", db_url, "person", "export", "--phone", PHONE, "--output", str(path))
    assert code == 0, err
    assert os.stat(path).st_mode & 0o777 == 0o600
    raw = path.read_text(encoding="utf-8")
    assert PHONE not in raw and ANSWERS_ID not in raw and PHONE not in out + err
    document = json.loads(raw)
    assert document["search"] == "phone 138****5678"
    by_id = {v["visit_id"]: v for v in document["visits"]}
    assert sorted(by_id) == sorted(mine)
    first = by_id[mine[0]]
    assert first["visitor"] == {"name": "张三", "company": "华为", "phone": "138****5678", "purpose": "回电 138****5678"}
    assert first["answers"] == {"id_card": "1101**********1234"}
    [notice] = first["consents"]
    assert (notice["purpose"], notice["given"], notice["version"]) == (consent.NOTICE, True, "2026-12-07")
    assert [h["event"] for h in first["history"]] == ["signed_in", "consent"]
    assert first["history"][1]["consent"]["version"] == "2026-12-07"
    assert by_id[mine[2]]["consents"] == []  # signed in before the notice: none recorded


def test_events_list_masks_what_it_shows(server, db_url, capsys):
    mine = two_sites(server)
    code, out, err = run(capsys, "--db", db_url, "events", "list", "--site", "hq", "--visit", mine[0])
    assert code == 0, err
    assert "138****5678" in out and "consent" in out
    assert PHONE not in out and ANSWERS_ID not in out


def test_a_search_must_say_whom(db_url, capsys):
    assert run(capsys, "--db", db_url, "person", "find")[2].strip() == \
        "kiosk-server: name whom to find: --phone NUMBER, or --name NAME [--company COMPANY]"
    code, _, err = run(capsys, "--db", db_url, "person", "find", "--phone", PHONE, "--name", "张三")
    assert code == 1 and "not both" in err
    code, _, err = run(capsys, "--db", db_url, "person", "export", "--phone", "12ab")
    assert code == 1 and "phone" in err
