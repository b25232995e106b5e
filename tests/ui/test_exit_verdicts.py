"""The exit post's verdicts as a guard and a visitor read them, under Xvfb: each heading agrees
with its detail and with the log, for visitors who signed in in zh_CN, zh_TW and en; a second
scan minutes after the sign-out is calm; every verdict is in the visitor's language and in the
guard's Chinese, with the visitor type beside the name and a frame for a photo. And the lobby
kiosk: a typed badge number signs nobody out without the staff PIN; a scan still does; the
goodbye speaks the visitor's language."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.hosts import Host
from kiosk.core.tokens import badge_number
from kiosk.core.visits import Visit
from kiosk.exit_desk import CheckOut
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.ui.i18n import LANGUAGES, tr
from kiosk.ui.verdicts import REFUSALS, RECENT_MINUTES, clock_text, decide, say
from printer.device import PreviewPrinter
from tests.ui.driver import PIN
from tests.ui.test_exit_post import Clock, lobby, scan, sync, trust

LISI = Host("h1", "李四", "研发部")
MINUTE_MS = 60_000
GUARD = "zh_CN"
NAMES = {"zh_CN": "欧阳娜娜", "zh_TW": "歐陽娜娜", "en": "Nana Ouyang"}


def exit_post(tmp_path, clock: Clock) -> Kiosk:
    """An exit post whose clock the test moves (minutes pass between two scans)."""
    return Kiosk.open(Settings(data_dir=str(tmp_path / "exit-1"), site="hq", device="exit-1", role="exit",
                               language=GUARD), PreviewPrinter(tmp_path / "exit-paper"), clock=clock)


def verdict_cases(tmp_path, post: Kiosk, lang: str):
    """(name, badge scanned, heading msgid, detail msgid, signed out in the post's log after it)
    for every verdict, the visitors having signed in in ``lang``. In scan order: the second scan
    of "green" is "calm"."""
    kiosk = lobby(tmp_path, f"lobby-{lang}")
    trust(post, kiosk)
    name = NAMES[lang]

    def visit(who=name, at=kiosk, synced=True, **extra):
        result = at.check_in(name=who, company="华为技术有限公司", host=LISI, lang=lang, **extra)
        if synced:
            sync(post, at, result.visit.visit_id)
        return result

    known, unseen = visit(visitor_type="interview", answers={"position": "工程师"}), visit("李雷", synced=False)
    lost = visit("韩梅梅")
    kiosk.mark_lost(lost.badge_id)
    sync(post, kiosk, lost.visit.visit_id)
    earlier = lobby(tmp_path, f"lobby-earlier-{lang}", clock=Clock(-3 * 60 * MINUTE_MS))  # left 3 h ago
    trust(post, earlier)
    gone = visit("Old Friend", at=earlier, synced=False)
    earlier.check_out(gone.badge)
    sync(post, earlier, gone.visit.visit_id)
    yesterday = lobby(tmp_path, f"lobby-yesterday-{lang}", clock=Clock(-20 * 60 * MINUTE_MS))
    trust(post, yesterday)
    expired = visit("Still Here", at=yesterday)  # never signed out, badge expired
    left_yesterday = visit("Left Yesterday", at=yesterday, synced=False)
    yesterday.check_out(left_yesterday.badge)
    sync(post, yesterday, left_yesterday.visit.visit_id)
    branch = lobby(tmp_path, f"branch-{lang}", site="branch")
    trust(post, branch)
    foreign = branch.check_in(name="Other", host=LISI, lang=lang)
    forged = known.badge[:-2] + ("A" if known.badge[-2] != "A" else "B") + known.badge[-1]
    return [
        ("green", known, "Signed out", "", True),
        ("calm", known, "Already signed out", "Signed out at {time}. Nothing more to do.", True),
        ("amber", unseen, "Signed out", "This post has not seen this visit yet; it will be reconciled.", True),
        ("red-out-hours-ago", gone, "Already signed out", "This badge was already signed out at {time}.", True),
        ("red-out-yesterday", left_yesterday, "Already signed out", "This badge was already signed out at {time}.",
         True),
        ("red-expired", expired, "Not signed out", "This badge has expired.", False),
        ("red-lost", lost, "Not signed out", "This badge is no longer valid (reported lost or replaced).", False),
        ("red-other-site", foreign, "Not signed out", "This badge belongs to another site.", None),
        ("red-forged", forged, "Not signed out", "This badge is not valid.", None),
        ("red-unreadable", "NOT-A-BADGE-0000", "Not signed out",
         "This is not a visitor badge, or it could not be read.", None),
    ]


def badge_text(case) -> str:
    return case if isinstance(case, str) else case.badge


def check_verdict(d, post, lang, case) -> None:
    """The heading and detail on screen, in the visitor's language and the guard's, agree with
    each other and with the post's log."""
    name, result, heading, detail, out = case
    screen = d.current()
    visitor_known = name not in ("amber", "red-other-site", "red-forged", "red-unreadable")
    first = lang if visitor_known else "en"
    assert screen.heading == tr.into(first, heading), (name, screen.heading)
    if detail:
        assert tr.into(first, detail).split("{")[0] in screen.detail, (name, screen.detail)
    if first == GUARD:
        assert screen.heading_guard == "" and screen.detail_guard == ""
    else:
        assert screen.heading_guard == tr.into(GUARD, heading), (name, screen.heading_guard)
        if detail:
            assert tr.into(GUARD, detail).split("{")[0] in screen.detail_guard, (name, screen.detail_guard)
    texts = d.texts()
    assert screen.heading in texts and (not screen.heading_guard or screen.heading_guard in texts)
    refused = screen.state == "red"
    assert (tr.into(first, "Please see reception.") in screen.detail) == refused, (name, screen.detail)
    if out is not None:  # the heading says what the log says
        visit = post.log.visit(result.visit.visit_id)
        assert (visit is not None and visit.state == "signed_out") == out, name
        assert (heading != "Not signed out") == out, name
    if name == "calm":  # and the time is the sign-out's, the same as the green verdict said
        signed_out_at = post.log.visit(result.visit.visit_id).signed_out_at
        assert clock_text(signed_out_at) in screen.detail


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_verdict_heading_agrees_with_its_detail_in_every_visitor_language(drive, tmp_path, lang):
    clock = Clock()
    post = exit_post(tmp_path, clock)
    cases = verdict_cases(tmp_path, post, lang)
    d = drive(post)
    colours = {}
    for case in cases:
        if case[0] == "calm":
            clock.offset_ms += 12 * MINUTE_MS  # the same badge again, twelve minutes later
        scan(d, badge_text(case[1]))
        check_verdict(d, post, lang, case)
        colours[case[0]] = (d.current().state, d.current().sounds.last)
        d.current().ready()
    assert colours["green"] == ("green", "ok") and colours["calm"] == ("amber", "amber")
    assert colours["amber"] == ("amber", "amber")
    assert all(colour == ("red", "refused") for name, colour in colours.items() if name.startswith("red"))


def test_a_second_scan_is_calm_for_30_minutes_then_red(drive, tmp_path):
    clock = Clock()
    post = exit_post(tmp_path, clock)
    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    result = kiosk.check_in(name="张三", host=LISI)
    sync(post, kiosk, result.visit.visit_id)
    d = drive(post)
    scan(d, result.badge)
    assert d.current().state == "green"
    for minutes, state, heading in ((1, "amber", "Already signed out"), (29, "amber", "Already signed out"),
                                    (31, "red", "Already signed out"), (300, "red", "Already signed out")):
        d.current().ready()
        clock.offset_ms = minutes * MINUTE_MS
        scan(d, result.badge)
        screen = d.current()
        assert (screen.state, screen.heading) == (state, tr.into(GUARD, heading)), minutes
        assert (tr.into(GUARD, "Please see reception.") in screen.detail) == (state == "red"), minutes
    kinds = [e.kind for e in post.log.events(result.visit.visit_id)]
    assert kinds.count("signed_out") == 1  # the later scans wrote nothing


def test_an_english_visitors_verdict_shows_english_and_chinese_with_type_and_photo_frame(drive, tmp_path):
    from kiosk.core import events as ev

    clock = Clock()
    post = exit_post(tmp_path, clock)
    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    alice = kiosk.check_in(name="Alice Smith", company="Acme", host=LISI, lang="en", visitor_type="interview",
                             answers={"position": "Engineer"})
    sync(post, kiosk, alice.visit.visit_id)
    d = drive(post)
    scan(d, alice.badge)
    screen = d.current()
    assert (screen.heading, screen.heading_guard) == ("Signed out", "已签退")
    assert screen.name_text == "Alice Smith" and screen.type_text == "面试 · Interview"
    assert {"Signed out", "已签退", "Alice Smith", "面试 · Interview"} <= set(d.texts())
    assert screen.person and screen.photo == ""  # a frame, empty: this visit has no photo
    screen.ready()
    # The hook: a visit whose sign-in names a photo shows it in the frame.
    photo = tmp_path / "alice.png"
    photo.write_bytes(Path(__file__).with_name("logo.png").read_bytes())
    bob = kiosk.check_in(name="Bob", host=LISI, lang="en")
    events = kiosk.log.events(bob.visit.visit_id)
    signed_in = next(e for e in events if e.kind == ev.SIGNED_IN)
    with_photo = replace(signed_in, data={**signed_in.data, "visitor": {**signed_in.data["visitor"],
                                                                       "photo": str(photo)}})
    post.log.ingest([with_photo if e.kind == ev.SIGNED_IN else e for e in events])
    scan(d, bob.badge)
    assert d.current().photo == str(photo)


def test_the_lobby_kiosk_signs_nobody_out_by_a_typed_number_without_the_pin(drive, make_kiosk):
    kiosk = make_kiosk()
    result = kiosk.check_in(name="Alice", host=LISI, lang="en")
    d = drive(kiosk)
    d.tap(tr("Sign out"))
    d.type_keys(badge_number(result.badge_id).replace("-", ""))
    d.tap(d.find(tr("Sign out") + "  ›"))
    d.pump(0.3)
    screen = d.current()
    assert d.screen == "signout" and screen.asking_pin
    assert tr("A typed badge number needs staff: please ask reception to type the staff PIN.") in d.texts()
    for wrong in ("000000", "13579"):
        d.type_keys(wrong)
        d.tap(tr("OK"))
        d.pump(0.3)
        assert d.screen == "signout" and tr("Wrong PIN.") in d.texts()
    d.physical_keys("1234", enter=True)  # a keyboard at the kiosk is no way round it either
    d.pump(0.3)
    assert kiosk.log.visit(result.visit.visit_id).state != "signed_out"
    d.tap(tr("Cancel"))
    assert d.screen == "welcome" and kiosk.log.visit(result.visit.visit_id).state != "signed_out"
    d.tap(tr("Sign out"))  # a new visitor at the screen: asked for the number again, not the PIN
    assert not d.current().asking_pin
    d.type_keys(badge_number(result.badge_id).replace("-", ""))
    d.tap(d.find(tr("Sign out") + "  ›"))
    d.type_keys(PIN)
    d.tap(tr("OK"))
    d.wait_for(lambda: d.screen == "goodbye", what="the verdict")
    assert kiosk.log.visit(result.visit.visit_id).signed_out_by == "number"
    assert "Goodbye, Alice!" in d.texts()  # in the language she signed in with


def test_a_scan_at_the_lobby_kiosk_needs_no_pin_and_says_goodbye_in_the_visitors_language(drive, make_kiosk):
    kiosk = make_kiosk()
    tw = kiosk.check_in(name="陳大文", host=LISI, lang="zh_TW")
    d = drive(kiosk)
    assert tr.lang == "zh_CN"
    d.tap(tr("Sign out"))
    d.physical_keys(tw.badge, enter=True)
    d.wait_for(lambda: d.screen == "goodbye", what="the verdict")
    assert kiosk.log.visit(tw.visit.visit_id).signed_out_by == "scan"
    assert tr.into("zh_TW", "Goodbye, {name}!").format(name="陳大文") in d.texts()
    d.tap(tr.into("zh_TW", "Done"))
    assert d.screen == "welcome" and tr.lang == "zh_CN"  # the next visitor starts in the default
    d.tap(tr("Sign out"))
    d.physical_keys(tw.badge, enter=True)  # scanned again straight away: calm, in her language
    d.wait_for(lambda: d.screen == "goodbye", what="the verdict")
    screen = d.current()
    assert screen.state == "amber" and screen.heading == tr.into("zh_TW", "Already signed out")
    assert tr.into("zh_TW", "Please see reception.") not in screen.body
    d.app.flow.cancel()


@given(reason=st.sampled_from(sorted(REFUSALS) + ["ok"]), out_minutes_ago=st.one_of(st.none(), st.integers(-90, 3000)),
       visit_state=st.sampled_from(["", "waiting", "signed_out"]), calm=st.booleans())
def test_a_heading_never_contradicts_its_detail(reason, out_minutes_ago, visit_state, calm):
    """For any result: "not signed out" only over a visit that is not; "already signed out"
    always with its time; calm (amber, no reception) exactly within 30 minutes."""
    now = 1_800_000_000_000
    signed_out_at = None if out_minutes_ago is None else now - out_minutes_ago * MINUTE_MS
    visit = Visit("v1", visit_state, visitor={"name": "张三"}, lang="en") if visit_state else None
    shown = decide(CheckOut(reason, visit, signed_out_at=signed_out_at), now, calm)
    heading, detail = say(shown, "zh_CN")
    if shown.heading == "Not signed out":
        assert reason not in ("ok", "already_signed_out") and (visit is None or visit.state != "signed_out")
        assert shown.state == "red" and "请到前台办理" in detail
    if reason == "already_signed_out":
        assert shown.heading == "Already signed out" and clock_text(signed_out_at, now) in detail
        recent = signed_out_at is not None and abs(out_minutes_ago) <= RECENT_MINUTES
        assert (shown.state == "amber") == (recent and calm) and shown.see_reception == (not (recent and calm))
    if reason == "ok":
        assert shown.heading == "Signed out" and shown.state != "red"
