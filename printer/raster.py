"""The drawing primitives every printed layout shares: canvases, stacking, rules,
thresholding to 1 bit, QR codes with a 4-module quiet zone and whole dots per module.

Layouts are drawn in greyscale ("L", white paper = 255) and thresholded to mode "1" only at
the end, so Pillow's antialiasing decides which edge dots print.  Times are written here too,
so every printout shows them the same way.
"""

from __future__ import annotations

import math
from datetime import datetime

import qrcode
from PIL import Image, ImageDraw

from printer.errors import BadgeLayoutError

QR_QUIET_MODULES = 4  # the QR standard's quiet zone; python-escpos prints only 1
MM_PER_INCH = 25.4
BASE_DPI = 203  # receipt printers, and what layouts without a dpi of their own assume
# Below 4 dots a module one misprinted dot decides it: the last resort, at any resolution (a
# narrow label such as the QL's 29 mm roll needs it).  Over 1 mm a module only slows scanning:
# 8 dots at 203 dpi, 12 at 300.
QR_MIN_DOTS, QR_MAX_MM = 4, 1.0


def module_dots(mm: float, dpi: int) -> int:
    """The fewest whole dots at ``dpi`` that make at least ``mm``."""
    return math.ceil(mm * dpi / MM_PER_INCH)


QR_MAX_DOTS = module_dots(QR_MAX_MM, BASE_DPI)

# Threshold, not dither: antialiased edges become solid strokes, which thermal heads print
# crisply, instead of a speckle of dots.  Greys below 144 print, so strokes come out slightly
# bolder than a midpoint cut would make them, which thermal paper needs.
_THRESHOLD = [0 if v < 144 else 255 for v in range(256)]


def canvas(width: int, height: int, fill: int = 255) -> Image.Image:
    """A greyscale canvas; a negative ``height`` gives an empty one."""
    return Image.new("L", (width, max(0, height)), fill)


def stack(parts: list, width: int) -> Image.Image:
    """Images and integer gaps, top to bottom, on one white canvas."""
    image = canvas(width, sum(p if isinstance(p, int) else p.height for p in parts))
    y = 0
    for part in parts:
        if isinstance(part, int):
            y += part
        else:
            image.paste(part, (0, y))
            y += part.height
    return image


def rule(width: int, thickness: int, margin: int) -> Image.Image:
    """A black line ``thickness`` dots high across the paper, ``margin`` dots from each edge."""
    image = canvas(width, thickness)
    ImageDraw.Draw(image).rectangle((margin, 0, width - margin - 1, thickness - 1), fill=0)
    return image


def to_1bit(image: Image.Image) -> Image.Image:
    """The greyscale layout as the mode "1" image the printer receives."""
    return image.point(_THRESHOLD, "1")


def when(moment: datetime) -> str:
    """A date and time as printed, in the moment's own time zone."""
    return moment.strftime("%Y-%m-%d %H:%M")


_LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
           "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


def qr_matrix(text: str, level: str = "M") -> list[list[bool]]:
    """The QR symbol of ``text`` at error-correction ``level``, quiet zone included."""
    qr = qrcode.QRCode(error_correction=_LEVELS[level], border=QR_QUIET_MODULES, box_size=1)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def qr_code(text: str, max_width: int, *, min_dots: int | None = None, level: str = "M",
            dpi: int = BASE_DPI) -> Image.Image:
    """``text`` as a QR code (error correction ``level``) with its 4-module quiet zone drawn
    in, at the largest whole number of dots per module from ``min_dots`` (4 at least) to 1 mm
    at ``dpi`` that fits ``max_width``.

    Raises :class:`BadgeLayoutError` when even ``min_dots`` per module do not fit: a refused
    printout is better than one that cannot be scanned.
    """
    matrix = qr_matrix(text, level)
    modules = len(matrix)
    min_dots = max(min_dots or QR_MIN_DOTS, QR_MIN_DOTS)
    dots = min(max(module_dots(QR_MAX_MM, dpi), min_dots), max_width // modules)
    if dots < min_dots:
        raise BadgeLayoutError(f"a QR of {len(text)} characters needs {modules * min_dots} "
                               f"dots at {min_dots} per module; there is room for {max_width}")
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    small = Image.frombytes("L", (modules, modules), pixels)
    image = small.resize((modules * dots, modules * dots), Image.Resampling.NEAREST)
    image.info.update(qr_level=level, qr_dots=dots, qr_modules=modules)
    return image
