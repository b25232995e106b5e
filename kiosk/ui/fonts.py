"""The touchscreen's fonts: Noto Sans CJK, the Simplified face for zh_CN and English and the
Traditional face for zh_TW (the same code point is drawn differently in the two).

Kivy has no font fallback and its SDL2 text provider always opens face 0 of a collection,
which in Debian's NotoSansCJK .ttc is the Japanese face. So the wanted face is copied once
out of the collection into a standalone OpenType file in the data directory (a table-by-table
copy, no font tools needed) and registered under a name the kv rules use.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from printer.fonts import font_path

FAMILIES = {"zh_CN": "KioskSC", "en": "KioskSC", "zh_TW": "KioskTC"}


def standalone_face(collection: Path, index: int, dest_dir: Path) -> Path:
    """Face ``index`` of a font collection as a file of its own (cached by source size and
    mtime, so a font package upgrade is picked up)."""
    if collection.suffix.lower() not in (".ttc", ".otc"):
        return collection
    stat = collection.stat()
    dest = dest_dir / f"{collection.stem}-{index}-{stat.st_size}-{int(stat.st_mtime)}.otf"
    if dest.is_file():
        return dest
    data = collection.read_bytes()
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(_extract(data, index))
    os.replace(tmp, dest)  # never leave half a font behind for the next start
    return dest


def _extract(data: bytes, index: int) -> bytes:
    tag, _version, count = struct.unpack_from(">4sII", data, 0)
    if tag != b"ttcf" or not 0 <= index < count:
        raise ValueError(f"not a font collection with a face {index}")
    (start,) = struct.unpack_from(">I", data, 12 + 4 * index)
    flavour, num_tables = struct.unpack_from(">4sH", data, start)
    records = [struct.unpack_from(">4sIII", data, start + 12 + 16 * i) for i in range(num_tables)]
    offset = 12 + 16 * num_tables
    header = bytearray(data[start:start + 12])
    directory, body = bytearray(), bytearray()
    for table_tag, checksum, table_offset, length in records:
        directory += struct.pack(">4sIII", table_tag, checksum, offset + len(body), length)
        body += data[table_offset:table_offset + length]
        body += b"\0" * (-len(body) % 4)  # tables start on 4-byte boundaries
    return bytes(header + directory + body)


def register_fonts(cache_dir: Path) -> None:
    """Register KioskSC and KioskTC (regular and bold) with Kivy's text provider."""
    from kivy.core.text import LabelBase

    for lang in ("zh_CN", "zh_TW"):
        regular = standalone_face(*font_path(lang=lang), cache_dir)
        bold = standalone_face(*font_path(lang=lang, bold=True), cache_dir)
        LabelBase.register(FAMILIES[lang], str(regular), fn_bold=str(bold))
