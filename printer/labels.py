"""Label and sheet media, in millimetres, and the layout that puts badges on them.

A badge is rendered by :func:`printer.badge.render_badge` at a width in dots; here each medium
says how wide that is at the queue's resolution and where the badge goes:

- continuous tape (Brother 62 mm, DK-22205): the label is as long as the badge;
- die-cut labels (Brother DK-11202 62x100 mm, DYMO 30857 / S0929100 badge labels): the length
  is fixed, so the badge width is the widest at which even the tallest badge fits the label
  (:func:`badge_width` tries it), and a page that is still too tall is shrunk, never cut off;
- sheets (A4, Letter): a 2x2 grid of badge cells inside what any office printer prints, with
  corner marks to cut along; the badges of one job fill the cells in reading order.

Printable areas are the drivers' own (the ImageableArea of Debian's ptouch and dymo PPDs), so
what we send is exactly what the driver can print, at one image dot per printer dot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Sequence

from PIL import Image, ImageDraw

from printer.errors import PrinterError

MM_PER_INCH = 25.4
_PT = MM_PER_INCH / 72  # PPD sizes are in PostScript points
_CUT_MARK_MM = 4


@dataclass(frozen=True)
class Media:
    """One medium: its size, the part a driver prints, and how badges are placed on it."""

    key: str
    title: str
    width_mm: float
    length_mm: float | None  # None: continuous, cut to the badge's length
    cups_name: str  # the queue's PageSize for it ("Custom." is added for continuous media)
    margins_mm: tuple[float, float, float, float]  # left, bottom, right, top, as the PPD has them
    grid: tuple[int, int] = (1, 1)  # badge cells across and down
    dpi: int = 300  # when the queue does not say
    max_dpi: int = 1200  # sheets: 300 is plenty for a badge, and 600 would quadruple the job
    # Inside the driver's printable area, what it really prints (left, bottom, right, top):
    # the dymo driver drops the area's first 4-5 columns, its last 28 rows and a column at the right, ptouch a column (and
    # on tape, where the length is rounded to points, a few rows)
    # (measured through CUPS, tests/test_cups_labels.py), so badges keep clear of them.
    safe_mm: tuple[float, float, float, float] = (0, 0, 0, 0)

    @property
    def continuous(self) -> bool:
        return self.length_mm is None

    @property
    def sheet(self) -> bool:
        return self.grid != (1, 1)

    def area_dots(self, dpi: int) -> tuple[int, int | None]:
        """The driver's printable width and length in dots (None: continuous); the image we
        send is exactly this size, so CUPS places it dot for dot without scaling."""
        left, bottom, right, top = self.margins_mm
        width = _dots(self.width_mm - left - right, dpi)
        return width, None if self.continuous else _dots(self.length_mm - top - bottom, dpi)

    def safe_box(self, dpi: int) -> tuple[int, int, int, int | None]:
        """Where content may go in that image: left, top, width, length (None: continuous)."""
        width, length = self.area_dots(dpi)
        left, bottom, right, top = (_dots(v, dpi) if v else 0 for v in self.safe_mm)
        return left, top, width - left - right, None if length is None else length - top - bottom

    def cell_dots(self, dpi: int) -> tuple[int, int | None]:
        """One badge's room: the safe box, or one grid cell less a cutting margin."""
        _, _, width, length = self.safe_box(dpi)
        if not self.sheet:
            return width, length
        gutter = 2 * _dots(_CUT_MARK_MM, dpi)
        across, down = self.grid
        return width // across - gutter, length // down - gutter

    def cups_media(self, length_dots: int = 0, dpi: int = 300) -> str:
        """The ``media`` value for a job; continuous media name their length in points."""
        if not self.continuous:
            return self.cups_name
        _, bottom, _, top = self.margins_mm
        length_pt = math.ceil((length_dots / dpi * MM_PER_INCH + top + bottom) / _PT)
        return f"Custom.{round(self.width_mm / _PT)}x{length_pt}"


def offers(medium: Media, supported: Sequence[str]) -> bool:
    """Whether a queue's ``media-supported`` (PWG self-describing names, such as
    ``iso_a4_210x297mm`` or ``custom_62.09x99.84mm_62.09x99.84mm``) has this medium's size;
    continuous media need the queue's custom size range."""
    sizes = [size for name in supported if (size := _pwg_size(name))]
    if medium.continuous:
        low = next((s for n, s in zip(supported, sizes) if n.startswith("custom_min_")), None)
        high = next((s for n, s in zip(supported, sizes) if n.startswith("custom_max_")), None)
        return bool(low and high and low[0] - 0.5 <= medium.width_mm <= high[0] + 0.5)
    return any(abs(w - medium.width_mm) < 0.6 and abs(h - medium.length_mm) < 0.6 for w, h in sizes)


def _pwg_size(name: str) -> tuple[float, float] | None:
    size = name.rsplit("_", 1)[-1]
    unit = 25.4 if size.endswith("in") else 1.0 if size.endswith("mm") else None
    width, _, length = size[:-2].partition("x")
    try:
        return (float(width) * unit, float(length) * unit) if unit else None
    except ValueError:
        return None


def _pt(*values: float) -> tuple[float, ...]:
    return tuple(v * _PT for v in values)


def _margins_from_ppd(width_pt: float, length_pt: float, area: tuple[float, float, float, float]):
    """PPD ImageableArea (llx lly urx ury, points) as left, bottom, right, top in mm."""
    llx, lly, urx, ury = area
    return _pt(llx, lly, width_pt - urx, length_pt - ury)


# Office printers print to within 1/4 in of the sides and 1/2 in of the top and bottom (the
# ImageableArea of cups-filters' HP and generic PPDs): a sheet kept inside that prints anywhere.
_SHEET_MARGINS = (7, 13.5, 7, 13.5)  # and half a millimetre to spare

MEDIA = {m.key: m for m in (
    Media("62mm", "Brother 62 mm continuous (DK-22205)", 62, None, "62mm",
          _margins_from_ppd(176, 284, (4.32, 8.40, 171.68, 275.60)), safe_mm=(0.2, 1, 0.2, 1)),
    Media("62x100", "Brother DK-11202 62x100 mm die-cut", 62, 283 * _PT, "62x100mm",
          _margins_from_ppd(176, 283, (4.32, 8.40, 171.68, 274.60)), safe_mm=(0.2, 0, 0.2, 0)),
    Media("30857", "DYMO 30857 / S0929100 badge label 59x102 mm", 167 * _PT, 288 * _PT, "w167h288.2",
          _margins_from_ppd(167, 288, (4.08, 4.32, 163.68, 271.20)), safe_mm=(0.6, 2.6, 0.2, 0)),
    Media("a4", "A4 sheet of four badges", 210, 297, "iso_a4_210x297mm", _SHEET_MARGINS,
          grid=(2, 2), max_dpi=300),
    Media("letter", "Letter sheet of four badges", 215.9, 279.4, "na_letter_8.5x11in",
          _SHEET_MARGINS, grid=(2, 2), max_dpi=300),
)}
ALIASES = {"dk-22205": "62mm", "62": "62mm", "dk-11202": "62x100", "62x100mm": "62x100",
           "dymo-30857": "30857", "s0929100": "30857", "a4": "a4", "letter": "letter"}


def media(name: str) -> Media:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in MEDIA:
        names = ", ".join([*MEDIA, *ALIASES])
        raise PrinterError(f"label media {name!r} is not one of: {names}")
    return MEDIA[key]


def _dots(mm: float, dpi: int) -> int:
    return math.floor(mm / MM_PER_INCH * dpi + 1e-6)


# -- how wide a badge may be ---------------------------------------------------------------------

def badge_width(medium: Media, dpi: int) -> int:
    """The width to render badges at: the cell's width, or on fixed-length media the widest at
    which the tallest badge we can imagine still fits the length (so none is ever shrunk)."""
    return widest_badge_for(*medium.cell_dots(dpi), dpi=dpi)


def widest_badge_for(width: int, length: int | None, *, dpi: int) -> int:
    """The widest badge, at most ``width`` dots, whose tallest form at ``dpi`` fits ``length``
    dots (None: any length): the search behind badge_width, shared with the Brother QL backend."""
    if length is None or _tallest_badge(width, dpi) <= length:
        return width
    low, high = 256, width  # render_badge's narrowest; heights grow with the width
    while high - low > 4:
        middle = (low + high) // 2
        low, high = (middle, high) if _tallest_badge(middle, dpi) <= length else (low, middle)
    return low


@lru_cache(maxsize=64)
def _tallest_badge(width: int, dpi: int) -> int:
    from printer.badge import BadgeContent, render_badge

    when = datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    tallest = BadgeContent(
        name="Maximilian Alexander Montgomery-Fitzwilliam " * 3, company="International Trading Company " * 4,
        host_name="Christopher Wellington-Smythe " * 3, host_department="Research and Development " * 4,
        issued_at=when, valid_until=when + timedelta(hours=12), badge_number="K7QF-2M9X",
        qr_text="VB1" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 5 + "ABCDEFGHIJKLMNOPQRSTUV",  # 184: the longest
        organisation="示例科技有限公司 Example Technology Co., Ltd.", lang="en", escort=True)
    return max(render_badge(replace(tallest, lang=lang), width, dpi=dpi).height for lang in ("en", "zh_CN"))


# -- where a badge goes ------------------------------------------------------------------------

def lay_out(pages: Sequence[Image.Image], medium: Media, dpi: int) -> list[Image.Image]:
    """The images to print, one per label or sheet, each exactly the printable area's size
    (continuous: its width, and the page's own length)."""
    if medium.sheet:
        return _sheets(pages, medium, dpi)
    width, length = medium.area_dots(dpi)
    left, top, room_w, room_h = medium.safe_box(dpi)
    labels = []
    for page in pages:
        fitted = _fit(page, room_w, room_h)
        label = Image.new("1", (width, length or fitted.height + top + _dots(medium.safe_mm[1], dpi)), 1)
        label.paste(fitted, (left, top))
        labels.append(label)
    return labels


def _fit(page: Image.Image, width: int, length: int | None) -> Image.Image:
    """The page centred in a ``width`` x ``length`` box, shrunk if it does not fit."""
    page = page.convert("L")
    scale = min(1.0, width / page.width, (length or page.height) / page.height)
    if scale < 1.0:  # a tall roll call on a die-cut label: smaller, but whole
        page = page.resize((max(1, int(page.width * scale)), max(1, int(page.height * scale))),
                           Image.Resampling.LANCZOS)
    box = Image.new("L", (width, length or page.height), 255)
    box.paste(page, ((width - page.width) // 2, ((length or page.height) - page.height) // 2))
    return box.point(lambda v: 0 if v < 144 else 255, "1")


def _sheets(pages: Sequence[Image.Image], medium: Media, dpi: int) -> list[Image.Image]:
    width, length = medium.area_dots(dpi)
    across, down = medium.grid
    cell_w, cell_h = width // across, length // down
    room_w, room_h = medium.cell_dots(dpi)
    sheets = []
    for first in range(0, len(pages), across * down):
        sheet = Image.new("1", (width, length), 1)
        for slot, page in enumerate(pages[first:first + across * down]):
            x, y = (slot % across) * cell_w, (slot // across) * cell_h
            sheet.paste(_fit(page, room_w, room_h), (x + (cell_w - room_w) // 2, y + (cell_h - room_h) // 2))
        _cut_marks(sheet, across, down, cell_w, cell_h, _dots(_CUT_MARK_MM, dpi))
        sheets.append(sheet)
    return sheets


def _cut_marks(sheet: Image.Image, across: int, down: int, cell_w: int, cell_h: int, mark: int) -> None:
    """Short lines at each cell corner, outside the badges, to guide the guillotine."""
    draw = ImageDraw.Draw(sheet)
    for i in range(across + 1):
        for j in range(down + 1):
            x, y = min(i * cell_w, sheet.width - 1), min(j * cell_h, sheet.height - 1)
            draw.line((x, max(0, y - mark // 2), x, min(sheet.height - 1, y + mark // 2)), fill=0, width=2)
            draw.line((max(0, x - mark // 2), y, min(sheet.width - 1, x + mark // 2), y), fill=0, width=2)
