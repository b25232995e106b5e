"""Builds the pinyin table that `kiosk.core.ime` reads (assets/ime/pinyin.txt.gz).

Run `python -m kiosk.core.ime_build` after `pip install jieba opencc-python-reimplemented ngender` (with
pypinyin, which the project already has). Those packages are needed here only: the kiosk reads the
committed table and never imports them. The output is deterministic (sorted, gzip without a
timestamp), so regenerating with the same package versions gives the same bytes.

Sources: word frequencies from jieba's dict.txt, readings from pypinyin (its phrase dictionary
picks the reading of a polyphone inside a word), simplified to traditional (Taiwan) forms from
OpenCC's STCharacters, STPhrases and TWVariants; given-name characters from ngender's charfreq.csv,
surname frequencies from jieba's person-name entries; the characters unfit for names from the
LDNOOBW list. See assets/ime/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections import defaultdict
from importlib import resources

from kiosk.core.ime import DATA_PATH, MAX_WORD_SYLLABLES
from kiosk.core.ime_names_build import COMPOUND_SURNAMES, given_chars, proper_nouns, surname_counts, unfit_chars

# Interjection readings (嗯 n/ng, 呣 m, 哼 hng) are not syllables a visitor types, and as
# syllables n and m would stop initials such as nh (你好) from finding words.
SKIPPED_READINGS = {"m", "n", "ng", "hm", "hng"}
READING = re.compile(r"[a-z]+")
HANZI_WORD = re.compile(r"[\u4e00-\u9fff]+")

# The hundred or so commonest surnames of mainland China, and a few polyphones whose surname reading
# is rare in other words (单 shan, 区 ou, 仇 qiu); each with its surname reading (曾 zeng, not
# ceng). Order does not matter: the engine treats them as one set.
SURNAMES = (
    "王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu "
    "胡hu 郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han 冯feng "
    "邓deng 曹cao 彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu 蒋jiang 蔡cai 余yu 杜du "
    "叶ye 程cheng 苏su 魏wei 吕lv 丁ding 任ren 沈shen 姚yao 卢lu 姜jiang 崔cui 钟zhong 谭tan "
    "陆lu 汪wang 范fan 金jin 石shi 廖liao 贾jia 夏xia 韦wei 付fu 方fang 白bai 邹zou 孟meng "
    "熊xiong 秦qin 邱qiu 江jiang 尹yin 薛xue 闫yan 段duan 雷lei 侯hou 龙long 史shi 陶tao 黎li "
    "贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan 钱qian 严yan 覃qin 武wu 戴dai 莫mo 孔kong 向xiang "
    "汤tang 单shan 区ou 仇qiu 解xie 查zha 朴piao 翟zhai 乐yue 缪miao 盖ge 欧ou 柯ke 温wen 易yi 詹zhan "
    "关guan 童tong 庞pang 颜yan 倪ni 骆luo"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=80000, help="how many of the most frequent words to keep")
    parser.add_argument("--out", default=str(DATA_PATH))
    args = parser.parse_args(argv)
    frequencies = jieba_frequencies()
    readings = word_readings(frequencies)
    wanted = simplified_chars(frequencies)
    chars = char_table(frequencies, readings, wanted)
    words = top_words(frequencies, readings, wanted, args.words)
    traditional = traditional_map({c for entries in chars.values() for c, _ in entries})
    unfit = unfit_chars(opencc_table("TSCharacters.txt"))
    names = {"surnames": surname_counts(surnames(chars) + COMPOUND_SURNAMES.split()),
             "given": given_chars(wanted, unfit, chars), "unfit": unfit, "proper": proper_nouns()}
    text = render(chars, words, surnames(chars), traditional, traditional_words(words, traditional),
                  frequencies, names)
    data = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"{args.out}: {len(chars)} syllables, {len(words)} words, {len(traditional)} traditional "
          f"characters, {len(text.encode('utf-8'))} bytes, {len(data)} gzipped")


def jieba_frequencies() -> dict[str, int]:
    """Every all-hanzi entry of jieba's dictionary (single characters too) with its count."""
    frequencies = {}
    with resources.files("jieba").joinpath("dict.txt").open(encoding="utf-8") as lines:
        for line in lines:
            word, count = line.split()[:2]
            if HANZI_WORD.fullmatch(word):
                frequencies[word] = frequencies.get(word, 0) + int(count)
    return frequencies


def word_readings(frequencies: dict[str, int]) -> dict[str, list[str]]:
    """Toneless pinyin of each word, ü as v; words with a reading we do not type are left out."""
    from pypinyin import lazy_pinyin

    readings = {}
    for word in frequencies:
        syllables = lazy_pinyin(word)
        if len(syllables) == len(word) and all(is_syllable(s) for s in syllables):
            readings[word] = syllables
    return readings


def is_syllable(reading: str) -> bool:
    return bool(READING.fullmatch(reading)) and reading not in SKIPPED_READINGS


def simplified_chars(frequencies: dict[str, int]) -> set[str]:
    """The characters of jieba's words and of GB 2312, less the traditional-only ones jieba has
    (備, 閭): candidates are simplified, and the engine converts them for zh_TW."""
    gb2312 = gb2312_hanzi()
    simplified = opencc_table("TSCharacters.txt")
    return {c for word in frequencies for c in word if c in gb2312 or c in simplified.get(c, [c])} | gb2312


def char_table(frequencies: dict[str, int], readings: dict[str, list[str]],
               wanted: set[str]) -> dict[str, list[tuple[str, int]]]:
    """Syllable -> [(character, count)], most frequent first. A character's count under a reading
    is the summed count of the words it takes that reading in, so 长 ranks high under chang (长期)
    and zhang (成长) alike. Characters of GB 2312 that jieba never saw are kept with count 0 under
    every reading, so a rare name character can still be typed."""
    from pypinyin import Style, pinyin

    counts: dict[tuple[str, str], int] = defaultdict(int)
    for word, syllables in readings.items():
        for char, syllable in zip(word, syllables):
            if char in wanted:
                counts[char, syllable] += frequencies[word]
    for char in wanted:
        for syllable in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
            if is_syllable(syllable):
                counts[char, syllable] += 0
    table = defaultdict(list)
    for (char, syllable), count in counts.items():
        table[syllable].append((char, count))
    return {s: sorted(entries, key=lambda e: (-e[1], e[0])) for s, entries in sorted(table.items())}


def gb2312_hanzi() -> set[str]:
    """The 6,763 hanzi of GB 2312 (rows 16-87), the set every Chinese input method covers."""
    chars = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:  # the five empty cells at the end of row 0xD7
                pass
    return chars


def top_words(frequencies: dict[str, int], readings: dict[str, list[str]], wanted: set[str],
              limit: int) -> list[tuple[str, list[str]]]:
    """The `limit` most frequent words of two or more wanted characters, most frequent first."""
    words = [w for w in readings if 2 <= len(w) <= MAX_WORD_SYLLABLES and set(w) <= wanted]
    words.sort(key=lambda w: (-frequencies[w], w))
    return [(w, readings[w]) for w in words[:limit]]


def surnames(chars: dict[str, list[tuple[str, int]]]) -> list[str]:
    entries = SURNAMES.split()
    readings = {(c, s) for s, pairs in chars.items() for c, _ in pairs}
    for entry in entries:
        if (entry[0], entry[1:]) not in readings:
            raise SystemExit(f"surname {entry[0]} has no reading {entry[1:]} in the table")
    return entries


def opencc_table(name: str) -> dict[str, list[str]]:
    with resources.files("opencc").joinpath("dictionary", name).open(encoding="utf-8") as lines:
        return {source: targets.split() for source, targets in (line.rstrip("\n").split("\t") for line in lines)}


def traditional_map(chars: set[str]) -> dict[str, list[str]]:
    """Simplified character -> its Taiwan traditional forms, commonest first (发 -> 發 髮), for
    the characters whose traditional form differs or is ambiguous."""
    characters, variants = opencc_table("STCharacters.txt"), opencc_table("TWVariants.txt")
    result = {}
    for char in sorted(chars):
        forms = list(dict.fromkeys(variants.get(t, [t])[0] for t in characters.get(char, [char])))
        if forms != [char]:
            result[char] = forms
    return result


def traditional_words(words: list[tuple[str, list[str]]], traditional: dict[str, list[str]]) -> dict[str, str]:
    """The words whose Taiwan form is not the first form of each character (头发 -> 頭髮, not
    頭發): OpenCC's phrase-aware s2tw conversion, stored only where it differs."""
    from opencc import OpenCC

    converter = OpenCC("s2tw")
    result = {}
    for word, _ in words:
        converted = converter.convert(word)
        if converted != "".join(traditional.get(c, [c])[0] for c in word):
            result[word] = converted
    return result


def render(chars, words, surname_entries, traditional, traditional_word_forms, frequencies, names) -> str:
    """The table as text: sections opened by `@name`, tab-separated key and value per line. A word
    is `word:pin'yin:count`, with `*` after the count for a proper noun (a company field ranks
    those higher: 华为 over 化为)."""
    by_initials = defaultdict(list)
    for word, syllables in words:
        pinyin = "'".join(syllables)
        proper = "*" if word in names["proper"] else ""
        by_initials["".join(s[0] for s in syllables)].append(f"{word}:{pinyin}:{frequencies[word]}{proper}")
    sections = {
        "chars": (f"{s}\t{' '.join(f'{c}{n}' for c, n in entries)}" for s, entries in chars.items()),
        "words": (f"{key}\t{' '.join(entries)}" for key, entries in sorted(by_initials.items())),
        "surnames": [" ".join(surname_entries)],
        "surname_counts": [" ".join(f"{s}:{n}" for s, n in names["surnames"])],
        "given": (f"{s}\t{' '.join(f'{c}{n}' for c, n in entries)}" for s, entries in names["given"].items()),
        "unfit": ["".join(sorted(names["unfit"]))],
        "traditional": (f"{c}\t{''.join(forms)}" for c, forms in traditional.items()),
        "traditional_words": (f"{w}\t{t}" for w, t in sorted(traditional_word_forms.items())),
    }
    header = "# kiosk pinyin input table, generated by `python -m kiosk.core.ime_build`; do not edit"
    return "\n".join([header, *(f"@{name}\n" + "\n".join(lines) for name, lines in sections.items())]) + "\n"


if __name__ == "__main__":
    main()
