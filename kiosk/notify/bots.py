"""HTTP channels: a signed generic webhook and the group robots of WeCom, DingTalk, Feishu/Lark,
Slack and Teams, over an injected ``requests.Session`` with an explicit timeout.

Every channel POSTs one JSON body (UTF-8) to its URL. The answer sorts the failure for the
outbox: no answer, 408, 429, 5xx, an unexpected body or a robot's rate limit may pass
(``retry=True``); any other 4xx or a robot's own error code (a wrong key, a refused signature)
needs a person. What a server says back is quoted in the message with the URL's secrets masked,
in case it echoes them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from abc import abstractmethod
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import requests

from kiosk.notify import BadChannel, Channel, DeliveryFailed
from kiosk.notify.notice import APPROVAL, ELLIPSIS, Notice, link_label, one_line, render

_SAID = 200  # characters of a server's answer quoted in a message
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"
# A Feishu post's content by language; the others show whichever there is.
_FEISHU_LANGUAGES = {"zh_CN": "zh_cn", "zh_TW": "zh_cn", "en": "en_us"}


def _chat_text(notice: Notice) -> str:
    subject, body = render(notice)
    return f"{subject}\n{body}"


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class HttpChannel(Channel):
    """A URL that takes a JSON POST; any 2xx means delivered unless a subclass knows better."""

    signed = False       # whether the URL may carry #secret=
    required_param = ""  # a query parameter the URL cannot work without

    def __init__(self, url: str, *, secret: str = "", session: requests.Session | None = None,
                 timeout: float = 10.0):
        parts = urlsplit(url)
        super().__init__(f"{self.kind} {parts.netloc.rpartition('@')[2]}")
        if not parts.hostname:
            raise BadChannel(f"{self.kind}: the URL has no host")
        if secret and not self.signed:
            raise BadChannel(f"{self.description}: this channel is not signed; remove #secret= from the URL")
        query = parse_qsl(parts.query)
        if self.required_param and not dict(query).get(self.required_param):
            raise BadChannel(f"{self.description}: the URL needs its ?{self.required_param}= parameter")
        self._url, self._secret = url, secret
        self._session = session or requests.Session()
        self._timeout = timeout
        # A robot's key is in the query (WeCom, DingTalk) or the last path segment (Feishu, Slack).
        self._hidden = {s for s in (secret, parts.path.rpartition("/")[2], *(v for _, v in query)) if s}

    def deliver(self, notice: Notice) -> None:
        notice = notice.cleaned()
        body = json.dumps(self._payload(notice), ensure_ascii=False).encode("utf-8")
        self._check(self._post(body, **self._signature(notice, body)))

    @abstractmethod
    def _payload(self, notice: Notice) -> dict:
        """The JSON body for a (cleaned) notice."""

    def _signature(self, notice: Notice, body: bytes) -> dict:
        """Extra ``params`` or ``headers`` for the POST."""
        return {}

    def _check(self, response: requests.Response) -> None:
        """Raise unless the (2xx) answer says the message was taken."""

    def _post(self, body: bytes, *, params: dict | None = None, headers: dict | None = None) -> requests.Response:
        try:
            # No redirects: a POST turned into a GET elsewhere would be reported as delivered.
            response = self._session.post(self._url, data=body, params=params, headers={**_JSON, **(headers or {})},
                                          timeout=self._timeout, allow_redirects=False)
        except requests.Timeout:
            raise self._failed(f"no answer within {self._timeout:g} s", retry=True) from None
        except requests.RequestException:
            # Not the exception's text: it holds the URL, and so the key.
            raise self._failed("cannot reach the server (network down or server stopped)", retry=True) from None
        status = response.status_code
        if status in (408, 429) or status >= 500:
            raise self._failed(f"HTTP {status}{self._said(response.text)}", retry=True)
        if not 200 <= status < 300:
            raise self._failed(f"HTTP {status}{self._said(response.text)}", retry=False)
        return response

    def _failed(self, what: str, *, retry: bool) -> DeliveryFailed:
        return DeliveryFailed(f"{self.description}: {what}", retry=retry)

    def _said(self, text: object) -> str:
        said = one_line(str(text or ""))
        for secret in self._hidden:
            said = said.replace(secret, "***")
        return f" ({said[:_SAID]})" if said else ""


class Webhook(HttpChannel):
    """Our own format for any receiver: the notice as JSON, signed like Stripe or GitHub sign
    theirs, so the receiver can check it came from us and is fresh."""

    kind = "webhook"
    signed = True

    def _payload(self, notice: Notice) -> dict:
        at = datetime.fromtimestamp(notice.at / 1000, timezone.utc).strftime(_ISO_UTC) if notice.at else None
        return {"id": notice.notice_id, "kind": notice.kind, "language": notice.language, "site": notice.site,
                "host": {"name": notice.host_name, "email": notice.host_email, "phone": notice.host_phone},
                "visitor": {"name": notice.visitor_name, "company": notice.company, "purpose": notice.purpose},
                "at": at, "meet_at": notice.meet_at, "message": notice.message, "link": notice.link,
                "text": render(notice)[1]}

    def _signature(self, notice: Notice, body: bytes) -> dict:
        timestamp = str(int(time.time()))
        headers = {"X-Kiosk-Timestamp": timestamp, "Idempotency-Key": notice.notice_id}
        if self._secret:
            signature = _hmac_sha256(self._secret.encode(), f"{timestamp}.".encode() + body)
            headers["X-Kiosk-Signature"] = f"sha256={signature.hex()}"
        return {"headers": headers}


class _Robot(HttpChannel):
    """A chat robot that answers HTTP 200 with a JSON error code, 0 meaning sent."""

    code_fields = ("errcode",)
    message_fields = ("errmsg",)
    rate_limited: frozenset[int] = frozenset()

    def _check(self, response: requests.Response) -> None:
        try:
            answer = response.json()
        except ValueError:
            raise self._failed(f"the answer was not JSON{self._said(response.text)}", retry=True) from None
        if not isinstance(answer, dict):
            raise self._failed(f"unexpected answer{self._said(response.text)}", retry=True)
        code = next((answer[f] for f in self.code_fields if f in answer), None)
        if type(code) is not int:  # bool is an int too
            raise self._failed(f"unexpected answer{self._said(response.text)}", retry=True)
        if code != 0:
            said = self._said(next((answer[f] for f in self.message_fields if f in answer), ""))
            raise self._failed(f"error {code}{said}", retry=code in self.rate_limited)


class WeCom(_Robot):
    """企业微信 group robot: https://developer.work.weixin.qq.com/document/path/91770 (text at most
    2048 bytes, 20 messages a minute); error codes: https://developer.work.weixin.qq.com/document/path/90313
    (45009 over the call limit; 93000 invalid webhook URL). A "text" message, which shows what
    a visitor typed as typed: the "markdown" one would make their [t](url) a link."""

    kind = "wecom"
    required_param = "key"
    rate_limited = frozenset({45009})
    MAX_BYTES = 2048

    def _payload(self, notice: Notice) -> dict:
        text: dict = {"content": _fit(_chat_text(notice), self.MAX_BYTES)}
        if notice.host_phone:
            text["mentioned_mobile_list"] = [notice.host_phone]
        return {"msgtype": "text", "text": text}


class DingTalk(_Robot):
    """钉钉 custom robot: https://open.dingtalk.com/document/robots/custom-robot-access (payload,
    20 messages a minute, errcode 130101 "send too fast"); signing ("加签"):
    https://open.dingtalk.com/document/robots/customize-robot-security-settings. A "text"
    message, shown as typed (not "markdown", which would read a visitor's [t](url) as a link)."""

    kind = "dingtalk"
    signed = True
    required_param = "access_token"
    rate_limited = frozenset({130101})

    def _payload(self, notice: Notice) -> dict:
        phones = [notice.host_phone] if notice.host_phone else []
        # DingTalk highlights an @ only when the number is also written in the text.
        content = _chat_text(notice) + "".join(f"\n@{p}" for p in phones)
        return {"msgtype": "text", "text": {"content": content}, "at": {"atMobiles": phones, "isAtAll": False}}

    def _signature(self, notice: Notice, body: bytes) -> dict:
        if not self._secret:
            return {}
        timestamp = str(int(time.time() * 1000))
        sign = base64.b64encode(_hmac_sha256(self._secret.encode(), f"{timestamp}\n{self._secret}".encode())).decode()
        return {"params": {"timestamp": timestamp, "sign": sign}}  # requests URL-encodes the sign


class Feishu(_Robot):
    """飞书 / Lark custom bot: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
    (payload; signing: HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message; answer
    "code", or "StatusCode" from older deployments; 11232 frequency limited, 19021 bad sign).

    A rich-text ("post") message of plain "text" elements, one paragraph a line: Feishu's "text"
    message reads Markdown-like styles and links (**x**, [t](url)) and <at> tags from the text,
    where a post's text element is only text (mentions and links are elements of their own)."""

    kind = "feishu"
    signed = True
    code_fields = ("code", "StatusCode")
    message_fields = ("msg", "StatusMessage")
    rate_limited = frozenset({11232})

    def _payload(self, notice: Notice) -> dict:
        subject, body = render(notice)
        # <at user_id="all"> is not read in a text element; a full-width < keeps it inert anyway.
        paragraphs = [[{"tag": "text", "text": line.replace("<", "＜")}] for line in body.split("\n")]
        post = {"title": subject.replace("<", "＜"), "content": paragraphs}
        language = _FEISHU_LANGUAGES.get(notice.language, "zh_cn")
        payload: dict = {"msg_type": "post", "content": {"post": {language: post}}}
        if self._secret:
            timestamp = str(int(time.time()))
            payload["timestamp"] = timestamp
            payload["sign"] = base64.b64encode(_hmac_sha256(f"{timestamp}\n{self._secret}".encode(), b"")).decode()
        return payload


class Slack(HttpChannel):
    """Slack incoming webhook: https://api.slack.com/messaging/webhooks (answers "ok"); & < >
    escaped so a visitor cannot write <!channel> or a disguised link <URL|text>:
    https://api.slack.com/reference/surfaces/formatting#escaping. mrkdwn has no escape for
    *bold* _italic_ ~strike~ `code`, so it is off for the message ("mrkdwn": false)."""

    kind = "slack"

    def _payload(self, notice: Notice) -> dict:
        text = _chat_text(notice).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return {"text": text, "mrkdwn": False}

    def _check(self, response: requests.Response) -> None:
        if response.text.strip() != "ok":
            raise self._failed(f"unexpected answer{self._said(response.text)}", retry=True)


class Teams(HttpChannel):
    """Microsoft Teams Workflows (or legacy incoming webhook) with an Adaptive Card:
    https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using

    No TextBlock: its text is Markdown (a visitor named [click](http://evil) would be a link, **x**
    bold), and Teams' clients do not agree on backslash escapes. Every text is a TextRun in a
    RichTextBlock, one a line, which is never Markdown:
    https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features. The approval link,
    our own server's, is a button."""

    kind = "teams"

    def _payload(self, notice: Notice) -> dict:
        subject, body = render(notice)
        title = {"type": "TextRun", "text": subject, "weight": "Bolder", "size": "Medium"}
        blocks = [_rich_text(title)] + [_rich_text({"type": "TextRun", "text": line}) for line in body.split("\n")
                                        if line]
        card: dict = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                      "version": "1.4", "body": blocks}
        link = notice.cleaned().link
        if notice.kind == APPROVAL and link.lower().startswith(("https://", "http://")):
            card["actions"] = [{"type": "Action.OpenUrl", "title": link_label(notice.language), "url": link}]
        return {"type": "message",
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def _rich_text(run: dict) -> dict:
    return {"type": "RichTextBlock", "inlines": [run]}


def _fit(text: str, max_bytes: int) -> str:
    """Text cut to at most ``max_bytes`` of UTF-8, ending with "…" when cut."""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes - len(ELLIPSIS.encode())].decode("utf-8", "ignore") + ELLIPSIS


BY_KIND: dict[str, type[HttpChannel]] = {c.kind: c for c in (Webhook, WeCom, DingTalk, Feishu, Slack, Teams)}
