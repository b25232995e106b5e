"""The visitor's whole path on the real touchscreen, by simulated touches: welcome, phone,
name in pinyin, company, host search by initials, purpose, agreement with a drawn signature,
review, a badge received by the virtual printer whose QR decodes and verifies; then sign-out
by scanning that badge, and a rating."""

from __future__ import annotations

import json

import zxingcpp

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.ui.i18n import tr

HOSTS = [Host("h-lisi", "李四", "研发部", "lisi@example.com"), Host("h-zw", "张伟", "行政部", "zw@example.com"),
         Host("h-alice", "Alice Smith", "Sales", "alice@example.com")]
SIGNATURE = [(0.1, 0.3), (0.2, 0.6), (0.3, 0.35), (0.45, 0.7), (0.55, 0.3), (0.7, 0.65), (0.85, 0.4)]


def next_button(d):
    return d.find(tr("Next") + "  ›")


def pick_candidate(d, text):
    keyboard = d.app.flow.keyboard
    assert text in keyboard.candidates, keyboard.candidates
    d.tap(next(w for w in keyboard.ids.choices.children if w.text == text))


def sign_in_to_review(d, *, phone="13812345678"):
    """张三 of 科技 to see 李四 for a meeting; with ``phone``, by the "been here before?" path."""
    if phone:
        d.tap(tr("I have been here before"))
        assert d.screen == "phone"
        d.type_keys(phone)
        d.tap(next_button(d))
    else:
        d.tap(tr("Sign in"))
    d.wait_for(lambda: d.screen == "who", what="the name and company")
    d.type_keys("zhang")
    pick_candidate(d, "张")
    d.type_keys("san")
    pick_candidate(d, "三")
    assert d.current().ids.name_field.text == "张三"
    d.tap(next_button(d))
    assert d.screen == "who" and d.current().active == "company"
    d.type_keys("keji")
    pick_candidate(d, "科技")
    d.tap(next_button(d))
    assert d.screen == "visit"
    d.tap(tr("Meeting"))  # a guest's reason: no questions of their own
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    d.type_keys("ls")
    d.wait_for(lambda: d.current().results, what="host results")
    assert d.current().results[0].name == "李四"
    d.tap("李四   研发部")
    assert d.screen == "agreement"
    assert not d.current().signed
    d.drag(d.current().ids.pad, SIGNATURE)
    assert d.current().signed
    d.tap(tr("I agree and sign"))
    assert d.screen == "review"


def test_a_visitor_signs_in_by_touch_and_out_by_scanning_the_badge(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    sign_in_to_review(d)
    assert "138****5678" in d.texts() and "张三" in d.texts()
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge to print")
    assert "李四   研发部" in d.texts()

    [job] = virtual_printer.wait_for_jobs(1)
    [qr] = zxingcpp.read_barcodes(job.image)
    assert kiosk.verdict(qr.text).ok
    visit = kiosk.log.visit(kiosk.verdict(qr.text).claims.visit_id)
    assert visit.visitor == {"name": "张三", "company": "科技", "phone": "13812345678", "purpose": tr("Meeting")}
    assert visit.host["name"] == "李四" and visit.current_badge.printed
    signed_in = next(e for e in kiosk.log.events(visit.visit_id) if e.kind == ev.SIGNED_IN)
    agreement = signed_in.data["agreement"]
    assert agreement["version"] == "2026-12-01" and agreement["lang"] == "zh_CN"
    assert len(agreement["signature"]) == 1 and len(json.dumps(signed_in.data)) < 8192

    d.tap(d.find(tr("Done") + "  ({n})".format(n=d.current().seconds_left)))
    assert d.screen == "welcome"
    d.tap(tr("Sign out"))
    assert d.screen == "signout"
    d.physical_keys(qr.text, enter=True)  # a keyboard-wedge scanner: the token, then Enter
    d.wait_for(lambda: d.screen == "goodbye", what="the sign-out verdict")
    assert d.current().ok and tr("Goodbye, {name}!").format(name="张三") in d.texts()
    d.tap("5 ★")
    d.wait_for(lambda: kiosk.log.visit(visit.visit_id).rating == 5, what="the rating to be recorded")
    after = kiosk.log.visit(visit.visit_id)
    assert after.state == "signed_out" and after.signed_out_by == "scan"
