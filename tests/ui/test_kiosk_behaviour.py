"""What a kiosk in a public lobby must do besides the happy path: stay locked down, wipe a
half-filled form when the visitor walks away, recognise a returning visitor without showing
their details to anyone who knows only their phone number, keep the staff PIN hard to guess, survive a printer that fails and hostile input, and refuse
badges that must not let anyone out."""

from __future__ import annotations

import pytest
from kivy.core.window import Window

from kiosk.core.hosts import Host
from kiosk.ui.i18n import tr
from tests.ui.driver import PIN, SCREENSHOTS
from tests.ui.test_visitor_flow import HOSTS, next_button, pick_candidate, sign_in_to_review


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_escape_and_close_requests_leave_the_kiosk_running(drive):
    d = drive()
    d.tap(tr("Sign in"))
    assert d.escape() is True
    assert Window.dispatch("on_request_close") is True  # True: the close was refused
    d.pump(0.2)
    assert d.screen == "who" and d.app.root in Window.children


def test_idle_visitor_is_asked_then_the_half_filled_form_is_wiped(drive, make_kiosk):
    from kiosk.ui.app import KioskApp
    from tests.ui.driver import Driver

    clock = FakeClock()
    d = Driver(KioskApp(make_kiosk(idle_seconds=45), pin=PIN, monotonic=clock)).start()
    try:
        d.tap(tr("I have been here before"))
        d.type_keys("13800000000")
        d.tap(next_button(d))
        d.wait_for(lambda: d.screen == "who")
        d.tap("中 / EN")
        d.physical_keys("Zhang Wei")
        assert d.current().ids.name_field.text == "Zhang Wei"

        clock.now += 31  # 14 s left: the prompt shows
        d.pump(0.7)
        assert d.app.root.idle_left > 0 and tr("Are you still there?") in d.texts()
        d.screenshot(SCREENSHOTS / "idle-prompt-zh_CN.png")
        d.tap(tr("Yes, I am still here"))
        assert d.app.root.idle_left == 0 and d.screen == "who"

        clock.now += 46  # nobody touched it: wiped
        d.pump(0.7)
        assert d.screen == "welcome"
        assert d.app.flow.form.name == "" and d.app.flow.form.phone == ""
        for name in ("phone", "who"):
            assert d.app.flow.screen(name).typing_field().text == ""
        d.tap(tr("I have been here before"))
        assert d.current().ids.field.text == ""
    finally:
        d.stop()


RETURNING = {"name": "欧阳娜娜", "company": "蓝鲸数据有限公司", "phone": "13912345678"}
# Anything of the earlier visitor: their name and company, whole, masked or in part.
THEIRS = ("欧", "娜", "Ouyang", "ouyang", "蓝鲸", "数据")


def leaked(kiosk, texts, earlier=None) -> list[str]:
    """What of the earlier visitor was shown beyond their name as one of the four to pick from
    (kiosk.core.recognise: all a holder of the number may learn; the four are the same at every
    look-up, so the kiosk's own answer tells which they are). ``earlier``: the earlier visit,
    when the number has been used again since."""
    known = kiosk.returning_visitor(RETURNING["phone"])
    if earlier is not None:
        known = {**known, "name": earlier.visitor["name"], "visit_id": earlier.visit_id}
    offered = set(kiosk.name_choices(RETURNING["phone"], known, "zh_CN"))
    return sorted(t for t in texts if any(part in t for part in THEIRS) and t not in offered)


def every_text(d) -> list[str]:
    """The text of every widget of every screen built so far, shown or not, and the keyboard."""
    roots = [*d.app.manager.screens, d.app.root]
    return [w.text for root in roots for w in root.walk() if isinstance(getattr(w, "text", None), str)]


def watch_texts(d) -> set[str]:
    """Every text shown on any frame from now on (a screen shows it for a moment, too)."""
    from kivy.clock import Clock

    seen: set[str] = set()
    Clock.schedule_interval(lambda dt: seen.update(d.texts()), 0)
    return seen


def test_a_returning_visitor_who_types_their_name_skips_the_company(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    kiosk.check_in(host=HOSTS[0], **RETURNING)
    d = drive(kiosk)
    seen = watch_texts(d)
    d.tap(tr("I have been here before"))
    d.type_keys("13912345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who", what="the name step, as for anyone")
    assert d.current().ids.company_field.text == ""
    assert len(d.current().choices) == 4 and "欧阳娜娜" in d.current().choices
    assert not leaked(kiosk, seen)
    d.type_keys("ouyang")
    pick_candidate(d, "欧阳")
    d.type_keys("nana")
    pick_candidate(d, "娜娜")
    d.tap(next_button(d))
    assert d.screen == "visit"  # the name was the earlier visit's: its company comes back
    form = d.app.flow.form
    assert (form.name, form.company, form.returning) == ("欧阳娜娜", "蓝鲸数据有限公司", True)
    d.tap(tr("Meeting"))
    assert d.screen == "agreement" and form.host == HOSTS[0]  # the last host: on review, a tap to change
    d.tap("‹  " + tr("Back"))
    assert d.screen == "visit"
    d.tap("‹  " + tr("Back"))  # back past the confirmed name: the phone, nothing of the earlier visit kept
    assert d.screen == "phone" and (form.name, form.company, form.host, form.returning) == ("", "", None, False)


def test_the_name_confirms_however_it_is_written(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.check_in(host=HOSTS[0], **RETURNING)
    d = drive(kiosk)
    d.tap(tr("I have been here before"))
    d.type_keys("13912345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who")
    d.tap("中 / EN")
    d.type_keys("⇧")  # a Latin name starts each word with a capital unless Shift is turned off
    d.type_keys("nana")
    d.tap(next(w for w in d.app.flow.keyboard.ids.rows.walk() if getattr(w, "key", None) == "space"))
    d.type_keys("⇧")
    d.type_keys("ouyang")
    assert d.current().ids.name_field.text == "nana ouyang"
    d.tap(next_button(d))
    assert d.screen == "visit"
    assert (d.app.flow.form.name, d.app.flow.form.company) == ("欧阳娜娜", "蓝鲸数据有限公司")


def test_someone_who_knows_only_the_phone_number_learns_one_of_four_names_and_signs_in_as_themselves(
        drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    earlier = kiosk.check_in(host=HOSTS[0], **RETURNING).visit
    d = drive(kiosk)
    seen = watch_texts(d)
    sign_in_to_review(d, phone="13912345678")  # as 张三 of 科技: the company step was asked
    assert d.app.flow.form.company == "科技" and not d.app.flow.form.returning
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge to print")
    d.pump(0.2)
    shown = seen | set(every_text(d))
    assert "张三" in shown and "科技" in shown  # the watch saw the screens
    assert not leaked(kiosk, shown, earlier)  # the company never, the name only as one of four choices
    [visit] = [v for v in kiosk.on_site() if v.visit_id != earlier.visit_id]
    assert visit.visitor["name"] == "张三" and visit.visitor["company"] == "科技"
    assert kiosk.log.visit(earlier.visit_id).visitor["name"] == "欧阳娜娜"


def test_a_wrong_name_is_one_try_going_back_to_the_name_confirms_nothing(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.check_in(host=HOSTS[0], **RETURNING)
    d = drive(kiosk)
    d.tap(tr("I have been here before"))
    d.type_keys("13912345678")
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who")
    d.physical_keys("张三")
    d.tap(next_button(d))
    assert d.current().active == "company" and d.current().ids.company_field.text == ""
    d.tap(d.current().ids.name_field)  # back to the name
    assert d.current().active == "name"
    d.current().ids.name_field.text = "欧阳娜娜"  # now the right one, without going through the phone again
    d.tap(next_button(d))
    assert d.current().active == "company" and d.current().ids.company_field.text == ""
    assert d.app.flow.form.company == "" and not d.app.flow.form.returning


def phone_step(d, phone: str = RETURNING["phone"]) -> list[str]:
    """"I have been here before" and the number: the names offered on the name step."""
    d.tap(tr("I have been here before"))
    d.type_keys(phone)
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who" and d.current().choices, what="the names to pick from")
    return list(d.current().choices)


def test_a_returning_visitor_taps_their_own_name_among_four(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    kiosk.check_in(host=HOSTS[0], **RETURNING)
    d = drive(kiosk)
    choices = phone_step(d)
    assert len(choices) == 4 and "欧阳娜娜" in choices
    d.tap("欧阳娜娜")
    assert d.screen == "visit"
    form = d.app.flow.form
    assert (form.name, form.company, form.returning, form.last_host) == ("欧阳娜娜", "蓝鲸数据有限公司", True, HOSTS[0])


def test_a_wrong_pick_is_one_guess_for_the_day(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.check_in(host=HOSTS[0], **RETURNING)
    d = drive(kiosk)
    clock = FakeClock()
    d.app.flow.monotonic = clock
    seen = watch_texts(d)
    choices = phone_step(d)
    d.tap(next(name for name in choices if name != "欧阳娜娜"))  # a guess
    assert d.screen == "who" and d.current().active == "name" and not d.current().choices
    assert d.current().message == tr("Please type your name.") and d.app.flow.form.name == ""
    d.tap(tr("Cancel"))
    assert phone_step(d) == choices  # the same four, in the same order: nothing to compare
    d.tap("欧阳娜娜")  # now the right one: locked, it confirms nothing
    assert d.screen == "who" and not d.app.flow.form.returning and d.app.flow.form.company == ""
    d.pump(0.2)
    assert not leaked(kiosk, seen | set(every_text(d)))
    clock.now += 12 * 3600  # the next day: the real visitor is recognised again
    d.tap(tr("Cancel"))
    phone_step(d)
    d.tap("欧阳娜娜")
    assert d.screen == "visit" and d.app.flow.form.returning


def test_an_unknown_number_shows_four_names_like_a_known_one(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.check_in(host=HOSTS[0], **RETURNING)
    d = drive(kiosk)
    unknown = phone_step(d, "13700001111")
    assert len(unknown) == 4 and not set(unknown) & set(THEIRS)
    d.tap(tr("Cancel"))
    assert phone_step(d, "13700001111") == unknown
    d.tap(unknown[0])  # nothing to confirm: typed as a new visitor
    assert d.screen == "who" and d.current().message == tr("Please type your name.")


def test_a_printer_out_of_paper_keeps_the_visit_and_sends_the_visitor_to_reception(drive, make_kiosk,
                                                                                   virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    virtual_printer.mode = "paper-out"
    d = drive(kiosk)
    sign_in_to_review(d)
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.current().state == "not_printed", what="the print to fail")
    assert tr("Your visit is recorded. Please see reception for your badge.") in d.texts()
    [visit] = kiosk.on_site()
    assert visit.visitor["name"] == "张三" and not visit.current_badge.printed
    assert "paper" in visit.current_badge.print_error
    d.tap(tr("OK"))
    assert d.screen == "welcome" and d.app.flow.form.name == ""


def test_hostile_typing_is_refused_or_cut_and_never_crashes(drive):
    d = drive()
    d.tap(tr("I have been here before"))
    d.physical_keys("138\x00\x1b0000😀0000abc")  # only digits reach a phone field
    assert d.current().ids.field.text == "13800000000"
    d.tap(next_button(d))
    d.wait_for(lambda: d.screen == "who")
    field = d.current().ids.name_field
    d.physical_keys("张\u202e三\x07😀𠀀")  # bidi override, bell, emoji, CJK Ext. B the font lacks
    assert field.text == "张三" and field.refused
    assert tr("Some characters cannot be used and were left out.") in d.texts()
    d.physical_keys("x" * 10_000)
    assert len(field.text) == 64
    d.tap(next_button(d))
    assert d.current().active == "company"  # 64 characters is a valid (long) name


def test_scanning_a_signed_out_forged_or_foreign_badge_says_why_not(drive, make_kiosk):
    kiosk = make_kiosk()
    badge = kiosk.check_in(name="李雷", host=HOSTS[0]).badge
    assert kiosk.check_out(badge).ok
    d = drive(kiosk)
    for scan, expected in [(badge, "Signed out at {time}. Nothing more to do."),  # calm: minutes ago
                           (badge[:-3] + ("A" if badge[-3] != "A" else "B") + badge[-2:], "This badge is not valid."),
                           ("hello", "This is not a visitor badge, or it could not be read.")]:
        d.tap(tr("Sign out"))
        d.physical_keys(scan, enter=True)
        d.wait_for(lambda: d.screen == "goodbye")
        assert not d.current().ok and d.current().state == ("amber" if scan == badge else "red")
        assert any(tr(expected).split("{")[0] in text for text in d.texts()), (scan, d.texts())
        d.tap(tr("Done"))
        assert d.screen == "welcome"


def test_a_typed_badge_number_signs_out_once(drive, make_kiosk):
    from kiosk.core.tokens import badge_number

    kiosk = make_kiosk()
    result = kiosk.check_in(name="Alice", host=HOSTS[2])
    d = drive(kiosk)
    d.tap(tr("Sign out"))
    d.type_keys(badge_number(result.badge_id).replace("-", ""))
    d.tap(d.find(tr("Sign out") + "  ›"))
    d.type_keys(PIN)  # a typed number is staff's to sign out (tests/ui/test_exit_verdicts.py)
    d.tap(tr("OK"))
    d.wait_for(lambda: d.screen == "goodbye")
    assert d.current().ok and kiosk.log.visit(result.visit.visit_id).signed_out_by == "number"


def test_staff_reach_their_menu_only_with_the_corner_taps_and_the_pin(drive):
    d = drive()
    for _ in range(5):
        d.tap_at(20, Window.height - 20, pump=0.02)
    assert d.screen == "staff" and not d.current().unlocked
    d.type_keys("1111")
    d.tap(tr("OK"))
    assert not d.current().unlocked and tr("Wrong PIN.") in d.texts()
    d.type_keys(PIN)
    d.tap(tr("OK"))
    assert d.current().unlocked and tr("Quit the kiosk") in d.texts()
    d.tap(tr("Back to the kiosk"))
    assert d.screen == "welcome"


def open_pin_pad(d) -> None:
    """The PIN pad as staff reach it: reception starts on it, the others behind the corner."""
    if d.screen != "staff":
        for _ in range(5):
            d.tap_at(20, Window.height - 20, pump=0.02)
    assert d.screen == "staff"


@pytest.mark.parametrize("role", ["visitor", "reception", "exit"])
def test_wrong_pins_lock_the_pad_and_restarting_the_app_does_not_unlock_it(make_kiosk, role):
    from kiosk.ui.app import KioskApp
    from tests.ui.driver import Driver

    locked = tr("Too many wrong PINs. Try again in {minutes} min.").format(minutes=1)
    d = Driver(KioskApp(make_kiosk(role=role), pin=PIN)).start()
    try:
        open_pin_pad(d)
        for _ in range(5):
            d.type_keys("135790")
            d.tap(tr("OK"))
        assert locked in d.texts()
    finally:
        d.stop()

    d = Driver(KioskApp(make_kiosk(role=role), pin=PIN)).start()  # a new app over the same data directory
    try:
        open_pin_pad(d)
        assert locked in d.texts()  # said before anyone types
        d.type_keys(PIN)
        d.tap(tr("OK"))
        assert d.screen == "staff" and not d.current().unlocked and locked in d.texts()
    finally:
        d.stop()


def test_a_short_staff_pin_setting_stops_the_kiosk_with_a_clear_line(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KIOSK_DATA_DIR": str(tmp_path / "data"),
           "KIOSK_STAFF_PIN": "4321", "PYTHONPATH": ":".join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "kiosk", "run", "--windowed"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and done.stderr.count("\n") == 1
    assert "KIOSK_STAFF_PIN" in done.stderr and "6-12 digits" in done.stderr and "4321" not in done.stderr


def test_a_badge_from_the_evdev_scanner_at_the_welcome_screen_signs_out(drive, make_kiosk):
    from kiosk.ui.evdev_scanner import decode
    from tests.test_evdev_scanner import typed

    kiosk = make_kiosk()
    badge = kiosk.check_in(name="张三", host=HOSTS[0]).badge
    d = drive(kiosk)
    assert d.screen == "welcome"
    decode(typed(badge), d.current().scanned)  # what the reader thread hands over, via Clock
    d.wait_for(lambda: d.screen == "goodbye", what="the verdict")
    assert d.current().ok


def test_an_answer_that_arrives_after_cancel_brings_nothing_back(drive, make_kiosk):
    import time

    kiosk = make_kiosk()
    kiosk.check_in(name="王秘密", company="机密公司", phone="13912345678", host=HOSTS[0])
    d = drive(kiosk)
    d.tap(tr("I have been here before"))
    d.type_keys("13912345678")
    d.app.flow.run_io(lambda: time.sleep(0.8), lambda _: None, lambda _: None)  # the worker is busy
    d.tap(next_button(d))
    d.tap(tr("Cancel"))
    d.pump(1.5)
    assert d.screen == "welcome" and d.app.flow._known_visitor is None
    assert not any("王" in text for text in d.texts())


def test_a_failed_service_call_is_said_and_the_kiosk_keeps_running(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts([Host("h-x", "李四", "研发部")])
    d = drive(kiosk)
    form = d.app.flow.form
    form.name, form.phone, form.host = "张三", "13800000000", Host("h-bad", "𠀀", "")  # a host the badge cannot print
    form.signature, form.agreement_of = ["AAD/AA=="], "default"  # the agreement signed
    d.app.flow.go("review")
    d.pump(0.2)
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "printing" and d.current().state == "not_signed_in", what="the refusal")
    assert tr("Some characters cannot be printed on the badge; please use others.") in d.texts()
    assert kiosk.on_site() == [] and not d.app.flow.busy


def test_a_tap_on_the_still_there_prompt_presses_nothing_under_it(drive, make_kiosk):
    from kiosk.ui.app import KioskApp
    from tests.ui.driver import Driver

    clock = FakeClock()
    d = Driver(KioskApp(make_kiosk(), pin=PIN, monotonic=clock)).start()
    try:
        d.tap(tr("I have been here before"))
        d.type_keys("13800000000")
        button = next_button(d)
        clock.now += 35
        d.pump(0.7)
        assert d.app.root.idle_left > 0
        d.tap(button)  # where "Next" is, under the prompt
        assert d.screen == "phone" and d.app.root.idle_left == 0
    finally:
        d.stop()


def test_f1_does_not_open_kivys_settings_on_a_locked_kiosk(drive):
    d = drive()
    Window.dispatch("on_keyboard", 282, 58, None, [])  # F1
    d.pump(0.3)
    assert [type(w).__name__ for w in Window.children] == ["KioskRoot"]


def test_a_message_follows_the_language_switch(drive):
    d = drive()
    d.tap(tr("Sign in"))
    d.tap(next_button(d))  # no name typed
    assert d.current().message == "请填写此项。"
    d.tap("EN")
    assert d.current().message == "Please fill this in."
