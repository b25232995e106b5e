"""The privacy notice and separate consents on the real touchscreen (kiosk.core.consent): the
notice's line on the welcome screen, accepted by the start button (no screen, no tap added), the
full text one tap away and back; an invited visitor's one tap accepts it too; each is recorded
as a ``consent`` event with the notice's version in the sign-in's transaction. A separate
consent for something sensitive asks Yes or No, equally easy, and a No leads on."""

from __future__ import annotations

from kiosk.core import consent
from kiosk.core import events as ev
from kiosk.notice_texts import NOTICE_DIR
from kiosk.ui.i18n import tr
from tests.ui.test_invitation_scan import scan_invitation, trusting_kiosk
from tests.ui.test_visitor_flow import HOSTS, sign_in_to_review
from tests.test_invitation_checkin import invitation

# A purpose defined by the test alone: the photo and ID card features come later.
PHOTO = consent.register(consent.Purpose(
    "test_photo", "May we take your photo for your badge?",
    "The photo is printed on your badge and deleted after 30 days.", "t1",
    instead="If you say no, reception checks your ID card instead."))


def consents_of(kiosk, visit_id):
    return {e.data["purpose"]: e for e in kiosk.log.events(visit_id) if e.kind == ev.CONSENT}


def printed_visit(d):
    d.tap(tr("Print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge to print")
    return d.app.flow.last_check_in.visit.visit_id


def test_the_welcome_screen_shows_the_notice_line_and_its_start_buttons_accept_it(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    assert "登记信息仅用于访客管理，180天后删除。" in d.texts()
    assert "同意并登记" in d.texts() and "同意，我来过" in d.texts()  # starting says it accepts
    sign_in_to_review(d, phone="")
    visit_id = printed_visit(d)
    notice = consents_of(kiosk, visit_id)["notice"]
    shown = d.app.flow.notice("zh_CN")
    assert notice.data == {"purpose": "notice", "given": True, "by": "start", "version": "2026-12-07",
                           "digest": shown.digest, "lang": "zh_CN", "at": notice.data["at"]}
    [signed_in] = [e for e in kiosk.log.events(visit_id) if e.kind == ev.SIGNED_IN]
    assert notice.seq > signed_in.seq  # after the opening, in the same transaction
    assert kiosk.log.visit(visit_id).consents[0]["version"] == "2026-12-07"


def test_the_full_notice_is_one_tap_away_and_back_records_nothing(drive, make_kiosk):
    kiosk = make_kiosk()
    d = drive(kiosk)
    d.tap("English")
    d.tap("Privacy notice")
    assert d.screen == "notice"
    text = "\n".join(d.texts())
    for words in ("星河科技 Galaxy Tech", "180 days", "30 days", "Ask reception", "withdraw"):
        assert words in text, words  # who keeps it, how long, whom to ask, how to withdraw
    assert "Version 2026-12-07" in d.texts()
    d.tap("Close")
    assert d.screen == "welcome"
    assert kiosk.log.count_events() == 0


def test_an_invited_visitors_one_tap_accepts_the_notice_shown_beside_it(drive, make_kiosk, virtual_printer):
    kiosk = trusting_kiosk(make_kiosk)
    text = invitation(kiosk, host_id="", name="王小明", company="华为", purpose="商务洽谈")
    d = drive(kiosk)
    scan_invitation(d, text)
    d.wait_for(lambda: d.screen == "agreement", what="the agreement")
    assert "登记信息仅用于访客管理，180天后删除。" in d.texts()
    d.tap(tr("Privacy notice"))
    assert d.screen == "notice"
    d.tap(tr("Close"))
    assert d.screen == "agreement"
    d.tap(tr("I agree, print my badge"))
    d.wait_for(lambda: d.screen == "done", what="the badge")
    notice = consents_of(kiosk, d.app.flow.last_check_in.visit.visit_id)["notice"]
    assert (notice.data["by"], notice.data["version"], notice.data["given"]) == ("invitation", "2026-12-07", True)


def test_a_sites_own_notice_is_shown_and_its_version_recorded(drive, make_kiosk, virtual_printer, tmp_path):
    own = tmp_path / "notice"
    own.mkdir()
    for path in NOTICE_DIR.glob("*.txt"):
        (own / path.name).write_text(path.read_text(encoding="utf-8").replace("version: 2026-12-07", "version: hq-3")
                                     .replace("{retention_days}天后删除", "{retention_days}天后删除，问{contact}"),
                                     encoding="utf-8")
    kiosk = make_kiosk(privacy_notice=str(own), privacy_contact="安保部 8001", retention_days=90) \
        if _has_retention_setting() else make_kiosk(privacy_notice=str(own), privacy_contact="安保部 8001")
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    days = 90 if _has_retention_setting() else 180
    assert f"登记信息仅用于访客管理，{days}天后删除，问安保部 8001。" in d.texts()
    sign_in_to_review(d, phone="")
    notice = consents_of(kiosk, printed_visit(d))["notice"]
    assert notice.data["version"] == "hq-3"


def _has_retention_setting() -> bool:
    from kiosk.settings import Settings

    return "retention_days" in Settings.__dataclass_fields__


def answer_and_sign_in(d, kiosk, answer: str):
    """Asked on the name screen's way in: Yes goes on to the name, No by reception's path (here:
    on to the name all the same, with the No recorded)."""
    d.tap(tr("Sign in"))
    flow, led = d.app.flow, []
    flow.ask_consent(PHOTO.key, lambda: (led.append("yes"), flow.go("who")), lambda: (led.append("no"), flow.go("who")))
    assert d.screen == "consent"
    d.pump(0.1)  # laid out
    yes, no = d.current().ids.yes, d.current().ids.no
    # Equally easy: the same button, size and colour; nothing chosen before the visitor taps.
    assert type(yes) is type(no) and tuple(yes.size) == tuple(no.size) and tuple(yes.fill) == tuple(no.fill)
    assert PHOTO.key not in flow.form.consents
    assert "If you say no, reception checks your ID card instead." in d.texts()
    d.tap(tr(answer))
    assert d.screen == "who" and led == ["yes" if answer == "Yes, I agree" else "no"]
    flow.go("welcome")  # the rest of the visit as any other: the answer stays with the form
    form = dict(flow.form.consents)
    sign_in_to_review(d, phone="")
    d.app.flow.form.consents.update(form)
    return consents_of(kiosk, printed_visit(d))


def test_a_separate_consent_declined_is_recorded_and_the_visit_goes_on(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    recorded = answer_and_sign_in(d, kiosk, "No, I do not agree")
    assert recorded[PHOTO.key].data["given"] is False and recorded[PHOTO.key].data["version"] == "t1"
    assert recorded["notice"].data["given"] is True


def test_a_separate_consent_given_is_recorded_as_given(drive, make_kiosk, virtual_printer):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    d = drive(kiosk)
    recorded = answer_and_sign_in(d, kiosk, "Yes, I agree")
    assert recorded[PHOTO.key].data["given"] is True
