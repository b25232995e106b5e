"""A notification channel from one URL, the way python-escpos picks a printer backend from its
settings: the scheme says the kind, the rest says where and how.

    smtp://[user:password@]host[:port]?from=ADDRESS[&cafile=PATH]
        email over SMTP with STARTTLS, which is required (port 587); ?cafile= trusts a private CA
    smtps://[user:password@]host[:port]?from=ADDRESS[&cafile=PATH]
        email over TLS from the first byte (port 465)
    smtp+plain://[user:password@]host[:port]?from=ADDRESS
        email in clear (port 25), for a relay on this machine only (localhost, 127.0.0.1, ::1)
    webhook+https://host/path[#secret=S]
        our own JSON (see :class:`kiosk.notify.bots.Webhook`); with a secret it is signed:
        X-Kiosk-Signature: sha256=hex(HMAC-SHA256(S, "{X-Kiosk-Timestamp}.{raw body}"))
    wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
        企业微信 group robot
    dingtalk+https://oapi.dingtalk.com/robot/send?access_token=TOKEN[#secret=SEC...]
        钉钉 custom robot; with the secret of its "加签" security setting, signed
    feishu+https://open.feishu.cn/open-apis/bot/v2/hook/ID[#secret=S]
        飞书 custom bot (open.larksuite.com for Lark); with the secret, signed
    slack+https://hooks.slack.com/services/...
        Slack incoming webhook
    teams+https://...
        Microsoft Teams Workflows (or legacy incoming webhook) URL

A plain https:// URL on one of those services' hosts (qyapi.weixin.qq.com, oapi.dingtalk.com,
open.feishu.cn, open.larksuite.com, hooks.slack.com, *.webhook.office.com, *.logic.azure.com,
*.api.powerplatform.com) is recognised by its host. ``kind+http://`` works for every HTTP kind
only to the hosts the ``allow_plain_http`` setting lists (kiosk.notify.plainhttp): a relay on
the local network, a test receiver. Secrets go in the fragment, which HTTP never
sends; a user name or password with @ : / % in it is percent-encoded (@ is %40).
"""

from __future__ import annotations

from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

import requests

from kiosk.notify import BadChannel, Channel
from kiosk.notify.bots import BY_KIND
from kiosk.notify.email import PLAIN, STARTTLS, TLS, SmtpChannel
from kiosk.notify.plainhttp import NOWHERE, PlainHttp

_SMTP = {"smtp": (STARTTLS, 587), "smtps": (TLS, 465), "smtp+plain": (PLAIN, 25)}
_HOSTS = {"qyapi.weixin.qq.com": "wecom", "oapi.dingtalk.com": "dingtalk", "open.feishu.cn": "feishu",
          "open.larksuite.com": "feishu", "hooks.slack.com": "slack"}
# Teams Workflows URLs live under Azure Logic Apps and, since 2025, the Power Platform API.
_HOST_SUFFIXES = {".webhook.office.com": "teams", ".logic.azure.com": "teams", ".api.powerplatform.com": "teams"}
ACCEPTED = ("smtp://, smtps://, smtp+plain://, webhook+https://, wecom+https://, dingtalk+https://, "
            "feishu+https://, slack+https://, teams+https://, or the https:// URL of a WeCom, DingTalk, "
            "Feishu/Lark, Slack or Teams robot")


def channel_from_url(url: str, *, session: requests.Session | None = None, timeout: float = 10.0,
                     plain_http: PlainHttp | None = NOWHERE) -> Channel:
    """The channel a URL names (see the module's documentation), or :class:`BadChannel`.
    ``plain_http``: the hosts an http:// URL may name (none by default); None checks the URL's
    form only, for a caller that judges http:// itself (:func:`plain_http_refusal`)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number below 65536
    except ValueError:
        raise BadChannel(f"not a valid channel URL; use {ACCEPTED}") from None
    scheme = parts.scheme.lower()
    if scheme in _SMTP:
        return _smtp(parts, scheme, timeout)
    kind, plus, transport = scheme.partition("+")
    if not plus:
        kind, transport = (_kind_by_host(parts.hostname or "") if scheme == "https" else ""), scheme
    if kind not in BY_KIND or transport not in ("http", "https"):
        # Scheme and host only: the path or query may hold the key.
        raise BadChannel(f"unknown notification channel {scheme}://{parts.hostname or ''}; use {ACCEPTED}")
    refused = plain_http and plain_http_refusal(url, plain_http)
    if refused:
        raise BadChannel(refused)
    http_url = urlunsplit((transport, parts.netloc, parts.path, parts.query, ""))
    return BY_KIND[kind](http_url, secret=_secret(parts, kind), session=session, timeout=timeout)


def plain_http_refusal(url: str, plain_http: PlainHttp) -> str | None:
    """Why this channel URL may not be used under ``plain_http`` (an http:// URL to a host it
    does not list), or None. Other faults are :func:`channel_from_url`'s to find."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    kind, _, transport = parts.scheme.lower().rpartition("+")
    if transport != "http" or kind.startswith("smtp"):
        return None
    return plain_http.refusal(kind or "http", parts.hostname or "")


def _kind_by_host(host: str) -> str:
    return _HOSTS.get(host) or next((k for suffix, k in _HOST_SUFFIXES.items() if host.endswith(suffix)), "")


def _params(text: str) -> dict[str, str]:
    # Not parse_qs: it reads "+" as a space, and "+" is common in secrets and addresses.
    return {unquote(k): unquote(v) for k, _, v in (p.partition("=") for p in text.split("&") if p)}


def _secret(parts: SplitResult, kind: str) -> str:
    params = _params(parts.fragment)
    if set(params) - {"secret"}:
        # Not the names either: "#SECxxx" without "secret=" would put the secret in the message.
        raise BadChannel(f"{kind} {parts.hostname}: the URL fragment may only be #secret=...")
    return params.get("secret", "")


def _smtp(parts: SplitResult, scheme: str, timeout: float) -> SmtpChannel:
    security, default_port = _SMTP[scheme]
    if not parts.hostname:
        raise BadChannel(f"{scheme}: the URL has no host; use {scheme}://[user:password@]host[:port]?from=ADDRESS")
    query = _params(parts.query)
    if set(query) - {"from", "cafile"} or parts.fragment:
        raise BadChannel(f"{scheme}://{parts.hostname}: the URL takes only ?from=ADDRESS and &cafile=PATH")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    sender = query.get("from") or (username if "@" in username else "")
    return SmtpChannel(parts.hostname, parts.port or default_port, security=security, sender=sender,
                       username=username, password=password, cafile=query.get("cafile"), timeout=timeout)
