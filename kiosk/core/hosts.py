"""The host (被访人) directory and its per-keystroke search.

A visitor types a few keys on the touchscreen and expects the person they came to see at the top
of the list, whichever way they type the name: Chinese characters (三 finds 张三), full pinyin
without tones (zhangsan, zhangs, san), pinyin initials (zs, zsf), a mix of both (张s), the words
of a Latin name (smi, john s, js), the email, or the department. A host's English name (Li Si,
Lisa) and aliases (小李) are names too: found every way the name is, and an exact one ranks
first like the name itself.

Search runs on every keystroke over directories of tens of thousands of people on a slow lobby
device, so no matcher ever runs over the hosts at query time. Building the index spells every
host out once (pypinyin is the cost; it is asked once per distinct character) into search keys,
kept per match kind in a sorted array; a query is a `bisect` prefix range in each kind, walked
best kind first until enough distinct hosts are found. A prefix shared by many keys ("z") has its
best hosts precomputed, so a plain query never scans a long range; a mixed one (张s) checks only
the keys its pinyin spelling (zhangs) selects.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import heapq
import itertools
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, NamedTuple


@dataclass(frozen=True)
class Host:
    """One person a visitor can come to see."""

    host_id: str
    name: str
    department: str = ""
    email: str = ""
    phone: str = ""
    english_name: str = ""  # "Li Si" beside 李四; searched, shown beside the name
    aliases: tuple[str, ...] = ()  # other names people ask for (小李, Lisa); searched
    language: str = ""  # the language notices are written in: zh_CN, zh_TW, en ("" = the site's)
    channels: tuple[str, ...] = ()  # this host's own notification channels (kiosk.notify URLs)


_LISTS = ("aliases", "channels")


def host_row(host: Host) -> dict[str, Any]:
    """A host as a database row: its lists as JSON arrays (the device's and the server's tables)."""
    row = dataclasses.asdict(host)
    for key in _LISTS:
        row[key] = json.dumps(list(row[key]), ensure_ascii=False)
    return row


def host_from_row(row: Mapping[str, Any]) -> Host:
    return Host(**{**row, **{key: tuple(json.loads(row[key] or "[]")) for key in _LISTS}})


def host_id_for(name: str, department: str = "", email: str = "", phone: str = "") -> str:
    """A short id that stays the same across imports: from the email when there is one (so a move
    to another department keeps it), else from the name, department and phone (two 张伟 of one
    department are told apart by their phones)."""
    basis = _canon(email) or "\x1f".join((_canon(name), _canon(department), _canon(phone)))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]


def _canon(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def fold(text: str) -> str:
    """What search compares: NFKC (full-width to half-width), casefolded, letters and digits only
    (so spaces, dots and control characters in a query or a name never matter)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


# -- spelling names out ---------------------------------------------------------------------

# A name has 2-4 characters; ten units keep names that are not names (a pasted paragraph) cheap.
MAX_UNITS = 10
# Heteronyms multiply: 单雄信 alone has 3 x 1 x 2 readings. Index this many combinations at most.
MAX_READINGS = 8

# Surnames read differently from the same character elsewhere (单 is Shàn as a surname, dān in
# 简单). pypinyin lists these readings but not first, and knows no surname mode, so the surname
# reading is moved first (added when pypinyin lacks it, as 黑 hè) to survive the MAX_READINGS cap.
_SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "区": "ou", "仇": "qiu", "解": "xie", "查": "zha", "朴": "piao",
    "盖": "ge", "缪": "miao", "翟": "zhai", "乐": "yue", "覃": "qin", "召": "shao", "繁": "po",
    "种": "chong", "秘": "bi", "黑": "he", "员": "yun", "隗": "wei", "阚": "kan", "卜": "bu",
    "洗": "xian", "能": "nai", "句": "gou",
}

Unit = tuple[str, tuple[str, ...]]  # (the text as folded, its readings)


@lru_cache(maxsize=1 << 16)
def _han_readings(ch: str) -> tuple[str, ...]:
    """Toneless pinyin readings of one character, commonest first; () when it is not Han."""
    if ch < "\u2e80":  # below the CJK blocks: spare pypinyin the call
        return ()
    # Imported here: pypinyin costs ~0.2 s and 55 MB, and only building a host index needs it.
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda _: [])
    readings = [r for r in (found[0] if found else []) if r.isascii() and r.isalpha()]
    # NORMAL style writes ü as v (吕 lv); people type u as well (lu).
    readings += [r.replace("v", "u") for r in readings if "v" in r]
    return tuple(dict.fromkeys(readings))


def _units(text: str) -> list[Unit]:
    """Split text into what a visitor types a syllable or a word at a time: each Han character,
    and each run of other letters and digits (a Latin word reads as itself)."""
    units: list[Unit] = []
    word: list[str] = []

    def end_word() -> None:
        if word:
            units.append(("".join(word), ("".join(word),)))
            word.clear()

    for ch in unicodedata.normalize("NFKC", text).casefold():
        readings = _han_readings(ch)
        if readings:
            end_word()
            units.append((ch, readings))
        elif ch.isalnum():
            word.append(ch)
        else:
            end_word()
    end_word()
    return units


def _name_units(name: str) -> list[Unit]:
    units = _units(name)
    if len(units) >= 2 and units[0][0] in _SURNAME_READINGS:  # a one-character name has no surname
        surname, readings = units[0]
        preferred = _SURNAME_READINGS[surname]
        units[0] = (surname, (preferred,) + tuple(r for r in readings if r != preferred))
    return units


def _combos(choices: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Reading combinations, likeliest first: every unit's first reading, then with one unit
    read otherwise (the surname's alternatives first), then two, ... at most MAX_READINGS."""
    first = [c[0] for c in choices]
    combos = [tuple(first)]
    others = [(i, r) for i, c in enumerate(choices) for r in c[1:]]
    for n in range(1, len(others) + 1):
        for picked in itertools.combinations(others, n):
            if len(combos) == MAX_READINGS:
                return combos
            if len({i for i, _ in picked}) == n:
                combo = list(first)
                for i, r in picked:
                    combo[i] = r
                combos.append(tuple(combo))
    return combos


def _spellings(readings: tuple[str, ...]) -> tuple[str, list[str]]:
    """The full spelling of these syllables, and the shorter ways people type them: full
    syllables then initials (zhangsf), initials then full syllables (zsan, zsfeng). Initials
    alone (zsf) are a prefix of the last kind, as is full-then-one-initial of the full spelling,
    so neither needs a key of its own."""
    n = len(readings)
    full = "".join(readings)
    initials = [r[0] for r in readings]
    short = ["".join(readings[:k]) + "".join(initials[k:]) for k in range(1, n - 1)]
    short += ["".join(initials[:k]) + "".join(readings[k:]) for k in range(1, n)]
    return full, short


# Match kinds after the exact name, best first (departments come last, in a table of their own);
# a host is listed under its best kind only.
PREFIX, FULL, INITIALS, LATER, EMAIL = range(5)


def _spelled(units: list[Unit]) -> Iterable[tuple[int, int, str, str]]:
    """(unit index, start in the folded text, key, form) for every way to type the text from
    each unit on: its characters ("chars"), its full pinyin ("full"), its shorter spellings
    ("short")."""
    texts = [u[0] for u in units]
    starts = list(itertools.accumulate((len(t) for t in texts), initial=0))
    combos = _combos([u[1] for u in units[:MAX_UNITS]])
    for i in range(min(len(units), MAX_UNITS)):
        yield i, starts[i], "".join(texts[i:]), "chars"
        for combo in combos:
            full, short = _spellings(combo[i:])
            yield i, starts[i], full, "full"
            for key in short:
                yield i, starts[i], key, "short"


_FIRST_UNIT_KIND = {"chars": PREFIX, "full": FULL, "short": INITIALS}


def _name_keys(names: Mapping[str, str]) -> list[tuple[int, str, int]]:
    """(kind, key, start) for every key that should find a host by one of its names (:func:`_names`);
    ``start`` is in the names' joined text. Within a name each key is kept under its best kind
    only (the same key under a worse kind could never add a host). Across names each keeps its
    own: a mixed query (李s) checks its Han characters in the name the key was made from, so
    李四's pinyin key lisi must stay beside the same key from Li Si."""
    keys = []
    offset = 0
    for folded, name in names.items():
        best: dict[str, tuple[int, int]] = {}
        for i, start, key, form in _spelled(_name_units(name)):
            kind = _FIRST_UNIT_KIND[form] if i == 0 else LATER
            if key not in best or kind < best[key][0]:
                best[key] = (kind, offset + start)
        keys += [(kind, key, start) for key, (kind, start) in best.items()]
        offset += len(folded) + len(_SEP)
    return keys


# Between a host's names in the text a mixed query is checked against (_SEP.join of the folded
# names): not a letter or digit, so it is in no key and no query.
_SEP = "\x1f"


def _names(host: Host) -> dict[str, str]:
    """The names a host is found by, by their folded form: the name, the English name, the
    aliases; each once, and none that holds nothing to search for."""
    found: dict[str, str] = {}
    for name in (host.name, host.english_name, *host.aliases):
        folded = fold(name)
        if folded:
            found.setdefault(folded, name)
    return found


def _department_keys(department: str) -> list[tuple[str, int]]:
    keys: dict[str, int] = {}
    for _, start, key, _ in _spelled(_units(department)):
        keys.setdefault(key, start)
    return list(keys.items())


def _email_keys(email: str) -> list[tuple[str, int]]:
    """The whole address (pasted), and the local part from each of its words (zhang.san: zhangsan,
    san)."""
    address = fold(email)
    keys: dict[str, int] = {}
    start = 0
    for text, _ in _units(email.partition("@")[0]):
        keys.setdefault(address[start:], start)
        start += len(text)
    return list(keys.items())


# -- queries --------------------------------------------------------------------------------

Mixed = tuple[str, list[str], bool]  # (pinyin spelling, the Han runs it must hold, anchored)
Accept = Callable[[int, int], bool]


def _mixed_spellings(q: str) -> list[Mixed]:
    """For a query mixing Han characters and Latin letters (张s), its pinyin spellings (zhangs),
    each with the Han runs a match must really contain and whether the query starts with one."""
    units = _units(q)
    is_han = [readings != (text,) for text, readings in units]  # a Latin word reads as itself
    if all(is_han) or not any(is_han):
        return []
    runs = ["".join(u[0] for u, _ in group)
            for han, group in itertools.groupby(zip(units, is_han), key=lambda pair: pair[1]) if han]
    return [("".join(combo), runs, is_han[0]) for combo in _combos([u[1] for u in units])]


class _Texts(NamedTuple):
    """What a mixed query's Han characters are checked against: each item's text, and the items
    whose text joins several names (see _SEP)."""

    texts: list[str]
    several: frozenset[int] = frozenset()


def _checker(texts: _Texts, runs: list[str], anchored: bool) -> Accept:
    """Does the matched text hold the query's Han runs, in order, from where the key starts
    (right there, when the query starts with one) to the end of that name?"""
    items, several = texts

    def accept(ordinal: int, start: int) -> bool:
        text, at = items[ordinal], start
        for n, run in enumerate(runs):
            found = text.find(run, at)
            if found < 0 or (anchored and n == 0 and found != start):
                return False
            at = found + len(run)
        # Every run within the name the key was made from, not a later one: find() gives each run's
        # first occurrence, so one found past that name's end has none in it. (Most hosts have one
        # name, and skip the search: this runs for every key a mixed query selects.)
        return ordinal not in several or text.find(_SEP, start, at) < 0

    return accept


# -- the index --------------------------------------------------------------------------------

Entry = tuple[str, int, int]  # (key, ordinal of a host or department, where the key starts in its text)
# A key range longer than this has its best hosts precomputed, and that many of them are kept.
TOP = 64
# Greater than every character a folded key holds (U+10FFFF is a noncharacter, never alnum).
_PAST = "\U0010ffff"


class _PrefixTable:
    """Search keys in a sorted array, answering: the best items (lowest ordinals) with a key that
    starts with a prefix. The items are hosts, or departments."""

    def __init__(self, entries: list[Entry]):
        entries.sort()
        self._keys = [e[0] for e in entries]
        self._ords = [e[1] for e in entries]
        self._starts = [e[2] for e in entries]
        self.longest = max(map(len, self._keys), default=0)
        self._tops: dict[str, list[int]] = {}
        self._precompute_tops()

    def _precompute_tops(self) -> None:
        """For every prefix whose range is longer than TOP, its TOP best distinct items. Walks
        down from the one-character prefixes, only into ranges that are still long."""
        keys, pending = self._keys, [("", 0, len(self._keys))]
        while pending:
            prefix, lo, hi = pending.pop()
            i = bisect.bisect_right(keys, prefix, lo, hi)  # skip keys equal to the prefix
            while i < hi:
                child = keys[i][: len(prefix) + 1]
                end = bisect.bisect_left(keys, child + _PAST, i, hi)
                if end - i > TOP:
                    self._tops[child] = sorted(set(self._ords[i:end]))[:TOP]
                    pending.append((child, i, end))
                i = end

    def best(self, prefix: str, need: int, skip: set[int], accept: Accept | None = None) -> list[int]:
        """Up to `need` ordinals, lowest first, not in `skip`, with a key that starts with
        `prefix` (and that `accept(ordinal, start)`, when given)."""
        lo = bisect.bisect_left(self._keys, prefix)
        hi = bisect.bisect_left(self._keys, prefix + _PAST, lo)
        if accept is not None:
            found = {self._ords[i] for i in range(lo, hi) if accept(self._ords[i], self._starts[i])}
            return sorted(found - skip)[:need]
        top = self._tops.get(prefix) if hi - lo > TOP else None
        if top is not None:
            picked = [o for o in top if o not in skip][:need]
            if len(picked) == need or len(top) < TOP:  # else the top list may be short of items
                return picked
        return sorted(set(self._ords[lo:hi]) - skip)[:need]

    def matching(self, q: str, mixed: list[Mixed], texts: _Texts | None, need: int, skip: set[int]) -> list[int]:
        """`best` for the query as typed and for each pinyin spelling of a mixed query, checked
        against `texts` (None: Han characters cannot occur there, so skip the spellings)."""
        found = set(self.best(q, need, skip))
        for spelled, runs, anchored in mixed if texts is not None else ():
            found.update(self.best(spelled, need, skip, _checker(texts, runs, anchored)))
        return sorted(found)[:need]


class HostIndex:
    """The host directory, ready for search as the visitor types."""

    def __init__(self, hosts: Iterable[Host]):
        unique = {h.host_id: h for h in hosts}  # a repeated id: the last one wins
        # A host's ordinal is its place in the tie order: shorter name first, then name order.
        self._hosts = sorted(unique.values(), key=lambda h: (len(fold(h.name)), h.name, h.host_id))
        self._by_id = {h.host_id: h for h in self._hosts}
        self._exact: dict[str, list[int]] = {}
        entries: list[list[Entry]] = [[] for _ in range(EMAIL + 1)]
        names: list[str] = []  # each host's names, joined
        several: set[int] = set()
        for ordinal, host in enumerate(self._hosts):
            host_names = _names(host)
            names.append(_SEP.join(host_names))
            if len(host_names) > 1:
                several.add(ordinal)
            # The id too: the CLI's --host takes one, and it should find its host first.
            for exact in dict.fromkeys([*host_names, fold(host.host_id)]):
                self._exact.setdefault(exact, []).append(ordinal)
            for kind, key, start in _name_keys(host_names):
                entries[kind].append((key, ordinal, start))
            for key, start in _email_keys(host.email):
                entries[EMAIL].append((key, ordinal, start))
        self._tables = [_PrefixTable(kind) for kind in entries]
        # What a mixed query's Han characters are checked against; an email holds none.
        texts = _Texts(names, frozenset(several))
        self._texts: list[_Texts | None] = [texts, texts, texts, texts, None]
        self._index_departments()
        self._longest = max(t.longest for t in self._tables + [self._departments])

    def _index_departments(self) -> None:
        """Departments are few and shared, so they are keyed once each, and a department match
        brings in its members (kept in ordinal order)."""
        numbers: dict[str, int] = {}
        self._members: list[list[int]] = []
        for ordinal, host in enumerate(self._hosts):
            if host.department not in numbers:
                numbers[host.department] = len(self._members)
                self._members.append([])
            self._members[numbers[host.department]].append(ordinal)
        self._department_texts = _Texts([fold(d) for d in numbers])
        self._departments = _PrefixTable(
            [(key, number, start) for department, number in numbers.items()
             for key, start in _department_keys(department)])

    def __len__(self) -> int:
        return len(self._hosts)

    def get(self, host_id: str) -> Host | None:
        return self._by_id.get(host_id)

    def search(self, query: str, limit: int = 10) -> list[Host]:
        """Hosts matching what the visitor typed so far, best first, at most `limit`."""
        q = fold(query)
        if not q or limit <= 0 or len(q) > self._longest:
            return []
        mixed = _mixed_spellings(q)
        found: list[int] = self._exact.get(q, [])[:limit]
        seen = set(found)

        def take(ordinals: Iterable[int]) -> None:
            for o in ordinals:
                if len(found) == limit:
                    return
                if o not in seen:
                    found.append(o)
                    seen.add(o)

        for table, texts in zip(self._tables, self._texts):
            if len(found) < limit:
                take(table.matching(q, mixed, texts, limit - len(found), seen))
        if len(found) < limit:
            departments = self._departments.matching(q, mixed, self._department_texts, len(self._members), set())
            take(heapq.merge(*(self._members[d] for d in departments)))
        return [self._hosts[o] for o in found]


# -- the same keys for a database index (the server's register search) -------------------------

def name_keys(name: str) -> list[str]:
    """The keys a name is found by in a long list, where a match is worth showing only if it
    is the start of the name: a query (as :func:`query_keys` spells it) that is a prefix of one
    of them finds the name. HostIndex's keys from the first word on (zs, zhangs, 张 find 张三),
    and from a later one only as written (三, and a Latin name's later words: smith finds John
    Smith): a later syllable's pinyin (san) would find a tenth of all names by one letter."""
    return sorted({key for i, _, key, form in _spelled(_name_units(name)) if i == 0 or form == "chars"})


def department_keys(text: str) -> list[str]:
    """The keys HostIndex files a department under, from each of its words on (a company's too)."""
    return sorted(key for key, _ in _department_keys(text))


def query_keys(query: str) -> list[str]:
    """What a query is looked up as among those keys: folded, and a mix of Han characters and
    letters (张s) by its pinyin spellings too (without HostIndex's check that the characters are
    really there: 章s may find 张三 as well)."""
    q = fold(query)
    return list(dict.fromkeys([q, *(spelled for spelled, _, _ in _mixed_spellings(q))])) if q else []
