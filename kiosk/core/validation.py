"""Validation of what a visitor types: refuse what we cannot store, print or trust.

We refuse rather than silently repair: a control character or an emoji in a name is most
likely a mistake (or an attack on the printer), and the visitor should see why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kiosk.core.masking import mask_phone  # noqa: F401 - where callers have found it
from kiosk.errors import ValidationError

MAX_NAME = 64
MAX_COMPANY = 100
MAX_PURPOSE = 200

# Letters, marks, digits, spaces, punctuation and maths/currency signs (C++, AT&T, ¥); never
# control, format, private-use, surrogate, unassigned or "other symbol" characters (emoji).
_ALLOWED_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Zs",
                       "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk"}
_NAME_SYMBOLS = set("·•・'’-.() ")
_PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ()\-]*$")


@dataclass(frozen=True)
class VisitorDetails:
    name: str
    company: str = ""
    phone: str = ""
    purpose: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "company": self.company, "phone": self.phone, "purpose": self.purpose}


def clean_text(value: str | None, field: str, max_len: int, *, required: bool = False) -> str:
    """NFC-normalised, trimmed, inner whitespace collapsed; refused if it holds characters
    we will not store or print, or is too long."""
    text = unicodedata.normalize("NFC", value or "")
    bad = next((ch for ch in text if unicodedata.category(ch) not in _ALLOWED_CATEGORIES), None)
    if bad is not None:
        kind = "control" if unicodedata.category(bad).startswith("C") else "symbol"
        raise ValidationError(field, f"{kind}_character",
                              f"{field} contains a character that is not allowed ({_describe(bad)})")
    text = " ".join(text.split())
    if required and not text:
        raise ValidationError(field, "required", f"{field} is required")
    if len(text) > max_len:
        raise ValidationError(field, "too_long", f"{field} is too long ({len(text)} characters, at most {max_len})")
    return text


def _describe(ch: str) -> str:
    fallback = "control character" if unicodedata.category(ch).startswith("C") else "unnamed"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, fallback)}"


def clean_name(value: str | None, field: str = "name") -> str:
    name = clean_text(value, field, MAX_NAME, required=True)
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise ValidationError(field, "no_letters", f"{field} must contain letters")
    odd = next((ch for ch in name if unicodedata.category(ch)[0] in "PS" and ch not in _NAME_SYMBOLS), None)
    if odd is not None:
        raise ValidationError(field, "symbol_character", f"{field} contains a character that is not allowed ({_describe(odd)})")
    return name


def clean_phone(value: str | None) -> str:
    """Phone numbers: digits with optional leading +, spaces, dashes and brackets; 5-15 digits
    (E.164 allows at most 15). Stored as digits (and +) only."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    if not _PHONE_RE.match(text):
        raise ValidationError("phone", "invalid_phone", "phone may contain only digits, spaces, dashes, brackets and a leading +")
    digits = re.sub(r"\D", "", text)
    if not 5 <= len(digits) <= 15:
        raise ValidationError("phone", "invalid_phone", f"phone must have 5 to 15 digits (got {len(digits)})")
    return ("+" if text.startswith("+") else "") + digits


def validate_visitor(name: str | None, company: str | None = "", phone: str | None = "",
                     purpose: str | None = "") -> VisitorDetails:
    return VisitorDetails(
        name=clean_name(name),
        company=clean_text(company, "company", MAX_COMPANY),
        phone=clean_phone(phone),
        purpose=clean_text(purpose, "purpose", MAX_PURPOSE),
    )
