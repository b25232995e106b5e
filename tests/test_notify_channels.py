"""Host notifications: the notice and its text, and every channel against a real server on
127.0.0.1 (aiosmtpd with STARTTLS, an HTTP receiver): exact payloads, signatures recomputed
here, hostile visitor input, and which failures the outbox may retry."""

import base64
import functools
import hashlib
import hmac
import json
import time
import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.notify import BadChannel, Channel, DeliveryFailed, Notice, channels, render
from kiosk.notify.notice import APPROVAL, KINDS, MESSAGE
from tests.notify_fixtures import (LOCAL_HTTP, Reply, http_receiver, make_notice, smtp_server, start_smtp,  # noqa: F401
                                   tls_cert)

# The receivers listen on 127.0.0.1 in plain HTTP: allowed explicitly, as an operator would.
channel_from_url = functools.partial(channels.channel_from_url, plain_http=LOCAL_HTTP)

SECRET = "SECRETX9"  # planted in URLs: must never come back in a message or a repr


@pytest.fixture
def shanghai(monkeypatch):
    """Local time is the machine's: pin it, so 02:30 UTC reads 10:30."""
    monkeypatch.setenv("TZ", "CST-8")  # POSIX form: UTC+8 with no tz database needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def chat_text(notice: Notice) -> str:
    subject, body = render(notice)
    return f"{subject}\n{body}"


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def failure(channel: Channel, notice: Notice | None = None) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as caught:
        channel.deliver(notice or make_notice())
    return caught.value


# --- the notice and its text -------------------------------------------------------------

def test_render_zh_cn(shanghai):
    subject, body = render(make_notice())
    assert subject == "访客到访：王小明（华为）"
    assert body.split("\n") == ["李四，您好：", "您的访客已到达总部，请前往接待。", "", "访客：王小明", "单位：华为",
                                "事由：商务洽谈", "到访时间：2024-05-01 10:30", "接待地点：1F 前台"]


@pytest.mark.parametrize("language, subject, line", [
    ("zh_TW", "訪客到訪：王小明（华为）", "到訪時間：2024-05-01 10:30"),
    ("en", "Visitor arrived: 王小明 (华为)", "Arrived: 2024-05-01 10:30"),
    ("fr", "访客到访：王小明（华为）", "到访时间：2024-05-01 10:30"),  # unknown: Simplified Chinese
])
def test_render_languages(shanghai, language, subject, line):
    rendered_subject, body = render(make_notice(language=language))
    assert rendered_subject == subject
    assert line in body.split("\n")


def test_render_message_keeps_the_notes_lines_only():
    subject, body = render(make_notice(kind=MESSAGE, company="", message="我在楼下\r\n稍后再来\u2028谢谢\x1b[31m",
                                       link="https://example.com/x"))
    assert subject == "访客留言：王小明"
    assert "留言：我在楼下\n稍后再来\n谢谢[31m" in body
    assert "https://example.com/x" not in body  # a link belongs to an approval only


def test_render_approval_shows_the_link():
    subject, body = render(make_notice(kind=APPROVAL, language="en", link="https://kiosk.example.com/a/123",
                                       message="not shown"))
    assert subject == "Visitor awaiting your approval: 王小明 (华为)"
    assert "Approve or deny: https://kiosk.example.com/a/123" in body.split("\n")
    assert "not shown" not in body


CONTRACTOR_ROWS = {
    "zh_CN": ["来访类型：施工人员", "施工区域：3F 机房", "施工许可证号：P-2026-17", "是否携带工具：是"],
    "zh_TW": ["來訪類型：施工人員", "施工區域：3F 机房", "施工許可證號：P-2026-17", "是否攜帶工具：是"],
    "en": ["Visitor type: Contractor", "Work area: 3F 机房", "Permit number: P-2026-17", "Do you carry tools: Yes"],
}


@pytest.mark.parametrize("language", sorted(CONTRACTOR_ROWS))
def test_an_approval_shows_a_contractor_s_answers_in_the_host_s_language(language):
    from kiosk.core.policy import DEFAULT_POLICY
    from kiosk.notify.notice import answer_rows

    contractor = DEFAULT_POLICY.visitor_type("contractor")
    rows = answer_rows(contractor, {"tools": "yes", "permit": "P-2026-17", "work_area": "3F 机房"}, language)
    _, body = render(make_notice(kind=APPROVAL, language=language, link="https://kiosk.example.com/a/1", answers=rows))
    lines = body.split("\n")
    at = lines.index(next(line for line in lines if "P-2026-17" in line))
    # after who and why, in the policy's order, before the time and the link
    assert lines[at - 2:at + 2] == CONTRACTOR_ROWS[language]
    assert lines.index(CONTRACTOR_ROWS[language][-1]) < min(i for i, line in enumerate(lines) if "kiosk.example.com" in line)


def test_a_choice_is_said_in_words_and_a_plain_guest_adds_no_type_row():
    from kiosk.core.policy import DEFAULT_POLICY
    from kiosk.notify.notice import answer_rows

    policy = DEFAULT_POLICY
    assert answer_rows(policy.visitor_type("delivery"), {"parcels": "more", "recipient": "李四"}, "en") == (
        ("Visitor type", "Delivery"), ("Recipient", "李四"), ("Number of parcels", "4 or more"))
    assert answer_rows(policy.visitor_type("guest"), {"old": "x"}, "zh_CN") == (("old", "x"),)


@given(question=st.text(), answer=st.text())
def test_answers_are_cleaned_like_any_visitor_text(question, answer):
    notice = make_notice(kind=APPROVAL, answers=((question, answer), ("许可证", "P-1\r\nBcc: x@y\u202e")))
    subject, body = render(notice)
    assert not any(_is_control(ch) for line in body.split("\n") for ch in line)
    assert "许可证：P-1 Bcc: x@y" in body.split("\n")  # one line: no header or row of its own
    assert all(len(q) <= 200 and len(a) <= 200 for q, a in notice.cleaned().answers)


@pytest.mark.parametrize("field, limit", [("visitor_name", 100), ("company", 200), ("purpose", 200), ("message", 500)])
def test_visitor_texts_are_capped(field, limit):
    cleaned = make_notice(**{field: "长" * (limit + 50)}).cleaned()
    assert getattr(cleaned, field) == "长" * (limit - 1) + "…"
    assert getattr(make_notice(**{field: "长" * limit}).cleaned(), field) == "长" * limit


def test_bad_notices_are_refused():
    with pytest.raises(ValueError, match="kind"):
        make_notice(kind="left")
    for notice_id in ("", "a b", "x>\r\nBcc: y", "a@b", "长"):
        with pytest.raises(ValueError, match="notice_id"):
            make_notice(notice_id=notice_id)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029"


@given(name=st.text(), company=st.text(), purpose=st.text(), message=st.text())
def test_rendered_text_never_holds_control_characters(name, company, purpose, message):
    notice = make_notice(kind=MESSAGE, visitor_name=name, company=company, purpose=purpose, message=message)
    subject, body = render(notice)
    assert not any(_is_control(ch) for ch in subject)
    assert not any(_is_control(ch) for line in body.split("\n") for ch in line)
    cleaned = notice.cleaned()
    assert len(cleaned.visitor_name) <= 100 and len(cleaned.company) <= 200 and len(cleaned.message) <= 500


_texts = st.text(max_size=30)


@given(st.builds(Notice, notice_id=st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True),
                 kind=st.sampled_from(KINDS), language=_texts, site=_texts, host_name=_texts, host_email=_texts,
                 host_phone=_texts, visitor_name=_texts, company=_texts, purpose=_texts,
                 at=st.integers(0, 2**53), meet_at=_texts, message=_texts, link=_texts,
                 answers=st.lists(st.tuples(_texts, _texts), max_size=3).map(tuple)))
def test_notice_round_trips_through_json(notice):
    assert Notice.from_dict(json.loads(json.dumps(notice.to_dict()))) == notice


def test_from_dict_ignores_keys_it_does_not_know():
    assert Notice.from_dict({**make_notice().to_dict(), "priority": "high"}) == make_notice()


# --- email ---------------------------------------------------------------------------------

_HEADERS = ["Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type"]


def _header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].decode() for line in head.split(b"\r\n") if not line.startswith((b" ", b"\t"))]


@pytest.mark.parametrize("language, subject, line", [
    ("zh_CN", "访客到访：王小明（华为）", "到访时间：2024-05-01 10:30"),
    ("zh_TW", "訪客到訪：王小明（华为）", "到訪時間：2024-05-01 10:30"),
    ("en", "Visitor arrived: 王小明 (华为)", "Arrived: 2024-05-01 10:30"),
])
def test_email_over_starttls(smtp_server, shanghai, language, subject, line):
    channel_from_url(smtp_server.url()).deliver(make_notice(language=language))
    [mail] = smtp_server.mails
    assert mail.tls and mail.tls.startswith("TLSv1.")
    assert (mail.mail_from, mail.rcpt_tos) == ("kiosk@example.com", ["lisi@example.com"])
    assert _header_names(mail.raw) == _HEADERS
    assert mail.raw.split(b"\r\n\r\n", 1)[0].isascii()  # UTF-8 headers travel as RFC 2047 words
    message = mail.message()
    assert message["Subject"] == subject
    assert message["Message-ID"] == "<V7Q2K3MZ4XJ5R6TA.email@kiosk>"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("李四", "lisi@example.com")
    assert message["Date"].datetime is not None
    assert line in message.get_body("plain").get_content().splitlines()
    assert "<td>1F 前台</td>" in message.get_body("html").get_content()


@pytest.mark.parametrize("name, company", [
    ("王小明\r\nBcc: evil@x.example", "华为"),
    ("王小明", "华为\nBcc: evil@x.example\r\n\r\nforged body"),
    ("王\u2028Bcc: evil@x.example", "华为\rTo: evil@x.example"),
])
def test_email_header_injection_adds_no_header_nor_recipient(smtp_server, name, company):
    channel_from_url(smtp_server.url()).deliver(make_notice(visitor_name=name, company=company))
    [mail] = smtp_server.mails
    assert mail.rcpt_tos == ["lisi@example.com"]
    assert _header_names(mail.raw) == _HEADERS
    assert "\n" not in mail.message()["Subject"] and "Bcc" not in mail.message()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1), company=st.text())
def test_email_headers_hold_for_any_visitor_text(smtp_server, name, company):
    channel_from_url(smtp_server.url()).deliver(make_notice(visitor_name=name, company=company))
    mail = smtp_server.mails[-1]
    assert mail.rcpt_tos == ["lisi@example.com"]
    assert _header_names(mail.raw) == _HEADERS
    assert mail.message()["Subject"] == render(make_notice(visitor_name=name, company=company))[0]


def test_email_html_is_escaped(smtp_server):
    notice = make_notice(kind=APPROVAL, company='<script>alert(1)</script>', link='javascript:alert("x")')
    channel_from_url(smtp_server.url()).deliver(notice)
    html = smtp_server.mails[0].message().get_body("html").get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "href" not in html  # not an http(s) link: shown, not linked


def test_email_approval_link_is_a_link(smtp_server):
    channel_from_url(smtp_server.url()).deliver(make_notice(kind=APPROVAL, link="https://k.example.com/a?id=1&x=2"))
    html = smtp_server.mails[0].message().get_body("html").get_content()
    assert '<a href="https://k.example.com/a?id=1&amp;x=2">' in html


def test_email_requires_starttls(start_smtp):
    server = start_smtp(tls=None)
    failed = failure(channel_from_url(server.url("smtp")))
    assert not failed.retry and "STARTTLS" in str(failed)
    assert server.mails == []


def test_email_over_implicit_tls(start_smtp):
    server = start_smtp(tls="implicit")
    channel_from_url(server.url("smtps")).deliver(make_notice())
    assert server.mails[0].tls and server.mails[0].rcpt_tos == ["lisi@example.com"]


def test_email_in_clear_to_a_local_relay(start_smtp):
    server = start_smtp(tls=None)
    channel_from_url(server.url("smtp+plain")).deliver(make_notice())
    assert server.mails[0].tls is None


def test_email_refuses_an_untrusted_certificate(smtp_server):
    failed = failure(channel_from_url(f"smtp://127.0.0.1:{smtp_server.port}?from=kiosk@example.com"))
    assert not failed.retry and "cafile" in str(failed)
    assert smtp_server.mails == []


def test_email_login(start_smtp):
    password = "p@ss:w/rd+1%"
    server = start_smtp(users={"kiosk@example.com": password})
    userinfo = f"kiosk%40example.com:{quote(password, safe='')}@"
    channel_from_url(server.url(userinfo=userinfo)).deliver(make_notice())
    assert len(server.mails) == 1
    failed = failure(channel_from_url(server.url(userinfo=f"kiosk%40example.com:{SECRET}@")))
    assert not failed.retry and "535" in str(failed) and SECRET not in str(failed)


@pytest.mark.parametrize("command, answer, retry", [
    ("RCPT", "550 5.1.1 no such user", False),
    ("RCPT", "450 4.2.1 mailbox busy", True),
    ("MAIL", "553 5.7.1 sender not allowed", False),
    ("DATA", "451 4.3.0 try again later", True),
    ("DATA", "554 5.7.1 rejected as spam", False),
])
def test_email_refusals(smtp_server, command, answer, retry):
    smtp_server.answers[command] = answer
    failed = failure(channel_from_url(smtp_server.url()))
    assert failed.retry is retry
    assert answer in str(failed)


def test_email_server_down(smtp_server):
    smtp_server.stop()
    assert failure(channel_from_url(smtp_server.url())).retry


def test_email_timeout(smtp_server):
    smtp_server.delay = 3
    started = time.monotonic()
    failed = failure(channel_from_url(smtp_server.url(), timeout=0.5))
    assert failed.retry and "no answer within 0.5 s" in str(failed)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("address", ["", "lisi", "lisi@example.com\r\nBcc: evil@x.example", "Li <lisi@example.com>",
                                     "li\x00si@example.com", "li\ud800si@example.com"])
def test_email_needs_a_plain_host_address(smtp_server, address):
    failed = failure(channel_from_url(smtp_server.url()), make_notice(host_email=address))
    assert not failed.retry and "email" in str(failed)
    assert smtp_server.mails == []


# --- webhook and robots --------------------------------------------------------------------

def test_webhook_payload_and_signature(http_receiver):
    secret = "s3cr+t/=="  # typed as is: + and = survive the fragment
    notice = make_notice(visitor_name="王小明\r\nX-Evil: 1")
    channel_from_url(f"webhook+{http_receiver.url}/hooks/visitors#secret={secret}").deliver(notice)
    [hit] = http_receiver.hits
    assert (hit.method, hit.path, hit.raw_query) == ("POST", "/hooks/visitors", "")
    assert hit.json() == {
        "id": "V7Q2K3MZ4XJ5R6TA.email", "kind": "arrived", "language": "zh_CN", "site": "总部",
        "host": {"name": "李四", "email": "lisi@example.com", "phone": "13800000001"},
        "visitor": {"name": "王小明 X-Evil: 1", "company": "华为", "purpose": "商务洽谈"},
        "at": "2024-05-01T02:30:00Z", "meet_at": "1F 前台", "message": "", "link": "", "text": render(notice)[1]}
    timestamp = hit.headers["X-Kiosk-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac_sha256(secret.encode(), f"{timestamp}.".encode() + hit.body).hex()
    assert hit.headers["X-Kiosk-Signature"] == f"sha256={expected}"
    assert hit.headers["Idempotency-Key"] == notice.notice_id
    assert hit.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "X-Evil" not in hit.headers


def test_webhook_without_secret_is_not_signed(http_receiver):
    channel_from_url(f"webhook+{http_receiver.url}/in").deliver(make_notice())
    [hit] = http_receiver.hits
    assert "X-Kiosk-Signature" not in hit.headers and hit.headers["Idempotency-Key"] == "V7Q2K3MZ4XJ5R6TA.email"


def test_wecom_payload(http_receiver):
    notice = make_notice()
    channel_from_url(f"wecom+{http_receiver.url}/cgi-bin/webhook/send?key=KEY-1").deliver(notice)
    [hit] = http_receiver.hits
    assert (hit.path, hit.query) == ("/cgi-bin/webhook/send", {"key": ["KEY-1"]})
    assert hit.json() == {"msgtype": "text",
                          "text": {"content": chat_text(notice), "mentioned_mobile_list": ["13800000001"]}}
    channel_from_url(f"wecom+{http_receiver.url}/cgi-bin/webhook/send?key=KEY-1").deliver(make_notice(host_phone=""))
    assert http_receiver.hits[1].json()["text"] == {"content": chat_text(notice)}


def test_wecom_text_fits_its_2048_bytes(http_receiver):
    notice = make_notice(kind=MESSAGE, visitor_name="王" * 300, company="华" * 300, purpose="事" * 300,
                         message="留" * 900)
    channel_from_url(f"wecom+{http_receiver.url}/send?key=K").deliver(notice)
    content = http_receiver.hits[0].json()["text"]["content"]
    assert len(content.encode()) <= 2048 and content.endswith("…")
    assert content.startswith("访客留言：" + "王" * 99 + "…（" + "华" * 199 + "…）\n")


def test_dingtalk_signed(http_receiver):
    secret = "SEC" + "0f9e" * 16
    notice = make_notice()
    channel_from_url(f"dingtalk+{http_receiver.url}/robot/send?access_token=TOKEN#secret={secret}").deliver(notice)
    [hit] = http_receiver.hits
    timestamp = hit.query["timestamp"][0]
    assert abs(int(timestamp) / 1000 - time.time()) < 60
    sign = base64.b64encode(hmac_sha256(secret.encode(), f"{timestamp}\n{secret}".encode())).decode()
    assert hit.query == {"access_token": ["TOKEN"], "timestamp": [timestamp], "sign": [sign]}
    assert f"sign={quote(sign, safe='')}" in hit.raw_query  # + / = URL-encoded, as DingTalk asks
    assert hit.json() == {"msgtype": "text", "text": {"content": chat_text(notice) + "\n@13800000001"},
                          "at": {"atMobiles": ["13800000001"], "isAtAll": False}}


def test_dingtalk_unsigned(http_receiver):
    channel_from_url(f"dingtalk+{http_receiver.url}/robot/send?access_token=TOKEN").deliver(make_notice(host_phone=""))
    [hit] = http_receiver.hits
    assert hit.query == {"access_token": ["TOKEN"]}
    assert hit.json()["at"] == {"atMobiles": [], "isAtAll": False}


@pytest.mark.parametrize("answer", [{"code": 0, "msg": "success", "data": {}},
                                    {"StatusCode": 0, "StatusMessage": "success"}])
def test_feishu_signed(http_receiver, answer):
    secret = "fs+Secret/1"
    http_receiver.script(Reply(200, answer))
    notice = make_notice()
    channel_from_url(f"feishu+{http_receiver.url}/open-apis/bot/v2/hook/HOOK-1#secret={secret}").deliver(notice)
    payload = http_receiver.hits[0].json()
    timestamp = payload["timestamp"]
    assert isinstance(timestamp, str) and abs(int(timestamp) - time.time()) < 60
    sign = base64.b64encode(hmac_sha256(f"{timestamp}\n{secret}".encode(), b"")).decode()
    subject, body = render(notice)
    post = {"title": subject, "content": [[{"tag": "text", "text": line}] for line in body.split("\n")]}
    assert payload == {"msg_type": "post", "content": {"post": {"zh_cn": post}}, "timestamp": timestamp, "sign": sign}


def test_feishu_visitor_cannot_mention_everyone(http_receiver):
    http_receiver.script(Reply(200, {"code": 0}))
    notice = make_notice(company='<at user_id="all">所有人</at>')
    channel_from_url(f"feishu+{http_receiver.url}/hook/H").deliver(notice)
    payload = http_receiver.hits[0].json()
    assert "<at" not in json.dumps(payload, ensure_ascii=False) and "sign" not in payload
    assert {e["tag"] for paragraph in payload["content"]["post"]["zh_cn"]["content"] for e in paragraph} == {"text"}


def test_slack_payload_is_escaped(http_receiver):
    http_receiver.script(Reply(200, b"ok"))
    notice = make_notice(company="<!channel> & <https://evil.example|click>")
    channel_from_url(f"slack+{http_receiver.url}/services/T1/B1/X1").deliver(notice)
    text = http_receiver.hits[0].json()["text"]
    assert text == chat_text(notice).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text


def test_teams_adaptive_card(http_receiver):
    http_receiver.script(Reply(202, b""))
    notice = make_notice()
    channel_from_url(f"teams+{http_receiver.url}/workflows/w/triggers/manual/paths/invoke?sig=S").deliver(notice)
    subject, body = render(notice)
    lines = [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": line}]} for line in body.split("\n")
             if line]
    assert http_receiver.hits[0].json() == {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                    "version": "1.4", "body": [
                        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": subject,
                                                               "weight": "Bolder", "size": "Medium"}]},
                        *lines]}}]}


def test_teams_approval_link_is_a_button(http_receiver):
    http_receiver.script(Reply(202, b""))
    link = "https://kiosk.example.com/v1/approvals/VA1ABC"
    channel_from_url(f"teams+{http_receiver.url}/invoke").deliver(make_notice(kind=APPROVAL, link=link, language="en"))
    card = http_receiver.hits[0].json()["attachments"][0]["content"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Approve or deny", "url": link}]


# -- markup from visitor fields: each chat shows what was typed, in its own syntax ------------

MARKUP = "[click](http://evil.example) **x** _y_ ~z~ `c` <b>h</b> # H"


def _texts(card_part) -> list[str]:
    """Every text a Teams card shows, with the type of the element holding it."""
    found = []
    if isinstance(card_part, dict):
        if "text" in card_part:
            found.append((card_part["type"], card_part["text"]))
        for value in card_part.values():
            found += _texts(value)
    elif isinstance(card_part, list):
        for value in card_part:
            found += _texts(value)
    return found


def test_teams_shows_a_visitors_markdown_literally(http_receiver):
    """A TextBlock would turn [click](http://evil.example) into a link and **x** into bold: the
    visitor's fields only ever reach a TextRun, which Adaptive Cards never read as Markdown."""
    http_receiver.script(Reply(202, b""))
    notice = make_notice(visitor_name=MARKUP, company="**Acme**", purpose="[pay](http://evil.example/pay)")
    channel_from_url(f"teams+{http_receiver.url}/invoke").deliver(notice)
    card = http_receiver.hits[0].json()["attachments"][0]["content"]
    texts = _texts(card["body"])
    assert {kind for kind, _ in texts} == {"TextRun"}
    shown = "\n".join(text for _, text in texts)
    assert MARKUP in shown and "**Acme**" in shown and "[pay](http://evil.example/pay)" in shown
    assert "actions" not in card  # no link but an approval's


def test_slack_turns_mrkdwn_off(http_receiver):
    http_receiver.script(Reply(200, b"ok"))
    channel_from_url(f"slack+{http_receiver.url}/services/T1/B1/X1").deliver(make_notice(visitor_name=MARKUP))
    payload = http_receiver.hits[0].json()
    assert payload["mrkdwn"] is False
    assert "[click](http://evil.example) **x** _y_ ~z~ `c` &lt;b&gt;h&lt;/b&gt; # H" in payload["text"]


@pytest.mark.parametrize("url, reply", [("wecom+{}/send?key=K", Reply(200, {"errcode": 0})),
                                        ("dingtalk+{}/robot/send?access_token=T", Reply(200, {"errcode": 0}))])
def test_wecom_and_dingtalk_send_plain_text_messages(http_receiver, url, reply):
    """Their "text" messages have no markup at all (the "markdown" ones would): the fields go as typed."""
    http_receiver.script(reply)
    notice = make_notice(visitor_name=MARKUP)
    channel_from_url(url.format(http_receiver.url)).deliver(notice)
    payload = http_receiver.hits[0].json()
    assert payload["msgtype"] == "text" and "markdown" not in payload
    assert payload["text"]["content"].startswith(chat_text(notice)) and MARKUP in payload["text"]["content"]


def test_feishu_shows_a_visitors_markdown_literally(http_receiver):
    http_receiver.script(Reply(200, {"code": 0}))
    channel_from_url(f"feishu+{http_receiver.url}/hook/H").deliver(make_notice(visitor_name=MARKUP))
    post = http_receiver.hits[0].json()["content"]["post"]["zh_cn"]
    elements = [e for paragraph in post["content"] for e in paragraph]
    assert {e["tag"] for e in elements} == {"text"}  # no "a" (link) nor "at" element
    assert any(MARKUP.replace("<", "＜") in e["text"] for e in elements)


_WECOM, _DINGTALK, _FEISHU = "wecom+{}/send?key=K", "dingtalk+{}/robot/send?access_token=T", "feishu+{}/hook/H"


@pytest.mark.parametrize("url, reply, retry", [
    (_WECOM, Reply(502, b"Bad Gateway"), True),
    (_WECOM, Reply(503), True),
    (_WECOM, Reply(429, b"slow down"), True),
    (_WECOM, Reply(408), True),
    (_WECOM, Reply(200, b"<html>captive portal</html>"), True),
    (_WECOM, Reply(200, [0]), True),
    (_WECOM, Reply(200, {"errmsg": "no code"}), True),
    (_WECOM, Reply(200, {"errcode": False}), True),
    (_WECOM, Reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), True),
    (_WECOM, Reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"}), False),
    (_WECOM, Reply(400, b"bad request"), False),
    (_WECOM, Reply(401), False),
    (_WECOM, Reply(403, b"forbidden"), False),
    (_WECOM, Reply(404, b"not found"), False),
    (_WECOM, Reply(302), False),
    (_DINGTALK, Reply(200, {"errcode": 130101, "errmsg": "send too fast"}), True),
    (_DINGTALK, Reply(200, {"errcode": 310000, "errmsg": "keywords not in content"}), False),
    (_DINGTALK, Reply(200, {"errcode": 300001, "errmsg": "token is not exist"}), False),
    (_FEISHU, Reply(200, {"code": 11232, "msg": "frequency limited"}), True),
    (_FEISHU, Reply(200, {"code": 19021, "msg": "sign match fail"}), False),
    (_FEISHU, Reply(200, {"errcode": 0}), True),  # not a Feishu answer
    ("slack+{}/services/T/B/X", Reply(200, b"<html>"), True),
    ("slack+{}/services/T/B/X", Reply(404, b"no_service"), False),
    ("teams+{}/invoke", Reply(500), True),
    ("webhook+{}/in", Reply(410, b"gone"), False),
])
def test_retry_or_not(http_receiver, url, reply, retry):
    http_receiver.script(reply)
    failed = failure(channel_from_url(url.format(http_receiver.url)))
    assert failed.retry is retry
    assert len(http_receiver.hits) == 1


def test_a_scripted_outage_then_success(http_receiver):
    http_receiver.script(Reply(502), Reply(200, b"garbage"), Reply(200, {"errcode": 0}))
    channel = channel_from_url(f"wecom+{http_receiver.url}/send?key=K")
    assert failure(channel).retry and failure(channel).retry
    channel.deliver(make_notice())
    assert len({hit.body for hit in http_receiver.hits}) == 1 and len(http_receiver.hits) == 3


def test_receiver_down(http_receiver):
    http_receiver.stop()
    failed = failure(channel_from_url(f"dingtalk+{http_receiver.url}/robot/send?access_token={SECRET}"))
    assert failed.retry and SECRET not in str(failed)


def test_receiver_too_slow(http_receiver):
    http_receiver.script(Reply(200, {"errcode": 0}, delay=2))
    started = time.monotonic()
    failed = failure(channel_from_url(f"wecom+{http_receiver.url}/send?key={SECRET}", timeout=0.3))
    assert failed.retry and "no answer within 0.3 s" in str(failed) and SECRET not in str(failed)
    assert time.monotonic() - started < 1.5


# --- URLs and secrets ----------------------------------------------------------------------

@pytest.mark.parametrize("url, kind, description", [
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETX9", "wecom", "wecom qyapi.weixin.qq.com"),
    ("https://oapi.dingtalk.com/robot/send?access_token=SECRETX9#secret=SECRETX9", "dingtalk",
     "dingtalk oapi.dingtalk.com"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/SECRETX9#secret=SECRETX9", "feishu", "feishu open.feishu.cn"),
    ("https://open.larksuite.com/open-apis/bot/v2/hook/SECRETX9", "feishu", "feishu open.larksuite.com"),
    ("https://hooks.slack.com/services/T0/B0/SECRETX9", "slack", "slack hooks.slack.com"),
    ("https://acme.webhook.office.com/webhookb2/g@g/IncomingWebhook/SECRETX9/g", "teams",
     "teams acme.webhook.office.com"),
    ("https://prod-1.westeurope.logic.azure.com:443/workflows/w/triggers/manual/paths/invoke?sig=SECRETX9", "teams",
     "teams prod-1.westeurope.logic.azure.com:443"),
    ("https://default0.ab.environment.api.powerplatform.com/powerautomate/x?sig=SECRETX9", "teams",
     "teams default0.ab.environment.api.powerplatform.com"),
    ("webhook+https://user:SECRETX9@hooks.example.com/SECRETX9#secret=SECRETX9", "webhook",
     "webhook hooks.example.com"),
    ("smtps://kiosk:SECRETX9@mail.example.com?from=kiosk@example.com", "email", "email mail.example.com:465"),
    ("smtp://kiosk%40example.com:SECRETX9@mail.example.com", "email", "email mail.example.com:587"),
    ("smtp+plain://localhost?from=kiosk@example.com", "email", "email localhost:25"),
])
def test_channel_kind_and_description(url, kind, description):
    channel = channel_from_url(url)
    assert channel.kind == kind and channel.description == description
    assert SECRET not in repr(channel) and description in repr(channel)


@pytest.mark.parametrize("url", [
    "",
    "gopher://SECRETX9@example.com/SECRETX9",
    "https://example.com/hooks/SECRETX9?token=SECRETX9",
    "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETX9",
    "feishu+ftp://open.feishu.cn/open-apis/bot/v2/hook/SECRETX9",
    "wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
    "wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETX9#secret=SECRETX9",
    "dingtalk+https://oapi.dingtalk.com/robot/send?token=SECRETX9",
    "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=SECRETX9#SECRETX9",
    "webhook+https:///SECRETX9",
    "smtp://kiosk:SECRETX9@mail.example.com",
    "smtp://kiosk:SECRETX9@mail.example.com:99999?from=kiosk@example.com",
    "smtp://kiosk:SECRETX9@mail.example.com?from=kiosk@example.com&SECRETX9",
    "smtp://kiosk:SECRETX9@?from=kiosk@example.com",
    "smtp+plain://kiosk:SECRETX9@mail.example.com?from=kiosk@example.com",
    "smtps://kiosk:SECRETX9@mail.example.com?from=kiosk@example.com&cafile=/nonexistent/ca.pem",
    "http://[::1/SECRETX9",
])
def test_bad_channel_urls(url):
    with pytest.raises(BadChannel) as caught:
        channel_from_url(url)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@pytest.mark.parametrize("url, reply", [
    ("wecom+{}/send?key=SECRETX9", Reply(200, {"errcode": 93000, "errmsg": "invalid webhook url: key=SECRETX9"})),
    ("dingtalk+{}/send?access_token=T#secret=SECRETX9", Reply(200, {"errcode": 310000, "errmsg": "sign SECRETX9"})),
    ("feishu+{}/hook/SECRETX9", Reply(200, {"code": 19001, "msg": "hook SECRETX9 not found"})),
    ("slack+{}/services/T/B/SECRETX9", Reply(404, b"no service /services/T/B/SECRETX9")),
    ("teams+{}/invoke?sig=SECRETX9", Reply(502, b"upstream said sig=SECRETX9")),
])
def test_answers_echoing_a_secret_are_masked(http_receiver, url, reply):
    http_receiver.script(reply)
    failed = failure(channel_from_url(url.format(http_receiver.url)))
    assert SECRET not in str(failed) and "***" in str(failed)
