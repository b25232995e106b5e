"""Brother QL raster language, written by us from Brother's public "QL Series Raster Command
Reference" (QL-500 to QL-820NWB, 720-pin heads): the media table, the job's byte stream, and
the 32-byte status reply in words.  Pure: no IO, so every byte is testable without a printer.

The maintained Python libraries for these printers (brother_ql and its forks) are GPL-3.0; this
module shares no code with them, so the kiosk stays MIT.  (The tests read our bytes back with
one of them, as an independent decoder that never ships: see README.)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Sequence

from PIL import Image

from printer.raster import to_1bit

HEAD_PINS = 720  # QL-5xx/6xx/7xx/8xx print heads: 90 bytes a raster line
LINE_BYTES = HEAD_PINS // 8
DPI = 300

INVALIDATE = b"\x00" * 400  # ends whatever half-sent job the printer may still be waiting on
INITIALISE = b"\x1b@"
STATUS_REQUEST = b"\x1biS"
RASTER_MODE = b"\x1bia\x01"
COMPRESSION_TIFF = b"M\x02"
PRINT = b"\x0c"  # print this page, more follow
PRINT_LAST = b"\x1a"  # print with feeding: the last page of the job

# ESC i z: which fields the printer must check against the loaded roll (kind, width, length),
# and "recover" so a printer that stopped on an error picks the job up again.
_PI_KIND, _PI_WIDTH, _PI_LENGTH, _PI_RECOVER = 0x02, 0x04, 0x08, 0x80
_CONTINUOUS, _DIE_CUT = 0x0A, 0x0B
_AUTO_CUT = 0x40  # ESC i M
_CUT_AT_END = 0x08  # ESC i K; bit 6 (0x40, 600 dpi) left off
_CONTINUOUS_FEED = 35  # ESC i d: the 3 mm margin Brother gives continuous tape; die-cut: 0


@dataclass(frozen=True)
class Media:
    """A DK roll: printable dots across (and along, for die-cut labels) and where they sit on
    the 720-pin head (pins right of the print area, as laid out before mirroring)."""

    name: str
    dk: str
    width_mm: int
    length_mm: int  # 0: continuous tape
    dots: int
    length_dots: int  # 0: continuous tape
    right_pins: int

    @property
    def die_cut(self) -> bool:
        return self.length_mm > 0

    @property
    def left_pins(self) -> int:
        return HEAD_PINS - self.dots - self.right_pins

    def describe(self) -> str:
        return f"{self.width_mm}x{self.length_mm} mm die-cut" if self.die_cut else f"{self.width_mm} mm continuous"


# Printable areas from Brother's raster reference (print-area table, 300 dpi).
MEDIA = {m.name: m for m in (
    Media("12", "DK-22214", 12, 0, 106, 0, 29),
    Media("29", "DK-22210", 29, 0, 306, 0, 6),
    Media("38", "DK-22225", 38, 0, 413, 0, 12),
    Media("50", "DK-22223", 50, 0, 554, 0, 12),
    Media("54", "DK-N55224", 54, 0, 590, 0, 0),
    Media("62", "DK-22205", 62, 0, 696, 0, 12),
    Media("17x54", "DK-11204", 17, 54, 165, 566, 0),
    Media("17x87", "DK-11203", 17, 87, 165, 956, 0),
    Media("29x42", "DK-11215", 29, 42, 306, 425, 6),
    Media("29x90", "DK-11201", 29, 90, 306, 991, 6),
    Media("38x90", "DK-11208", 38, 90, 413, 991, 12),
    Media("62x29", "DK-11209", 62, 29, 696, 271, 12),
    Media("62x100", "DK-11202", 62, 100, 696, 1109, 12),
)}

@dataclass(frozen=True)
class Model:
    """What a QL model's firmware takes, from Brother's reference for each: the USB-only and
    older models print uncompressed lines only and have no command-mode switch (raster is all
    they speak); the QL-500 has no cutter; some need longer continuous labels."""

    name: str
    code: int  # status byte 4
    compression: bool = True
    mode_switch: bool = True
    cutter: bool = True
    min_length: int = 150  # dots of continuous tape


MODELS = {m.name: m for m in (
    Model("QL-500", 0x4F, compression=False, mode_switch=False, cutter=False, min_length=295),
    Model("QL-550", 0x4F, compression=False, mode_switch=False, min_length=295),
    Model("QL-560", 0x31, compression=False, mode_switch=False, min_length=295),
    Model("QL-570", 0x32, compression=False, mode_switch=False),
    Model("QL-580N", 0x33),
    Model("QL-600", 0x47),
    Model("QL-650TD", 0x51, min_length=295),
    Model("QL-700", 0x35, compression=False, mode_switch=False),
    Model("QL-710W", 0x36),
    Model("QL-720NW", 0x37),
    Model("QL-800", 0x38, compression=False),
    Model("QL-810W", 0x39),
    Model("QL-820NWB", 0x41),
)}


def media(name: str) -> Media:
    """A roll by its size (``62``, ``62mm``, ``62x100``) or its DK number (``DK-11202``)."""
    key = name.lower().removesuffix("mm")  # "62mm", as cups://QUEUE?media= spells it
    for m in MEDIA.values():
        if key in (m.name, m.dk.lower()):
            return m
    raise ValueError(f"unknown label {name!r}: one of {', '.join(MEDIA)} (or a DK number, e.g. DK-11202)")


# -- the job ------------------------------------------------------------------------------------

def fit_to_label(image: Image.Image, medium: Media, min_length: int = 150) -> Image.Image:
    """The page as a mode "1" image exactly ``medium.dots`` wide and, for a die-cut label,
    exactly ``length_dots`` long: blank rows above and below the ink are dropped, then a page
    too big is scaled down whole (never cut, never refused) and centred on the label.  A page
    too wide is scaled to the roll's width; a narrower one is centred across it.  Continuous
    tape is cut no shorter than ``min_length``, which the printers refuse to go below."""
    page = image.convert("1")
    if page.width > medium.dots:
        page = _scale(page, medium.dots / page.width)
    if not medium.die_cut:
        return _centred(page, medium.dots, max(page.height, min_length))
    page = _trim_rows(page)
    if page.height > medium.length_dots:
        page = _scale(page, medium.length_dots / page.height)
    return _centred(page, medium.dots, medium.length_dots)


def _scale(page: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(page.width * factor)), max(1, round(page.height * factor)))
    # Through grey with area averaging, then the layout's own threshold: strokes and QR
    # modules keep their weight instead of losing whole rows as nearest-neighbour would.
    return to_1bit(page.convert("L").resize(size, Image.Resampling.BOX))


def _trim_rows(page: Image.Image) -> Image.Image:
    inverted = page.convert("L").point(lambda v: 255 - v)
    box = inverted.getbbox()
    return page if box is None else page.crop((0, box[1], page.width, box[3]))


def _centred(page: Image.Image, width: int, height: int) -> Image.Image:
    label = Image.new("1", (width, height), 1)
    label.paste(page, ((width - page.width) // 2, (height - page.height) // 2))
    return label


def raster_lines(page: Image.Image, medium: Media) -> list[bytes]:
    """One page's 90-byte raster lines: the image on the label's pins, mirrored left to right
    (the head's pin 1 prints the label's right edge), 1 = a black dot."""
    head = Image.new("1", (HEAD_PINS, page.height), 1)
    head.paste(page.convert("1"), (medium.left_pins, 0))
    data = head.transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()
    inverted = bytes(255 - b for b in data)  # PIL's "1" keeps white as 1
    return [inverted[i:i + LINE_BYTES] for i in range(0, len(inverted), LINE_BYTES)]


def packbits(line: bytes) -> bytes:
    """TIFF PackBits: runs of equal bytes as (1 - n, byte), the rest as (n - 1, bytes...);
    never more than one byte longer than the line, so a line always fits one ``g`` command."""
    out = bytearray()
    i, literal = 0, bytearray()
    while i < len(line):
        run = 1
        while i + run < len(line) and run < 128 and line[i + run] == line[i]:
            run += 1
        # a pair is a run only where no literal is open: breaking one for a pair costs a byte
        if run >= 3 or (run == 2 and not literal):
            _flush(out, literal)
            out += bytes([(1 - run) & 0xFF, line[i]])
            i += run
        else:
            literal.append(line[i])
            if len(literal) == 128:
                _flush(out, literal)
            i += 1
    _flush(out, literal)
    return bytes(out)


def _flush(out: bytearray, literal: bytearray) -> None:
    if literal:
        out += bytes([len(literal) - 1]) + literal
        literal.clear()


def encode_job(pages: Sequence[Image.Image], medium: Media, model: Model) -> bytes:
    """The whole job: invalidate, initialise, raster mode, then per page its print information,
    auto cut after each label, cut at the end, margins, TIFF compression and its raster lines,
    each page closed by a print command (the last with feeding).  Commands the model does not
    take are left out: its firmware would stop on them."""
    job = bytearray(INVALIDATE + INITIALISE + (RASTER_MODE if model.mode_switch else b""))
    for number, image in enumerate(pages):
        page = fit_to_label(image, medium, model.min_length)
        job += _print_information(medium, page.height, first=number == 0)
        if model.cutter:
            job += b"\x1biM" + bytes([_AUTO_CUT])
            job += b"\x1biA\x01"  # cut after every label
            job += b"\x1biK" + bytes([_CUT_AT_END])
        job += b"\x1bid" + struct.pack("<H", 0 if medium.die_cut else _CONTINUOUS_FEED)
        if model.compression:
            job += COMPRESSION_TIFF
        for line in raster_lines(page, medium):
            data = packbits(line) if model.compression else line
            job += b"g\x00" + bytes([len(data)]) + data
        job += PRINT_LAST if number == len(pages) - 1 else PRINT
    return bytes(job)


def _print_information(medium: Media, lines: int, *, first: bool) -> bytes:
    flags = _PI_RECOVER | _PI_KIND | _PI_WIDTH | _PI_LENGTH
    kind = _DIE_CUT if medium.die_cut else _CONTINUOUS
    return (b"\x1biz" + bytes([flags, kind, medium.width_mm, medium.length_mm])
            + struct.pack("<I", lines) + bytes([0 if first else 1, 0]))
