"""Lean ESC/POS: a page as few bytes as the printer needs, for slow links (serial, Bluetooth).

Three ways to send a page (the ``stream`` setting of an ESC/POS printer URL, see README):

``raster``
    python-escpos's own: the whole page as ``GS v 0`` raster bands, then its fixed feed and cut.
``lean`` (the default for network, USB, file and CUPS printers)
    Blank rows become ``ESC J n`` paper feeds and each band of ink is sent only as wide as its
    rightmost black dot (plain ``GS v 0``, no risk on any printer); the cut feeds the paper to
    the cutter (``GS V 65/66 0``) instead of a fixed 22.5 mm. With ``qr=printer`` a badge's QR
    is the printer's own ``GS ( k`` symbol where the python-escpos profile says it has one (the
    4-module quiet zone above and below is fed by us: printers draw none).
``hybrid`` (the default for serial links, which is what a Bluetooth SPP printer is too)
    ``lean`` with the printer's QR (unless ``qr=raster``), and the badge's words other than the
    name in the printer's own font, where every character is one the printer's code page 437
    shows; Chinese and the name stay raster.

A page is a mode "1" image; a badge carries what it says and where its QR is in ``info``
(printer/badge.py), and only then can parts of it be sent as printer commands.
"""

from __future__ import annotations

from typing import Iterator

from PIL import Image

STREAMS = ("raster", "lean", "hybrid")
QR_MODES = ("printer", "raster")
FRAGMENT_HEIGHT = 256  # rows per GS v 0 band: cheap printers' receive buffers stall beyond that
NO_CUTTER_FEED = 120  # dots (15 mm) to bring the last line past the tear bar of a printer without a cutter

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
_QR_LEVEL_BYTE = {"L": 48, "M": 49, "Q": 50, "H": 51}
_INVERT = bytes(255 - i for i in range(256))  # Pillow "1": 1 = white; ESC/POS: 1 = black


def encode_page(page: Image.Image, *, stream: str, profile, cut: str = "FULL", qr: str | None = None) -> bytes:
    """The bytes that print ``page`` and cut it, the ``stream`` way, on a printer of
    python-escpos ``profile`` (a Profile object: its features and font columns count).

    ``qr`` is "printer" (its own GS ( k, where the profile has one) or "raster"; by default the
    printer's in the hybrid stream only. A printer that claims a QR command and prints none
    would give badges no exit post can scan, and many clones pass for a TM-T20II."""
    if stream not in STREAMS:
        raise ValueError(f"stream {stream!r}: expected one of {', '.join(STREAMS)}")
    qr = qr or default_qr(stream)
    if qr not in QR_MODES:
        raise ValueError(f"qr {qr!r}: expected one of {', '.join(QR_MODES)}")
    printer_qr = qr == "printer" and profile.supports("qrCode")
    page = page.convert("1")
    # Pillow copies info to images derived from a badge (resized, rotated, pasted onto a label):
    # what it says about the layout holds only for the image it was drawn on.
    laid_out = page.info.get("layout_size") == page.size
    badge = page.info.get("badge") if laid_out else None
    if stream == "hybrid" and badge is not None:
        from printer.badge_hybrid import hybrid_items

        items = hybrid_items(badge, page.width, columns=columns(profile))
        body = b"".join(_item_bytes(item, printer_qr) for item in items)
    else:
        body = _lean_body(page, page.info.get("qr") if laid_out and printer_qr else None)
    return INIT + body + cut_bytes(profile, cut)


def columns(profile) -> int:
    """Characters of font A on one line, from the profile (48 on 80 mm, 32 on 58 mm)."""
    try:
        return int(profile.profile_data["fonts"]["0"]["columns"])
    except (KeyError, TypeError, ValueError):
        return 48


def default_qr(stream: str) -> str:
    return "printer" if stream == "hybrid" else "raster"


def _lean_body(page: Image.Image, qr) -> bytes:
    if qr is None:
        return raster_rows(page, 0, page.height)
    return (raster_rows(page, 0, qr.top) + native_qr(qr.text, qr.level, qr.dots)
            + raster_rows(page, qr.top + qr.height, page.height))


def raster_rows(page: Image.Image, top: int, bottom: int) -> bytes:
    """Rows ``top`` to ``bottom`` of ``page``: blank runs as feeds, ink as trimmed raster."""
    row_bytes = -(-page.width // 8)
    data = _printer_bits(page.crop((0, top, page.width, bottom)))
    out = bytearray()
    for kind, start, end in _runs(data, row_bytes, bottom - top):
        if kind == "feed":
            out += feed(end - start)
        else:
            out += _raster(data, row_bytes, start, end)
    return bytes(out)


def _printer_bits(image: Image.Image) -> bytes:
    """Packed rows with 1 = black, padding bits clear, as GS v 0 wants them."""
    data = bytearray(image.tobytes().translate(_INVERT))
    spare = -image.width % 8
    if spare:
        row_bytes, mask = -(-image.width // 8), (0xFF << spare) & 0xFF
        for end in range(row_bytes - 1, len(data), row_bytes):
            data[end] &= mask
    return bytes(data)


def _runs(data: bytes, row_bytes: int, rows: int) -> Iterator[tuple[str, int, int]]:
    """("feed" | "ink", first row, row after) for each run of blank or inked rows."""
    blank = bytes(row_bytes)
    start, kind = 0, None
    for row in range(rows):
        this = "feed" if data[row * row_bytes:(row + 1) * row_bytes] == blank else "ink"
        if this != kind:
            if kind is not None:
                yield kind, start, row
            start, kind = row, this
    if kind is not None:
        yield kind, start, rows


def _raster(data: bytes, row_bytes: int, start: int, end: int) -> bytes:
    """GS v 0 bands of rows start..end, each as wide as its rightmost inked byte."""
    out = bytearray()
    for top in range(start, end, FRAGMENT_HEIGHT):
        rows = [data[r * row_bytes:(r + 1) * row_bytes] for r in range(top, min(end, top + FRAGMENT_HEIGHT))]
        width = max(len(row.rstrip(b"\0")) for row in rows)
        out += GS + b"v0\x00" + _u16(width) + _u16(len(rows)) + b"".join(row[:width] for row in rows)
    return bytes(out)


def feed(dots: int) -> bytes:
    """ESC J n: feed ``dots`` dots (n at most 255 per command)."""
    out = bytearray()
    while dots > 0:
        out += ESC + b"J" + bytes([min(255, dots)])
        dots -= 255
    return bytes(out)


def native_qr(text: str, level: str, dots: int) -> bytes:
    """The printer's own QR (model 2), centred, with a 4-module quiet zone fed above and below."""
    data = text.encode("ascii")
    quiet = feed(4 * dots)
    return (quiet + ESC + b"a\x01"
            + _qr_function(b"A", b"\x32\x00")  # model 2
            + _qr_function(b"C", bytes([dots]))  # module size in dots
            + _qr_function(b"E", bytes([_QR_LEVEL_BYTE[level]]))
            + _qr_function(b"P", b"\x30" + data)  # store the data
            + _qr_function(b"Q", b"\x30")  # print it
            + ESC + b"a\x00" + quiet)


def _qr_function(fn: bytes, params: bytes) -> bytes:
    return GS + b"(k" + _u16(len(params) + 2) + b"1" + fn + params


def cut_bytes(profile, cut: str) -> bytes:
    """Feed to the cutter and cut (GS V 65 0 full, GS V 66 0 partial), or, without a cutter,
    feed the last line past the tear bar."""
    full, part = profile.supports("paperFullCut"), profile.supports("paperPartCut")
    if not (full or part):
        return feed(NO_CUTTER_FEED)
    partial = (cut == "PART" and part) or not full
    return GS + b"V" + (b"B" if partial else b"A") + b"\x00"


def _u16(n: int) -> bytes:
    return bytes([n & 0xFF, n >> 8 & 0xFF])


# -- hybrid pages: raster pieces, text in the printer's font, the QR ---------------------------

def _item_bytes(item, printer_qr: bool) -> bytes:
    from printer.badge_hybrid import Qr, Raster, Text

    if isinstance(item, Raster):
        return raster_rows(item.image, 0, item.image.height)
    if isinstance(item, Qr):
        if printer_qr:
            return native_qr(item.text, item.level, item.dots)
        return raster_rows(item.image, 0, item.image.height)
    if isinstance(item, Text):
        return text_line(item)
    if isinstance(item, int):
        return feed(item)
    raise TypeError(f"not a hybrid page item: {item!r}")


def text_line(item) -> bytes:
    """One line in font A: FS . (leave Chinese double-byte mode, which Chinese-market printers
    start in), code page 437, alignment, bold, reverse and magnification, then back to plain."""
    size = (item.scale - 1) << 4 | (item.scale - 1)
    return (FS + b"." + ESC + b"t\x00" + ESC + b"a" + bytes([1 if item.center else 0])
            + ESC + b"E" + bytes([item.bold]) + GS + b"B" + bytes([item.reverse]) + GS + b"!" + bytes([size])
            + item.text.encode("cp437") + b"\n"
            + GS + b"!\x00" + GS + b"B\x00" + ESC + b"E\x00" + ESC + b"a\x00")
