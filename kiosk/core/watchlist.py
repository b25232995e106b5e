"""The watchlist: people and companies reception wants to hear about before they come in.

The central server distributes the list (`WatchEntry.to_dict`/`from_dict`); each kiosk indexes
it once (`Watchlist`) and asks it about every visitor at sign-in. A match does not decide
anything by itself: it names the entry and why it matched, and the entry policy
(kiosk.core.policy) turns that into block or approval.

Names are written many ways, so they are compared by key, not as typed: 张伟, 張偉, "Zhang Wei",
"ZHANG  WEI", "zhang-wei" and "Wei Zhang" all have the key zhangwei. A key is the name in letters
only, casefolded, accents dropped, Han characters spelled in toneless pinyin with every reading
of a heteronym (曾 is zeng or ceng: either matches), in written order and with the first or last
word moved (given name first or last). The same pinyin from other characters (章伟) is a match on
purpose: a watchlist would rather ask reception once too often than miss someone.

A name typed with look-alikes of its Latin letters ("Іvаn Реtrоv" with Cyrillic І а Р е о) has
the key of the name it imitates: characters that Unicode's confusables data (UTS #39) says pass
for Latin letters are those letters here, on both sides; Chinese characters are left to their
readings.

Near spellings (zhangwie, zhangwe) match too, through symmetric-delete neighbourhoods: each
listed name's key is indexed under the strings left by deleting as many letters as it may be
off, and a visitor's keys under the same, so they meet in a few dozen dict look-ups whatever
the list's size, and only those few candidates get a real edit distance.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from typing import Any, Iterable, Mapping

from kiosk.core.confusables_latin import LATIN as LATIN_LOOKALIKES
from kiosk.core.hosts import _combos, _name_units
from kiosk.errors import ValidationError

BLOCK = "block"
APPROVE = "approve"
ACTIONS = (BLOCK, APPROVE)

# Why an entry matched, strongest evidence first; an entry is reported once, under its best.
NAME, ALIAS, PHONE, NEAR_NAME, COMPANY = "name", "alias", "phone", "near_name", "company"
_STRENGTH = {why: rank for rank, why in enumerate((NAME, ALIAS, PHONE, NEAR_NAME, COMPANY))}

# Names are a few dozen letters; these caps keep a pasted paragraph (or an attack) cheap.
MAX_KEY = 64
_MAX_INPUT = 4 * MAX_KEY
MIN_PHONE, MAX_PHONE = 7, 15  # E.164 allows 15 digits; fewer than 7 identify no one

# Company forms that say nothing about which company it is. Latin ones only as whole words, so
# that Costco keeps its "co".
_COMPANY_SUFFIXES = re.compile(
    r"(?:\s*(?:股份有限公司|有限责任公司|有限責任公司|有限公司|集团|集團|公司)"
    r"|\s+(?:co|ltd|inc|llc|corp|corporation|company|limited|gmbh|plc))+$")


# -- keys -------------------------------------------------------------------------------------

def _letters(text: str) -> str:
    """Letters and word breaks only: NFKC (full-width to half-width), look-alikes of Latin
    letters made those letters (Cyrillic а, Greek Ο: kiosk.core.confusables_latin), casefolded,
    accents dropped (Lü is typed lu, Müller muller), anything else a word break."""
    text = unicodedata.normalize("NFKC", text[:_MAX_INPUT]).translate(LATIN_LOOKALIKES)
    text = unicodedata.normalize("NFKD", text.casefold())
    kept = (ch if ch.isalpha() else " " for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", "".join(kept))  # recompose what NFKD split (Hangul)


def name_keys(name: str) -> tuple[str, ...]:
    """Every key a name is known by: each reading of its Han characters, each word order (as
    written, first word last, last word first); the likeliest (commonest readings, as written)
    first. Empty when the name has no letters."""
    units = _name_units(_letters(name))
    keys: dict[str, None] = {}
    for combo in _combos([readings for _, readings in units]):
        # A run of Han characters is one word (张伟 is written surname first; only its Latin
        # spelling comes in either order), each Latin word another.
        words: list[str] = []
        after_han = False
        for (text, readings), reading in zip(units, combo):
            han = readings != (text,)
            if han and after_han:
                words[-1] += reading
            else:
                words.append(reading)
            after_han = han
        for order in (words, words[1:] + words[:1], words[-1:] + words[:-1]):
            keys["".join(order)[:MAX_KEY]] = None
    keys.pop("", None)
    return tuple(keys)


def phone_key(phone: str) -> str:
    """Digits only, without China's country code before a mobile number (+86 138 0013 8000 and
    0086-13800138000 are 13800138000); empty unless it has 7 to 15 digits."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone[:_MAX_INPUT]) if "0" <= ch <= "9")
    if len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MIN_PHONE <= len(digits) <= MAX_PHONE else ""


def company_key(company: str) -> str:
    """Letters and digits, look-alikes of Latin letters folded as in names, casefolded, without
    the legal form (有限公司, Co., Ltd., Inc.), so 华为技术有限公司 is 华为技术 and "Acme Co., Ltd."
    (or "Асmе" with Cyrillic А с е) is acme."""
    folded = unicodedata.normalize("NFKC", company[:_MAX_INPUT]).translate(LATIN_LOOKALIKES).casefold()
    text = " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())
    stem = _COMPANY_SUFFIXES.sub("", text) or text  # a company called "Limited" is still one
    return stem.replace(" ", "")[:MAX_KEY]


def _reach(length: int) -> int:
    """How many edits a key of this length may be off and still be the same name: none for
    short keys (li is not lu), one from 6 letters, two from 11."""
    return 2 if length >= 11 else 1 if length >= 6 else 0


def _deletes(key: str, depth: int) -> set[str]:
    """The key and every string left by deleting up to `depth` of its letters."""
    found = frontier = {key}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found = found | frontier
    return found


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau edit distance (optimal string alignment: insert, delete, substitute, swap two
    neighbours), or limit + 1 as soon as it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, row = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return min(row[-1], limit + 1)


# -- entries ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WatchEntry:
    """One person (by name, aliases, phone) or one whole company (company alone) to watch for.
    With a name or phone, the company is only informative. `note` is for reception's eyes."""

    entry_id: str
    name: str = ""
    aliases: tuple[str, ...] = ()
    company: str = ""
    phone: str = ""
    action: str = BLOCK
    note: str = ""

    def __post_init__(self) -> None:
        def refuse(field: str, code: str, what: str) -> ValidationError:
            return ValidationError(field, code, f"watchlist entry {self.entry_id!r}: {field} {what}")

        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "aliases" and not (isinstance(value, tuple) and all(isinstance(a, str) for a in value)):
                raise refuse("aliases", "wrong_type", "must be a list of texts")
            if f.name != "aliases" and not isinstance(value, str):
                raise refuse(f.name, "wrong_type", "must be a text")
        if not self.entry_id.strip():
            raise refuse("entry_id", "required", "is required")
        if self.action not in ACTIONS:
            raise refuse("action", "invalid", f"must be one of {', '.join(ACTIONS)} (got {self.action!r})")
        names = [("name", self.name)] if self.name else []
        for field, name in names + [(f"aliases[{i}]", a) for i, a in enumerate(self.aliases)]:
            if not _letters(name).strip():
                raise refuse(field, "no_letters", "must contain letters")
        if self.phone and not phone_key(self.phone):
            raise refuse("phone", "invalid_phone", f"must have {MIN_PHONE} to {MAX_PHONE} digits")
        if self.company and not company_key(self.company):
            raise refuse("company", "invalid", "must contain letters or digits")
        if not (self.name or self.aliases or self.phone or self.company):
            raise refuse("name", "required", "or aliases, phone or company is required (else it matches no one)")

    @property
    def is_company(self) -> bool:
        """A whole company: every visitor from it matches."""
        return bool(self.company) and not (self.name or self.aliases or self.phone)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "aliases": list(self.aliases)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> WatchEntry:
        """An entry from its JSON form; unknown fields are refused, since a misspelt field in a
        security list should fail loudly (on the server, which validates with this same code)."""
        if not isinstance(raw, Mapping):
            raise ValidationError("watchlist", "wrong_type", "a watchlist entry must be an object")
        known = {f.name for f in fields(cls)}
        for field in raw:
            if field not in known:
                raise ValidationError(str(field), "unknown_field", f"watchlist entry: unknown field {field!r}")
        if "entry_id" not in raw:
            raise ValidationError("entry_id", "required", "watchlist entry: entry_id is required")
        aliases = raw.get("aliases", ())
        return cls(**{**raw, "aliases": tuple(aliases) if isinstance(aliases, list) else aliases})


@dataclass(frozen=True)
class Match:
    """One entry a visitor matched, and on what."""

    entry: WatchEntry
    why: str  # NAME, ALIAS, NEAR_NAME, PHONE or COMPANY


# -- the index --------------------------------------------------------------------------------

class Watchlist:
    """The entries, indexed once for matching visitors at sign-in."""

    def __init__(self, entries: Iterable[WatchEntry]):
        self._entries = list({e.entry_id: e for e in entries}.values())  # a repeated id: the last wins
        self._names: dict[str, dict[int, str]] = {}  # key -> {ordinal: NAME or ALIAS}
        # Near matching indexes only the likeliest key of each name (its commonest reading, in
        # written order): the visitor's side tries every reading and order, and the deletion
        # neighbours of every key would cost some 100 MB for 10,000 names instead of 50.
        self._near_keys: list[tuple[str, int]] = []  # (key, ordinal)
        self._near: dict[str, list[int]] = {}  # deletion neighbour -> numbers in _near_keys
        self._phones: dict[str, list[int]] = {}
        self._companies: dict[str, list[int]] = {}
        for ordinal, entry in enumerate(self._entries):
            keys: dict[str, str] = {}
            likeliest: set[str] = set()
            for why, names in ((NAME, [entry.name] if entry.name else []), (ALIAS, entry.aliases)):
                for name in names:
                    spelled = name_keys(name)
                    likeliest.add(spelled[0])
                    for key in spelled:
                        keys.setdefault(key, why)
            for key, why in keys.items():
                self._names.setdefault(key, {})[ordinal] = why
            for key in likeliest:
                self._index_near(key, ordinal)
            if entry.phone:
                self._phones.setdefault(phone_key(entry.phone), []).append(ordinal)
            if entry.is_company:
                self._companies.setdefault(company_key(entry.company), []).append(ordinal)

    def _index_near(self, key: str, ordinal: int) -> None:
        if _reach(len(key)):
            self._near_keys.append((key, ordinal))
            for neighbour in _deletes(key, _reach(len(key))):
                self._near.setdefault(neighbour, []).append(len(self._near_keys) - 1)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[WatchEntry, ...]:
        return tuple(self._entries)

    def match(self, name: str, company: str = "", phone: str = "") -> tuple[Match, ...]:
        """The entries this visitor matches, strongest evidence first, each entry once."""
        found: dict[int, str] = {}

        def note(ordinal: int, why: str) -> None:
            if ordinal not in found or _STRENGTH[why] < _STRENGTH[found[ordinal]]:
                found[ordinal] = why

        for key in name_keys(name) if self._names else ():  # no names to match: spare pypinyin
            for ordinal, why in self._names.get(key, {}).items():
                note(ordinal, why)
            for ordinal in self._near_matches(key):
                note(ordinal, NEAR_NAME)
        for ordinal in self._phones.get(phone_key(phone), ()):
            note(ordinal, PHONE)
        for ordinal in self._companies.get(company_key(company), ()):
            note(ordinal, COMPANY)
        ranked = sorted(found.items(), key=lambda item: (_STRENGTH[item[1]], item[0]))
        return tuple(Match(self._entries[ordinal], why) for ordinal, why in ranked)

    def _near_matches(self, key: str) -> Iterable[int]:
        """Entries with a key within reach of this one: the shorter key's reach, so that matching
        is symmetric (and both sides have deleted enough letters to meet)."""
        depth = _reach(len(key))
        if not depth:
            return
        numbers = {n for neighbour in _deletes(key, depth) for n in self._near.get(neighbour, ())}
        for other, ordinal in (self._near_keys[n] for n in numbers):
            limit = _reach(min(len(key), len(other)))
            if limit and _distance(key, other, limit) <= limit:
                yield ordinal
