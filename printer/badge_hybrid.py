"""The badge laid out for a printer that draws some of it itself (the ``hybrid`` ESC/POS stream).

The same badge as printer/badge.py, in the same order, as a list of pieces: the header band and
the name stay raster (they must look exactly as designed, and a guard reads them from afar);
every other line of words goes in the printer's font A when each of its characters is one code
page 437 shows and it fits the line, else it is drawn by us as a small raster of its own
(Chinese always is); the QR is the printer's own where it has one. Integers are paper feeds.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw

from printer import badge
from printer.raster import canvas, rule, to_1bit, when

FONT_A_DOTS = (12, 24)  # width, height of one font-A character at scale 1
CODE_PAGE = "cp437"


@dataclass(frozen=True)
class Raster:
    image: Image.Image  # mode "1", the paper's width


@dataclass(frozen=True)
class Text:
    text: str
    scale: int = 1  # GS ! magnification, the same across and down
    center: bool = False
    bold: bool = False
    reverse: bool = False  # white on black (GS B): the header band


@dataclass(frozen=True)
class Qr:
    text: str
    level: str
    dots: int
    image: Image.Image  # the raster QR, quiet zone included, for printers without GS ( k


def hybrid_items(content: badge.BadgeContent, width: int, *, columns: int) -> list:
    """The badge as raster pieces, printer-font lines, the QR and feeds (dots)."""
    s = badge._Scale(width)
    lines = _Lines(content, width, columns)
    items: list = _header(content, lines, s) + [s.px(22),
                                                Raster(to_1bit(badge._identity(replace(content, company=""), s)))]
    if content.company.strip():
        items += [s.px(10)] + lines.words(content.company, scale=2, center=True, size=s.px(32, 24), max_lines=2)
    items += [s.px(18), Raster(to_1bit(rule(width, 2, badge._MARGIN))), s.px(16)]
    items += _details(content, lines, s)
    qr_section = badge._qr_image(content.qr_text, width)
    qr_image = canvas(width, qr_section.height)
    qr_image.paste(qr_section, ((width - qr_section.width) // 2, 0))
    items.append(Qr(content.qr_text, qr_section.info["qr_level"], qr_section.info["qr_dots"], to_1bit(qr_image)))
    items += lines.words(f"No. {content.badge_number}", scale=2, center=True, bold=True, size=s.px(28, 22))
    items += [s.px(16), Raster(to_1bit(rule(width, 2, badge._MARGIN))), s.px(12)]
    for part in badge._LABELS[content.lang]["footer"]:
        items += lines.words(part, center=True, size=s.px(21, 17), max_lines=2)
    return items + [s.px(28)]


def _header(content: badge.BadgeContent, lines: _Lines, s) -> list:
    """The band: the English visitor type as a full-width white-on-black bar in the printer's
    font (a black band as raster is the badge's costliest part), the Chinese one under it, the
    escort notice and the organisation; the raster band where the English does not print."""
    chinese, english = content.visitor_type
    bar = lines.bar(english.upper())
    if bar is None:
        return [Raster(to_1bit(badge._header(content, s)))]
    items = [bar, s.px(6)] + lines.words(chinese, size=s.px(40, 28), center=True, bold=True)
    if content.escort:
        zh, en = badge._LABELS[content.lang]["escort"]
        items += [s.px(6)] + lines.words(zh, size=s.px(30, 24), center=True, bold=True)
        items += [lines.bar(en) or lines.words(en, size=s.px(30, 24), center=True, bold=True)[0]]
    if content.organisation.strip():
        items += [s.px(6)] + lines.words(content.organisation, size=s.px(22, 17), center=True)
    return items + [s.px(8), Raster(to_1bit(rule(s.width, 4, 0)))]


def _details(content: badge.BadgeContent, lines: _Lines, s) -> list:
    """Each row as its label (both languages on one line) and its values under it."""
    labels = badge._LABELS[content.lang]
    expires = content.valid_until
    rows = [
        ("host", [(content.host_name, dict(scale=2, bold=True, size=s.px(30, 22))),
                  (content.host_department, dict(size=s.px(24, 18)))]),
        ("visit", [(when(content.issued_at), dict(size=s.px(26, 19)))]),
        # The expiry's digits 4 mm high in font A too: 3 x 24 dots of cell, ~50 dots of digit.
        ("valid", [(expires.strftime("%H:%M"), dict(scale=3, bold=True, size=badge.size_for_height(
            32, "0123456789", bold=True, lang=content.lang))),
                   (expires.strftime("%Y-%m-%d"), dict(bold=True, size=s.px(26, 19)))]),
    ]
    items: list = []
    for key, values in rows:
        values = [(text, style) for text, style in values if text.strip()]
        if not values:
            continue
        items += lines.words(" ".join(labels[key]), size=s.px(20, 16))
        for text, style in values:
            items += lines.words(text, **style)
        items.append(s.px(14))
    return items


class _Lines:
    """Words as printer-font lines where the printer can show them, else as our own raster."""

    def __init__(self, content: badge.BadgeContent, width: int, columns: int):
        self.content, self.width, self.columns = content, width, columns

    def words(self, text: str, *, size: int, scale: int = 1, center: bool = False, bold: bool = False,
              max_lines: int = 1) -> list:
        text = " ".join(text.split())
        if printable(text):
            for magnification in range(scale, 0, -1):
                wrapped = textwrap.wrap(text, self.columns // magnification, break_on_hyphens=False)
                if len(wrapped) <= max_lines:
                    return [Text(line, magnification, center, bold) for line in wrapped]
        return [self._raster(text, size=size, center=center, bold=bold, max_lines=max_lines)]

    def bar(self, text: str) -> Text | None:
        """``text`` centred on a white-on-black bar across the paper, at double size if it fits."""
        text = " ".join(text.split())
        if not printable(text):
            return None
        for magnification in (2, 1):
            # One cell short of the line: a full line followed by LF feeds an empty line too.
            room = self.columns // magnification - 1
            if len(text) + 2 <= room:
                return Text(text.center(room), magnification, center=True, bold=True, reverse=True)
        return None

    def _raster(self, text: str, *, size: int, center: bool, bold: bool, max_lines: int) -> Raster:
        inner = self.width - 2 * badge._MARGIN
        fitted = badge.fit_text(text, inner, max_size=size, min_size=min(size, 16), max_lines=max_lines,
                                bold=bold, lang=self.content.lang)
        image = canvas(self.width, fitted.height)
        fitted.draw(ImageDraw.Draw(image), badge._MARGIN, 0, inner, center=center)
        return Raster(to_1bit(image))


def printable(text: str) -> bool:
    """Every character is a printable one of the printer's code page (no control bytes)."""
    try:
        encoded = text.encode(CODE_PAGE)
    except UnicodeEncodeError:
        return False
    return all(byte >= 0x20 and byte != 0x7F for byte in encoded)
