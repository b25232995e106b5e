"""The entry policy: the front-desk rules a kiosk applies at sign-in.

No one comes in unregistered, and special cases wait for reception. A `Policy` says which kinds
of visitor there are (what each is asked, which agreement they sign, how long their badge lasts,
whether reception must approve them) and when the building is open. `decide` weighs a
registration against the policy and the watchlist and answers allow, approve (reception decides)
or block, with every reason. Each rule gives its own verdict and the strictest one wins, so a
rule added can only make the answer stricter.

The policy is a document (JSON from the server, or TOML), so every part reads itself from its
document form, refusing with the path of the bad field (policy.types[1].questions[0].kind):
a typo in a security rule should stop the server that distributes it, not be ignored on every
kiosk.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterator, Mapping

from kiosk.core.validation import clean_text
from kiosk.core.watchlist import APPROVE, BLOCK, NEAR_NAME, Match, Watchlist
from kiosk.errors import ValidationError

ALLOW = "allow"
OUTCOMES = (ALLOW, APPROVE, BLOCK)  # weakest first: the strictest verdict of any rule wins
LANGUAGES = ("zh_CN", "zh_TW", "en")
TEXT, YESNO, CHOICE = "text", "yesno", "choice"
KINDS = (TEXT, YESNO, CHOICE)
YES_NO = ("yes", "no")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ANSWER = 200
MAX_BADGE_HOURS = 168  # a week, as the badge_valid_hours setting

# Reason codes, for reception and the UI's translations.
UNKNOWN_TYPE = "unknown_type"
TYPE_NEEDS_APPROVAL = "type_needs_approval"
AFTER_HOURS = "after_hours"
CLOSED_DAY = "closed_day"
WATCHLIST_BLOCK = "watchlist_block"
WATCHLIST_APPROVE = "watchlist_approve"
WATCHLIST_NEAR = "watchlist_near"

_KEY = re.compile(r"[a-z0-9][a-z0-9_]{0,31}\Z")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])\Z|24:00\Z")
_DAY = 24 * 60


# -- reading documents ------------------------------------------------------------------------

def _refuse(field: str, what: str, code: str = "invalid") -> ValidationError:
    """Every message starts with its field, for `_at` to extend."""
    return ValidationError(field, code, f"{field} {what}")


def _check(ok: object, field: str, what: str, code: str = "invalid") -> None:
    if not ok:
        raise _refuse(field, what, code)


@contextmanager
def _at(path: str) -> Iterator[None]:
    """Report errors raised inside at their place in the document: the field (and the start of
    the message, which is the field) gets `path` in front."""
    try:
        yield
    except ValidationError as e:
        full = path + ("" if not e.field or e.field.startswith("[") else ".") + e.field
        raise ValidationError(full, e.code, full + str(e)[len(e.field):]) from None


def _build(cls: type, raw: Any, **convert: Callable[[Any], Any]) -> Any:
    """An instance of the dataclass `cls` from its document form: fields by name (those without
    a default required, unknown ones refused), each converted by `convert[name]` when given;
    `cls` checks the values itself."""
    _check(isinstance(raw, Mapping), "", "must be a table of fields", "wrong_type")
    known = {f.name: f for f in fields(cls)}
    for name in raw:
        _check(name in known, str(name), "is not a field here (a typo?)", "unknown_field")
    for name, f in known.items():
        _check(name in raw or f.default is not MISSING, name, "is required", "required")
    values = {}
    for name, value in raw.items():
        with _at(name):
            values[name] = convert[name](value) if name in convert else value
    return cls(**values)


def _list_of(item: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    def convert(value: Any) -> tuple:
        _check(isinstance(value, (list, tuple)), "", "must be a list", "wrong_type")
        converted = []
        for i, v in enumerate(value):
            with _at(f"[{i}]"):
                converted.append(item(v))
        return tuple(converted)

    return convert


def _document(value: Any) -> Any:
    """The JSON/TOML-able form of a value: tables, lists, texts, numbers, ISO dates."""
    if is_dataclass(value):
        return {f.name: _document(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {k: _document(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_document(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def _check_key(value: Any, field: str = "key") -> None:
    _check(isinstance(value, str) and _KEY.match(value), field,
           f"must be a short lowercase name (a-z, 0-9, _), e.g. work_area (got {value!r})")


def _check_labels(value: Any) -> None:
    _check(isinstance(value, Mapping) and set(value) == set(LANGUAGES)
           and all(isinstance(v, str) and v.strip() for v in value.values()),
           "labels", f"must give a text in each of {', '.join(LANGUAGES)}")


def _check_unique(items: tuple, field: str) -> None:
    seen = set()
    for i, item in enumerate(items):
        _check(item.key not in seen, f"{field}[{i}].key", f"repeats {item.key!r}", "duplicate")
        seen.add(item.key)


# -- visitor types ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    key: str
    labels: Mapping[str, str]

    def __post_init__(self) -> None:
        _check_key(self.key)
        _check_labels(self.labels)

    @classmethod
    def from_dict(cls, raw: Any) -> Choice:
        return _build(cls, raw)


@dataclass(frozen=True)
class Question:
    """One more thing a kind of visitor is asked. A yes/no answer is "yes" or "no"; a choice
    answer is the key of one of its choices."""

    key: str
    labels: Mapping[str, str]
    kind: str = TEXT
    choices: tuple[Choice, ...] = ()
    required: bool = True

    def __post_init__(self) -> None:
        _check_key(self.key)
        _check_labels(self.labels)
        _check(self.kind in KINDS, "kind", f"must be one of {', '.join(KINDS)} (got {self.kind!r})")
        _check(bool(self.choices) == (self.kind == CHOICE), "choices",
               "are needed by a choice question, and only by one")
        _check_unique(self.choices, "choices")
        _check(isinstance(self.required, bool), "required", "must be true or false", "wrong_type")

    @classmethod
    def from_dict(cls, raw: Any) -> Question:
        return _build(cls, raw, choices=_list_of(Choice.from_dict))

    def allowed(self) -> tuple[str, ...] | None:
        """The answers a yes/no or choice question takes; None for free text."""
        return YES_NO if self.kind == YESNO else tuple(c.key for c in self.choices) or None


@dataclass(frozen=True)
class VisitorType:
    """A kind of visitor (guest, contractor, interview, delivery) and what comes with it."""

    key: str
    labels: Mapping[str, str]
    questions: tuple[Question, ...] = ()
    agreement: str = "default"  # the name of the agreement text they sign
    badge_hours: float = 12
    needs_approval: bool = False
    needs_escort: bool = False  # the badge says "escort required" in its header band

    def __post_init__(self) -> None:
        _check_key(self.key)
        _check_labels(self.labels)
        _check_unique(self.questions, "questions")
        _check_key(self.agreement, "agreement")
        _check(isinstance(self.badge_hours, (int, float)) and not isinstance(self.badge_hours, bool)
               and 0 < self.badge_hours <= MAX_BADGE_HOURS, "badge_hours",
               f"must be a number of hours above 0 and at most {MAX_BADGE_HOURS} (got {self.badge_hours!r})")
        _check(isinstance(self.needs_approval, bool), "needs_approval", "must be true or false", "wrong_type")
        _check(isinstance(self.needs_escort, bool), "needs_escort", "must be true or false", "wrong_type")

    @classmethod
    def from_dict(cls, raw: Any) -> VisitorType:
        return _build(cls, raw, questions=_list_of(Question.from_dict))


def clean_answers(visitor_type: VisitorType, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers to this type's questions, tidied (as any visitor text) and checked. Raises
    ValidationError naming the first unanswered required question and listing them all, or an
    answer we refuse. Answers to other questions are dropped: they are left over from a type
    the visitor picked first and then changed."""
    cleaned: dict[str, str] = {}
    missing = []
    for question in visitor_type.questions:
        field = f"answers.{question.key}"
        answer = clean_text(answers.get(question.key), field, MAX_ANSWER)
        if not answer:
            if question.required:
                missing.append(question.key)
            continue
        allowed = question.allowed()
        _check(allowed is None or answer in allowed, field,
               f"must be one of {', '.join(allowed or ())} (got {answer!r})", "invalid_choice")
        cleaned[question.key] = answer
    if missing:
        raise ValidationError(f"answers.{missing[0]}", "missing_answer",
                              f"answers missing for {visitor_type.key}: {', '.join(missing)}")
    return cleaned


# -- opening hours ----------------------------------------------------------------------------

def _minutes(text: Any, field: str) -> int:
    _check(isinstance(text, str) and _TIME.match(text), field,
           f"must be a time HH:MM from 00:00 to 24:00 (got {text!r})")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _span(pair: tuple[str, str], field: str) -> tuple[int, int]:
    """A range of opening hours as minutes from the day's midnight. An end at or before the
    start is on the next day (22:00-06:00 is a night shift), so it comes out above 24 h."""
    start, end = _minutes(pair[0], field), _minutes(pair[1], field)
    _check(start < _DAY and start != end, field,
           f"must be two different times, the first before 24:00 (got {list(pair)})")
    return start, end if end > start else end + _DAY


def _pair(value: Any) -> tuple:
    _check(isinstance(value, (list, tuple)) and len(value) == 2, "",
           "must be a pair of times [start, end]", "wrong_type")
    return tuple(value)


def _date(value: Any) -> date:
    """A date from TOML (a date already) or JSON (ISO text)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _refuse("", f"must be a date YYYY-MM-DD (got {value!r})") from None


@dataclass(frozen=True)
class Hours:
    """When the building receives visitors: opening ranges ("HH:MM", "HH:MM") per weekday (none:
    closed that weekday), dates closed whatever the weekday (holidays), and what a sign-in
    outside them gets (`after_hours`: allow, approve or block)."""

    mon: tuple[tuple[str, str], ...] = ()
    tue: tuple[tuple[str, str], ...] = ()
    wed: tuple[tuple[str, str], ...] = ()
    thu: tuple[tuple[str, str], ...] = ()
    fri: tuple[tuple[str, str], ...] = ()
    sat: tuple[tuple[str, str], ...] = ()
    sun: tuple[tuple[str, str], ...] = ()
    closed: tuple[date, ...] = ()
    after_hours: str = APPROVE

    def __post_init__(self) -> None:
        for day in WEEKDAYS:
            for i, pair in enumerate(getattr(self, day)):
                _span(pair, f"{day}[{i}]")
        for i, day in enumerate(self.closed):
            _check(isinstance(day, date) and not isinstance(day, datetime), f"closed[{i}]",
                   "must be a date", "wrong_type")
        _check(self.after_hours in OUTCOMES, "after_hours",
               f"must be one of {', '.join(OUTCOMES)} (got {self.after_hours!r})")

    @classmethod
    def from_dict(cls, raw: Any) -> Hours:
        ranges = _list_of(_pair)
        return _build(cls, raw, closed=_list_of(_date), **{day: ranges for day in WEEKDAYS})

    def _spans(self, day: date) -> list[tuple[int, int]]:
        return [] if day in self.closed else [_span(p, "") for p in getattr(self, WEEKDAYS[day.weekday()])]

    def closed_reason(self, when: datetime) -> str | None:
        """None when the local wall-clock time `when` is in opening hours, including a night
        range begun the day before (a holiday closes the ranges that start on it); else why
        not: CLOSED_DAY (a closed date or a weekday without hours) or AFTER_HOURS."""
        today, minute = when.date(), when.hour * 60 + when.minute
        if any(start <= minute < end for start, end in self._spans(today)):
            return None
        if any(minute + _DAY < end for _, end in self._spans(today - timedelta(days=1))):
            return None
        return AFTER_HOURS if self._spans(today) else CLOSED_DAY


# -- the policy and the decision ---------------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    types: tuple[VisitorType, ...]
    hours: Hours

    def __post_init__(self) -> None:
        _check(self.types, "types", "must list at least one visitor type", "required")
        _check_unique(self.types, "types")

    def visitor_type(self, key: str) -> VisitorType | None:
        return next((t for t in self.types if t.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return _document(self)

    @classmethod
    def from_dict(cls, raw: Any) -> Policy:
        with _at("policy"):
            return _build(cls, raw, types=_list_of(VisitorType.from_dict), hours=Hours.from_dict)


@dataclass(frozen=True)
class Decision:
    outcome: str  # ALLOW, APPROVE or BLOCK
    reasons: tuple[str, ...]  # why it is not simply allow, strictest first
    matches: tuple[Match, ...]  # the watchlist's matches, for reception
    badge_valid_ms: int  # how long the badge lasts once issued


def decide(policy: Policy, watchlist: Watchlist, *, visitor_type: str, name: str, company: str, phone: str,
           answers: Mapping[str, str], when: datetime) -> Decision:
    """Whether this registration may come in. `when` is timezone-aware local time: the opening
    hours are read on its wall clock, and a naive time may well be UTC.

    Unanswered required questions raise ValidationError (see `clean_answers`) rather than count
    as a reason: an incomplete registration is bad input like a missing name, which the UI asks
    for before deciding, and no outcome should ever be recorded for it.

    A near spelling of a name asks for approval whatever its entry's action: one letter off a
    blocked name is often someone else (张文 is one letter from 张伟), so a person has to look.
    """
    if when.tzinfo is None:
        raise ValueError("decide() needs a timezone-aware local time")
    verdicts: list[tuple[str, str]] = []  # (outcome, reason)
    vtype = policy.visitor_type(visitor_type)
    if vtype is None:  # e.g. an invitation from a newer policy: let a person decide
        verdicts.append((APPROVE, UNKNOWN_TYPE))
        badge_hours = min(t.badge_hours for t in policy.types)
    else:
        clean_answers(vtype, answers)
        badge_hours = vtype.badge_hours
        if vtype.needs_approval:
            verdicts.append((APPROVE, TYPE_NEEDS_APPROVAL))
    closed = policy.hours.closed_reason(when)
    if closed:
        verdicts.append((policy.hours.after_hours, closed))
    matches = watchlist.match(name, company, phone)
    for match in matches:
        if match.why == NEAR_NAME:
            verdicts.append((APPROVE, WATCHLIST_NEAR))
        else:
            reason = WATCHLIST_BLOCK if match.entry.action == BLOCK else WATCHLIST_APPROVE
            verdicts.append((match.entry.action, reason))
    verdicts = sorted((v for v in verdicts if v[0] != ALLOW), key=lambda v: -OUTCOMES.index(v[0]))
    return Decision(outcome=verdicts[0][0] if verdicts else ALLOW,
                    reasons=tuple(dict.fromkeys(reason for _, reason in verdicts)),
                    matches=matches, badge_valid_ms=round(badge_hours * 3_600_000))


# -- the default ------------------------------------------------------------------------------

def _labels(zh_cn: str, zh_tw: str, en: str) -> dict[str, str]:
    return dict(zip(LANGUAGES, (zh_cn, zh_tw, en)))


DEFAULT_POLICY = Policy(
    types=(
        VisitorType("guest", _labels("访客", "訪客", "Guest"), badge_hours=12),
        VisitorType("contractor", _labels("施工人员", "施工人員", "Contractor"), questions=(
            Question("work_area", _labels("施工区域", "施工區域", "Work area")),
            Question("permit", _labels("施工许可证号", "施工許可證號", "Permit number")),
            Question("tools", _labels("是否携带工具？", "是否攜帶工具？", "Do you carry tools?"),
                     kind=YESNO),
        ), agreement="contractor", badge_hours=10, needs_approval=True),
        VisitorType("interview", _labels("面试", "面試", "Interview"), questions=(
            Question("position", _labels("应聘职位", "應聘職位", "Position applied for")),
        ), badge_hours=4),
        VisitorType("delivery", _labels("送货", "送貨", "Delivery"), questions=(
            Question("recipient", _labels("收件人", "收件人", "Recipient")),
            Question("parcels", _labels("包裹件数", "包裹件數", "Number of parcels"), kind=CHOICE, choices=(
                Choice("1", _labels("1 件", "1 件", "1")), Choice("2", _labels("2 件", "2 件", "2")),
                Choice("3", _labels("3 件", "3 件", "3")),
                Choice("more", _labels("4 件及以上", "4 件及以上", "4 or more")),
            )),
        ), badge_hours=1),
    ),
    hours=Hours(**{day: (("08:00", "20:00"),) for day in WEEKDAYS[:5]}, after_hours=APPROVE),
)
