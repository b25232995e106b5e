"""The entry policy at sign-in: the watchlist blocks or asks for approval, visitor types bring
their own questions and badge hours, opening hours come from the policy file. Real SQLite, a
real HTTP receiver for the alerts; the clock is the test's."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.core.visits import AWAITING_APPROVAL, BLOCKED, DENIED, WAITING
from kiosk.core.watchlist import APPROVE, BLOCK, WatchEntry
from kiosk.entry import load_policy
from kiosk.errors import KioskError, SettingsError, ValidationError, VisitorBlocked
from kiosk.notifier import Notifier
from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import PreviewPrinter
from tests.notify_fixtures import ALLOW_LOCAL_HTTP, Reply, http_receiver  # noqa: F401

LISI = Host("a1b2c3d4e5f6", "李四", "研发部", "lisi@example.com", "13800000001")
WATCHLIST = [WatchEntry("w1", "张伟", aliases=("Zhang Wei",), action=BLOCK, note="2024 年盗窃"),
             WatchEntry("w2", "王芳", company="竞品科技有限公司", action=APPROVE, note="竞争对手")]


class Clock:
    def __init__(self, when: datetime):
        self.ms = int(when.astimezone().timestamp() * 1000)

    def __call__(self) -> int:
        return self.ms


def open_kiosk(tmp_path, when=datetime(2026, 12, 1, 10, 0), **settings) -> Kiosk:
    configured = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1",
                          **{"allow_plain_http": ALLOW_LOCAL_HTTP, **settings})
    kiosk = Kiosk.open(configured, PreviewPrinter(tmp_path / "previews"), Clock(when))
    kiosk.entry.replace_watchlist(WATCHLIST)
    return kiosk


def printed(tmp_path) -> list:
    return sorted((tmp_path / "previews").glob("*.png")) if (tmp_path / "previews").exists() else []


@pytest.mark.parametrize("name", ["张伟", "張偉", "Zhang Wei", "zhangwei", "Wei Zhang", "ZHANG-WEI"])
def test_a_blocked_name_is_stopped_however_it_is_written(tmp_path, name, http_receiver):
    kiosk = open_kiosk(tmp_path, webhook=f"webhook+{http_receiver.url}/security")
    with pytest.raises(VisitorBlocked) as refused:
        kiosk.check_in(name=name, host=LISI)
    assert str(refused.value) == "please see reception"  # nothing about the list for the visitor
    [(_, blocked)] = kiosk.log.own_events_after(0, 10)
    visit = kiosk.log.visit(blocked.visit_id)
    assert blocked.kind == ev.BLOCKED and visit.state == BLOCKED and not visit.on_site
    assert visit.current_badge is None and not printed(tmp_path)
    assert visit.watchlist[0]["entry_id"] == "w1" and visit.watchlist[0]["note"] == "2024 年盗窃"
    Notifier(kiosk, clock=lambda: kiosk.clock() / 1000).deliver_due()
    [alert] = http_receiver.hits
    assert alert.json()["kind"] == "alert" and alert.json()["visitor"]["name"] == name


def test_a_near_spelling_of_a_blocked_name_asks_for_approval(tmp_path):
    kiosk = open_kiosk(tmp_path)
    result = kiosk.check_in(name="zhang wie", host=LISI)
    assert result.visit.state == AWAITING_APPROVAL and not result.badge
    assert result.visit.reasons == ("watchlist_near",)


def test_an_approval_entry_waits_for_reception_then_prints(tmp_path):
    kiosk = open_kiosk(tmp_path, role="reception")
    result = kiosk.check_in(name="王芳", company="竞品科技", host=LISI)
    visit = result.visit
    assert visit.state == AWAITING_APPROVAL and result.badge == "" and not printed(tmp_path)
    assert [e.kind for e in kiosk.log.events(visit.visit_id)] == [ev.SIGNED_IN, ev.APPROVAL_REQUESTED]
    with pytest.raises(KioskError):
        kiosk.issue_badge(visit.visit_id)  # not before the decision
    kiosk.decide(visit.visit_id, approve=True, by="前台")
    badge = kiosk.issue_badge(visit.visit_id)
    assert badge.printed and kiosk.log.visit(visit.visit_id).state == WAITING
    assert kiosk.verdict(badge.badge).ok
    assert len(printed(tmp_path)) == 1


def test_a_denied_visit_never_gets_a_badge(tmp_path):
    kiosk = open_kiosk(tmp_path, role="reception")
    visit = kiosk.check_in(name="王芳", company="竞品科技", host=LISI).visit
    kiosk.decide(visit.visit_id, approve=False, by="前台", note="不接待")
    assert kiosk.log.visit(visit.visit_id).state == DENIED
    with pytest.raises(KioskError):
        kiosk.issue_badge(visit.visit_id)


def test_the_host_is_asked_to_approve_on_their_own_channels_only(tmp_path, http_receiver):
    http_receiver.default = Reply(200, b"ok")
    kiosk = open_kiosk(tmp_path, notify=f"slack+{http_receiver.url}/group")
    host = replace(LISI, channels=(f"slack+{http_receiver.url}/lisi",))
    kiosk.check_in(name="赵六", host=host, visitor_type="contractor",
                   answers={"work_area": "3F", "permit": "1", "tools": "no"})
    kiosk.check_in(name="王芳", company="竞品科技", host=host)  # the watchlist: reception's to judge, no link
    Notifier(kiosk, clock=lambda: kiosk.clock() / 1000).deliver_due()
    asked = [h for h in http_receiver.hits if "审批" in h.json()["text"]]
    assert [h.path for h in asked] == ["/lisi"] and "赵六" in asked[0].json()["text"]  # never the group


def test_the_host_s_approval_notice_holds_the_contractor_s_answers_in_their_language(tmp_path, http_receiver):
    http_receiver.default = Reply(200, b"ok")
    kiosk = open_kiosk(tmp_path)
    host = replace(LISI, language="en", channels=(f"slack+{http_receiver.url}/lisi",))
    kiosk.check_in(name="赵六", host=host, visitor_type="contractor",
                   answers={"work_area": "3F 机房", "permit": "P-2026-17", "tools": "yes"})
    Notifier(kiosk, clock=lambda: kiosk.clock() / 1000).deliver_due()
    [asked] = http_receiver.hits
    lines = asked.json()["text"].split("\n")
    assert {"Visitor type: Contractor", "Work area: 3F 机房", "Permit number: P-2026-17",
            "Do you carry tools: Yes"} <= set(lines)


def test_visitor_types_bring_their_questions_and_badge_hours(tmp_path):
    kiosk = open_kiosk(tmp_path)
    with pytest.raises(ValidationError, match="recipient"):
        kiosk.check_in(name="快递员", host=LISI, visitor_type="delivery", answers={})
    result = kiosk.check_in(name="快递员", host=LISI, visitor_type="delivery",
                            answers={"recipient": "李四", "parcels": "2"})
    badge = result.visit.current_badge
    assert badge.expires_at - badge.issued_at == 3_600_000  # a delivery's badge lasts an hour
    assert result.visit.visitor_type == "delivery" and result.visit.answers == {"recipient": "李四", "parcels": "2"}
    contractor = kiosk.check_in(name="赵六", host=LISI, visitor_type="contractor",
                                answers={"work_area": "3F 机房", "permit": "P-1", "tools": "yes"})
    assert contractor.visit.state == AWAITING_APPROVAL and contractor.visit.reasons == ("type_needs_approval",)


def test_the_policy_file_sets_opening_hours(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[types]]\nkey = "guest"\nlabels = { zh_CN = "访客", zh_TW = "訪客", en = "Guest" }\n\n'
                      '[hours]\nmon = [["08:00", "18:00"]]\ntue = [["08:00", "18:00"]]\nafter_hours = "block"\n',
                      encoding="utf-8")
    evening = open_kiosk(tmp_path / "a", when=datetime(2026, 12, 1, 19, 30), policy=str(policy))  # a Tuesday
    with pytest.raises(VisitorBlocked):
        evening.check_in(name="李雷", host=LISI)
    morning = open_kiosk(tmp_path / "b", when=datetime(2026, 12, 1, 9, 0), policy=str(policy))
    assert morning.check_in(name="李雷", host=LISI).printed


def test_a_bad_policy_file_stops_the_start(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[types]]\nkey = "Guest!"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="policy"):
        open_kiosk(tmp_path, policy=str(policy))


def test_the_policy_example_in_the_readme_loads(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"A policy file .*?```toml\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "policy.toml").write_text(example, encoding="utf-8")
    policy = load_policy(str(tmp_path / "policy.toml"))
    assert [t.key for t in policy.types] == ["guest", "contractor"] and policy.types[1].needs_approval


def test_the_cli_says_a_visit_awaits_approval(kiosk_cmd, tmp_path):
    listed = tmp_path / "watchlist.csv"
    listed.write_text("name,action,note\n王芳,approve,竞争对手\n张伟,block,\n", encoding="utf-8")
    kiosk_cmd("watchlist", "import", str(listed), check=0)
    waiting = kiosk_cmd.json("checkin", "--name", "王芳", "--host", "李四", check=5)
    assert waiting["awaiting_approval"] and waiting["badge"] is None and waiting["reasons"] == ["watchlist_approve"]
    refused = kiosk_cmd("checkin", "--name", "Zhang Wei", "--host", "李四", check=1)
    assert "please see reception" in refused.stderr and "张伟" not in refused.stderr + refused.stdout


def test_a_visitor_who_left_while_waiting_for_approval_can_be_signed_out(tmp_path):
    kiosk = open_kiosk(tmp_path)
    waited = kiosk.check_in(name="王芳", company="竞品科技", host=LISI).visit
    gone = kiosk.check_in(name="王芳", company="竞品科技", host=LISI).visit
    assert kiosk.count_in_building() == 2
    kiosk.sign_out_by_hand(waited.visit_id, "left without waiting")
    assert [v.visit_id for v in kiosk.auto_sign_out(kiosk.clock() + 1)] == [gone.visit_id]
    assert kiosk.count_in_building() == 0


def test_a_visit_blocked_for_the_hours_alone_alarms_nobody(tmp_path, http_receiver):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[types]]\nkey = "guest"\nlabels = { zh_CN = "访客", zh_TW = "訪客", en = "Guest" }\n\n'
                      '[hours]\nafter_hours = "block"\n', encoding="utf-8")
    kiosk = open_kiosk(tmp_path, policy=str(policy), webhook=f"webhook+{http_receiver.url}/security")
    with pytest.raises(VisitorBlocked):
        kiosk.check_in(name="李雷", host=LISI)
    Notifier(kiosk, clock=lambda: kiosk.clock() / 1000).deliver_due()
    assert not http_receiver.hits


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_badge_names_the_visitor_type_for_the_guard(tmp_path, monkeypatch, lang):
    from PIL import ImageDraw

    drawn = []
    original = ImageDraw.ImageDraw.text
    monkeypatch.setattr(ImageDraw.ImageDraw, "text",
                        lambda self, xy, text, *a, **k: (drawn.append(text), original(self, xy, text, *a, **k)))
    kiosk = open_kiosk(tmp_path)
    kiosk.check_in(name="快递员", host=LISI, visitor_type="delivery", lang=lang,
                   answers={"recipient": "李四", "parcels": "2"})
    assert "送货 DELIVERY" in drawn and "访客 VISITOR" not in drawn
    assert ("被访人" in drawn) and ("Host" in drawn)


def test_a_visitor_type_that_needs_an_escort_says_so_on_the_badge(tmp_path, monkeypatch):
    from PIL import ImageDraw

    drawn = []
    original = ImageDraw.ImageDraw.text
    monkeypatch.setattr(ImageDraw.ImageDraw, "text",
                        lambda self, xy, text, *a, **k: (drawn.append(text), original(self, xy, text, *a, **k)))
    policy = tmp_path / "policy.toml"
    policy.write_text('[[types]]\nkey = "guest"\nlabels = { zh_CN = "访客", zh_TW = "訪客", en = "Guest" }\n\n'
                      '[[types]]\nkey = "auditor"\nlabels = { zh_CN = "审计", zh_TW = "審計", en = "Auditor" }\n'
                      'needs_escort = true\n\n[hours]\nafter_hours = "allow"\n', encoding="utf-8")
    kiosk = open_kiosk(tmp_path, policy=str(policy))
    kiosk.check_in(name="李雷", host=LISI)
    assert "访客 VISITOR" in drawn and not any("ESCORT" in text for text in drawn)
    drawn.clear()
    kiosk.check_in(name="韩梅梅", host=LISI, visitor_type="auditor")
    assert "审计 AUDITOR" in drawn and "需陪同 ESCORT REQUIRED" in drawn


def test_needs_escort_must_be_true_or_false(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[types]]\nkey = "guest"\nlabels = { zh_CN = "访客", zh_TW = "訪客", en = "Guest" }\n'
                      'needs_escort = "yes"\n\n[hours]\nafter_hours = "allow"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="needs_escort"):
        open_kiosk(tmp_path, policy=str(policy))
