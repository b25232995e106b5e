"""Every screen, in every language and in large-text mode, saved as PNG under
artifacts/screens/ for people to look at, and checked for what people would see wrong: text
the font cannot draw (tofu), text cut off by the widget that holds it, a line that starts
with closing punctuation (。，、 ...), text under 4.5:1 contrast against what it is drawn on and
a touch target under 71 px (tests/ui/legibility.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk.core.tokens import badge_number
from kiosk.errors import VisitorBlocked
from kiosk.exit_desk import CheckOut
from kiosk.telling import NOBODY, Telling
from kiosk.ui.i18n import LANGUAGES, load_catalog
from kiosk.ui.theme import theme
from printer.fonts import unsupported_chars
from tests.ui.driver import SCREENSHOTS
from tests.ui.legibility import contrast_problems, target_problems
from tests.ui.test_consent_ui import PHOTO
from tests.ui.test_visitor_flow import HOSTS, SIGNATURE

from kivy.core.window import Window  # noqa: E402 - Kivy after the conftest's environment
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402


def shown_labels(root):
    from tests.ui.driver import _shown

    return [w for w in root.walk() if isinstance(w, Label) and w.text and _shown(w)]


def problems(root, lang: str) -> list[str]:
    found = []
    labels = shown_labels(root)
    boxes = [(label, _box(label)) for label in labels]
    for i, (a, box_a) in enumerate(boxes):  # a layout that overflows pushes texts onto each other
        for b, box_b in boxes[i + 1:]:
            if _overlap(box_a, box_b):
                found.append(f"{a.text!r} overlaps {b.text!r}")
    for label, box in boxes:  # a layout taller than the window pushes its top text off it
        if box[3] > Window.height + 2 or box[1] < -2:
            found.append(f"off the window: {label.text!r}")
    for label in labels:
        label.texture_update()
        missing = unsupported_chars(label.text, lang=lang)
        if missing:
            found.append(f"tofu {missing} in {label.text!r}")
        if label.shorten:  # fields show the end of long input on purpose
            continue
        found += [f"line starts with {line[0]!r}: {line!r} in {label.text!r}"
                  for line in rendered_lines(label)[1:] if line[:1] in CLOSING_CJK]
        width, height = label.texture_size
        if width > label.width + 2 or height > label.height + 2:
            found.append(f"cut off: {label.text!r} needs {width:.0f}x{height:.0f}, has {label.width:.0f}x{label.height:.0f}")
    return found + contrast_problems(root) + target_problems(root)


# Closing marks no Chinese line may start with (kinsoku); see printer/linebreak.py.
CLOSING_CJK = set("。，、；：？！）」』》】〉〕”’…")


def rendered_lines(label) -> list[str]:
    """The lines as Kivy laid them out in the label's texture (after a forced line break
    or a wrap), each without the spaces Kivy dropped at the break."""
    return ["".join(word.text for word in line.words).lstrip(" ")
            for line in getattr(label._label, "_cached_lines", [])]


def _box(widget):
    """The widget's rectangle in the window, clipped to any scroll view it is inside."""
    x, y = widget.to_window(widget.x, widget.y)
    box = [x + 1, y + 1, x + widget.width - 1, y + widget.height - 1]
    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            sx, sy = node.to_window(node.x, node.y)
            box = [max(box[0], sx), max(box[1], sy), min(box[2], sx + node.width), min(box[3], sy + node.height)]
        node = node.parent
    return box


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def visit_every_screen(d, kiosk, printer=None):
    """(name, how to show it) for every screen, with a realistic visitor's details in place;
    with the virtual ``printer``, also the welcome screen while it cannot print."""
    flow = d.app.flow
    form = flow.form
    result = kiosk.check_in(name="欧阳娜娜 Nana Ouyang", company="华为技术有限公司", phone="13812345678",
                            host=HOSTS[0], purpose="季度业务评审会议")
    out = kiosk.check_out(result.badge)

    def fill():
        form.phone, form.name, form.company = "13812345678", "欧阳娜娜 Nana Ouyang", "华为技术有限公司"
        form.host, form.purpose = HOSTS[0], "季度业务评审会议"
        form.visitor_type, form.answers, form.invitation = "guest", {}, None
        form.returning, form.accepted_before, form.signature = False, None, []
        flow.name_choices = []

    def accepted_lately():
        """A returning visitor (or an invited one) who signed the agreement three days ago."""
        form.returning = form.invitation is None
        form.accepted_before = {"version": flow.agreement_version(), "agreement": "default",
                                "at": kiosk.clock() - 3 * 86_400_000, "visit": "v0"}

    def show(name, before=lambda: None, after=lambda: None):
        def go():
            fill()
            before()
            if flow.manager.current == name:  # entering again is what shows a new state
                flow.go("welcome")
            flow.go(name)
            after()
        return go

    def typed(name, text):
        return show(name, lambda: setattr(d.app.flow.screen(name).ids.field, "text", text))

    def host_search():
        d.app.flow.keyboard.type_text("l")

    def lock_the_pin_pad():
        while not d.app.pin_guard.wait_s():
            d.app.pin_guard.attempt("000000")

    def signed():
        d.drag(d.app.flow.screen("agreement").ids.pad, SIGNATURE)

    def printing():
        flow.screen("printing").start()

    def awaiting(told=NOBODY):
        def wait():
            flow.telling = told
            flow.screen("printing").start()
            flow.screen("printing").awaiting(result)
        return wait

    def telling(told=NOBODY, message_left=False):
        def set_telling():
            flow.telling, flow.message_left = told, message_left
        return set_telling

    def printer_in(mode):
        def said():
            printer.mode = mode
            welcome = flow.screen("welcome")
            welcome.printer.check()
            d.wait_for(lambda: welcome.printer_problem, what=f"the printer's {mode} on welcome")
            printer.mode = "ready"  # the next visit to welcome clears it
        return said

    def goodbye(check):
        def set_result():
            flow.last_check_out = check
        return set_result

    flow.last_check_in = result
    return [
        ("welcome", show("welcome")),
        ("phone", typed("phone", "138123")),
        ("who", show("who", lambda: setattr(form, "company", ""))),
        ("who-company", show("who", after=lambda: flow.screen("who").activate("company"))),
        ("who-choices", show("who", lambda: setattr(flow, "name_choices", ["欧阳娜娜 Nana Ouyang", "司马旭荣 Sarah Scott",
                                                                         "令狐明超 Brian White", "公孙荣增 Emily Green"]))),
        ("visit", show("visit")),
        ("question", show("question", lambda: (setattr(form, "visitor_type", "contractor"),
                                               setattr(form, "question", 0)))),
        ("question-yesno", show("question", lambda: (setattr(form, "visitor_type", "contractor"),
                                                     setattr(form, "question", 2)))),
        ("question-choice", show("question", lambda: (setattr(form, "visitor_type", "delivery"),
                                                      setattr(form, "question", 1)))),
        ("agreement-contractor", show("agreement", lambda: setattr(form, "visitor_type", "contractor"),
                                      signed)),
        ("host", show("host", after=host_search)),
        ("host-last", show("host", lambda: setattr(form, "last_host", HOSTS[0]),
                           lambda: setattr(form, "last_host", None))),
        ("purpose_other", typed("purpose_other", "季度业务评审")),
        ("agreement", show("agreement", after=signed)),
        ("agreement-invited", show("agreement", lambda: setattr(form, "invitation", SimpleNamespace(invite_id="I1")))),
        ("notice", show("notice")),
        ("consent", show("consent", lambda: flow.ask_consent(PHOTO.key, lambda: None, lambda: None))),
        ("agreement-invited-accepted", show("agreement", lambda: (
            setattr(form, "invitation", SimpleNamespace(invite_id="I1")), accepted_lately()))),
        ("agreement-declining", show("agreement", after=lambda: flow.screen("agreement").decline())),
        ("agreement-declined", show("agreement", after=lambda: flow.screen("agreement").confirm_decline())),
        ("review", show("review")),
        ("review-no-phone", show("review", lambda: setattr(form, "phone", ""))),
        ("review-returning", show("review", accepted_lately)),
        ("printing", show("printing", after=printing)),
        ("awaiting-approval", show("printing", after=awaiting())),  # stand-alone: reception decides
        ("awaiting-approval-host", show("printing", after=awaiting(Telling(True, True, False, True)))),
        ("awaiting-approval-reception", show("printing", after=awaiting(Telling(reception_sees=True)))),
        ("see-reception", show("printing", after=lambda: flow.screen("printing").failed(VisitorBlocked("x")))),
        ("not-approved", show("printing", after=lambda: flow.screen("printing")._stop_waiting("denied"))),
        ("done", show("done", telling(Telling(host_told=True)))),
        ("done-reception", show("done", telling(Telling(reception_sees=True)))),
        ("done-nobody", show("done", telling())),
        ("message", typed("message", "我在一楼咖啡厅等您，请下来时打电话")),
        ("done-message-left", show("done", telling(Telling(host_told=True, message_sent=True), True),
                                   lambda: setattr(flow, "message_left", False))),
        ("done-message-reception", show("done", telling(Telling(reception_sees=True), True),
                                        lambda: setattr(flow, "message_left", False))),
        ("signout", show("signout")),
        ("signout-pin", show("signout", after=lambda: (setattr(flow.screen("signout").ids.field, "text",
                                                               badge_number(result.badge_id)),
                                                       flow.screen("signout").submit()))),
        ("goodbye", show("goodbye", goodbye(out))),
        ("goodbye-refused", show("goodbye", goodbye(CheckOut("revoked")))),
        *([("welcome-paper-out", show("welcome", after=printer_in("paper-out"))),
           ("welcome-cover-open", show("welcome", after=printer_in("cover-open"))),
           ("welcome-printer-offline", show("welcome", after=printer_in("offline")))] if printer else []),
        ("staff", show("staff")),
        ("staff-locked", show("staff", lock_the_pin_pad)),  # last: it stays locked
    ]


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_renders_whole_in_every_language(drive, make_kiosk, virtual_printer, lang, large):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    try:
        if large:
            theme.toggle_large_text()
        d.app.flow.set_language(lang)
        found = []
        for name, show in visit_every_screen(d, kiosk, virtual_printer):
            show()
            d.pump(0.15)
            d.screenshot(SCREENSHOTS / f"{name}-{lang}{'-large' if large else ''}.png")
            found += [f"{name}: {p}" for p in problems(d.app.root, lang)]
        assert not found, "\n".join(found)
    finally:
        theme.scale = 1.0
        d.app.flow.set_language("zh_CN")


def test_the_languages_switch_every_text_at_once(drive):
    d = drive()
    d.tap("English")
    assert "Agree and sign in" in d.texts() and "Welcome" in d.texts()
    d.tap("繁體中文")
    catalog = load_catalog("zh_TW")
    assert catalog["Sign in"] in d.texts() and catalog["Welcome"] in d.texts()
    d.app.flow.set_language("zh_CN")


def test_labels_break_chinese_by_kinsoku_and_whole_words(drive):
    """Kivy alone breaks a Chinese run wherever it overflows: before "，", inside 访客卡."""
    from kivy.factory import Factory

    d = drive()
    label = Factory.Body(size_hint=(None, None))
    d.app.root.add_widget(label)
    try:
        label.text = "一二三四五六七八九，请佩戴访客卡签退。"
        label.texture_update()
        label.width = label._label.get_extents("一二三四五六七八九")[0] + 2
        label.text_size = (label.width, None)
        label.texture_update()
        lines = rendered_lines(label)
        assert len(lines) > 1 and "".join(lines) == label.text
        assert not any(line[:1] in CLOSING_CJK for line in lines), lines
        assert not any(line.endswith(("访", "访客")) for line in lines), lines
    finally:
        d.app.root.remove_widget(label)


def console_typing_states(d, kiosk):
    """(name, how to show it) for every typed answer at the console, with realistic text typed:
    a search with its results listed, a sign-out reason and a complaint about a contractor
    (the detail pane beside them), and each of the invitation's answers."""
    from tests.ui.test_console import unlock

    unlock(d)
    console = d.current()
    contractor = next(v for v in kiosk.queue(0).awaiting_approval if v.visitor_type == "contractor")

    def typing(entry, text, select=None, invite=None):
        def go():
            console.cancel_entry()
            console.show_tab("approval" if select else "waiting")
            if select:
                console.select(select.visit_id)
            if invite is not None:
                console.inviting = dict(invite)
            console.start_entry(entry)
            d.app.flow.keyboard.type_text(text)
        return go

    invite = {"name": "欧阳娜娜", "company": "华为技术有限公司", "phone": "13812345678"}
    return [
        ("console-search", typing("search", "zhang")),
        ("console-search-company", typing("search", "huawei")),
        ("console-reason", typing("signout", "从侧门离开，未归还访客卡", contractor)),
        ("console-complaint", typing("complaint", "等候太久，前台无人接待，希望改进", contractor)),
        ("console-detail", lambda: (console.cancel_entry(), console.show_tab("approval"),
                                    console.select(contractor.visit_id))),
        ("console-invite-name", typing("invite_name", "欧阳娜娜 nana")),  # the last word still composing
        ("console-invite-company", typing("invite_company", "华为技术有限公司", invite=invite)),
        ("console-invite-phone", typing("invite_phone", "13812345678", invite=invite)),
        ("console-invite-host", typing("invite_host", "李四", invite=invite)),
        ("console-invite-email", typing("invite_email", "nana.ouyang@huawei.example.com", invite=invite)),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_console_entry_renders_whole_while_typing(drive, make_kiosk, lang):
    """Each typed answer at reception: its question and text above the keyboard, nothing cut
    off, overlapping or drawn as tofu, in every language."""
    from tests.ui.test_console import a_busy_day

    kiosk = make_kiosk(role="reception", device="desk-1")
    kiosk.import_hosts(HOSTS)
    a_busy_day(kiosk, 20)
    d = drive(kiosk)
    try:
        d.app.flow.set_language(lang)
        found = []
        for name, show in console_typing_states(d, kiosk):
            show()
            d.pump(0.4)  # a search as typed comes back from the worker
            d.screenshot(SCREENSHOTS / f"{name}-{lang}.png")
            console = d.current()
            if console.entry:  # the question and the text, both above the keyboard
                from tests.ui.test_console import above_the_keyboard

                bar = console.ids.bar
                for part in (bar.ids.prompt, bar.field):
                    if not above_the_keyboard(d, part):
                        found.append(f"{name}: {part} is under the keyboard")
            found += [f"{name}: {p}" for p in problems(d.app.root, lang)]
        assert not found, "\n".join(found)
    finally:
        d.app.flow.set_language("zh_CN")


@pytest.mark.parametrize("visitor_lang", LANGUAGES)
def test_every_verdict_renders_whole_in_the_visitors_language(drive, tmp_path, visitor_lang):
    """The exit post's verdicts for a visitor who signed in in ``visitor_lang`` (beside the
    guard's Chinese), and the lobby kiosk's goodbye to them, checked and saved."""
    from tests.ui.test_exit_post import Clock, scan
    from tests.ui.test_exit_verdicts import exit_post, verdict_cases

    clock = Clock()
    post = exit_post(tmp_path, clock)
    cases = verdict_cases(tmp_path, post, visitor_lang)
    d = drive(post)
    found = []
    for name, result, *_ in cases:
        if name == "calm":
            clock.offset_ms += 12 * 60_000
        scan(d, result if isinstance(result, str) else result.badge)
        d.screenshot(SCREENSHOTS / f"verdict-exit-{name}-visitor-{visitor_lang}.png")
        found += [f"exit {name}: {p}" for p in problems(d.app.root, visitor_lang)]
        d.current().ready()
    assert not found, "\n".join(found)


@pytest.mark.parametrize("visitor_lang", LANGUAGES)
def test_every_goodbye_renders_whole_in_the_visitors_language(drive, make_kiosk, visitor_lang):
    kiosk = make_kiosk()
    d = drive(kiosk)
    flow, found = d.app.flow, []
    result = kiosk.check_in(name="欧阳娜娜 Nana Ouyang", host=HOSTS[0], lang=visitor_lang)
    ok = kiosk.check_out(result.badge)
    for name, check in (("ok", ok), ("calm", kiosk.check_out(result.badge)), ("lost", CheckOut("revoked")),
                        ("unknown-number", CheckOut("unknown_badge"))):
        flow.last_check_out = check
        flow.go("goodbye")
        d.pump(0.15)
        d.screenshot(SCREENSHOTS / f"verdict-goodbye-{name}-visitor-{visitor_lang}.png")
        found += [f"goodbye {name}: {p}" for p in problems(d.app.root, visitor_lang)]
        flow.cancel()
    assert not found, "\n".join(found)
