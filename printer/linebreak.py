"""Where a line may break, and text wrapped to a width: one rule for paper and screen.

Break opportunities follow the Unicode line breaking algorithm (UAX #14: printer/uax14.py,
with the character data of the ``uniseg`` package), tailored for Chinese as typesetters do (kinsoku, 禁则):

- no line starts with closing punctuation (。，、；：？！）」』》 …) and none ends with opening
  punctuation (（「『《 …), whatever class UAX #14 gives the mark;
- no break inside a Chinese word: runs of Han characters are segmented by forward maximum
  matching against the word list the pinyin keyboard already ships (jieba's 80,000 most
  frequent words, ``assets/ime/pinyin.txt.gz``), plus the kiosk's own vocabulary, so 访客卡
  stays whole. Traditional text is looked up through its simplified form.

``wrap`` is pure: it takes a ``measure`` function (Pillow's ``getlength`` for the printer,
Kivy's text extents for the screen), so both draw exactly what it decided.
"""

from __future__ import annotations

import gzip
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable

from printer.uax14 import breakables as uax14_breakables

WORDS_PATH = Path(__file__).resolve().parents[1] / "assets" / "ime" / "pinyin.txt.gz"

CLOSING = set("。，、；：？！）」』》】〉〕〗〙〛”’…‥・ー々〻ゝゞヽヾ〜～,.;:!?)]}％‰℃"
              "︒︐︑︓︔︕︖︶︸︺︼︾﹀﹂﹄ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")
OPENING = set("（「『《【〈〔〖〘〚“‘([{￥＄")
_HARD_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"
MAX_WORD = 8  # the longest word in the list, in characters

# Words of the kiosk's own texts that jieba's list lacks (it has 访客, not 访客卡).
_OWN_WORDS = ("访客卡", "临时访客卡", "被访人", "受访人", "签退", "签到", "保密协议", "集合点",
              "非公开", "访客须知", "出口处", "前台", "施工人员", "施工许可证", "许可证号",
              "应聘职位", "收件人", "包裹件数")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+")

Measure = Callable[[str], float]


class _Lexicon:
    """The word list, read once on first use (about 0.2 s; the kiosk's warm-up pays it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: frozenset[str] | None = None
        self._simplified: dict[str, str] = {}

    def load(self, path: Path = WORDS_PATH) -> None:
        with self._lock:
            if self._words is not None:
                return
            text = gzip.decompress(path.read_bytes()).decode("utf-8")
            sections = dict(block.split("\n", 1) for block in text.split("\n@")[1:])
            # A line is "initials<TAB>word:reading word:reading ..." (see assets/ime/README.md).
            words = {entry.partition(":")[0] for line in sections.get("words", "").split("\n")
                     for entry in line.partition("\t")[2].split(" ") if entry}
            words.update(_OWN_WORDS)
            for line in sections.get("traditional", "").splitlines():
                simple, _, forms = line.partition("\t")
                for form in forms:
                    self._simplified.setdefault(form, simple)
            self._words = frozenset(words)

    def segment(self, run: str) -> list[int]:
        """The lengths of the words a run of Han characters is made of, left to right."""
        if self._words is None:
            self.load()
        key = "".join(self._simplified.get(c, c) for c in run)
        lengths, i = [], 0
        while i < len(key):
            n = min(MAX_WORD, len(key) - i)
            while n > 1 and key[i:i + n] not in self._words:
                n -= 1
            lengths.append(n)
            i += n
        return lengths


LEXICON = _Lexicon()


def breakables(text: str) -> list[int]:
    """For each position, 1 when a line may break before it (never before the first)."""
    if not text:
        return []
    result = uax14_breakables(text)
    last_seen = ""  # the last character before position i that is not a space
    for i in range(1, len(text)):
        if text[i - 1] in _HARD_BREAKS:
            last_seen = ""
            continue  # a line break in the text is kept, whatever follows it
        if text[i - 1] != " ":
            last_seen = text[i - 1]
        if text[i] in CLOSING or last_seen in OPENING:
            result[i] = 0
    for match in _HAN.finditer(text):
        i = match.start()
        for length in LEXICON.segment(match.group()):
            for inside in range(i + 1, i + length):
                result[inside] = 0
            i += length
    result[0] = 0
    return result


@lru_cache(maxsize=4096)
def units(text: str) -> tuple[str, ...]:
    """``text`` cut at every break opportunity; each piece keeps its trailing spaces."""
    cuts = [i for i, ok in enumerate(breakables(text)) if ok] + [len(text)]
    pieces, start = [], 0
    for cut in cuts:
        if cut > start:
            pieces.append(text[start:cut])
            start = cut
    return tuple(pieces)


def wrap(text: str, width: float, measure: Measure, max_lines: int | None = None) -> list[str]:
    """``text`` in lines no wider than ``width`` (measured without trailing spaces and line
    ends), breaking only where :func:`breakables` allows and at every newline. Joining the
    lines gives ``text`` back. A unit wider than a line on its own is cut where it must.
    With ``max_lines``, the last line holds everything that is left (the caller shortens it).
    """
    lines: list[str] = []
    pieces = list(units(text))
    i = 0
    while i < len(pieces):
        if max_lines is not None and len(lines) == max_lines - 1:
            lines.append("".join(pieces[i:]))
            break
        end = _take_line(pieces, i, width, measure)
        lines.append("".join(pieces[i:end]))
        i = end
    return lines


def _visible(line: str) -> str:
    return line.rstrip()


def _take_line(pieces: list[str], start: int, width: float, measure: Measure) -> int:
    """The end index of the longest run of pieces from ``start`` that fits ``width``; it never
    runs past a hard line break. Over-long pieces are split in place."""
    def fits(n: int) -> bool:
        return measure(_visible("".join(pieces[start:start + n]))) <= width

    hard = start
    while hard < len(pieces) and not pieces[hard].endswith(tuple(_HARD_BREAKS)):
        hard += 1
    limit = min(hard + 1, len(pieces)) - start  # pieces up to and including a hard break
    if not fits(1):
        piece = pieces[start]
        keep = _kinsoku_cut(piece, longest_prefix(len(piece), lambda k: measure(_visible(piece[:k])) <= width))
        if keep < len(_visible(piece)):
            pieces[start:start + 1] = [piece[:keep], piece[keep:]]
        return start + 1
    # Gallop then bisect: a 10,000-character name costs a few measurements, not thousands.
    good, bad = 1, 2
    while bad <= limit and fits(bad):
        good, bad = bad, bad * 2
    bad = min(bad, limit + 1)
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if fits(mid) else (good, mid)
    return start + good


def _kinsoku_cut(piece: str, fitting: int) -> int:
    """Where to cut a piece too wide for a line, at most ``fitting`` characters in: inside a
    word if it must, but still never before closing or after opening punctuation, unless
    no such place fits (then at the width, and at least one character)."""
    for keep in range(fitting, 0, -1):
        if piece[keep] not in CLOSING and piece[:keep].rstrip(" ")[-1:] not in OPENING:
            return keep
    return max(1, fitting)


def longest_prefix(n: int, fits) -> int:
    """The largest k in 0..n with fits(k), for a monotone ``fits`` (fits(0) assumed)."""
    good, bad = 0, n + 1
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if fits(mid) else (good, mid)
    return good


def reflow(text: str) -> str:
    """Text written in paragraphs separated by blank lines, each paragraph made one line (its
    line breaks joined by a space, or by nothing between two Chinese characters), so that
    the screen or the paper breaks it where its width says."""
    paragraphs = re.split(r"\n[ \t]*\n\s*", text.strip().replace("\r\n", "\n"))
    return "\n\n".join(_join_lines(p.split("\n")) for p in paragraphs if p.strip())


def _join_lines(lines: list[str]) -> str:
    joined = ""
    for line in (line.strip() for line in lines):
        if joined and line and not (_chinese(joined[-1]) and _chinese(line[0])):
            joined += " "
        joined += line
    return joined


def _chinese(char: str) -> bool:
    return bool(_HAN.match(char)) or char in CLOSING or char in OPENING
