"""The shorter sign-in on the touchscreen: the step counter is right on every path (first
visit, returning, invited, contractor with questions, approval), a tap on a review line edits
it and comes straight back, and "I do not agree" asks once before wiping what was entered.
A returning visitor confirmed by name goes from the phone to the review: last host and kind of
visit offered there, the agreement one line while their acceptance stands."""

from __future__ import annotations

import re

from kivy.uix.label import Label

from kiosk.core import events as ev
from kiosk.ui.i18n import day_text, tr
from tests.test_invitation_checkin import invitation
from tests.ui.test_invitation_scan import trusting_kiosk
from tests.ui.test_personas import earlier_visit, type_answer, who
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


def to_the_names(d) -> None:
    d.tap(tr("I have been here before"))
    d.type_keys("13912345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who" and d.current().choices, what="the names to pick from")


def test_a_returning_visitor_counts_the_phone_step_then_only_review(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    earlier_visit(kiosk)
    d = drive(kiosk)
    to_the_names(d)
    counters = [counter(d)]
    d.tap("‹  " + tr("Back"))
    assert d.screen == "phone"
    counters.append(counter(d))
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who" and d.current().choices, what="the names again")
    type_answer(d, "王小明", "wang xiao ming")  # typed instead of picked: the same
    d.tap(next_button(d))
    counters.append(counter(d))
    # Until the name is confirmed, a first visit's path and the phone; then only the review.
    assert counters == [said(2, 6), said(1, 6), said(3, 3)] and d.screen == "review"
    d.tap("‹  " + tr("Back"))  # back past the confirmed name: to the phone
    assert d.screen == "phone" and counter(d) == said(1, 6)


def test_a_returning_visitor_whose_acceptance_is_too_old_signs_again(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk(agreement_valid_days=30)
    kiosk.import_hosts(HOSTS)
    long_ago = kiosk.clock() - 31 * 86_400_000
    earlier_visit(kiosk, signature=[], accepted_by="earlier", accepted_at=long_ago, accepted_visit="v0")
    d = drive(kiosk)
    to_the_names(d)
    d.tap("王小明")
    assert d.screen == "agreement" and counter(d) == said(3, 4)  # the 31 days run from the first signature
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    assert d.screen == "review" and counter(d) == said(4, 4)
    assert tr("Agreement") not in d.texts()  # signed now: no "accepted on" line
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    agreement = signed_in(kiosk, d)["agreement"]
    assert len(agreement["signature"]) == 1 and "accepted_by" not in agreement


def test_with_no_validity_period_a_returning_visitor_always_signs(drive, make_kiosk):
    kiosk = make_kiosk(agreement_valid_days=0)
    kiosk.import_hosts(HOSTS)
    earlier_visit(kiosk)
    d = drive(kiosk)
    to_the_names(d)
    d.tap("王小明")
    assert d.screen == "agreement"


def test_the_accepted_line_shows_the_agreement_to_sign_again(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    earlier_visit(kiosk)
    d = drive(kiosk)
    to_the_names(d)
    d.tap("王小明")
    d.tap({row.label: row for row in d.current().ids.rows.children}["Agreement"])
    assert d.screen == "agreement" and tr("Please read and sign") in d.texts()
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    assert d.screen == "review" and tr("Agreement") not in d.texts()
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    assert len(signed_in(kiosk, d)["agreement"]["signature"]) == 1


def test_a_returning_visitor_changes_the_offered_host_and_purpose_on_review(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    earlier_visit(kiosk)
    d = drive(kiosk)
    d.tap("English")
    to_the_names(d)
    d.tap("王小明")
    assert d.screen == "review" and "Meeting" in d.texts()  # 会议 then, in today's language
    d.tap({row.label: row for row in d.current().ids.rows.children}["Visiting"])
    assert d.screen == "host"
    d.type_keys("zw")
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap(d.current().ids.result_grid.children[-1])
    assert d.screen == "review" and "张伟   行政部" in d.texts()
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    visit = d.app.flow.last_check_in.visit
    assert visit.host["name"] == "张伟" and visit.visitor["purpose"] == "Meeting"


def test_another_name_on_review_does_not_rely_on_the_earlier_acceptance(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    earlier_visit(kiosk)
    d = drive(kiosk)
    to_the_names(d)
    d.tap("王小明")
    d.tap({row.label: row for row in d.current().ids.rows.children}["Name"])
    d.current().ids.name_field.clear()
    type_answer(d, "王小", "wang xiao")
    d.tap(next_button(d))
    assert d.screen == "review" and tr("Agreement") not in d.texts()
    d.tap(tr("Print my badge"))
    assert d.screen == "agreement"  # signed by the person named before the badge prints
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    assert len(signed_in(kiosk, d)["agreement"]["signature"]) == 1


def signed_in(kiosk, d) -> dict:
    visit_id = d.app.flow.last_check_in.visit.visit_id
    return next(e for e in kiosk.log.events(visit_id) if e.kind == ev.SIGNED_IN).data


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


def test_an_invited_visitor_who_accepted_lately_sees_one_line_and_one_tap(drive, make_kiosk, virtual_printer):
    kiosk = trusting_kiosk(make_kiosk)
    earlier = earlier_visit(kiosk)  # 王小明, 13912345678, signed the agreement then
    d = drive(kiosk)
    d.physical_keys(invitation(kiosk, host_id="", name="王小明", phone="13912345678"), enter=True)
    d.wait_for(lambda: d.screen == "agreement", what="the agreement")
    accepted = tr("Accepted on {date}").format(date=day_text(kiosk.log.visit(earlier).signed_in_at, "zh_CN"))
    assert counter(d) == said(1, 1) and d.current().accepted_on == tr("Agreement") + "   " + accepted
    shown = [w.text for w in d.current().walk(restrict=True) if isinstance(w, Label) and w.text]
    assert d.current().accepted_on in shown and not any("保密协议" in text for text in shown)  # not the text
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    agreement = signed_in(kiosk, d)["agreement"]
    assert agreement["accepted_by"] == "earlier" and agreement["accepted_visit"] == earlier
    assert agreement["invitation"] == d.app.flow.last_check_in.visit.invite_id


def test_an_invitation_under_another_name_shows_the_whole_agreement(drive, make_kiosk):
    kiosk = trusting_kiosk(make_kiosk)
    earlier_visit(kiosk)  # 王小明's number, but the invitation is for someone else
    d = drive(kiosk)
    d.physical_keys(invitation(kiosk, host_id="", name="赵六", phone="13912345678"), enter=True)
    d.wait_for(lambda: d.screen == "agreement", what="the agreement")
    assert d.current().accepted_on == "" and tr("I agree, print my badge") in d.texts()


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


def test_a_type_with_other_rules_chosen_on_review_has_them_signed_before_the_badge(drive, make_kiosk,
                                                                                  virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    sign_in_to_review(d, phone="")  # the visitor agreement signed
    d.tap({row.label: row for row in d.current().ids.rows.children}["Purpose"])
    d.tap("施工人员")
    type_answer(d, "机房", "ji fang")
    d.tap(next_button(d))
    d.type_keys("2026")
    d.tap(next_button(d))
    d.tap(tr("No"))
    assert d.screen == "review"
    d.tap(tr("Print my badge"))
    assert d.screen == "agreement" and "施工人员入场安全须知" in d.current().text  # the contractor's rules
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    assert d.screen == "review"
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.app.flow.screen("printing").state == "awaiting", what="the approval request")


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
