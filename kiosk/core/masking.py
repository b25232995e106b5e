"""Masking of phone numbers and ID numbers: the one place that decides what of them a screen, a
list, a print or an export shows (pure: no IO).

Every reader that shows a person's data to someone shows it through these functions by default:
the touchscreen (review, reception's console), badges and roll calls, the `kiosk` and
`kiosk-server` commands and the server's exports and pages. The whole number stays in the log,
where the kiosk recognises a returning visitor by it and reception searches by its last digits;
showing it whole is the web console's business, for a role allowed to, with a reason it records
(issue 15: an append-only access log on the server).

- ``mask_phone``: 138****5678, enough for a visitor to recognise their own number and no one to
  learn another's;
- ``mask_id``: 1101**********1234 (a resident ID card's 18 characters; any ID number the same way);
- ``mask_text``: free text a visitor or reception typed (a purpose, an answer, a message, a
  note) with every phone number and ID number in it masked.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

# A mainland resident ID number (18 characters, the last a check digit or X; the old 15 digits),
# standing alone: not inside a longer run of letters or digits.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")
# Phone numbers in free text: 7 or more digits in a row, or 10 or more with single spaces or
# dashes between groups (a date, 2026-12-01, has 8 and stays as it is), with an optional +.
_PHONE_RUN = re.compile(r"(?<![0-9])\+?(?:\d{7,}|\d+(?:[ \-]\d+)+)(?![0-9])")


def mask_phone(phone: str) -> str:
    """138****5678: enough for a visitor to recognise their own number, not to learn another's.
    At most the first 3 (of 11 or more) and the last 4 digits show: 4 or more are always hidden,
    all but 2 of a short number."""
    digits = re.sub(r"\D", "", phone)
    head = 3 if len(digits) >= 11 else 0
    tail = 4 if len(digits) >= 8 else 2 if len(digits) >= 4 else 0
    return digits[:head] + "*" * (len(digits) - head - tail) + digits[len(digits) - tail:]


def mask_id(number: str) -> str:
    """1101**********1234: an ID number (resident ID card, passport, permit) with its middle hidden:
    the first and last 4 characters of a long one, the last 2 of a short one, none of a tiny one."""
    text = number.strip()
    head, tail = (4, 4) if len(text) >= 12 else (0, 2) if len(text) >= 6 else (0, 0)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def mask_text(text: str) -> str:
    """Free text with every ID number and phone number in it masked; the rest as typed."""
    if not isinstance(text, str) or not any(ch.isdigit() for ch in text):
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id(m.group()), text)
    return _PHONE_RUN.sub(_masked_run, text)


def _masked_run(match: re.Match) -> str:
    run = match.group()
    digits = sum(ch.isdigit() for ch in run)
    contiguous = run.lstrip("+").isdigit()
    if digits >= 10 or (contiguous and digits >= 7):
        return mask_phone(run)
    return run


def masked_visitor(visitor: Mapping[str, Any]) -> dict[str, Any]:
    """A visit's ``visitor`` as shown by default: the phone masked, and any phone or ID number
    typed into its other fields (a purpose) too."""
    shown = {key: mask_text(value) if isinstance(value, str) else value for key, value in visitor.items()}
    if isinstance(visitor.get("phone"), str) and visitor["phone"]:
        shown["phone"] = mask_phone(visitor["phone"])
    return shown


def masked_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers to a visitor type's questions (a permit or an ID number may be one), masked."""
    return {key: mask_text(value) if isinstance(value, str) else value for key, value in answers.items()}


def masked_payload(data: Any) -> Any:
    """An event's payload as a list or export shows it: every ``phone`` masked, every text with
    the numbers in it masked, a handwritten signature said as its number of strokes."""
    if isinstance(data, Mapping):
        return {key: _masked_field(key, value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [masked_payload(item) for item in data]
    return mask_text(data) if isinstance(data, str) else data


def _masked_field(key: Any, value: Any) -> Any:
    if key == "phone" and isinstance(value, str):
        return mask_phone(value) if value else value
    if key == "signature" and isinstance(value, (list, tuple)):
        return f"{len(value)} strokes" if value else ""
    return masked_payload(value)
