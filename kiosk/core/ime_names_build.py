"""The name and company data of the pinyin table, for `kiosk.core.ime_build`: how common each
surname is, which characters people are named with, which characters no name field offers, and
which words are proper nouns (a company field ranks them first).

Sources (build time only; see assets/ime/README.md for versions and licences):
- jieba's dict.txt (MIT): its person-name entries (tag nr) say how often each surname starts a
  name; its tags nr, ns, nt and nz mark proper nouns (华为, 腾讯, 北京).
- ngender's charfreq.csv (MIT): how many people, men and women, have each character in their
  given name, counted from a large list of Chinese names (伟 429,989; 三 9,641).
- the List of Dirty, Naughty, Obscene, and Otherwise Bad Words (LDNOOBW, Shutterstock,
  CC BY 4.0): the characters unfit for names (below).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from importlib import resources

# Compound surnames, each with its syllables; a name field offers them whole (欧阳娜娜).
COMPOUND_SURNAMES = ("欧阳ou'yang 司马si'ma 诸葛zhu'ge 上官shang'guan 东方dong'fang 令狐ling'hu 慕容mu'rong "
                     "司徒si'tu 皇甫huang'fu 夏侯xia'hou 宇文yu'wen 尉迟yu'chi 长孙zhang'sun 端木duan'mu "
                     "公孙gong'sun")

# The one-character entries of LDNOOBW's Chinese list (github.com/LDNOOBW/List-of-Dirty-Naughty-
# Obscene-and-Otherwise-Bad-Words, file `zh`, © 2012-2019 Shutterstock, Inc., CC BY 4.0),
# traditional ones mapped to simplified: less 幹 (its simplified form 干 is a surname), 柒 (the
# banker's seven) and 鳩 (dove), which are ordinary name characters.
LDNOOBW_CHARS = "乳卵奶奸妓姦屄屌性淫爛肏賤逼尻撚閪㞗𨳒𨳊𡳞𨶙𨳍"
# Characters that, in that same list, make its two-character entries obscene or insulting and
# have no other sense a parent would name a child for: 屎 (吃屎), 屁 (屁眼), 尿 (撒尿), 婊 (婊子),
# 嫖 (嫖娼), 娼 (嫖娼), 骚 (骚货), 贱 (贱人), 痴 (白痴), 蛋 (王八蛋), 瘪 (瘪三), 傻 (傻逼).
LDNOOBW_WORD_CHARS = "屎屁尿婊嫖娼骚贱痴蛋瘪傻"
# A reading of a given-name character counts when words use it at least this share as often as
# the character's commonest reading (立 is li; its rare reading wei would put 张立 before 张卫).
MIN_READING_SHARE = 0.05

PROPER_TAGS = {"nr", "ns", "nt", "nz"}  # jieba: person, place, organisation, other proper noun


def _jieba_entries():
    with resources.files("jieba").joinpath("dict.txt").open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) == 3:
                yield parts[0], int(parts[1]), parts[2]


def proper_nouns() -> set[str]:
    return {word for word, _, tag in _jieba_entries() if tag in PROPER_TAGS}


def surname_counts(entries: list[str]) -> list[tuple[str, int]]:
    """Each surname entry (`王wang`, `欧阳ou'yang`) with the number of jieba person names of two to
    four characters that start with it, plus one (so that none is zero)."""
    surnames = {entry.rstrip("abcdefghijklmnopqrstuvwxyz'"): entry for entry in entries}
    counts = dict.fromkeys(entries, 1)
    for word, _, tag in _jieba_entries():
        if tag != "nr" or not 2 <= len(word) <= 4:
            continue
        for length in (2, 1):  # the compound surname when there is one: 欧阳 before 欧
            entry = surnames.get(word[:length])
            if entry is not None and len(word) > length:
                counts[entry] += 1
                break
    return sorted(counts.items(), key=lambda e: (-e[1], e[0]))


def given_chars(wanted: set[str], unfit: set[str],
                chars: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    """Syllable -> [(character, people named with it)], most frequent first, under each usual
    reading of the character: ngender's counts of men and women with it in their given name."""
    from pypinyin import Style, pinyin

    in_words: dict[str, dict[str, int]] = defaultdict(dict)  # character -> reading -> count in words
    for syllable, entries in chars.items():
        for char, count in entries:
            in_words[char][syllable] = count
    table: dict[str, list[tuple[str, int]]] = defaultdict(list)
    with resources.files("ngender").joinpath("charfreq.csv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            char, count = row["char"], int(row["male"]) + int(row["female"])
            if char not in wanted or char in unfit or count == 0:
                continue
            readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
            top = max(in_words[char].values(), default=0)
            for syllable in readings:
                usual = syllable == readings[0] or in_words[char].get(syllable, 0) >= top * MIN_READING_SHARE
                if syllable.isascii() and syllable.isalpha() and usual:
                    table[syllable].append((char, count))
    return {s: sorted(entries, key=lambda e: (-e[1], e[0])) for s, entries in sorted(table.items())}


def unfit_chars(traditional_to_simplified: dict[str, list[str]]) -> set[str]:
    """The characters a name field never offers, in their simplified forms."""
    chars = set(LDNOOBW_WORD_CHARS)
    for char in LDNOOBW_CHARS:
        chars.update(traditional_to_simplified.get(char, [char])[:1])
    return chars
