"""The host is told while the visitor watches the done screen, by the notifier thread running
inside the app, and a visitor whose host is away leaves a message by touch: both reach a real
SMTP server, and the message is kept with the visit for reception."""

from __future__ import annotations

from kiosk.ui.app import KioskApp
from kiosk.ui.i18n import tr
from kiosk.ui.launch import notifier_for
from tests.notify_fixtures import smtp_server, start_smtp, tls_cert  # noqa: F401
from tests.ui.driver import PIN, SCREENSHOTS, Driver
from tests.ui.test_visitor_flow import HOSTS, pick_candidate, sign_in_to_review


def test_the_host_is_told_and_gets_the_visitor_s_message(make_kiosk, smtp_server):
    kiosk = make_kiosk(smtp=smtp_server.url(), meet_at="1F 前台")
    kiosk.import_hosts(HOSTS)
    d = Driver(KioskApp(kiosk, pin=PIN, notifier=notifier_for(kiosk))).start()
    try:
        sign_in_to_review(d)
        d.tap(tr("Print my badge"))
        d.wait_for(lambda: d.screen == "done", what="the badge to print")
        assert tr("We are letting {host} know you are here.").format(host="李四") in d.texts()
        d.wait_for(lambda: len(smtp_server.mails) == 1, what="the host's email")
        assert smtp_server.mails[0].rcpt_tos == ["lisi@example.com"]

        d.tap(tr("Leave a message for your host"))
        assert d.screen == "message"
        d.type_keys("kafei")
        pick_candidate(d, "咖啡")
        d.type_keys("ting")
        pick_candidate(d, "厅")
        d.tap(tr("Send"))
        d.wait_for(lambda: d.screen == "done", what="the message to be recorded")
        assert tr("Your message for {host} is on its way.").format(host="李四") in d.texts()
        assert tr("Leave a message for your host") not in d.texts()
        d.screenshot(SCREENSHOTS / "done-message-sent-zh_CN.png")
        d.wait_for(lambda: len(smtp_server.mails) == 2, what="the message's email")
        body = smtp_server.mails[1].message().get_body(("plain",)).get_content()
        assert "咖啡厅" in body and "张三" in body
        visit = kiosk.log.visit(d.app.flow.last_check_in.visit.visit_id)
        assert visit.messages == ("咖啡厅",) and len(visit.notified) == 2
    finally:
        d.stop()
