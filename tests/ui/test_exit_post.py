"""The exit post under Xvfb: keys typed as a keyboard-wedge scanner types them produce every
verdict (valid, unknown-but-valid, forged, expired, revoked, out a moment ago, other site), each
with its colour, its sound and the right entries in the log; keys typed by a person sign
nobody out. Screenshots of every verdict in every language."""

from __future__ import annotations

import pytest

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.core.tokens import PublicKey
from kiosk.services import Kiosk
from kiosk.settings import Settings
from kiosk.ui.i18n import LANGUAGES, tr
from printer.device import PreviewPrinter
from tests.ui.driver import SCREENSHOTS

LISI = Host("h1", "李四", "研发部")
HOUR_MS = 3_600_000


class Clock:
    def __init__(self, offset_ms=0):
        self.offset_ms = offset_ms

    def __call__(self):
        import time

        return int(time.time() * 1000) + self.offset_ms


def lobby(tmp_path, name, site="hq", clock=None):
    return Kiosk.open(Settings(data_dir=str(tmp_path / name), site=site, device=name),
                      PreviewPrinter(tmp_path / f"{name}-paper"), clock=clock or Clock())


def trust(post, kiosk):
    signer = kiosk.signer
    post.trust(PublicKey(signer.key_id, signer.public_key.public_bytes_raw(), kiosk.settings.site,
                         kiosk.settings.device))


def sync(post, kiosk, visit_id):
    """What sync would bring: the visit's events from the kiosk that signed it in."""
    post.log.ingest(kiosk.log.events(visit_id))


@pytest.fixture
def post(make_kiosk):
    return make_kiosk(role="exit", device="exit-1")


def scan(d, text):
    d.physical_keys(text, enter=True)
    d.wait_for(lambda: d.current().state != "ready" and not d.app.flow.busy, what="a verdict, recorded")


def test_every_verdict_by_scanner_with_its_colour_sound_and_log_entry(drive, post, tmp_path):
    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    known = kiosk.check_in(name="张三", company="华为技术有限公司", host=LISI)
    sync(post, kiosk, known.visit.visit_id)
    unseen = kiosk.check_in(name="李雷", host=LISI)  # never synced to the post
    lost = kiosk.check_in(name="韩梅梅", host=LISI)
    kiosk.mark_lost(lost.badge_id)
    sync(post, kiosk, lost.visit.visit_id)
    old_kiosk = lobby(tmp_path, "lobby-2", clock=Clock(-13 * HOUR_MS))
    trust(post, old_kiosk)
    expired = old_kiosk.check_in(name="Old", host=LISI)
    branch = lobby(tmp_path, "branch-1", site="branch")
    trust(post, branch)
    foreign = branch.check_in(name="Other", host=LISI)
    forged = known.badge[:-2] + ("A" if known.badge[-2] != "A" else "B") + known.badge[-1]

    d = drive(post)
    assert d.screen == "exit" and d.current().state == "ready"
    cases = [("green", known.badge, "ok", "张三"), ("amber", unseen.badge, "amber", None),
             ("red", forged, "refused", "This badge is not valid."),
             ("red", expired.badge, "refused", "This badge has expired."),
             ("red", lost.badge, "refused", "This badge is no longer valid (reported lost or replaced)."),
             ("amber", known.badge, "amber", "Signed out at {time}. Nothing more to do."),  # again, at once
             ("red", foreign.badge, "refused", "This badge belongs to another site.")]
    for colour, badge, sound, says in cases:
        scan(d, badge)
        screen = d.current()
        assert (screen.state, screen.sounds.last) == (colour, sound), (badge, screen.state, screen.detail)
        if says:
            assert tr(says).split("{")[0] in screen.detail + screen.detail_guard or says == screen.name_text, says
        screen.ready()
    signed_out = [row[0] for row in post.log.db.read("SELECT visit_id FROM events WHERE kind = ?", (ev.SIGNED_OUT,))]
    assert sorted(signed_out) == sorted([known.visit.visit_id, unseen.visit.visit_id])
    assert post.log.visit(unseen.visit.visit_id).state == "signed_out"  # reconciled when sync brings the rest
    sync(post, kiosk, unseen.visit.visit_id)
    assert post.log.visit(unseen.visit.visit_id).visitor["name"] == "李雷"


def test_keys_typed_by_a_person_sign_nobody_out(drive, post, tmp_path):
    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    badge = kiosk.check_in(name="张三", host=LISI).badge
    d = drive(post)
    for char in badge[:12]:
        d.physical_keys(char)
        d.pump(0.08)  # people are slower than 50 ms a key
    d.physical_keys("", enter=True)
    assert d.current().state == "ready" and d.current().message == "typed"
    assert post.log.count_events() == 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_screenshots_of_every_verdict(drive, post, tmp_path, lang):
    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    known = kiosk.check_in(name="欧阳娜娜 Nana Ouyang", company="华为技术有限公司", host=LISI)
    sync(post, kiosk, known.visit.visit_id)
    unseen = kiosk.check_in(name="李雷", host=LISI)
    d = drive(post)
    d.app.flow.set_language(lang)
    d.screenshot(SCREENSHOTS / f"exit-ready-{lang}.png")
    for name, badge in (("green", known.badge), ("amber", unseen.badge), ("amber-already-out", known.badge),
                        ("red-unreadable", "NOT-A-BADGE-0000")):
        scan(d, badge)
        d.screenshot(SCREENSHOTS / f"exit-{name}-{lang}.png")
        d.current().ready()
    d.app.flow.set_language("zh_CN")


def test_staff_look_up_an_unreadable_badge_by_number_behind_the_pin(drive, post, tmp_path):
    from kiosk.core.tokens import badge_number
    from tests.ui.driver import PIN

    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    result = kiosk.check_in(name="张三", host=LISI)
    sync(post, kiosk, result.visit.visit_id)
    d = drive(post)
    for _ in range(5):
        d.tap_at(20, d.app.root.height - 20, pump=0.02)
    d.type_keys(PIN)
    d.tap(tr("OK"))
    d.tap(tr("Look up a badge by number"))
    assert d.screen == "signout"
    d.type_keys(badge_number(result.badge_id))
    d.tap(tr("Sign out") + "  ›")
    d.wait_for(lambda: d.screen == "exit" and d.current().state == "green", what="the verdict")
    assert post.log.visit(result.visit.visit_id).signed_out_by == "number"


def test_a_late_write_never_puts_the_previous_visitor_back_on_screen(drive, post, tmp_path):
    import time

    kiosk = lobby(tmp_path, "lobby-1")
    trust(post, kiosk)
    first = kiosk.check_in(name="甲先生", host=LISI)
    second = kiosk.check_in(name="乙女士", host=LISI)
    for result in (first, second):
        sync(post, kiosk, result.visit.visit_id)
    d = drive(post)
    d.app.flow.run_io(lambda: time.sleep(0.5), lambda _: None, lambda _: None)  # writes queue up
    d.physical_keys(first.badge, enter=True)
    d.physical_keys(first.badge, enter=True)  # the scanner read it twice
    d.physical_keys(second.badge, enter=True)
    d.wait_for(lambda: not d.app.flow.busy, what="the writes")
    screen = d.current()
    assert screen.state == "green" and screen.name_text == "乙女士"
    assert post.log.visit(first.visit.visit_id).state == "signed_out"
    assert post.log.visit(second.visit.visit_id).state == "signed_out"


def test_a_camera_post_tells_the_visitor_to_hold_the_badge_15_to_20_cm_away(drive, make_kiosk, monkeypatch):
    import sys

    from tests.test_camera_scanner import FakeOpenCV

    monkeypatch.setitem(sys.modules, "cv2", FakeOpenCV([]))  # the camera: it gives no frames
    d = drive(make_kiosk(role="exit", device="exit-1", camera="0"))
    d.wait_for(lambda: d.screen == "exit")
    assert tr("Hold your badge 15-20 cm from the camera, QR code towards it.") in d.screen_texts()
    assert "15-20" in tr.into("zh_CN", "Hold your badge 15-20 cm from the camera, QR code towards it.")


def test_a_scanner_post_says_to_hold_the_badge_under_the_scanner(drive, post):
    d = drive(post)
    d.wait_for(lambda: d.screen == "exit")
    assert tr("Hold the QR code on your badge under the scanner.") in d.screen_texts()
    assert not any("15-20" in text for text in d.screen_texts())
