"""What a host is told about a visit (a :class:`Notice`) and its text in the host's language.

A notice is plain data: the outbox stores it as JSON (``to_dict``/``from_dict``) until a channel
delivers it. What a visitor typed is hostile by the time it reaches a mail header, a chat group
or an HTML page, so every output is made from :meth:`Notice.cleaned`: control characters (CR/LF,
U+2028/2029, bidi overrides, zero-width marks) gone, one-line fields on one line, long texts cut.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime

ARRIVED = "arrived"    # the visitor signed in
MESSAGE = "message"    # the visitor left a note: the host is away
APPROVAL = "approval"  # the visit needs the host's approval at ``link``
ALERT = "alert"        # the entry policy stopped a visitor: reception and security, not a host
KINDS = (ARRIVED, MESSAGE, APPROVAL, ALERT)

# Longest texts we pass on, in characters; the cut ones end with "…".
CAPS = {"visitor_name": 100, "company": 200, "purpose": 200, "message": 500}
ANSWER_CAP = 200  # each question and each answer of the visitor type's (a contractor's permit)
MAX_ANSWERS = 20
ELLIPSIS = "…"
TIME_FORMAT = "%Y-%m-%d %H:%M"
# The id is the left part of the email Message-ID (an RFC 5322 dot-atom) and an HTTP header.
_NOTICE_ID = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}")


@dataclass(frozen=True)
class Notice:
    notice_id: str  # stable, unique per (visit, channel): email Message-ID, webhook idempotency key
    kind: str       # ARRIVED, MESSAGE or APPROVAL
    language: str   # the host's: "zh_CN", "zh_TW" or "en" (anything else reads as zh_CN)
    site: str
    host_name: str
    host_email: str = ""
    host_phone: str = ""
    visitor_name: str = ""
    company: str = ""
    purpose: str = ""
    at: int = 0         # ms since the epoch (UTC) when the visitor signed in
    meet_at: str = ""   # where to meet, e.g. "1F 前台"
    message: str = ""   # the visitor's note (MESSAGE)
    link: str = ""      # where to approve or deny (APPROVAL)
    # The visitor type and its questions' answers, as (question, answer) in the host's language
    # (APPROVAL: what whoever approves needs, e.g. a contractor's permit, work area and tools).
    answers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown notice kind {self.kind!r} (expected one of {', '.join(KINDS)})")
        if not _NOTICE_ID.fullmatch(self.notice_id):
            raise ValueError("notice_id must be 1-200 characters among A-Z a-z 0-9 . - _ and !#$%&'*+/=?^`{|}~")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Notice:
        # Keys a newer version added are dropped, so an older kiosk can still read its outbox.
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in data.items() if k in names}
        if "answers" in kept:  # JSON made the pairs lists
            kept["answers"] = tuple((str(question), str(answer)) for question, answer in kept["answers"])
        return cls(**kept)

    def cleaned(self) -> Notice:
        """This notice as it may be shown anywhere: the visitor's note keeps its line breaks,
        every other text is one line; no control characters; long texts cut."""
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                changes[f.name] = cap(lines(value) if f.name == "message" else one_line(value), CAPS.get(f.name))
        changes["answers"] = tuple((cap(one_line(question), ANSWER_CAP), cap(one_line(answer), ANSWER_CAP))
                                   for question, answer in self.answers[:MAX_ANSWERS])
        return replace(self, **changes)


def one_line(text: str) -> str:
    """Text on one line, whitespace collapsed, without control, format (bidi overrides,
    zero-width), private-use or unassigned characters."""
    # Line breaks of every kind (CR, LF, U+2028, U+2029, NEL) are whitespace: split() takes them.
    kept = (ch for ch in unicodedata.normalize("NFC", text) if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join("".join(kept).split())


def lines(text: str) -> str:
    """Like :func:`one_line` for each line; lines joined with a plain LF."""
    return "\n".join(one_line(line) for line in text.splitlines()).strip()


def cap(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[:limit - len(ELLIPSIS)] + ELLIPSIS


@dataclass(frozen=True)
class _Words:
    subject: dict[str, str]  # by kind; {who} is the visitor
    with_company: str        # {name} and {company}
    greeting: str            # {host}
    lead: dict[str, str]     # by kind; {site}
    labels: dict[str, str]   # by Notice field
    colon: str
    visitor_type: str        # the label of the visitor type's row
    yes_no: tuple[str, str]  # a yes/no question's answers


_ZH_CN = _Words(
    subject={ARRIVED: "访客到访：{who}", MESSAGE: "访客留言：{who}", APPROVAL: "访客来访待审批：{who}",
             ALERT: "访客登记被拦截：{who}"},
    with_company="{name}（{company}）",
    greeting="{host}，您好：",
    lead={ARRIVED: "您的访客已到达{site}，请前往接待。", MESSAGE: "您的访客来到{site}时您不在，对方给您留了言。",
          APPROVAL: "有一位访客来到{site}，需要您审批：请打开下面的链接批准或拒绝。",
          ALERT: "{site}的访客机按访客名单拦截了一位访客，已请其到前台：请前台和安保处理。"},
    labels={"visitor_name": "访客", "company": "单位", "purpose": "事由", "at": "到访时间",
            "meet_at": "接待地点", "message": "留言", "link": "审批链接"},
    colon="：",
    visitor_type="来访类型",
    yes_no=("是", "否"),
)
_ZH_TW = _Words(
    subject={ARRIVED: "訪客到訪：{who}", MESSAGE: "訪客留言：{who}", APPROVAL: "訪客來訪待審批：{who}",
             ALERT: "訪客登記被攔截：{who}"},
    with_company="{name}（{company}）",
    greeting="{host}，您好：",
    lead={ARRIVED: "您的訪客已到達{site}，請前往接待。", MESSAGE: "您的訪客來到{site}時您不在，對方給您留了言。",
          APPROVAL: "有一位訪客來到{site}，需要您審批：請打開下面的連結核准或拒絕。",
          ALERT: "{site}的訪客機依訪客名單攔截了一位訪客，已請其到櫃檯：請櫃檯與保全處理。"},
    labels={"visitor_name": "訪客", "company": "單位", "purpose": "事由", "at": "到訪時間",
            "meet_at": "接待地點", "message": "留言", "link": "審批連結"},
    colon="：",
    visitor_type="來訪類型",
    yes_no=("是", "否"),
)
_EN = _Words(
    subject={ARRIVED: "Visitor arrived: {who}", MESSAGE: "Message from a visitor: {who}",
             APPROVAL: "Visitor awaiting your approval: {who}", ALERT: "Visitor stopped at sign-in: {who}"},
    with_company="{name} ({company})",
    greeting="Hello {host},",
    lead={ARRIVED: "Your visitor has arrived at {site}; please come to meet them.",
          MESSAGE: "Your visitor came to {site} while you were away and left you a message.",
          APPROVAL: "A visitor at {site} needs your approval: open the link below to approve or deny.",
          ALERT: "The kiosk at {site} stopped a visitor on the watchlist and sent them to reception: "
                 "reception and security, please deal with it."},
    labels={"visitor_name": "Visitor", "company": "Company", "purpose": "Purpose", "at": "Arrived",
            "meet_at": "Meet at", "message": "Message", "link": "Approve or deny"},
    colon=": ",
    visitor_type="Visitor type",
    yes_no=("Yes", "No"),
)
_LANGUAGES = {"zh_CN": _ZH_CN, "zh_TW": _ZH_TW, "en": _EN}


def _words(language: str) -> _Words:
    return _LANGUAGES.get(language, _ZH_CN)


def _parts(notice: Notice) -> tuple[str, str, str, list[tuple[str, str, str]]]:
    """Subject, greeting, lead and the (field, label, value) rows of a cleaned notice."""
    words = _words(notice.language)
    who = words.with_company.format(name=notice.visitor_name, company=notice.company) if notice.company \
        else notice.visitor_name
    values = {"visitor_name": notice.visitor_name, "company": notice.company, "purpose": notice.purpose,
              "at": datetime.fromtimestamp(notice.at / 1000).strftime(TIME_FORMAT) if notice.at else "",
              "meet_at": notice.meet_at, "message": notice.message if notice.kind == MESSAGE else "",
              "link": notice.link if notice.kind == APPROVAL else ""}
    rows = [(name, words.labels[name], value) for name, value in values.items() if value]
    at = next((i for i, (name, _, _) in enumerate(rows) if name not in ("visitor_name", "company", "purpose")),
              len(rows))
    rows[at:at] = [("answer", question, answer) for question, answer in notice.answers if question and answer]
    return (words.subject[notice.kind].format(who=who), words.greeting.format(host=notice.host_name),
            words.lead[notice.kind].format(site=notice.site), rows)


def answer_rows(visitor_type, answers: dict, language: str) -> tuple[tuple[str, str], ...]:
    """A visitor type (kiosk.core.policy.VisitorType, or None) and the visitor's answers to its
    questions as (question, answer) rows in ``language``: the type first, unless a plain guest;
    a yes/no or a choice in words, not keys; an answer to a question the policy no longer asks
    under its key. Empty when there is nothing to say."""
    from kiosk.core.policy import CHOICE, YESNO

    words = _words(language)
    lang = language if language in _LANGUAGES else "zh_CN"
    if visitor_type is None:
        return tuple((key, str(answer)) for key, answer in answers.items())
    rows = [] if visitor_type.key == "guest" else [(words.visitor_type, visitor_type.labels.get(lang, visitor_type.key))]
    asked = {q.key: q for q in visitor_type.questions}
    for key in [k for k in asked if k in answers] + [k for k in answers if k not in asked]:
        answer, question = str(answers[key]), asked.get(key)
        if question is None:
            rows.append((key, answer))
            continue
        if question.kind == YESNO:
            answer = dict(zip(("yes", "no"), words.yes_no)).get(answer, answer)
        elif question.kind == CHOICE:
            answer = next((c.labels.get(lang, c.key) for c in question.choices if c.key == answer), answer)
        rows.append((question.labels.get(lang, key).rstrip("？?:："), answer))
    return tuple(rows)


def link_label(language: str) -> str:
    """What the approval link is called in the host's language ("Approve or deny")."""
    return _words(language).labels["link"]


def render(notice: Notice) -> tuple[str, str]:
    """(subject, plain text body) in the host's language, from the cleaned notice: the subject
    is one line, the body has LF line breaks only."""
    subject, greeting, lead, rows = _parts(notice.cleaned())
    colon = _words(notice.language).colon
    return subject, "\n".join([greeting, lead, "", *(f"{label}{colon}{value}" for _, label, value in rows)])


def render_html(notice: Notice) -> str:
    """The body as a small HTML page (for email), every text escaped."""
    subject, greeting, lead, rows = _parts(notice.cleaned())
    cells = "".join(f'<tr><th align="left">{html.escape(label)}</th><td>{_html_value(name, value)}</td></tr>'
                    for name, label, value in rows)
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(subject)}</title></head>"
            f"<body><p>{html.escape(greeting)}</p><p>{html.escape(lead)}</p><table>{cells}</table></body></html>")


def _html_value(name: str, value: str) -> str:
    text = html.escape(value)
    if name == "link" and value.lower().startswith(("https://", "http://")):
        return f'<a href="{text}">{text}</a>'  # never a javascript: or data: link
    return text.replace("\n", "<br>")
