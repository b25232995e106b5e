"""Finding and loading the CJK font that badges are drawn with, and checking glyph coverage.

Badges are raster images, so the font is the one thing that decides whether a name prints as
text or as tofu boxes.  We look for Noto Sans CJK (Debian's fonts-noto-cjk) and pick the face
by region: Simplified (SC) for zh_CN and en, Traditional (TC) for zh_TW, because the same code
point is drawn differently in the two.  ``unsupported_chars`` reads the font's own character
map, so check-in can refuse a name before it is printed wrong.
"""

from __future__ import annotations

import mmap
import os
import struct
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from printer.errors import FontMissing

_REGION = {"zh_CN": "SC", "en": "SC", "zh_TW": "TC"}

_DEBIAN_DIR = Path("/usr/share/fonts/opentype/noto")
_DEBIAN = {False: _DEBIAN_DIR / "NotoSansCJK-Regular.ttc", True: _DEBIAN_DIR / "NotoSansCJK-Bold.ttc"}

# Where fontconfig usually finds fonts, for systems without the Debian package layout.
_FONT_ROOTS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)


def font(size: int, *, bold: bool = False, lang: str = "zh_CN") -> ImageFont.FreeTypeFont:
    """The badge font at ``size`` pixels; cached, because layout asks for the same sizes often."""
    return _load(int(size), bold, _region(lang))


def unsupported_chars(text: str, *, lang: str = "zh_CN") -> list[str]:
    """The distinct characters of ``text`` the badge font cannot draw, in order of appearance.

    Whitespace is ignored.  The text is NFC-normalised first, as the badge does, so a
    decomposed "é" counts as the composed letter the font does have.
    """
    region = _region(lang)
    missing: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if not char.isspace() and char not in missing and not _has_glyph(char, region):
            missing.append(char)
    return missing


def font_path(*, bold: bool = False, lang: str = "zh_CN") -> tuple[Path, int]:
    """The font file and face index used for ``lang``; raises FontMissing if there is none."""
    return _resolve(bold, _region(lang))


def _region(lang: str) -> str:
    try:
        return _REGION[lang]
    except KeyError:
        raise ValueError(f"unsupported badge language {lang!r}; use one of {sorted(_REGION)}") from None


@lru_cache(maxsize=512)
def _load(size: int, bold: bool, region: str) -> ImageFont.FreeTypeFont:
    path, index = _resolve(bold, region)
    return ImageFont.truetype(str(path), size, index=index)


@lru_cache(maxsize=8192)
def _has_glyph(char: str, region: str) -> bool:
    return ord(char) in _coverage(*_resolve(False, region))


@lru_cache(maxsize=None)
def _resolve(bold: bool, region: str) -> tuple[Path, int]:
    for path in _candidates(bold, region):
        return path, _face_index(path, region)
    raise FontMissing("looked in KIOSK_FONT, /usr/share/fonts and ~/.fonts")


def _candidates(bold: bool, region: str):
    """Font files in search order: KIOSK_FONT, the Debian package, then common font folders."""
    configured = os.environ.get("KIOSK_FONT")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"KIOSK_FONT={configured} is not a file")
        # One setting names the regular face; its Bold sibling is used when it exists.
        sibling = path.with_name(path.name.replace("Regular", "Bold"))
        yield sibling if bold and sibling.is_file() else path
        return
    if _DEBIAN[bold].is_file():
        yield _DEBIAN[bold]
    weight = "Bold" if bold else "Regular"
    for pattern in ("NotoSansCJK*.ttc", f"NotoSansCJK{region.lower()}*.otf", f"NotoSans{region}*.[ot]tf"):
        found = sorted(p for root in _FONT_ROOTS if root.is_dir() for p in root.rglob(pattern))
        # Prefer the wanted weight; any weight beats no font at all.
        yield from sorted(found, key=lambda p: weight not in p.name)


def _face_index(path: Path, region: str) -> int:
    """In a collection, the face whose name says SC or TC (not the Mono one); else face 0."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    for index in range(_face_count(path)):
        family, _style = ImageFont.truetype(str(path), 12, index=index).getname()
        words = (family or "").split()
        if region in words and "Mono" not in words:
            return index
    return 0


def _face_count(path: Path) -> int:
    with path.open("rb") as f:
        tag, _version, count = struct.unpack(">4sII", f.read(12))
    return count if tag == b"ttcf" else 1


class _Coverage:
    """The code points a font maps to a real glyph, as sorted inclusive ranges."""

    def __init__(self, ranges: list[tuple[int, int]]):
        self._starts = [start for start, _ in ranges]
        self._ends = [end for _, end in ranges]

    def __contains__(self, code_point: int) -> bool:
        i = bisect_right(self._starts, code_point) - 1
        return i >= 0 and code_point <= self._ends[i]


@lru_cache(maxsize=None)
def _coverage(path: Path, index: int) -> _Coverage:
    """Parse the OpenType ``cmap`` table (Pillow does not expose glyph lookup; fontTools is
    not a dependency).  Format 12 covers all of Unicode; format 4 is the BMP-only fallback."""
    # Map rather than read: a CJK collection is ~20 MB and we need a few hundred KB of it.
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _parse_cmap(data, index, path)


def _parse_cmap(data, index: int, path: Path) -> _Coverage:
    offset = struct.unpack_from(">I", data, 12 + 4 * index)[0] if data[:4] == b"ttcf" else 0
    cmap = _table_offset(data, offset, b"cmap")
    subtables = {}
    _version, count = struct.unpack_from(">HH", data, cmap)
    for i in range(count):
        platform, encoding, sub = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        fmt = struct.unpack_from(">H", data, cmap + sub)[0]
        if platform in (0, 3) and fmt in (4, 12):
            subtables.setdefault(fmt, cmap + sub)
    if 12 in subtables:
        return _Coverage(_format12_ranges(data, subtables[12]))
    if 4 in subtables:
        return _Coverage(_format4_ranges(data, subtables[4]))
    raise FontMissing(f"{path} has no Unicode character map")


def _table_offset(data, font_offset: int, tag: bytes) -> int:
    count = struct.unpack_from(">H", data, font_offset + 4)[0]
    for i in range(count):
        record = font_offset + 12 + 16 * i
        if data[record:record + 4] == tag:
            return struct.unpack_from(">I", data, record + 8)[0]
    raise FontMissing(f"font has no {tag.decode()} table")


def _format12_ranges(data, at: int) -> list[tuple[int, int]]:
    groups = struct.unpack_from(">I", data, at + 12)[0]
    ranges = []
    for start, end, glyph in struct.iter_unpack(">III", data[at + 16:at + 16 + 12 * groups]):
        if glyph == 0:  # a group starting at .notdef: its first code point has no glyph
            start += 1
        if start <= end:
            ranges.append((start, end))
    return _merge(ranges)


def _format4_ranges(data, at: int) -> list[tuple[int, int]]:
    segments = struct.unpack_from(">H", data, at + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, at + 14)
    starts = struct.unpack_from(f">{segments}H", data, at + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, at + 16 + 4 * segments)
    range_offsets_at = at + 16 + 6 * segments
    ranges = []
    for seg, (start, end, delta) in enumerate(zip(starts, ends, deltas)):
        range_offset = struct.unpack_from(">H", data, range_offsets_at + 2 * seg)[0]
        for code in range(start, min(end, 0xFFFE) + 1):
            if range_offset:
                pos = range_offsets_at + 2 * seg + range_offset + 2 * (code - start)
                glyph = struct.unpack_from(">H", data, pos)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            else:
                glyph = (code + delta) & 0xFFFF
            if glyph:
                ranges.append((code, code))
    return _merge(ranges)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
