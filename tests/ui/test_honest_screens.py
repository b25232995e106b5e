"""Honest screens, driven by touches: the done and approval screens promise only what a notice
channel or a reception desk will really do; the welcome screen says at once when the badge
printer cannot print and clears when it is fixed; every end of a visit gives the next visitor
the kiosk's own language and normal text; and a double tap on Done (or a tap as its countdown
runs out) never presses the button that sits under it on the welcome screen."""

from __future__ import annotations

from kiosk.ui.app import TAP_GUARD_SECONDS, KioskApp
from kiosk.ui.i18n import tr
from kiosk.ui.theme import LARGE_TEXT, theme
from tests.ui.driver import PIN, SCREENSHOTS, Driver
from tests.ui.test_entry_policy_ui import to_review, to_type_screen
from tests.ui.test_kiosk_behaviour import FakeClock
from tests.ui.test_visitor_flow import HOSTS, SIGNATURE, next_button, sign_in_to_review

SYNCED = {"server": "https://visitors.example.com", "token": "t" * 32}  # a reception desk sees the visit


def host_line(d) -> str:
    return d.current().status


def to_done(d) -> None:
    sign_in_to_review(d, phone="")
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge to print")


def to_done_in_english(d) -> None:
    """Alice, no company, to see 李四: the English keyboard types Latin letters."""
    d.tap(tr("Sign in"))
    d.type_keys("alice")
    d.tap(next_button(d))
    d.tap(next_button(d))  # no company
    d.tap(tr("Meeting"))
    d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
    d.type_keys("ls")
    d.wait_for(lambda: d.current().results, what="host results")
    d.tap("李四   研发部")
    d.drag(d.current().ids.pad, SIGNATURE)
    d.tap(tr("I agree and sign"))
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge to print")


def contractor_waits(d) -> None:
    to_type_screen(d, [("zhao", "赵"), ("liu", "六")])
    d.tap("施工人员")
    d.type_keys("3f")
    d.tap(next_button(d))
    d.type_keys("2026")
    d.tap(next_button(d))
    d.tap(tr("No"))
    to_review(d)
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.app.flow.screen("printing").state == "awaiting", what="the approval request")


# -- who is told -------------------------------------------------------------------------------

def test_with_no_channel_and_no_reception_desk_the_visitor_is_sent_to_reception(drive, make_kiosk):
    kiosk = make_kiosk()  # stand-alone, no smtp: nothing will tell 李四
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    to_done(d)
    assert tr("Please tell reception that you are here to see {host}.").format(host="李四") in d.texts()
    assert not any("know you are here" in text or "通知" in text for text in d.texts())
    assert tr("Leave a message for your host") not in d.texts()  # no one would read it
    d.screenshot(SCREENSHOTS / "done-nobody-told-zh_CN.png")


def test_a_synced_kiosk_says_reception_tells_the_host_and_takes_a_message(drive, make_kiosk):
    kiosk = make_kiosk(**SYNCED)
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    to_done(d)
    assert tr("Reception will let {host} know you are here.").format(host="李四") in d.texts()
    d.tap(tr("Leave a message for your host"))
    d.type_keys("kafei")
    d.tap(next(w for w in d.app.flow.keyboard.ids.choices.children if w.text == "咖啡"))
    d.tap(tr("Send"))
    d.wait_for(lambda: d.screen == "done", what="the message to be recorded")
    assert tr("Reception will pass your message on to {host}.").format(host="李四") in d.texts()
    assert tr("Your message for {host} is on its way.").format(host="李四") not in d.texts()


def test_a_stand_alone_approval_says_reception_decides(drive, make_kiosk):
    kiosk = make_kiosk(smtp="smtp://127.0.0.1:2525?from=kiosk@example.com")  # 李四 gets a notice, no link
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    contractor_waits(d)
    assert tr("Reception will decide on your visit. Please see reception.") in d.texts()
    assert not any("李四" in text for text in d.texts())  # nobody named who cannot decide


def test_a_synced_approval_names_the_host_who_got_the_link(drive, make_kiosk):
    kiosk = make_kiosk(smtp="smtp://127.0.0.1:2525?from=kiosk@example.com", **SYNCED)
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    contractor_waits(d)
    asked = tr("We have asked {host}; reception can approve it too. Please wait here for your badge.")
    assert asked.format(host="李四") in d.texts()
    d.app.flow.set_language("en")  # and it follows a change of language
    assert "We have asked 李四; reception can approve it too. Please wait here for your badge." in d.texts()
    d.app.flow.set_language("zh_CN")


def test_a_synced_approval_without_the_host_s_channel_asks_reception(drive, make_kiosk):
    kiosk = make_kiosk(**SYNCED)
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    contractor_waits(d)
    assert tr("We have asked reception to approve your visit. Please wait here for your badge.") in d.texts()


# -- the printer, before the first step --------------------------------------------------------

def test_the_welcome_screen_says_at_once_the_printer_cannot_print_and_clears_when_fixed(drive, virtual_printer):
    virtual_printer.mode = "paper-out"
    d = drive()
    welcome = d.current()
    said = tr("The badge printer is out of paper. Please see reception for your badge.")
    d.wait_for(lambda: said in d.texts(), what="the printer's state on welcome")
    d.screenshot(SCREENSHOTS / "welcome-paper-out-zh_CN.png")
    virtual_printer.mode = "cover-open"
    welcome.printer.check()  # what the screen's timer does every POLL_SECONDS
    d.wait_for(lambda: tr("The badge printer's cover is open. Please see reception for your badge.") in d.texts(),
               what="the open cover")
    virtual_printer.mode = "ready"
    welcome.printer.check()
    d.wait_for(lambda: not welcome.printer_problem, what="the warning to clear")
    assert not any("printer" in text or "打印机" in text for text in d.texts())
    assert "printer" in welcome._timers  # it is asked again while welcome shows


def test_a_printer_that_does_not_answer_is_said_not_to_work(drive, virtual_printer):
    virtual_printer.mode = "offline"
    d = drive()
    d.wait_for(lambda: tr("The badge printer is not working. Please see reception for your badge.") in d.texts(),
               what="the offline printer")


def test_a_preview_printer_always_prints(drive, make_kiosk, tmp_path):
    d = drive(make_kiosk(printer=f"preview://{tmp_path / 'previews'}"))
    welcome = d.current()
    welcome.printer.check()
    d.wait_for(lambda: not welcome.printer._asking, what="the preview printer's answer")
    assert welcome.printer_problem == "" and welcome.printer.problem == ""


# -- the next visitor starts afresh ------------------------------------------------------------

def choose_english_large(d) -> None:
    d.tap("English")
    d.tap(tr("Larger text"))
    assert tr.lang == "en" and theme.scale == LARGE_TEXT


def fresh(d) -> bool:
    return d.screen == "welcome" and tr.lang == "zh_CN" and theme.scale == 1.0


def test_language_and_large_text_reset_when_the_visit_is_done(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    try:
        choose_english_large(d)
        to_done_in_english(d)
        d.screenshot(SCREENSHOTS / "done-nobody-told-en-large.png")
        d.tap(d.find(tr("Done") + "  ({n})".format(n=d.current().seconds_left)))
        assert fresh(d)
    finally:
        theme.scale = 1.0
        d.app.flow.set_language("zh_CN")


def test_language_and_large_text_reset_when_the_visitor_declines(drive, make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    try:
        choose_english_large(d)
        d.tap(tr("Sign in"))
        d.type_keys("alice")
        d.tap(next_button(d))
        d.tap(next_button(d))
        d.tap(tr("Meeting"))
        d.wait_for(lambda: d.screen == "host" and d.current().directory, what="the host directory")
        d.type_keys("ls")
        d.wait_for(lambda: d.current().results, what="host results")
        d.tap("李四   研发部")
        d.tap(tr("I do not agree"))
        d.tap(tr("I do not agree, delete my details"))
        d.tap(tr("OK"))
        assert fresh(d)
    finally:
        theme.scale = 1.0
        d.app.flow.set_language("zh_CN")


def test_language_and_large_text_reset_after_idling_on_a_form_or_on_welcome(make_kiosk):
    clock = FakeClock()
    kiosk = make_kiosk()
    d = Driver(KioskApp(kiosk, pin=PIN, monotonic=clock)).start()
    try:
        choose_english_large(d)
        d.tap(tr("Sign in"))
        clock.now += kiosk.settings.idle_seconds + 1
        d.pump(0.7)
        assert fresh(d)

        choose_english_large(d)  # and walked away without starting
        clock.now += kiosk.settings.idle_seconds - 5
        d.pump(0.7)
        assert tr.lang == "en" and theme.scale == LARGE_TEXT  # not while they may still be choosing
        clock.now += 6
        d.pump(0.7)
        assert fresh(d)
    finally:
        d.stop()
        theme.scale = 1.0


def test_the_goodbye_in_the_visitor_s_language_then_the_kiosk_s_again(drive, make_kiosk):
    kiosk = make_kiosk()
    result = kiosk.check_in(name="Alice", host=HOSTS[2], lang="en")
    d = drive(kiosk)
    d.tap(tr("Larger text"))
    d.tap(tr("Sign out"))
    d.physical_keys(result.badge, enter=True)
    d.wait_for(lambda: d.screen == "goodbye", what="the goodbye")
    assert tr.lang == "en" and "Goodbye, Alice!" in d.texts()
    d.tap(tr("Done"))
    assert fresh(d)


# -- no tap across a screen change -------------------------------------------------------------

class TapClock:
    """The tap guard's clock, moved by the test: a second tap comes "at once"."""

    def __init__(self):
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def guarded_kiosk(make_kiosk, **overrides) -> tuple[Driver, TapClock]:
    kiosk = make_kiosk(**overrides)
    kiosk.import_hosts(HOSTS)
    clock = TapClock()
    return Driver(KioskApp(kiosk, pin=PIN, tap_clock=clock)).start(), clock


def under(d, widget) -> tuple[float, float]:
    return widget.to_window(*widget.center)


def welcome_unchanged(d) -> bool:
    return fresh(d) and d.app.flow.form.name == ""


def test_a_double_tap_on_done_presses_nothing_on_welcome(make_kiosk):
    d, clock = guarded_kiosk(make_kiosk)
    try:
        to_done(d)
        done = d.find(tr("Done") + "  ({n})".format(n=d.current().seconds_left))
        x, y = under(d, done)
        d.tap_at(x, y)  # the first tap: done
        assert d.screen == "welcome"
        d.tap_at(x, y)  # the second, at once, lands on welcome
        d.screenshot(SCREENSHOTS / "welcome-after-double-tap-zh_CN.png")
        assert welcome_unchanged(d)
        clock.now += TAP_GUARD_SECONDS  # the same spot later is a real tap on welcome's button
        d.tap_at(x, y)
        assert not welcome_unchanged(d), "Done does not sit over a welcome button: move this test's tap"
    finally:
        d.stop()
        theme.scale = 1.0
        d.app.flow.set_language("zh_CN")


def test_a_tap_as_the_countdown_runs_out_presses_nothing_on_welcome(make_kiosk):
    d, clock = guarded_kiosk(make_kiosk)
    try:
        to_done(d)
        done = d.current()
        x, y = under(d, d.find(tr("Done") + "  ({n})".format(n=done.seconds_left)))
        done.seconds_left = 1
        d.wait_for(lambda: d.screen == "welcome", what="the countdown")
        d.tap_at(x, y)  # meant for Done
        assert welcome_unchanged(d)
    finally:
        d.stop()
        theme.scale = 1.0
        d.app.flow.set_language("zh_CN")


def test_a_double_tap_on_the_goodbye_s_done_presses_nothing_on_welcome(make_kiosk):
    d, clock = guarded_kiosk(make_kiosk)
    try:
        result = d.app.kiosk.check_in(name="王小明", host=HOSTS[0])
        d.tap(tr("Sign out"))
        d.physical_keys(result.badge, enter=True)
        d.wait_for(lambda: d.screen == "goodbye", what="the goodbye")
        done = d.find(tr("Done"))
        spots = [done.to_window(done.x + fx * done.width, done.center_y) for fx in (0.5, 0.15, 0.35, 0.65, 0.85)]
        d.tap_at(*spots[0])
        assert d.screen == "welcome"
        for spot in spots[1:]:  # a second tap anywhere on the Done that was
            d.tap_at(*spot)
        assert welcome_unchanged(d)
        clock.now += TAP_GUARD_SECONDS
        for spot in spots[1:]:
            d.tap_at(*spot)
        assert not welcome_unchanged(d), "the goodbye's Done does not sit over a welcome button"
    finally:
        d.stop()
        theme.scale = 1.0
        d.app.flow.set_language("zh_CN")


def test_a_double_tap_on_confirm_does_not_press_ok_when_the_badge_fails_at_once(make_kiosk, virtual_printer):
    d, clock = guarded_kiosk(make_kiosk)
    try:
        sign_in_to_review(d, phone="")
        virtual_printer.mode = "paper-out"  # refused before a dot is printed: the answer is quick
        x, y = under(d, d.find(tr("Print my badge")))
        d.tap_at(x, y)
        d.wait_for(lambda: d.current().state == "not_printed", what="the printer's refusal")
        d.tap_at(x, y)  # the second tap, where OK now is
        assert d.screen == "printing" and d.current().state == "not_printed"
        d.screenshot(SCREENSHOTS / "not-printed-after-double-tap-zh_CN.png")
        clock.now += TAP_GUARD_SECONDS  # read, then OK
        d.tap_at(x, y)
        assert d.screen == "welcome", "OK does not sit where Confirm was: move this test's tap"
    finally:
        d.stop()
