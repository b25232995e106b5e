"""The privacy notice and consents (PIPL Art. 13, 17, 29; GDPR Art. 7, 13): what a visitor is told
before they type anything, and what they agree to, recorded as ``consent`` events (pure: no IO).

**The notice.** A short text per language (who keeps the data, why, for how long, whom to ask, how
to withdraw), written like the agreements (kiosk/notice_texts.py reads it from ``assets/notice/``
or the site's own folder): a first line ``version: V``, a line ``summary: ...`` (the one line the
welcome screen shows above the buttons that accept it), then the full text, one tap away. Its
placeholders ``{organisation}``, ``{contact}``, ``{retention_days}`` and
``{sensitive_retention_days}`` are filled from the device's settings. A visitor accepts it by
starting (同意并登记 / Agree and sign in; an invited visitor by their one confirming tap); the
sign-in records a ``consent`` event with purpose ``notice``, the version and a digest of the words
as shown, so that a text changed without a new version still says which words were accepted.

**Separate consents.** Anything sensitive a feature collects (a photo, an ID card) is asked for on
its own (kiosk.ui.screens.consent: Yes and No equally easy, nothing ticked beforehand), under a
``Purpose`` registered here; the answer, yes or no, is a ``consent`` event with that purpose, and
a No leads on by another path (reception checks the person instead). Withdrawal is erasure
(``kiosk-server person erase``), which the notice says how to ask for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping

NOTICE = "notice"  # the purpose of the privacy notice itself
START, INVITATION, ANSWER = "start", "invitation", "answer"  # how it was given ("by")
PLACEHOLDERS = ("organisation", "contact", "retention_days", "sensitive_retention_days")


@dataclass(frozen=True)
class Notice:
    version: str
    summary: str  # one short line, on the screen with the buttons that accept it
    text: str  # the full notice, one tap away
    lang: str = ""

    @property
    def digest(self) -> str:
        """The words as shown (summary and text), spaces and line breaks aside: which words
        were accepted, whatever the version line says."""
        words = "".join((self.summary + self.text).split())
        return hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]


def parse_notice(raw: str, values: Mapping[str, Any], lang: str = "") -> Notice:
    """A notice file's content: ``version:`` and ``summary:`` lines (and, optionally, what an
    empty ``organisation`` or ``contact`` setting is said as, e.g. ``contact: 前台``), then the
    text, whose paragraphs the caller reflows; placeholders filled from ``values`` where they
    are not empty, else from those lines (a missing one is left as written: a site's text is
    never refused for its punctuation)."""
    lines = raw.lstrip("\ufeff").split("\n")
    head: dict[str, str] = {}
    while lines and lines[0].partition(":")[0].strip() in ("version", "summary", *PLACEHOLDERS):
        key, _, value = lines.pop(0).partition(":")
        head[key.strip()] = value.strip()
    if not head.get("version"):
        raise ValueError("a notice must start with 'version: ...'")
    if not head.get("summary"):
        raise ValueError("a notice needs a 'summary: ...' line after its version")
    filled = {key: head[key] for key in PLACEHOLDERS if head.get(key)}
    filled.update({key: value for key, value in values.items() if value not in ("", None)})
    return Notice(head["version"], fill(head["summary"], filled), fill("\n".join(lines).strip("\n"), filled), lang)


def fill(text: str, values: Mapping[str, Any]) -> str:
    for key in PLACEHOLDERS:
        if key in values:
            text = text.replace("{" + key + "}", str(values[key]))
    return text


def record(purpose: str, given: bool, *, notice: Notice | None = None, by: str = ANSWER, at: int | None = None,
           lang: str = "", version: str = "") -> dict[str, Any]:
    """A ``consent`` event's payload (kiosk.core.payloads checks it): the notice's version and
    digest, or a separate consent's ``version`` (its Purpose's)."""
    data: dict[str, Any] = {"purpose": purpose, "given": bool(given), "by": by}
    if notice is not None:
        data.update(version=notice.version, digest=notice.digest, lang=notice.lang or lang)
    else:
        data.update({key: value for key, value in (("version", version), ("lang", lang)) if value})
    if at is not None:
        data["at"] = at
    return data


@dataclass(frozen=True)
class Purpose:
    """Something sensitive asked for on its own: ``key`` is the event's purpose; ``question`` and
    ``explanation`` are message ids (kiosk/ui/locale), what is collected, why and how long it is
    kept; ``version`` changes with their wording; ``instead``: what a No leads to, in words."""

    key: str
    question: str
    explanation: str
    version: str
    instead: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


PURPOSES: dict[str, Purpose] = {}  # the features that collect something sensitive register here


def register(purpose: Purpose) -> Purpose:
    if purpose.key == NOTICE:
        raise ValueError("'notice' is the privacy notice's purpose, not a separate consent")
    PURPOSES[purpose.key] = purpose
    return purpose


def given(consents: tuple[Mapping[str, Any], ...], purpose: str) -> bool:
    """Whether a visit's latest answer for ``purpose`` is yes (no answer is no)."""
    return any(c.get("purpose") == purpose and c.get("given") is True for c in consents)


def accepted_notice(consents: tuple[Mapping[str, Any], ...]) -> Mapping[str, Any] | None:
    return next((c for c in consents if c.get("purpose") == NOTICE and c.get("given") is True), None)
