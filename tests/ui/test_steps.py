"""The shorter sign-in on the touchscreen: the step counter is right on every path (first
visit, returning, invited, contractor with questions, approval), a tap on a review line edits
it and comes straight back, and "I do not agree" asks once before wiping what was entered."""

from __future__ import annotations

import re

from kiosk.ui.i18n import tr
from tests.test_invitation_checkin import invitation
from tests.ui.test_invitation_scan import trusting_kiosk
from tests.ui.test_personas import type_answer, who
from tests.ui.test_visitor_flow import HOSTS, SIGNATURE, next_button, sign_in_to_review


def counter(d) -> str:
    """The counter as the visitor reads it, on the screen shown."""
    steps = [t for t in d.screen_texts() if re.fullmatch(r"\d+ / \d+", t)]
    return steps[0] if steps else ""


def said(n: int, total: int) -> str:
    return tr("Step {n} of {total}").format(n=n, total=total)


def host_and_sign(d, counters: list[str]) -> None:
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    counters.append(counter(d))
    d.type_keys("ls")
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap("李四   研发部")
    counters.append(counter(d))
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    counters.append(counter(d))


def test_a_first_visit_counts_five_steps(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    d.tap(tr("Sign in"))
    counters = [counter(d)]
    who(d, "王小明", "wang xiao ming", "华为", "hua wei")
    counters.append(counter(d))
    d.tap(tr("Meeting"))
    host_and_sign(d, counters)
    assert counters == [said(n, 5) for n in range(1, 6)]
    assert d.screen == "review"


def test_a_returning_visitor_counts_the_phone_step(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    kiosk.check_in(name="王小明", company="华为", phone="13912345678", host=HOSTS[0])
    d = drive(kiosk)
    d.tap(tr("I have been here before"))
    counters = [counter(d)]
    d.type_keys("13912345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who")
    counters.append(counter(d))
    type_answer(d, "王小明", "wang xiao ming")
    d.tap(next_button(d))
    counters.append(counter(d))
    d.tap(tr("Meeting"))
    host_and_sign(d, counters)
    assert counters == [said(n, 6) for n in range(1, 7)]


def test_a_contractor_counts_each_question_and_the_approval_path(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    d.tap(tr("Sign in"))
    who(d, "赵六", "zhao liu", "华为", "hua wei")
    assert counter(d) == said(2, 5)  # before the choice, a guest's path
    d.tap("施工人员")
    counters = [counter(d)]  # three questions more: 8 steps
    type_answer(d, "机房", "ji fang")
    d.tap(next_button(d))
    counters.append(counter(d))
    d.type_keys("2026")
    d.tap(next_button(d))
    counters.append(counter(d))
    d.tap(tr("No"))
    host_and_sign(d, counters)
    assert counters == [said(n, 8) for n in range(3, 9)]
    d.tap("‹  " + tr("Back"))  # and back through the questions
    d.tap("‹  " + tr("Back"))
    assert d.screen == "host" and counter(d) == said(6, 8)
    d.tap("‹  " + tr("Back"))
    assert d.screen == "question" and counter(d) == said(5, 8)
    d.tap(tr("No"))
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    d.type_keys("ls")
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap("李四   研发部")
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.app.flow.screen("printing").state == "awaiting", what="the approval request")
    assert counter(d) == ""  # waiting is no step of the visitor's


def test_an_invited_visitor_has_one_step_the_agreement(drive, make_kiosk):
    kiosk = trusting_kiosk(make_kiosk)
    d = drive(kiosk)
    d.physical_keys(invitation(kiosk, host_id="", name="王小明", company="华为", purpose="商务洽谈"), enter=True)
    d.wait_for(lambda: d.screen == "agreement", what="the agreement")
    assert counter(d) == said(1, 1)
    d.tap(tr("I agree, print my badge"))
    assert d.screen == "printing" and counter(d) == ""  # no review: the invitation's answers stand


def test_an_invited_contractor_counts_the_questions(drive, make_kiosk):
    kiosk = trusting_kiosk(make_kiosk)
    d = drive(kiosk)
    d.physical_keys(invitation(kiosk, host_id="", visitor_type="contractor"), enter=True)
    d.wait_for(lambda: d.screen == "question", what="the first question")
    assert counter(d) == said(1, 4)


def test_a_tap_on_a_review_line_edits_it_and_comes_straight_back(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    sign_in_to_review(d, phone="")
    rows = {row.label: row for row in d.current().ids.rows.children}
    assert tr("Optional: faster next time") in d.texts()
    d.tap(rows["Company"])
    assert d.screen == "who" and d.current().active == "company"
    d.current().ids.company_field.clear()
    type_answer(d, "华为", "hua wei")
    d.tap(next_button(d))
    assert d.screen == "review" and "华为" in d.texts() and "科技" not in d.texts()
    d.tap({row.label: row for row in d.current().ids.rows.children}["Phone"])
    assert d.screen == "phone"
    d.type_keys("13812345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "review", what="back to review")
    assert "138****5678" in d.texts()
    d.tap({row.label: row for row in d.current().ids.rows.children}["Purpose"])
    assert d.screen == "visit"
    d.tap(tr("Training"))
    assert d.screen == "review" and tr("Training") in d.texts()
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    visit = d.app.flow.last_check_in.visit
    assert visit.visitor == {"name": "张三", "company": "华为", "phone": "13812345678", "purpose": tr("Training")}


def test_changing_to_a_type_with_questions_on_review_asks_them_then_returns(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    sign_in_to_review(d, phone="")
    d.tap({row.label: row for row in d.current().ids.rows.children}["Purpose"])
    d.tap("送货")
    assert d.screen == "question"
    while d.screen == "question":
        if d.current().kind == "text":
            d.type_keys("abc")
            d.tap(next_button(d))
        else:
            d.tap(d.current().ids.choices.children[-1])
    assert d.screen == "review" and d.app.flow.form.visitor_type == "delivery"


def test_i_do_not_agree_asks_once_before_wiping(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    sign_in_to_review(d, phone="")
    d.tap("‹  " + tr("Back"))
    assert d.screen == "agreement"
    d.tap(tr("I do not agree"))
    assert tr("Do you really not agree?") in d.texts() and d.app.flow.form.name == "张三"
    d.tap(tr("Back to the agreement"))
    assert tr("Please read and sign") in d.texts() and d.app.flow.form.name == "张三"
    d.tap(tr("I do not agree"))
    d.tap(tr("I do not agree, delete my details"))
    assert tr("Thank you for your understanding") in d.texts()
    d.tap(tr("OK"))
    assert d.screen == "welcome" and d.app.flow.form.name == "" and not kiosk.on_site()
