"""The visitor badge (printer/badge.py's content) laid out as one ZPL label.

Latin text goes to the printer as text in its resident scalable font (``^A0``), the QR as the
printer's own ``^BQ``, and text the printer's font lacks (Chinese, or anything beyond Latin-1)
as a graphic drawn with the badge font. The label is landscape (4x3 in: the QR beside the
text) or portrait (4x6 in: everything stacked, as on a receipt), whichever its shape suits.

Line breaks are ours, never the printer's: each text block is measured with the badge font's
bold face (Noto Sans CJK), which is wider than the printer's condensed font 0, so a line that
fits here fits there too, and each ``^FB`` block gets exactly the lines we made. Text that
does not fit whole at its smallest size goes as a graphic, which can break inside a word and
end in an ellipsis as the receipt badge does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import qrcode
from PIL import ImageDraw

from printer import zpl_format as zf
from printer.badge import _LABELS, BadgeContent, fit_text
from printer.errors import BadgeLayoutError
from printer.fonts import font
from printer.raster import QR_QUIET_MODULES, canvas, to_1bit, when

_MARGIN_MM = 2.0
_GAP_MM = 1.2
_TIGHT_MM = 0.3  # between the lines of one group (a label and its value)
_LINE_SPACING = 0.18  # of the text height, between lines of one block
_TEXT_SCALES = (1.4, 1.2, 1.0, 0.9, 0.8, 0.7)  # of the largest sizes, in turn; smallest sizes stay
_QR_LEVELS = ("Q", "M", "L")  # the sturdiest that fits
_QR_LEVEL_CODES = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
                   "Q": qrcode.constants.ERROR_CORRECT_Q}

# (largest, smallest) text height in mm for each part; 5.7 mm of height is 4 mm capitals.
_SIZES = {
    "title": (6.0, 4.2), "org": (3.4, 2.6), "name": (9.0, 5.7), "company": (4.6, 3.2),
    "label": (2.6, 2.2), "host": (5.0, 3.4), "department": (3.6, 2.8), "visit": (4.0, 3.2),
    "valid": (6.0, 5.7), "number": (4.5, 3.5), "footer": (3.0, 2.5),
}


@dataclass(frozen=True)
class Label:
    """A label's printable size in dots and the printer's resolution."""

    width: int
    length: int
    dpi: int

    def mm(self, value: float) -> int:
        return max(1, round(value * self.dpi / 25.4))


@dataclass(frozen=True)
class _Fit:
    """One attempt at the layout: how large the text, which QR level, whether compact."""

    scale: float
    level: str
    compact: bool = False


@dataclass
class Block:
    """Something laid out: its size, and the ZPL that draws it with its top left at (x, y)."""

    width: int
    height: int
    emit: Callable[[int, int], str]


def badge_zpl(content: BadgeContent, label: Label) -> str:
    """The whole label, ``^XA`` to ``^XZ``; raises BadgeLayoutError when it cannot fit."""
    layouts = (_landscape, _portrait) if label.width > label.length * 1.15 else (_portrait, _landscape)
    for compact in (False, True):  # a lower QR level before fewer lines of company and host
        for level in _QR_LEVELS:
            for layout in layouts:  # the label's own shape first, even with smaller text
                for scale in _TEXT_SCALES:
                    body = layout(content, label, _Fit(scale, level, compact))
                    if body is not None:
                        return (f"^XA^CI28^PW{label.width}^LL{label.length}^LH0,0^PON"
                                f"{body}^PQ1,0,1,Y^XZ\n")
    raise BadgeLayoutError(f"the badge does not fit a label of {label.width}x{label.length} dots "
                           f"at {label.dpi} dpi (the QR alone needs {_qr_block(content, label, 'L').height})")


def text_block(text: str, width: int, label: Label, part: str, *, lang: str, scale: float = 1.0,
               max_lines: int = 1, prefer_lines: int | None = None, bold: bool = False, center: bool = False,
               reverse: bool = False):
    """``text`` fitted to ``width`` dots in the printer's font if it can (in ``prefer_lines``
    at any size down to the smallest before more lines), else as a graphic; None for empty text."""
    text = " ".join(text.split())
    if not text:
        return None
    largest, smallest = (label.mm(v) for v in _SIZES[part])
    largest = max(smallest, round(largest * scale))
    if zf.native_ok(text):
        fitted = None
        for lines in range(min(prefer_lines or max_lines, max_lines), max_lines + 1):
            fitted = fitted or _fit_native(text, width, largest, smallest, lines, lang)
        if fitted is not None:
            height, lines = fitted
            spacing = round(height * _LINE_SPACING)
            return Block(width, len(lines) * height + (len(lines) - 1) * spacing,
                         lambda x, y: zf.native_text(x, y, lines, height=height, width=width, spacing=spacing,
                                                     center=center, reverse=reverse))
    return _graphic_text(text, width, largest, smallest, max_lines, bold, lang, center, reverse)


def _fit_native(text: str, width: int, largest: int, smallest: int, max_lines: int, lang: str):
    """(height, lines) at the largest height whose greedy wrap fits, else None. Lines break at
    spaces and after hyphens (Montgomery-|Smithson), never inside a word."""
    pieces = [(piece, i > 0 and j == 0) for i, word in enumerate(text.split(" "))
              for j, piece in enumerate(re.findall(r"[^-]+-*|-+", word))]
    for height in range(largest, smallest - 1, -1):
        measure = font(height, bold=True, lang=lang).getlength
        if any(measure(piece) > width for piece, _ in pieces):
            continue
        lines = [pieces[0][0]]
        for piece, spaced in pieces[1:]:
            candidate = lines[-1] + (" " if spaced else "") + piece
            if measure(candidate) <= width:
                lines[-1] = candidate
            else:
                lines.append(piece)
        if len(lines) <= max_lines:
            return height, lines
    return None


def _graphic_text(text, width, largest, smallest, max_lines, bold, lang, center, reverse) -> Block:
    fitted = fit_text(text, width, max_size=largest, min_size=smallest, max_lines=max_lines, bold=bold, lang=lang)
    image = canvas(width, fitted.height)
    fitted.draw(ImageDraw.Draw(image), 0, 0, width, center=center)
    image = to_1bit(image)
    # Send only the columns with ink: a short name is a small graphic, not a label-wide one.
    ink = image.convert("L").point(lambda v: 255 - v).getbbox()
    left, right = (ink[0], ink[2]) if ink else (0, 1)
    cropped = image.crop((left, 0, right, image.height))
    return Block(width, image.height,
                 lambda x, y: zf.graphic(x + left, y, cropped, reverse=reverse))


def _qr_block(content: BadgeContent, label: Label, level: str) -> Block:
    """The printer's QR with a 4-module quiet zone on every side (^BQ draws none)."""
    qr = qrcode.QRCode(error_correction=_QR_LEVEL_CODES[level], border=0)
    qr.add_data(content.qr_text, optimize=0)
    qr.make(fit=True)
    magnification = zf.qr_magnification(label.dpi)
    side = (len(qr.get_matrix()) + 2 * QR_QUIET_MODULES) * magnification
    quiet = QR_QUIET_MODULES * magnification
    return Block(side, side, lambda x, y: zf.qr_field(x + quiet, y + quiet, content.qr_text,
                                                       magnification=magnification, level=level))


def _header(content: BadgeContent, label: Label, scale: float) -> Block:
    """The black band: the visitor type for the guard, and the organisation."""
    inner = label.width - 2 * label.mm(_MARGIN_MM)
    chinese, english = content.visitor_type
    title = text_block(f"{chinese} {english.upper()}", inner, label, "title", lang=content.lang, scale=scale,
                       bold=True, center=True, reverse=True)
    org = text_block(content.organisation, inner, label, "org", lang=content.lang, scale=scale,
                     center=True, reverse=True)
    pad, gap = label.mm(1.6), label.mm(0.8)
    height = pad + title.height + (gap + org.height if org else 0) + pad

    def emit(x: int, y: int) -> str:
        out = zf.box(0, y, label.width, height) + title.emit(x, y + pad)
        return out + (org.emit(x, y + pad + title.height + gap) if org else "")

    return Block(label.width, height, emit)


def _column(content: BadgeContent, label: Label, width: int, fit: _Fit) -> list[Block]:
    """Name, company, and the host and times each under a small label of its own."""
    labels = _LABELS[content.lang]
    lines = 1 if fit.compact else 2

    def block(text, part, **kw):
        return text_block(text, width, label, part, lang=content.lang, scale=fit.scale, **kw)

    rows = [
        ("host", [block(content.host_name, "host", bold=True, max_lines=lines),
                  block(content.host_department, "department")]),
        ("visit", [block(when(content.issued_at), "visit")]),
        ("valid", [block(when(content.valid_until), "valid", bold=True)]),
    ]
    # A name is cut only when even the compact layout cannot hold it in two lines.
    blocks = [block(content.name, "name", bold=True, max_lines=lines + 1, prefer_lines=2, center=True), _gap(label),
              block(content.company, "company", max_lines=lines, center=True)]
    for key, values in rows:
        values = [v for v in values if v]
        if values:
            blocks.append(_gap(label))
            blocks += [block(" ".join(labels[key]), "label"), *values]
    return [b for b in blocks if b]


def _gap(label: Label) -> Block:
    return Block(0, label.mm(_GAP_MM), lambda x, y: "")


def _footer(content: BadgeContent, label: Label, width: int, scale: float) -> Block:
    return text_block(" / ".join(_LABELS[content.lang]["footer"]), width, label, "footer",
                      lang=content.lang, scale=scale, max_lines=2, center=True)


def _number(content: BadgeContent, label: Label, width: int, scale: float) -> Block:
    return text_block(f"No. {content.badge_number}", width, label, "number", lang=content.lang,
                      scale=scale, bold=True, center=True)


def _stack(blocks: list[Block], x: int, y: int, gap: int) -> tuple[str, int]:
    out = []
    for i, block in enumerate(blocks):
        y += gap if i and block.width else 0
        out.append(block.emit(x, y))
        y += block.height
    return "".join(out), y


def _landscape(content: BadgeContent, label: Label, fit: _Fit) -> str | None:
    """Header across; the text on the left, the QR and the badge number on the right."""
    margin, gap = label.mm(_MARGIN_MM), label.mm(_GAP_MM)
    header, qr = _header(content, label, fit.scale), _qr_block(content, label, fit.level)
    top = header.height + gap
    column_width = label.width - margin - qr.width
    if column_width < label.mm(25):
        return None
    footer = _footer(content, label, label.width - 2 * margin, fit.scale)
    number = _number(content, label, qr.width, fit.scale)
    text, text_bottom = _stack(_column(content, label, column_width, fit), margin, top, label.mm(_TIGHT_MM))
    qr_x = label.width - qr.width  # the quiet zone is the right margin
    bottom = max(text_bottom, top + qr.height + number.height)
    footer_y = label.length - margin - footer.height
    if bottom + gap > footer_y:
        return None
    return (header.emit(margin, 0) + text + qr.emit(qr_x, top)
            + number.emit(qr_x, top + qr.height) + footer.emit(margin, footer_y))


def _portrait(content: BadgeContent, label: Label, fit: _Fit) -> str | None:
    """Everything stacked and centred, as on the receipt badge."""
    margin, gap = label.mm(_MARGIN_MM), label.mm(_GAP_MM)
    inner = label.width - 2 * margin
    header, qr = _header(content, label, fit.scale), _qr_block(content, label, fit.level)
    if qr.width > label.width:
        return None
    text, y = _stack(_column(content, label, inner, fit), margin, header.height + gap, label.mm(_TIGHT_MM))
    number = _number(content, label, inner, fit.scale)
    footer = _footer(content, label, inner, fit.scale)
    footer_y = label.length - margin - footer.height
    room = footer_y - gap - y - qr.height - number.height
    if room < 0:
        return None
    qr_x, qr_y = (label.width - qr.width) // 2, y + room // 2  # the QR in the middle of what is left
    return (header.emit(margin, 0) + text + qr.emit(qr_x, qr_y) + number.emit(margin, qr_y + qr.height)
            + footer.emit(margin, footer_y))
