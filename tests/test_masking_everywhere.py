"""No whole phone number or ID number in any list, export or page (kiosk.core.masking): a real
kiosk signs a contractor in (their number also typed into the purpose, an ID number as their
permit, a message, a complaint) with the privacy notice accepted, syncs with the real server
(SQLite and PostgreSQL), and then every way out is searched: the host's approval page, the API's
visits and export, ``kiosk-server export``, ``events list`` and ``person find|export``, and the
device's own ``kiosk`` commands (onsite, roll call, checkout, quarantine). The notice's version
reached the server with the visit and is in its export."""

from __future__ import annotations

import json
import time

import requests

from kiosk.core import consent
from kiosk.store import quarantine
from kiosk.store.outbox import OutboxTable
from sync.server import store
from sync.server.cli import main
from tests.conftest import KioskCommand
from tests.server_fixtures import db_url, pg_url, server  # noqa: F401
from tests.test_approvals_server import CONTRACTOR, LISI, Device

PHONE, ID_NUMBER = "13812345678", "110101199001011234"
NOTICE = consent.record(consent.NOTICE, True, by=consent.START, lang="zh_CN", at=1_000,
                        notice=consent.Notice("2026-12-07", "s", "t", "zh_CN"))


def no_number(where: str, text: str) -> None:
    assert PHONE not in text and ID_NUMBER not in text, f"{where}: {text[:2000]}"


def test_nothing_the_server_shows_or_exports_holds_a_whole_number(server, db_url, tmp_path, capsys):
    device = Device(tmp_path, server)
    answers = {**CONTRACTOR["answers"], "permit": ID_NUMBER}
    visit = device.kiosk.check_in(name="王芳", company="竞品科技", phone=PHONE, purpose=f"维修 回电{PHONE}", host=LISI,
                                  visitor_type="contractor", answers=answers, consents=[NOTICE]).visit
    device.kiosk.leave_message(visit.visit_id, f"请打 {PHONE}")
    [pending] = [n for n in OutboxTable(device.kiosk.log.db).due(device.kiosk.clock()) if n.notice.link]
    device.syncer.sync_once()
    stored = store.get_visit(server.app.state.db, "hq", visit.visit_id)
    assert stored is not None and consent.accepted_notice(stored.consents)["version"] == "2026-12-07"

    approval = requests.get(pending.notice.link, timeout=30)
    assert approval.status_code == 200 and "维修 回电138****5678" in approval.text
    no_number("approval page", approval.text)
    admin = server.headers(server.admin)
    for fmt in ("csv", "json"):
        exported = requests.get(server.url + "/v1/export", params={"format": fmt}, headers=admin, timeout=30)
        assert exported.status_code == 200 and "2026-12-07" in exported.text  # the notice's version
        no_number(f"GET /v1/export {fmt}", exported.text)
    reception = server.headers(server.device("hq", "desk-1", "reception"))
    listed = requests.get(server.url + "/v1/visits", headers=reception, timeout=30)
    assert listed.status_code == 200 and "王芳" in listed.text
    no_number("GET /v1/visits", listed.text)

    commands = [["export", "--format", "csv"], ["export", "--format", "json"],
                ["events", "list", "--site", "hq", "--visit", visit.visit_id],
                ["person", "find", "--phone", PHONE], ["person", "find", "--name", "王芳", "--json"],
                ["person", "export", "--phone", PHONE]]
    for args in commands:
        assert main(["--db", db_url, *args]) == 0, args
        out = capsys.readouterr()
        assert "王芳" in out.out or "138****5678" in out.out, args  # the visit is there (events list: cut at 200)
        no_number(" ".join(args), out.out + out.err)


def test_no_kiosk_command_prints_a_whole_number(tmp_path):
    kiosk = KioskCommand(tmp_path / "data")
    checked_in = kiosk.json("checkin", "--name", "张三", "--host", "李四", "--phone", PHONE,
                            "--purpose", f"回电 {PHONE}")
    outputs = {"checkin": json.dumps(checked_in, ensure_ascii=False)}
    for args in (["onsite"], ["onsite", "--json"], ["roll-call"], ["roll-call", "--json"]):
        done = kiosk(*args)
        outputs[" ".join(args)] = done.stdout + done.stderr
    # An event set aside by sync, as it arrived, with the number in it.
    from kiosk.services import Kiosk
    from kiosk.settings import Settings
    from printer.device import PreviewPrinter

    local = Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="kiosk-a"),
                       PreviewPrinter(tmp_path / "paper"))
    with local.log.db.write() as conn:
        quarantine.add(conn, {"event_id": "e" * 32, "kind": "signed_in", "visit_id": "A" * 16, "ts": 1,
                              "data": {"visitor": {"name": "李四", "phone": PHONE}, "answers": {"id": ID_NUMBER}}},
                       "a test's reason", int(time.time() * 1000))
    for args in (["quarantine"], ["quarantine", "--json"]):
        done = kiosk(*args)
        assert "a test's reason" in done.stdout
        outputs[" ".join(args)] = done.stdout + done.stderr
    assert "138****5678" in outputs["quarantine --json"]
    done = kiosk("checkout", "--scan", checked_in["badge"], "--json")
    outputs["checkout"] = done.stdout + done.stderr
    for where, text in outputs.items():
        assert "张三" in text or "李四" in text or where == "quarantine", where  # the visit is there
        no_number(where, text)
