"""Every kind of visitor, end to end by touches on the real touchscreen, to a badge on the
virtual printer whose QR verifies: first-time visitors in each language, a returning visitor,
an invited one and a contractor with questions. What each did and saw is the driver's record,
which tests/bench/bench_visit_time.py turns into a Keystroke-Level Model estimate (it runs this
file with KIOSK_KLM_RECORD set to a JSON file to append the records to)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import zxingcpp

from kiosk.core import events as ev
from kiosk.ui.flow import load_agreement
from kiosk.ui.i18n import day_text, tr
from tests.test_invitation_checkin import invitation
from tests.ui.test_invitation_scan import trusting_kiosk
from tests.ui.driver import reception_desk
from tests.ui.test_visitor_flow import HOSTS, SIGNATURE

# name, its pinyin, company, its pinyin, host search, host shown: per language
FIRST_TIME = {"zh_CN": ("王小明", "wang xiao ming", "华为", "hua wei", "ls", "李四   研发部"),
              "zh_TW": ("王小明", "wang xiao ming", "華為", "hua wei", "ls", "李四   研发部"),
              "en": ("tom baker", "", "acme", "", "ali", "Alice Smith   Sales")}
LANGUAGE_BUTTON = {"zh_TW": "繁體中文", "en": "English"}


def save_record(persona: str, d) -> None:
    path = os.environ.get("KIOSK_KLM_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"persona": persona, "lang": d.app.flow.form.lang, "record": d.record},
                                ensure_ascii=False) + "\n")


def next_button(d):
    return d.find(tr("Next") + "  ›")


def type_answer(d, text: str, pinyin: str, *, next_commits: bool = False) -> None:
    """As a visitor types: Latin letters as they are; Chinese as the pinyin of each syllable,
    taking the longest candidate that starts what is still to type. With ``next_commits`` (the
    answer's Next is tapped right after) a first candidate that is all that is left to type is
    not tapped: Next takes it (the driver records the visitor's look at it)."""
    if not pinyin:
        for word_number, word in enumerate(text.split(" ")):
            if word_number:
                d.tap(next(w for w in d.app.flow.keyboard.ids.rows.walk() if getattr(w, "key", None) == "space"))
            d.type_keys(word)
        return
    keyboard, left = d.app.flow.keyboard, text
    d.type_keys(pinyin.replace(" ", ""))
    while left:
        if next_commits and keyboard.candidates and keyboard.candidates[0] == left:
            return
        best = max((c for c in keyboard.candidates if left.startswith(c)), key=len, default=None)
        assert best, (left, keyboard.candidates)
        d.tap(next(w for w in keyboard.ids.choices.children if w.text == best))
        left = left[len(best):]


def badge_of(kiosk, virtual_printer, count: int = 1):
    jobs = virtual_printer.wait_for_jobs(count)
    [qr] = zxingcpp.read_barcodes(jobs[-1].image, formats=zxingcpp.BarcodeFormat.QRCode)
    verdict = kiosk.verdict(qr.text)
    assert verdict.ok
    return kiosk.log.visit(verdict.claims.visit_id)


def who(d, name: str, name_pinyin: str, company: str, company_pinyin: str) -> None:
    """Name and company on one screen: Next after each."""
    assert d.screen == "who" and d.current().active == "name"
    type_answer(d, name, name_pinyin, next_commits=True)
    d.tap(next_button(d))
    assert d.current().active == "company"
    type_answer(d, company, company_pinyin, next_commits=True)
    d.tap(next_button(d))
    assert d.screen == "visit", (d.current().message, d.current().active, d.texts())


def sign_and_print(d) -> None:
    assert d.screen == "agreement"
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    assert d.screen == "review"
    d.tap(tr("Print my badge"))


@pytest.mark.parametrize("lang", ["zh_CN", "zh_TW", "en"])
def test_a_first_time_visitor(lang, drive, make_kiosk, virtual_printer):
    name, name_pinyin, company, company_pinyin, search, host = FIRST_TIME[lang]
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    if lang in LANGUAGE_BUTTON:
        d.tap(LANGUAGE_BUTTON[lang])
    d.tap(tr("Sign in"))
    who(d, name, name_pinyin, company, company_pinyin)
    d.tap(tr("Meeting"))
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    d.type_keys(search)
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap(host)
    sign_and_print(d)
    d.wait_for(lambda: d.screen == "done", what="the badge")
    visit = badge_of(kiosk, virtual_printer)
    assert visit.visitor["name"].lower() == name.lower() and visit.visitor["company"] == company
    save_record(f"first visit {lang}", d)


def earlier_visit(kiosk, **agreement) -> str:
    """王小明's visit of some days ago, as this kiosk recorded it: a meeting with 李四, the
    agreement signed (or as ``agreement`` overrides it). Its visit id."""
    signed = {"version": load_agreement("zh_CN").version, "lang": "zh_CN", "signature": ["AAD/AA=="], **agreement}
    return kiosk.check_in(name="王小明", company="华为", phone="13912345678", host=HOSTS[0], purpose="会议",
                          agreement=signed).visit.visit_id


def test_a_returning_visitor(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    earlier = earlier_visit(kiosk)
    d = drive(kiosk)
    d.tap(tr("I have been here before"))
    assert d.screen == "phone"
    d.type_keys("13912345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who" and d.current().choices, what="the names to pick from")
    d.tap("王小明")  # their own among four (kiosk.core.recognise)
    # The name confirmed the earlier visit: its company, host and kind of visit are offered on
    # review, and the agreement signed then stands (agreement_valid_days): one line.
    assert d.screen == "review"
    assert {"华为", "李四   研发部", "会议", tr("Accepted on {date}").format(date=day_text(
        kiosk.log.visit(earlier).signed_in_at, "zh_CN"))} <= set(d.texts())
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    visit = badge_of(kiosk, virtual_printer, 2)
    assert (visit.visitor["name"], visit.visitor["company"], visit.host["name"]) == ("王小明", "华为", "李四")
    assert visit.visitor["purpose"] == "会议" and visit.visitor_type == "guest"
    agreement = next(e for e in kiosk.log.events(visit.visit_id) if e.kind == ev.SIGNED_IN).data["agreement"]
    assert agreement == {"version": load_agreement("zh_CN").version, "lang": "zh_CN", "signature": [],
                         "accepted_by": "earlier", "accepted_at": kiosk.log.visit(earlier).signed_in_at,
                         "accepted_visit": earlier}
    save_record("returning", d)


def test_an_invited_visitor(drive, make_kiosk, virtual_printer):
    kiosk = trusting_kiosk(make_kiosk)
    text = invitation(kiosk, host_id="", name="王小明", company="华为", purpose="商务洽谈")
    d = drive(kiosk)
    d.physical_keys(text, enter=True)
    d.wait_for(lambda: d.screen == "agreement", what="the agreement, straight after the scan")
    d.tap(tr("I agree, print my badge"))  # one tap: the invitation holds every answer
    d.wait_for(lambda: d.screen == "done", what="the badge")
    assert badge_of(kiosk, virtual_printer).visitor["name"] == "王小明"
    save_record("invited", d)


def test_a_contractor_with_questions(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    d.tap(tr("Sign in"))
    who(d, "赵六", "zhao liu", "华为", "hua wei")
    d.tap("施工人员")
    type_answer(d, "机房", "ji fang")
    d.tap(next_button(d))
    d.type_keys("2026")
    d.tap(next_button(d))
    d.tap(tr("No"))
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    d.type_keys("ls")
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap("李四   研发部")
    sign_and_print(d)
    d.wait_for(lambda: d.app.flow.screen("printing").state == "awaiting", what="the approval request")
    reception_desk(kiosk).decide(d.app.flow.last_check_in.visit.visit_id, approve=True, by="前台")
    d.wait_for(lambda: d.screen == "done", what="the badge after approval", timeout=20)
    visit = badge_of(kiosk, virtual_printer)
    assert visit.answers == {"work_area": "机房", "permit": "2026", "tools": "no"}
    save_record("contractor", d)
