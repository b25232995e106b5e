"""Telling hosts through the outbox: real SMTP (aiosmtpd, STARTTLS) and real HTTP receivers on
127.0.0.1; only the clock is ours, so that retries happen without waiting for them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import pytest

from kiosk.core import events as ev
from kiosk.core.hosts import Host
from kiosk.notifier import MAX_ATTEMPTS, Notifier
from kiosk.services import Kiosk
from kiosk.settings import Settings, load_settings
from kiosk.store.outbox import OutboxTable
from printer.device import PreviewPrinter
from tests.notify_fixtures import (ALLOW_LOCAL_HTTP, HttpReceiver, Reply, http_receiver, smtp_server,  # noqa: F401
                                   start_smtp, tls_cert)

LISI = Host("a1b2c3d4e5f6", "李四", "研发部", "lisi@example.com", "13800000001", language="zh_CN")


class Clock:
    """The wall clock, moved by the test (ms for the kiosk, seconds for the notifier)."""

    def __init__(self):
        self.ms = int(datetime(2026, 12, 1, 9, 30).astimezone().timestamp() * 1000)

    def __call__(self) -> int:
        return self.ms

    def seconds(self) -> float:
        return self.ms / 1000


@pytest.fixture
def clock():
    return Clock()


def open_kiosk(tmp_path, clock, **settings) -> Kiosk:
    configured = Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", meet_at="1F 前台",
                          **{"allow_plain_http": ALLOW_LOCAL_HTTP, **settings})
    return Kiosk.open(configured, PreviewPrinter(tmp_path / "previews"), clock)


def notifier_of(kiosk: Kiosk, clock: Clock) -> Notifier:
    return Notifier(kiosk, clock=clock.seconds, timeout=2)


def counts(kiosk: Kiosk) -> dict[str, int]:
    return OutboxTable(kiosk.log.db).counts()


def kinds(channels) -> list[str]:
    return sorted(described.split()[0] for described in channels)


def later(clock: Clock, notifier: Notifier, rounds: int = 1) -> list:
    """Move the clock past every backoff and deliver what is due, ``rounds`` times."""
    done = []
    for _ in range(rounds):
        clock.ms += 3_600_000
        done.append(notifier.deliver_due())
    return done


def test_a_sign_in_tells_the_host_on_every_channel(tmp_path, clock, smtp_server, http_receiver):
    kiosk = open_kiosk(tmp_path, clock, smtp=smtp_server.url(),
                       webhook=f"webhook+{http_receiver.url}/hook#secret=s3cret",
                       notify=f"wecom+{http_receiver.url}/wecom?key=K dingtalk+{http_receiver.url}/ding?access_token=T")
    visit = kiosk.check_in(name="王小明", company="华为", purpose="面试", host=LISI).visit
    assert counts(kiosk) == {"waiting": 4, "delivered": 0, "failed": 0}
    assert not smtp_server.mails and not http_receiver.hits  # the visitor never waits on a channel

    done = notifier_of(kiosk, clock).deliver_due()

    assert (done.delivered, done.retrying, done.failed) == (4, 0, 0)
    [mail] = smtp_server.mails
    message = mail.message()
    assert mail.rcpt_tos == ["lisi@example.com"] and mail.tls
    assert "王小明" in message["Subject"] and "华为" in message.get_body(("plain",)).get_content()
    assert "1F 前台" in message.get_body(("plain",)).get_content()
    by_path = {hit.path: hit for hit in http_receiver.hits}
    assert set(by_path) == {"/hook", "/wecom", "/ding"}
    hook = by_path["/hook"]
    signed = f"{hook.headers['X-Kiosk-Timestamp']}.".encode() + hook.body
    assert hook.headers["X-Kiosk-Signature"] == "sha256=" + hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert hook.json()["visitor"]["name"] == "王小明" and hook.json()["host"]["name"] == "李四"
    assert by_path["/wecom"].json()["text"]["mentioned_mobile_list"] == ["13800000001"]
    assert kinds(kiosk.log.visit(visit.visit_id).notified) == ["dingtalk", "email", "webhook", "wecom"]
    assert counts(kiosk) == {"waiting": 0, "delivered": 4, "failed": 0}
    assert later(clock, notifier_of(kiosk, clock))[0].delivered == 0  # nothing goes twice


def test_an_outage_then_recovery_delivers_every_notice_exactly_once(tmp_path, clock, start_smtp):
    smtp = start_smtp()
    hook = HttpReceiver(default=Reply(200, b"ok"))
    try:
        kiosk = open_kiosk(tmp_path, clock, smtp=smtp.url(), webhook=f"webhook+{hook.url}/hook")
        smtp.answers["MAIL"] = "451 4.3.0 try again later"
        hook.script(Reply(502), Reply(503), Reply(429))
        visits = [kiosk.check_in(name=f"访客{i}", host=LISI).visit for i in range(3)]
        notifier = notifier_of(kiosk, clock)

        first = notifier.deliver_due()
        assert (first.delivered, first.retrying, first.failed) == (0, 6, 0)
        assert counts(kiosk)["waiting"] == 6
        smtp.answers.clear()  # both are back
        later(clock, notifier, rounds=3)

        assert counts(kiosk) == {"waiting": 0, "delivered": 6, "failed": 0}
        assert len(smtp.mails) == 3 and len({m.message()["Message-ID"] for m in smtp.mails}) == 3
        refused, accepted = hook.hits[:3], hook.hits[3:]
        assert sorted(h.headers["Idempotency-Key"] for h in accepted) == sorted(
            h.headers["Idempotency-Key"] for h in refused)  # the same three notices, each once more
        assert len({h.headers["Idempotency-Key"] for h in accepted}) == 3
        for visit in visits:
            assert kinds(kiosk.log.visit(visit.visit_id).notified) == ["email", "webhook"]
    finally:
        hook.stop()
        smtp.stop()


def test_a_channel_that_keeps_failing_is_given_up_and_shown(tmp_path, clock, http_receiver):
    http_receiver.default = Reply(503)
    kiosk = open_kiosk(tmp_path, clock, notify=f"slack+{http_receiver.url}/slack")
    visit = kiosk.check_in(name="王小明", host=LISI).visit
    notifier = notifier_of(kiosk, clock)
    notifier.deliver_due()
    later(clock, notifier, rounds=MAX_ATTEMPTS)

    assert len(http_receiver.hits) == MAX_ATTEMPTS
    assert counts(kiosk) == {"waiting": 0, "delivered": 0, "failed": 1}
    [failed] = kiosk.log.visit(visit.visit_id).notify_failed
    assert failed.startswith(f"slack 127.0.0.1:{http_receiver.url.rsplit(':', 1)[1]}: ") and "503" in failed
    assert [e.kind for e in kiosk.log.events(visit.visit_id)][-1] == ev.NOTIFY_FAILED


def test_a_refusal_that_retrying_cannot_fix_fails_at_once(tmp_path, clock, http_receiver):
    http_receiver.default = Reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    kiosk = open_kiosk(tmp_path, clock, notify=f"wecom+{http_receiver.url}/wecom?key=WRONG")
    visit = kiosk.check_in(name="王小明", host=LISI).visit
    notifier_of(kiosk, clock).deliver_due()
    assert len(http_receiver.hits) == 1
    [failed] = kiosk.log.visit(visit.visit_id).notify_failed
    assert "93000" in failed and "WRONG" not in failed  # the key is the channel's secret


def test_a_host_address_the_email_package_refuses_fails_alone(tmp_path, clock, smtp_server, http_receiver):
    """One bad address in the directory must not hold up every other notice behind it."""
    kiosk = open_kiosk(tmp_path, clock, smtp=smtp_server.url(), notify=f"slack+{http_receiver.url}/s")
    http_receiver.default = Reply(200, b"ok")
    odd = Host("h2", "王五", email="wangwu.@example.com")
    first = kiosk.check_in(name="访客甲", host=odd).visit
    kiosk.check_in(name="访客乙", host=LISI)
    done = notifier_of(kiosk, clock).deliver_due()
    assert (done.delivered, done.failed) == (3, 1) and len(smtp_server.mails) == 1
    assert kiosk.log.visit(first.visit_id).notify_failed[0].startswith("email ")


def test_notices_survive_a_restart(tmp_path, clock, smtp_server):
    kiosk = open_kiosk(tmp_path, clock, smtp=smtp_server.url())
    kiosk.check_in(name="王小明", host=LISI)
    kiosk.log.db.close()
    restarted = open_kiosk(tmp_path, clock, smtp=smtp_server.url())
    assert notifier_of(restarted, clock).deliver_due().delivered == 1
    assert len(smtp_server.mails) == 1


def test_a_host_without_email_gets_the_site_channels_only(tmp_path, clock, smtp_server, http_receiver):
    kiosk = open_kiosk(tmp_path, clock, smtp=smtp_server.url(), webhook=f"webhook+{http_receiver.url}/hook")
    kiosk.check_in(name="王小明", host=Host("x", "前台转告"))
    notifier_of(kiosk, clock).deliver_due()
    assert not smtp_server.mails and [h.path for h in http_receiver.hits] == ["/hook"]


def test_a_host_s_own_channel_is_used_too(tmp_path, clock, http_receiver):
    kiosk = open_kiosk(tmp_path, clock)
    host = Host("h1", "Alice", channels=(f"teams+{http_receiver.url}/team",), language="en")
    kiosk.check_in(name="Bob", company="ACME", host=host)
    notifier_of(kiosk, clock).deliver_due()
    [hit] = http_receiver.hits
    card = hit.json()["attachments"][0]["content"]["body"]
    shown = [block["inlines"][0]["text"] for block in card]
    assert "Bob" in shown[0] and any("ACME" in line for line in shown[1:])


def test_a_message_for_an_absent_host_reaches_them_and_reception(tmp_path, clock, smtp_server):
    kiosk = open_kiosk(tmp_path, clock, smtp=smtp_server.url())
    kiosk.import_hosts([LISI])  # the message goes to the host as the directory knows them
    visit = kiosk.check_in(name="王小明", host=LISI).visit
    kiosk.leave_message(visit.visit_id, "我在一楼咖啡厅等您")
    notifier_of(kiosk, clock).deliver_due()
    assert kiosk.log.visit(visit.visit_id).messages == ("我在一楼咖啡厅等您",)
    bodies = [m.message().get_body(("plain",)).get_content() for m in smtp_server.mails]
    assert len(bodies) == 2 and any("我在一楼咖啡厅等您" in body for body in bodies)


def test_the_cli_delivers_what_another_process_queued(kiosk_cmd, smtp_server):
    kiosk_cmd.env["KIOSK_SMTP"] = smtp_server.url()
    kiosk_cmd("checkin", "--name", "王小明", "--host", "李四", check=0)  # no directory: a host typed freely
    kiosk_cmd.env["KIOSK_WEBHOOK"] = "webhook+http://127.0.0.1:9/closed"  # nothing listens on port 9
    kiosk_cmd.env["KIOSK_ALLOW_PLAIN_HTTP"] = ALLOW_LOCAL_HTTP
    kiosk_cmd("checkin", "--name", "张三", "--host", "李四", check=0)
    done = kiosk_cmd("notify", "--once", check=1)
    assert "1 to retry" in done.stdout and "1 waiting" in done.stdout
    assert not smtp_server.mails  # a host typed freely has no email address


def test_bad_channel_settings_stop_the_start():
    with pytest.raises(Exception, match="smtp"):
        load_settings(env={"KIOSK_SMTP": "http://mail.example.com"})
    with pytest.raises(Exception, match="webhook"):
        load_settings(env={"KIOSK_WEBHOOK": "slack+https://hooks.slack.com/services/x"})
