"""Pinyin input for the on-screen keyboard: letters in, ranked Chinese candidates out.

A visitor types toneless pinyin (zhang, zhangsan, bj for 北京, lv for 吕) and taps a candidate;
the chosen text consumes the letters it spells and the rest stays in the buffer for the next
pick (张 from zhangsan leaves san). Candidates are, best first: words spelling the whole buffer,
then words spelling shorter prefixes of it, then single characters for its first syllable, each
group in order of real frequency (jieba's counts). Common surnames are boosted among the
characters of the first syllable, since a visitor mostly types names (张 before 长 for zhang).

The field being typed into picks the ranking (FIELDS). In a name field whole names come first
(zhangsan -> 张三: a surname, by how often it starts a name, then given-name characters, by how
many people bear them), the surnames of a syllable head its characters (单 for shan), and no
candidate holds a character unfit for a name. In a company field proper nouns rank above other
words (华为 before 化为).

Each typed piece is a syllable or the start of one, so initials (kj), half-typed last syllables
(beij) and mixes (zhangs) all find words. The table comes from `kiosk.core.ime_build` (sources and
licences in assets/ime/README.md); it is read once per process on first use, which is fast
enough for the first keystroke, and no package beyond the standard library is needed at run time.
"""

from __future__ import annotations

import gzip
import heapq
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

DATA_PATH = Path(__file__).resolve().parents[2] / "assets" / "ime" / "pinyin.txt.gz"
SCRIPTS = ("zh_CN", "zh_TW")
FIELDS = ("name", "company", "other")
MAX_WORD_SYLLABLES = 8

# A surname's count is multiplied by SURNAME_BOOST among the first syllable's characters (张 over
# 长 for zhang, 李 over 里), and raised to at least SURNAME_FLOOR of the syllable's top count, for
# surnames whose reading is rare in words (曾 zeng, 单 shan); 是 still heads shi.
SURNAME_BOOST = 8
SURNAME_FLOOR = 0.25

# In a company field a proper noun's count is multiplied by this (华为 373 * 4 over 化为 664).
PROPER_BOOST = 4
NAMES_SHOWN = 10  # whole-name candidates per length, before the words of that length
_NAME_CHOICES = 8  # given-name characters tried per syllable

# ü is typed as v (lv, nve); the lue/nue spelling that many typists use means the same.
_ALIASES = {"lue": "lve", "nue": "nve"}
_RUN = re.compile(r"[^']+")
_LONGEST_SYLLABLE = 6  # zhuang


@dataclass(frozen=True)
class _Piece:
    """A stretch of the buffer: a syllable (`full`), the start of one, or a letter no syllable
    starts with (`valid` is False; nothing matches it)."""

    text: str
    start: int
    end: int
    full: bool
    valid: bool = True


class _Table:
    """The parsed data file. Lines are split on first use (most are never needed), which keeps
    loading to a few tens of milliseconds; two threads may split the same line at once, with the
    same result, so the caches need no lock."""

    def __init__(self, text: str):
        sections = dict(block.split("\n", 1) for block in text.split("\n@")[1:])
        self._raw_chars = dict(_pairs(sections["chars"]))
        self._chars: dict[str, list[tuple[str, int]]] = {}
        self.syllables = frozenset(self._raw_chars) | frozenset(_ALIASES)
        self.prefixes = frozenset(s[:i] for s in self.syllables for i in range(1, len(s)))
        self._raw_words = dict(_pairs(sections["words"]))
        self._words: dict[str, list[tuple[str, tuple[str, ...], int, bool]]] = {}
        self.surnames = frozenset((e[0], e[1:]) for e in sections["surnames"].split())
        self.surname_counts = [(_SURNAME.match(e).group(1), tuple(_SURNAME.match(e).group(2).split("'")),
                                int(_SURNAME.match(e).group(3))) for e in sections["surname_counts"].split()]
        self._raw_given = dict(_pairs(sections["given"]))
        self._given: dict[str, list[tuple[str, int]]] = {}
        self.unfit = frozenset(sections["unfit"].strip())
        self.traditional = dict(_pairs(sections["traditional"]))
        self.traditional_words = dict(_pairs(sections["traditional_words"]))

    def chars(self, syllable: str) -> list[tuple[str, int]]:
        """(character, count) read as `syllable`, most frequent first."""
        found = self._chars.get(syllable)
        if found is None:
            entries = self._raw_chars.get(syllable, "").split()
            found = self._chars[syllable] = [(e[0], int(e[1:])) for e in entries]
        return found

    def words(self, initials: str) -> list[tuple[str, tuple[str, ...], int, bool]]:
        """(word, syllables, count, proper noun) whose syllables start with these letters, most
        frequent first."""
        found = self._words.get(initials)
        if found is None:
            entries = (e.split(":") for e in self._raw_words.get(initials, "").split())
            found = self._words[initials] = [(word, tuple(pinyin.split("'")), int(count.rstrip("*")),
                                              count.endswith("*")) for word, pinyin, count in entries]
        return found

    def given(self, syllable: str) -> list[tuple[str, int]]:
        """(character, people named with it) read as `syllable`, most frequent first."""
        found = self._given.get(syllable)
        if found is None:
            entries = self._raw_given.get(syllable, "").split()
            found = self._given[syllable] = [(e[0], int(e[1:])) for e in entries]
        return found


_SURNAME = re.compile(r"([^a-z']+)([a-z']+):(\d+)")


def _pairs(section: str):
    return (line.split("\t", 1) for line in section.splitlines() if line)


_table_lock = threading.Lock()
_loaded: _Table | None = None


def _table() -> _Table:
    global _loaded
    if _loaded is None:
        with _table_lock:
            if _loaded is None:
                _loaded = _Table(gzip.decompress(DATA_PATH.read_bytes()).decode("utf-8"))
    return _loaded


def segment(letters: str) -> list[str]:
    """Split pinyin letters into syllables: xian -> [xian], xi'an -> [xi, an],
    zhangsan -> [zhang, san]. A trailing part that is only the start of a syllable stays one piece
    (zhangs -> [zhang, s]); a letter no syllable starts with is a piece of its own."""
    return [letters[p.start:p.end] for p in _pieces(letters, _table())]


def _pieces(letters: str, table: _Table) -> list[_Piece]:
    return [piece for run in _RUN.finditer(letters) for piece in _split_run(run.group(), run.start(), table)]


def _split_run(run: str, offset: int, table: _Table) -> list[_Piece]:
    """The cheapest split of a run without apostrophes: fewest syllables, partial ones dear.
    Between equally cheap splits the first found is kept, the one whose last piece starts
    earliest: that is how the apostrophe rule reads pinyin (fangan is fan'gan, 方案 is fang'an)."""
    # best[end]: the cost of the cheapest split of run[:end] and the piece that ends it
    best: list[tuple[int, _Piece | None] | None] = [(0, None)] + [None] * len(run)
    for start in range(len(run)):
        if best[start] is None:
            continue
        for end in range(start + 1, min(len(run), start + _LONGEST_SYLLABLE) + 1):
            step = _piece(run[start:end], offset + start, table)
            if step is None:
                continue
            cost = best[start][0] + step[0]
            if best[end] is None or cost < best[end][0]:
                best[end] = (cost, step[1])
    pieces, end = [], len(run)
    while end:
        piece = best[end][1]
        pieces.append(piece)
        end = piece.start - offset
    return pieces[::-1]


def _piece(text: str, start: int, table: _Table) -> tuple[int, _Piece] | None:
    """The cost and piece `text` would be, or None when it cannot be one."""
    end = start + len(text)
    if text in table.syllables:
        return 1, _Piece(_ALIASES.get(text, text), start, end, full=True)
    if text in table.prefixes:
        return 2, _Piece(text, start, end, full=False)
    if len(text) == 1:
        return 10, _Piece(text, start, end, full=False, valid=False)
    return None


class PinyinInput:
    """The letters typed so far and the candidates they spell, for one text field.

    Not thread-safe: one keyboard drives it, on the UI thread.
    """

    def __init__(self, script: str = "zh_CN", limit: int = 30, field: str = "other"):
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self.set_script(script)
        self.set_field(field)
        self._limit = limit
        self._buffer = ""
        self._after_hanzi = False
        self._shown: tuple[tuple[str, str], list[tuple[str, int]]] | None = None

    @property
    def buffer(self) -> str:
        """The letters typed and not yet converted."""
        return self._buffer

    def type(self, letter: str) -> None:
        """Add one letter a-z, or an apostrophe to separate syllables (xi'an)."""
        if letter == "'":
            # A separator only separates: at the start or after another one it means nothing.
            if self._buffer and not self._buffer.endswith("'"):
                self._buffer += letter
            return
        if len(letter) != 1 or not "a" <= letter <= "z":
            raise ValueError(f"pinyin input takes the letters a-z and ', not {letter!r}")
        self._buffer += letter

    def backspace(self) -> bool:
        """Remove the last letter; False when there was none (the field's text is next)."""
        if not self._buffer:
            return False
        self._buffer = self._buffer[:-1]
        return True

    def clear(self) -> None:
        self._buffer = ""

    def set_script(self, script: str) -> None:
        """zh_CN shows simplified characters, zh_TW traditional (Taiwan) ones."""
        if script not in SCRIPTS:
            raise ValueError(f"script must be one of {', '.join(SCRIPTS)}, not {script!r}")
        self._script = script

    def set_context(self, before: str) -> None:
        """The field's text before the letters: in a name field, once it holds a character (the
        surname, picked on its own) the letters spell the given name (zhang, 张, then wei: 伟)."""
        self._after_hanzi = any(is_hanzi(c) for c in before)

    def set_field(self, field: str) -> None:
        """What is being typed, which picks the ranking: "name", "company" or "other"."""
        if field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}, not {field!r}")
        self._field = field

    def candidates(self) -> list[str]:
        """What the buffer spells, best first, at most `limit`."""
        return [text for text, _ in self._ranked()]

    def choose(self, index: int) -> str:
        """Take candidate `index`: return its text and drop the letters it spells from the buffer."""
        ranked = self._ranked()
        if not 0 <= index < len(ranked):
            raise IndexError(f"no candidate {index}; there are {len(ranked)}")
        text, consumed = ranked[index]
        self._buffer = self._buffer[consumed:].lstrip("'")
        return text

    def _ranked(self) -> list[tuple[str, int]]:
        """(text, letters consumed) pairs, kept until the buffer or script changes so that
        `choose` takes exactly what `candidates` showed."""
        key = (self._buffer, self._script, self._field, self._after_hanzi)
        if self._shown is None or self._shown[0] != key:
            self._shown = key, self._rank(_table())
        return self._shown[1]

    def _rank(self, table: _Table) -> list[tuple[str, int]]:
        pieces = _pieces(self._buffer, table)
        if not pieces:
            return []
        given_only = self._field == "name" and self._after_hanzi
        groups = []
        for k in range(min(len(pieces), MAX_WORD_SYLLABLES), 1, -1):
            if self._field == "name" and k <= (2 if given_only else 4):  # surname: 1-2 syllables; given name: 1-2
                groups.append((_given_names(pieces[:k], table) if given_only else _names(pieces[:k], table),
                               pieces[k - 1].end))
            groups.append((_words(pieces, k, table, self._field == "company"), pieces[k - 1].end))
        groups.append((_chars(pieces[0], table, "given" if given_only else self._field), pieces[0].end))
        ranked: dict[str, int] = {}
        for texts, end in groups:
            for text in texts:
                if self._field == "name" and not table.unfit.isdisjoint(text):
                    continue
                for shown in self._in_script(text, table):
                    ranked.setdefault(shown, end)
                if len(ranked) >= self._limit:
                    return list(ranked.items())[:self._limit]
        return list(ranked.items())

    def _in_script(self, text: str, table: _Table) -> list[str]:
        """The simplified `text` as shown: itself, or its traditional forms (a character can have
        several, 发 -> 發 髮, which take its place in the ranking)."""
        if self._script == "zh_CN":
            return [text]
        if len(text) == 1:
            return list(table.traditional.get(text, text))
        return [table.traditional_words.get(text) or "".join(table.traditional.get(c, c)[0] for c in text)]


def _words(pieces: list[_Piece], count: int, table: _Table, proper_first: bool = False) -> list[str]:
    """Words spelled by the first `count` pieces: those that spell them exactly first, then those
    that only extend the last typed syllable (beijin -> 北京), each most frequent first (with
    proper nouns boosted when `proper_first`)."""
    wanted = pieces[:count]
    if not all(p.valid for p in wanted):
        return []
    open_end = count == len(pieces)  # the last piece may still be being typed
    exact, extended = [], []
    for word, syllables, frequency, proper in table.words("".join(p.text[0] for p in wanted)):
        fit = _fit(wanted, syllables, open_end)
        if fit is not None:
            (exact if fit else extended).append((word, frequency * (PROPER_BOOST if proper and proper_first else 1)))
    if proper_first:  # stable: equal scores keep the table's order
        exact.sort(key=lambda e: -e[1])
        extended.sort(key=lambda e: -e[1])
    return [word for word, _ in exact + extended]


def _names(pieces: list[_Piece], table: _Table) -> list[str]:
    """Whole names the pieces spell: a surname (one syllable or two, 欧阳) and a given name of one
    or two characters, most likely first: the surname's count times each given character's."""
    if not all(p.valid for p in pieces):
        return []
    found = []
    for surname, syllables, count in table.surname_counts:
        given_pieces = pieces[len(syllables):]
        if not 1 <= len(given_pieces) <= 2 or not all(_reads(p, s) for p, s in zip(pieces, syllables)):
            continue
        options = [_given_options(p, table) for p in given_pieces]
        for first, first_count in options[0]:
            for second, second_count in options[1] if len(options) == 2 else [("", 1)]:
                found.append((surname + first + second, count * first_count * second_count))
    found.sort(key=lambda e: -e[1])
    return [name for name, _ in found[:NAMES_SHOWN]]


def _given_names(pieces: list[_Piece], table: _Table) -> list[str]:
    """Given names of two characters the pieces spell, the commonest first."""
    if not all(p.valid for p in pieces):
        return []
    first, second = (_given_options(p, table) for p in pieces)
    found = sorted(((a + b, m * n) for a, m in first for b, n in second), key=lambda e: -e[1])
    return [name for name, _ in found[:NAMES_SHOWN]]


def _reads(piece: _Piece, syllable: str) -> bool:
    return piece.text == syllable if piece.full else syllable.startswith(piece.text)


def _given_options(piece: _Piece, table: _Table) -> list[tuple[str, int]]:
    """The commonest given-name characters a piece can spell."""
    if piece.full:
        return table.given(piece.text)[:_NAME_CHOICES]
    starts = [table.given(s)[:_NAME_CHOICES] for s in sorted(table.syllables) if s.startswith(piece.text)]
    return heapq.nlargest(_NAME_CHOICES, (e for entries in starts for e in entries), key=lambda e: e[1])


def _fit(pieces: list[_Piece], syllables: tuple[str, ...], open_end: bool) -> bool | None:
    """None when the syllables do not fit the pieces; else whether they fit exactly. A partial
    piece matches any syllable it starts; a whole syllable only itself, unless it is the buffer's
    last piece, which may be the start of a longer syllable."""
    exact = True
    for i, (piece, syllable) in enumerate(zip(pieces, syllables)):
        if piece.text == syllable:
            continue
        if not syllable.startswith(piece.text) or (piece.full and not (open_end and i == len(pieces) - 1)):
            return None
        exact = False
    return exact


def _chars(piece: _Piece, table: _Table, field: str = "other") -> Iterator[str]:
    """Characters for the first piece, most frequent first: of its syllable, with surnames
    boosted (a name starts with one; in a name field they come first), or of every syllable it
    starts."""
    if not piece.valid:
        return iter(())
    if piece.full and field == "name":
        entries = table.chars(piece.text)
        return (char for char, _ in sorted(entries, key=lambda e: (e[0], piece.text) not in table.surnames))
    if piece.full and field == "given":  # given-name characters first, by how many bear them
        named = [char for char, _ in table.given(piece.text)]
        return iter(named + [char for char, _ in table.chars(piece.text) if char not in set(named)])
    if piece.full and field == "company":
        return (char for char, _ in table.chars(piece.text))
    if piece.full:
        return (char for char, _ in _surnames_boosted(piece.text, table))
    starts = [table.chars(s) for s in sorted(table.syllables) if s.startswith(piece.text) and s not in _ALIASES]
    return (char for char, _ in heapq.merge(*starts, key=lambda e: -e[1]))


def _surnames_boosted(syllable: str, table: _Table) -> list[tuple[str, int]]:
    entries = table.chars(syllable)
    floor = entries[0][1] * SURNAME_FLOOR if entries else 0

    def score(entry: tuple[str, int]) -> float:
        return max(entry[1] * SURNAME_BOOST, floor) if (entry[0], syllable) in table.surnames else entry[1]

    return sorted(entries, key=score, reverse=True)  # stable: equal scores keep frequency order


def is_hanzi(char: str) -> bool:
    """A CJK ideograph (the unified blocks and extension A, and the supplementary planes)."""
    return "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0003ffff"


def common_name_parts(surnames: int, given: int) -> tuple[list[str], list[str], dict[str, str]]:
    """The commonest surnames and given-name characters (simplified, most common first) and the
    simplified-to-traditional table, for names that look like people's (kiosk.core.decoys)."""
    table = _table()
    counted = (table.given(syllable) for syllable in table._raw_given)
    chars = heapq.nlargest(given, (entry for entries in counted for entry in entries), key=lambda e: e[1])
    top = sorted(table.surname_counts, key=lambda e: -e[2])[:surnames]
    return [s for s, _, _ in top], [c for c, _ in chars], {k: v[0] for k, v in table.traditional.items()}
