"""Fitting text to a width on printed layouts: one line at the largest size that fits, else
wrapped at a larger size, else wrapped at the smallest and ellipsized; and the font size that
makes glyphs a given number of dots high (what a guard reads at a metre).

Lines break where :mod:`printer.linebreak` allows (UAX #14, Chinese kinsoku, whole Chinese
words); a word wider than the line is broken anywhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import partial

from PIL import ImageDraw, ImageFont

from printer import linebreak
from printer.fonts import font

_ELLIPSIS = "…"

# Line geometry in em: Noto Sans CJK's ideographs reach ~0.88 em above the baseline and
# accented capitals ~0.95 em; descenders reach ~0.25 em below.
_ASCENT, _DESCENT, _LINE_STEP = 0.98, 0.26, 1.24


@dataclass(frozen=True)
class FittedText:
    """Text broken into lines that each fit a width, with the font to draw them in."""

    font: ImageFont.FreeTypeFont
    lines: tuple[str, ...]
    truncated: bool = False  # the last line was cut and ends in an ellipsis

    @property
    def ascent(self) -> int:
        return round(self.font.size * _ASCENT) if self.lines else 0

    @property
    def height(self) -> int:
        if not self.lines:
            return 0
        size = self.font.size
        return self.ascent + round((len(self.lines) - 1) * _LINE_STEP * size + _DESCENT * size)

    def draw(self, draw: ImageDraw.ImageDraw, x: int, top: int, width: int, *,
             center: bool = False, fill: int = 0) -> None:
        step = _LINE_STEP * self.font.size
        for i, line in enumerate(self.lines):
            baseline = top + self.ascent + round(i * step)
            if center:
                draw.text((x + width / 2, baseline), line, font=self.font, fill=fill, anchor="ms")
            else:
                draw.text((x, baseline), line, font=self.font, fill=fill, anchor="ls")


def fit_text(text: str, width: int, *, max_size: int, min_size: int, max_lines: int,
             wrap_below: int | None = None, bold: bool = False,
             lang: str = "zh_CN") -> FittedText:
    """Fit ``text`` into at most ``max_lines`` lines no wider than ``width`` dots.

    The text is set on one line at the largest size up to ``max_size`` that fits.  Below
    ``wrap_below`` (default ``min_size``) a wrapped layout at a larger size is preferred, if
    one exists; failing both, the text is wrapped at ``min_size`` and what still does not fit
    is cut with an ellipsis.  Lines break where :mod:`printer.linebreak` allows (UAX #14,
    Chinese kinsoku, whole Chinese words), and a word wider than the line is broken anywhere.
    """
    face = partial(font, bold=bold, lang=lang)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        return FittedText(face(max_size), ())
    length = face(max_size).getlength(text)
    if length <= width:  # also spares zero-width text (e.g. only U+200B) a division by zero
        return FittedText(face(max_size), (text,))
    single = _one_line_size(text, length, width, max_size, min_size, face)
    if single >= (wrap_below or min_size):
        return FittedText(face(single), (text,))
    units = _units(_showable(text, face(min_size), width * max_lines))
    # Start where the text's length would just fill max_lines, then step down by ~8 %:
    # a handful of trial wraps, not one per size.
    size = min(max_size, int(max_size * width * max_lines / length))
    while max_lines > 1 and size >= max(min_size, single + 1):
        lines, overflow, _ = _wrap(units, face(size), width, max_lines)
        if not overflow:
            return FittedText(face(size), tuple(lines))
        size = min(size - 1, int(size * 0.92))
    if single >= min_size:
        return FittedText(face(single), (text,))
    lines, overflow, tail = _wrap(units, face(min_size), width, max_lines)
    if overflow:
        # Fill the last line with as much of the rest as fits, not just its whole words:
        # "Alexandra Montgomer…" says more than "Alexandra…".
        lines[-1] = _ellipsize(tail[: 2 * len(lines[-1]) + 16], face(min_size), width)
    return FittedText(face(min_size), tuple(lines), truncated=overflow)


def _one_line_size(text, length, width, max_size, min_size, face) -> int:
    """The largest size that fits ``text`` on one line; below ``min_size`` means none."""
    # Advances scale linearly with size, so the size is computed, not searched; hinting can
    # make it a dot too wide, which the loop corrects.
    size = min(max_size, int(max_size * width / length))
    while size >= min_size and face(size).getlength(text) > width:
        size -= 1
    return size


def _showable(text: str, f: ImageFont.FreeTypeFont, room: int) -> str:
    """The start of ``text`` that could ever be shown in lines of total width ``room`` at the
    smallest size, with as much again to spare: finding line breaks costs time in proportion
    to the text, and a 10,000-character name would otherwise pay for all of it."""
    if f.getlength(text) <= 2 * room:
        return text
    return text[:linebreak.longest_prefix(len(text), lambda k: f.getlength(text[:k]) <= 2 * room) + 1]


def _units(text: str) -> list[str]:
    """The unbreakable pieces of ``text`` (UAX #14 with Chinese kinsoku and words)."""
    return list(linebreak.units(text))


def _wrap(units: list[str], f: ImageFont.FreeTypeFont, width: int, max_lines: int):
    """Greedy line filling; returns the lines, whether text was left over, and the text from
    the start of the last line to the end."""
    lines = linebreak.wrap("".join(units), width, f.getlength, max_lines)
    tail = lines[-1] if lines else ""
    overflow = f.getlength(tail.rstrip()) > width
    if overflow:  # the last line as it would be without the limit; the caller shortens it
        lines[-1] = linebreak.wrap(tail, width, f.getlength, 2)[0]
    return [line.rstrip() for line in lines], overflow, tail


def _ellipsize(line: str, f: ImageFont.FreeTypeFont, width: int) -> str:
    keep = linebreak.longest_prefix(len(line), lambda k: f.getlength(line[:k].rstrip() + _ELLIPSIS) <= width)
    return line[:keep].rstrip() + _ELLIPSIS


def size_for_height(dots: int, sample: str, *, bold: bool, lang: str) -> int:
    """The smallest font size whose ``sample`` glyphs stand at least ``dots`` high."""
    reference = 100
    left, top, right, bottom = font(reference, bold=bold, lang=lang).getbbox(sample, anchor="ls")
    size = -(-dots * reference // (bottom - top))
    while _glyph_height(size, sample, bold, lang) < dots:
        size += 1
    return size


def _glyph_height(size: int, sample: str, bold: bool, lang: str) -> int:
    left, top, right, bottom = font(size, bold=bold, lang=lang).getbbox(sample, anchor="ls")
    return bottom - top
