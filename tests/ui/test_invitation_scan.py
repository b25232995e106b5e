"""An invited visitor at the touchscreen: one scan of the invitation's QR fills everything in and
goes straight to the agreement, then the badge; a used or forged invitation is refused at the
welcome screen with a reason."""

from __future__ import annotations

import zxingcpp

from kiosk.core.tokens import PublicKey, key_id_of
from kiosk.ui.i18n import tr
from tests.test_invitation_checkin import SERVER_KEY, invitation
from tests.ui.driver import SCREENSHOTS
from tests.ui.test_visitor_flow import HOSTS


def trusting_kiosk(make_kiosk):
    kiosk = make_kiosk()
    kiosk.import_hosts(HOSTS)
    kiosk.trust(PublicKey(key_id_of(SERVER_KEY.public_key()), SERVER_KEY.public_key().public_bytes_raw(), "hq",
                          "server", role="server"))
    return kiosk


def invited_id(kiosk, text: str) -> str:
    from kiosk.core import invites

    return invites.read(text, kiosk.keyring(), now=kiosk.clock() // 1000, site="hq").invitation.invite_id


def scan_invitation(d, text: str) -> None:
    assert d.screen == "welcome"
    d.physical_keys(text, enter=True)  # a keyboard-wedge scanner types it in one burst


def test_one_scan_of_an_invitation_leads_to_the_agreement_and_the_badge(drive, make_kiosk, virtual_printer):
    kiosk = trusting_kiosk(make_kiosk)
    text = invitation(kiosk, host_id="", name="王小明", company="华为", purpose="商务洽谈")
    d = drive(kiosk)
    scan_invitation(d, text)
    d.wait_for(lambda: d.screen == "agreement", what="the agreement, straight after the scan")
    form = d.app.flow.form
    assert (form.name, form.company, form.host.name, form.purpose) == ("王小明", "华为", "李四", "商务洽谈")
    assert "王小明   华为" in d.texts() and "李四" in d.texts()  # whose badge it will be, beside the text
    d.tap(tr("I agree, print my badge"))  # one tap: accepted, no signature, no review
    d.wait_for(lambda: d.screen == "done", what="the badge")
    [job] = virtual_printer.wait_for_jobs(1)
    [qr] = zxingcpp.read_barcodes(job.image, formats=zxingcpp.BarcodeFormat.QRCode)
    visit = kiosk.log.visit(kiosk.verdict(qr.text).claims.visit_id)
    assert visit.visitor["name"] == "王小明" and visit.host["name"] == "李四"
    assert visit.visit_id == d.app.flow.last_check_in.visit.visit_id  # a visit of its own, using the invitation
    assert visit.invite_id == invited_id(kiosk, text) and visit.visit_id != visit.invite_id
    [signed_in] = [e for e in kiosk.log.events(visit.visit_id) if e.kind == "signed_in"]
    agreement = signed_in.data["agreement"]
    assert agreement["version"] and agreement["lang"] == "zh_CN"  # the text accepted, by a tap
    assert agreement["accepted_by"] == "tap" and agreement["invitation"] == visit.invite_id

    d.tap(d.find(tr("Done") + "  ({n})".format(n=d.current().seconds_left)))
    scan_invitation(d, text)  # the same invitation again
    d.wait_for(lambda: d.current().message, what="the refusal")
    assert tr("This invitation has already been used. Please see reception.") in d.texts()
    d.screenshot(SCREENSHOTS / "welcome-invitation-used-zh_CN.png")
    assert len(virtual_printer.jobs) == 1


def test_a_forged_invitation_is_refused_at_the_welcome_screen(drive, make_kiosk, virtual_printer):
    kiosk = trusting_kiosk(make_kiosk)
    forged = invitation(kiosk)[:-4] + "AAAA"
    d = drive(kiosk)
    scan_invitation(d, forged)
    d.wait_for(lambda: d.current().message, what="the refusal")
    assert tr("This invitation is not valid. Please see reception.") in d.texts()
    assert d.screen == "welcome" and not virtual_printer.jobs and kiosk.log.count_events() == 0


def test_an_invited_contractor_answers_their_questions_then_signs(drive, make_kiosk, virtual_printer):
    kiosk = trusting_kiosk(make_kiosk)
    d = drive(kiosk)
    scan_invitation(d, invitation(kiosk, host_id="", visitor_type="contractor"))
    d.wait_for(lambda: d.screen == "question", what="the contractor's first question")
    assert "施工区域" in d.texts()
    for answer in ("3F", "2026"):
        d.current().ids.field.text = answer
        d.tap(tr("Next") + "  ›")
    d.tap(tr("No"))
    assert d.screen == "agreement"  # whom and why came with the invitation
    assert "施工人员入场安全须知" in d.current().text
