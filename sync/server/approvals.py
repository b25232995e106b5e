"""The host's approval page: what the link in an approval notice opens (GET and POST
/v1/approvals/{token}), for a person's browser, so every answer is a small HTML page.

The link is the credential: a kiosk signed it (kiosk.core.approvals) with the badge key its site
registered here, so it names one visit of one site and dies when it expires or its device is
revoked. The page shows the visit from the site's visits; the host's answer is stored as an
``approved`` or ``denied`` event of the server's own (device "server") in the site's log, which
the kiosk pulls, and it prints the badge. Only the form's POST decides: messaging apps fetch a
link (GET) to preview it, and that must never approve anyone. A visit is decided once: the
check and the write share one transaction (store.append).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs

from fastapi.responses import HTMLResponse

from kiosk.core import approvals as links
from kiosk.core import events as ev
from kiosk.core import tokens
from kiosk.core.masking import mask_text
from kiosk.core.tokens import KeyRing
from kiosk.core.validation import clean_text
from kiosk.core.visits import AWAITING_APPROVAL, DENIED, Visit
from kiosk.errors import ValidationError
from sync import protocol
from sync.server import store
from sync.server.db import Database
from sync.server.errors import Conflict, Forbidden, Invalid, NotFound, ServerError, UnsupportedMedia
from sync.server.models import local_time

log = logging.getLogger(__name__)

BY = "host via link"  # who decided, as the visit's record says
MAX_NOTE = 200  # as reception's own decisions (kiosk.services.Kiosk.decide)
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# What the page says, a line in Simplified Chinese, then one in English: it cannot know the
# host's language.
_ASK = "请确认是否同意此访客进入。\nPlease approve or deny this visitor."
_APPROVED = "已同意：访客机将打印访客卡。\nApproved: the kiosk prints the visitor's badge now."
_DENIED = "已拒绝：前台会告知访客。\nDenied: reception will tell the visitor."
_WAS_APPROVED = "此来访已处理（已同意），无需再次审批。\nThis visit was already decided: approved."
_WAS_DENIED = "此来访已处理（已拒绝），无需再次审批。\nThis visit was already decided: denied."
_NOT_YET = ("服务器上还没有这次来访，访客机可能尚未同步；请一分钟后刷新。\n"
            "This visit has not reached the server yet (the kiosk syncs every few seconds); reload in a minute.")
_INVALID = "此审批链接无效。\nThis approval link is not valid."
_EXPIRED = "此审批链接已过期，请联系前台。\nThis approval link has expired; please call reception."
_RETIRED = ("发出此链接的访客机已停用，请联系前台。\n"
            "The kiosk that sent this link was retired; please call reception.")
_BUSY = "服务器暂时无法处理，请稍后再试。\nThe server cannot answer just now; try again in a minute."
_REFUSED: dict[str, tuple[type[ServerError], str]] = {
    tokens.MALFORMED: (NotFound, _INVALID), tokens.UNKNOWN_KEY: (NotFound, _INVALID),
    tokens.BAD_SIGNATURE: (NotFound, _INVALID), tokens.WRONG_SIGNER: (NotFound, _INVALID),
    tokens.OTHER_SITE: (Forbidden, _INVALID),
    tokens.EXPIRED: (Forbidden, _EXPIRED), tokens.REVOKED: (Forbidden, _RETIRED)}
_FIELDS = (("访客", "Visitor"), ("单位", "Company"), ("来访事由", "Purpose"), ("被访人", "Host"),
           ("登记时间", "Signed in"))
# No script, no resource from anywhere, no framing (the buttons must not be clickjacked), no
# Referer carrying the link away, no copy of a decision page in a cache.
_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                       "frame-ancestors 'none'; base-uri 'none'",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Page:
    status: int
    message: str  # its lines: Chinese, then English
    visit: Visit | None = None
    form: bool = False  # the approve and deny buttons


def show(db: Database, token: str, now: int) -> Page:
    """What the link shows: the visit, with the buttons while it awaits approval."""
    site, visit_id = _checked(db, token, now)
    visit = store.get_visit(db, site, visit_id)
    if visit is None:
        raise NotFound(_NOT_YET)
    if visit.state != AWAITING_APPROVAL:
        return Page(200, _decided(visit), visit)
    return Page(200, _ASK, visit, form=True)


def decide(db: Database, token: str, now: int, body: bytes, content_type: str) -> Page:
    """The host's answer from the page's form, stored once; "already decided" after that."""
    site, visit_id = _checked(db, token, now)
    approve, note = _answer(body, content_type)
    stored = store.append(db, site, ev.APPROVED if approve else ev.DENIED, visit_id, {"by": BY, "note": note}, now,
                          unless=lambda visit: visit is None or visit.state != AWAITING_APPROVAL)
    visit = store.get_visit(db, site, visit_id)  # projected here and now: the page shows the decision
    if stored is None:
        raise NotFound(_NOT_YET) if visit is None else Conflict(_decided(visit))
    return Page(200, _APPROVED if approve else _DENIED, visit)


def answer(make: Callable[[], Page]) -> HTMLResponse:
    """The page ``make`` makes, or the one saying why not: a refusal's message is its lines
    (Chinese, then English); what the database says of itself is logged, not shown."""
    try:
        page = make()
    except ServerError as exc:
        if exc.status >= 500:
            log.error("%s", exc)
        page = Page(exc.status, _BUSY if exc.status >= 500 else str(exc))
    return HTMLResponse(_html(page), status_code=page.status, headers=_HEADERS)


def _checked(db: Database, token: str, now: int) -> tuple[str, str]:
    """(site, visit id) of a live link signed by a key of its site's devices."""
    site = links.claimed_site(token)
    ring = KeyRing(store.device_keys(db, site) if protocol.NAME.fullmatch(site) else ())
    verdict = links.read_approval(token, ring, now=now // 1000, site=site)
    if not verdict.ok:
        error, message = _REFUSED[verdict.reason]
        raise error(message)
    return verdict.site, verdict.visit_id


def _answer(body: bytes, content_type: str) -> tuple[bool, str]:
    """(approve, note) from the form's urlencoded body."""
    if content_type.partition(";")[0].strip().lower() != FORM_MEDIA_TYPE:
        raise UnsupportedMedia(f"请从审批页面提交。\nSend the page's form ({FORM_MEDIA_TYPE}).")
    try:
        fields = parse_qs(body.decode("ascii"), keep_blank_values=True, errors="strict")
        note = clean_text(fields.get("note", [""])[-1], "note", MAX_NOTE)
    except UnicodeError:
        raise Invalid("提交的内容无法识别。\nThe form's content is not UTF-8 text.") from None
    except ValidationError as e:
        raise Invalid(f"备注不能使用：{e}\nThe note cannot be used: {e}") from None
    decision = fields.get("decision", [""])[-1]
    if decision not in ("approve", "deny"):
        raise Invalid("请选择同意或拒绝。\nChoose approve or deny.")
    return decision == "approve", note


def _decided(visit: Visit) -> str:
    return _WAS_DENIED if visit.state == DENIED else _WAS_APPROVED


# -- the page ----------------------------------------------------------------------------------

_STYLE = ("body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;"
          "max-width:32rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1f2328}"
          "h1{font-size:1.3rem}p{margin:.4rem 0}.en{color:#59636e}table{width:100%;border-collapse:collapse;"
          "margin:1rem 0}th{text-align:left;font-weight:normal;color:#59636e;padding:.4rem .8rem .4rem 0;"
          "vertical-align:top;white-space:nowrap}td{padding:.4rem 0;font-weight:600;word-break:break-word}"
          "textarea{width:100%;box-sizing:border-box;font:inherit;margin:.3rem 0}button{font:inherit;"
          "font-size:1.2rem;width:100%;padding:.8rem;margin-top:.6rem;border:0;border-radius:.5rem;color:#fff}"
          ".approve{background:#1a7f37}.deny{background:#cf222e}")
_TITLE = "访客审批 Visitor approval"


def _html(page: Page) -> str:
    e = html.escape
    zh, _, en = page.message.partition("\n")
    message = f'<p>{e(zh)}</p><p class="en">{e(en)}</p>'
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_TITLE}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{_TITLE}</h1>{message}"
            f"{_visit_table(page.visit) if page.visit else ''}{_FORM if page.form else ''}</body></html>")


def _visit_table(visit: Visit) -> str:
    host = visit.host.get("name", "")
    if visit.host.get("department"):
        host = f"{host} · {visit.host['department']}"
    since = local_time(visit.signed_in_at)
    values = (visit.visitor.get("name", ""), visit.visitor.get("company", ""),
              mask_text(str(visit.visitor.get("purpose", ""))),  # a number typed there, masked
              host, since.strftime("%Y-%m-%d %H:%M") if since else "")
    # What devices push is stored as pushed: every value is escaped, whatever its type.
    rows = "".join(f"<tr><th>{zh}<br>{en}</th><td>{html.escape(str(value))}</td></tr>"
                   for (zh, en), value in zip(_FIELDS, values))
    return f"<table>{rows}</table>"


# CSRF: the form needs no token of its own, since the link in its URL is one: only who holds the
# link can post to it, and a page elsewhere that could forge the post would need the link first.
_FORM = ('<form method="post" accept-charset="utf-8">'
         '<label for="note">备注（可选）Note (optional)</label>'
         f'<textarea id="note" name="note" rows="2" maxlength="{MAX_NOTE}"></textarea>'
         '<button class="approve" name="decision" value="approve">同意 Approve</button>'
         '<button class="deny" name="decision" value="deny">拒绝 Deny</button></form>')
