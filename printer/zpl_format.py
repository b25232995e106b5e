"""ZPL II building blocks: escaped text fields, compressed graphics, QR codes, boxes.

Everything a visitor typed reaches a Zebra printer only inside ``^FD`` field data written with
``^FH`` (hexadecimal escapes): every character outside a small safe set is sent as its UTF-8
bytes in ``_HH`` form, so ``^``, ``~``, ``_``, control characters and every non-ASCII letter are
plain hex digits on the wire and no typed text can end a field or start a command. Text the
printer's resident scalable font (font 0, ``^A0``) cannot draw, Chinese above all, never goes
to it as text: :func:`native_ok` says which text may, and the rest is drawn by us with the
badge font and sent as a ``^GFA`` graphic (ZPL's ASCII hex with its run-length compression).
"""

from __future__ import annotations

import re
import unicodedata

from PIL import Image

from printer.errors import BadgeLayoutError

HEX_INDICATOR = "_"  # ^FH's default; it must itself be escaped in data
# Sent as themselves: letters, digits, space and punctuation that means nothing to ZPL.
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;-+/()'&@#*!?=%")
# What the resident font 0 draws under ^CI28 (UTF-8): printable ASCII and Latin-1. A backslash
# is left out on purpose: ^FB reads "\&" as a line break, so a typed one is drawn as a graphic.
_NATIVE = frozenset(chr(c) for c in range(0x20, 0x7F)) - {"\\"} | frozenset(chr(c) for c in range(0xA0, 0x100))
# QR alphanumeric mode's 45 characters (ISO/IEC 18004 table 5).
_QR_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_QR_MIN_MM = 0.75  # a module at least this wide: 6 dots at 203 dpi (issue 17's sturdier QR)
_QR_MAX_MAGNIFICATION = 10  # ^BQ accepts 1-10


def native_ok(text: str) -> bool:
    """Whether the printer's own font may draw ``text`` (after NFC, as the badge shows it)."""
    return all(char in _NATIVE for char in unicodedata.normalize("NFC", text))


def field_data(text: str) -> str:
    """``^FH^FD...^FS`` with ``text`` hex-escaped: the only way visitor text enters a stream."""
    escaped = "".join(char if char in _SAFE else "".join(f"{HEX_INDICATOR}{b:02X}" for b in char.encode("utf-8"))
                      for char in text)
    return f"^FH{HEX_INDICATOR}^FD{escaped}^FS"


def native_text(x: int, y: int, lines: list[str], *, height: int, width: int, spacing: int,
                center: bool, reverse: bool = False) -> str:
    """Lines in font 0, ``height`` dots high, in a ^FB block ``width`` dots wide that holds
    exactly these lines (``\\&`` breaks them), so the printer never wraps or overprints."""
    for line in lines:
        if not native_ok(line):
            raise ValueError(f"font 0 cannot draw {line!r}")
    justify = "C" if center else "L"
    return (f"^FO{x},{y}{'^FR' if reverse else ''}^A0N,{height},{height}"
            f"^FB{width},{len(lines)},{spacing},{justify},0" + field_data("\\&".join(lines))
            .replace(f"{HEX_INDICATOR}5C&", "\\&"))  # the breaks we put in, not escaped ones


def box(x: int, y: int, width: int, height: int, *, thickness: int | None = None) -> str:
    """A box; without ``thickness`` a solid black rectangle."""
    t = min(width, height) if thickness is None else thickness
    return f"^FO{x},{y}^GB{width},{height},{t},B^FS"


def graphic(x: int, y: int, image: Image.Image, *, reverse: bool = False) -> str:
    """A 1-bit image (black = 0, as Pillow's mode "1") as ``^GFA`` with ZPL compression;
    ``reverse`` inverts what it covers (white text on a black band)."""
    row_bytes = (image.width + 7) // 8
    # ZPL graphics mark black with 1 bits; padding bits at the row's end stay 0 (white).
    black = image.convert("L").point(lambda v: 255 if v < 128 else 0).convert("1")
    data = black.tobytes()
    rows = [data[i:i + row_bytes].hex().upper() for i in range(0, len(data), row_bytes)]
    total = row_bytes * image.height
    return (f"^FO{x},{y}{'^FR' if reverse else ''}^GFA,{total},{total},{row_bytes},"
            f"{compress_rows(rows)}^FS")


def compress_rows(rows: list[str]) -> str:
    """ZPL's ASCII compression: ':' repeats the row above, ',' fills the rest of a row with
    0, '!' with 1, and a run of one hex digit is a count (G-Y 1-19, g-z 20-400) and the digit."""
    out: list[str] = []
    previous = None
    for row in rows:
        if row == previous:
            out.append(":")
            continue
        previous = row
        body, fill = row, ""
        stripped = row.rstrip("0")
        if len(stripped) < len(row):
            body, fill = stripped, ","
        else:
            stripped = row.rstrip("F")
            if len(stripped) < len(row) - 1:
                body, fill = stripped, "!"
        out.append("".join(_run(m.group(0)) for m in re.finditer(r"(.)\1*", body)) + fill)
    return "".join(out)


def _run(run: str) -> str:
    count, digit = len(run), run[0]
    if count == 1:
        return digit
    code = "z" * (count // 400)
    count %= 400
    if count >= 20:
        code += chr(ord("g") + count // 20 - 1)
        count %= 20
    if count:
        code += chr(ord("G") + count - 1)
    return code + digit


def qr_magnification(dpi: int) -> int:
    """The smallest ^BQ magnification (dots a module) that makes modules >= 0.75 mm."""
    needed = -(-_QR_MIN_MM * dpi // 25.4)
    return int(min(_QR_MAX_MAGNIFICATION, max(1, needed)))


def qr_field(x: int, y: int, text: str, *, magnification: int, level: str) -> str:
    """^BQ (model 2) with its data in manual mode: alphanumeric when every character is one
    of QR's 45 (badge tokens are), else 8-bit bytes with their count. Field data is not
    escaped here (^FH does not apply to ^BQ data), so text that could end the field is refused."""
    if level not in "LMQH" or len(level) != 1:
        raise ValueError(f"QR error correction level {level!r}")
    if set(text) <= _QR_ALNUM:
        data = f"{level}M,A{text}"
    elif all(0x20 <= ord(c) < 0x7F for c in text) and not set(text) & {"^", "~"}:
        data = f"{level}M,B{len(text):04d}{text}"
    else:
        raise BadgeLayoutError("the QR text has characters a ZPL QR field cannot carry safely")
    # The level goes in ^BQ too (firmware since x.14 reads it there; older reads the ^FD switch).
    return f"^FO{x},{y}^BQN,2,{magnification},{level}^FD{data}^FS"
