"""Readers of what label printer drivers send, written from the printers' documentation and
independent of anything in printer/: they turn a driver's byte stream back into the label as
the printer would print it, for the tests to look at and decode the QR from.

- Brother QL raster (Brother's "Raster Command Reference", QL-800/810W/820NWB): ``ESC i z``
  print information, ``M`` compression, ``g``/``G`` raster rows (PackBits when compressed),
  ``Z`` a blank row, ``FF``/``Ctrl-Z`` print. Bit 1 is a black dot; the head's first dot is
  the label's right edge, so each row is mirrored to show the label as it is read.
- DYMO LabelWriter 300/400/450 (DYMO's "LabelWriter SE450 Technical Reference"):
  ``ESC D n`` bytes per line, ``ESC B n`` dot tab (blank bytes before each line), ``ESC f 1 n``
  skip n blank lines, ``SYN`` a raw line, ``ETB`` a run-length line (bit 7 the colour, bits
  0-6 the run length less one), ``ESC E``/``ESC G`` end of label.
"""

from __future__ import annotations

from PIL import Image


def _image(rows: list[bytes], width_bytes: int, mirror: bool) -> Image.Image:
    rows = [row.ljust(width_bytes, b"\0")[:width_bytes] for row in rows]
    # Our rows have 1 = black; Pillow's mode "1" has 1 = white: invert while packing.
    data = bytes(b ^ 0xFF for row in rows for b in row)
    image = Image.frombytes("1", (width_bytes * 8, max(1, len(rows))), data or b"\xff" * width_bytes)
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else image


def _unpackbits(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        n = data[i] if data[i] < 128 else data[i] - 256
        i += 1
        if n >= 0:
            out += data[i:i + n + 1]
            i += n + 1
        elif n != -128:
            out += bytes([data[i]]) * (1 - n)
            i += 1
    return bytes(out)


def brother_ql_pages(stream: bytes) -> list[Image.Image]:
    """The labels in a Brother QL raster stream, one image per page."""
    pages, rows, compressed, i = [], [], False, 0
    row_bytes = 90  # 720 dots: the head of the 62 mm models
    while i < len(stream):
        byte = stream[i]
        if byte == 0x00:  # the invalidate preamble
            i += 1
        elif byte == 0x1B:
            command = stream[i + 1:i + 2]
            if command == b"@":
                i += 2
            elif command == b"i":
                sub = stream[i + 2:i + 3]
                size = {b"a": 1, b"!": 1, b"M": 1, b"K": 1, b"A": 1, b"d": 2, b"z": 10, b"S": 0, b"U": 15}.get(sub)
                if size is None:
                    raise ValueError(f"unknown ESC i {sub!r} at byte {i}")
                i += 3 + size
            else:
                raise ValueError(f"unknown ESC {command!r} at byte {i}")
        elif byte == ord("M"):
            compressed = stream[i + 1] == 0x02
            i += 2
        elif byte in (ord("g"), ord("G")):
            if byte == ord("g"):
                length = stream[i + 2]  # g 0x00 n: n bytes
                data = stream[i + 3:i + 3 + length]
                i += 3 + length
            else:
                length = stream[i + 1] | stream[i + 2] << 8
                data = stream[i + 3:i + 3 + length]
                i += 3 + length
            rows.append(_unpackbits(data) if compressed else data)
        elif byte == ord("Z"):
            rows.append(b"")
            i += 1
        elif byte in (0x0C, 0x1A):  # print (and feed)
            pages.append(_image(rows, row_bytes, mirror=True))
            rows = []
            i += 1
        else:
            raise ValueError(f"unexpected byte 0x{byte:02x} at {i} in a Brother QL stream")
    return pages


def dymo_pages(stream: bytes) -> list[Image.Image]:
    """The labels in a DYMO LabelWriter stream, one image per label."""
    pages, rows, per_line, tab, i = [], [], 84, 0, 0
    while i < len(stream):
        byte = stream[i]
        if byte == 0x1B:
            command = chr(stream[i + 1])
            if command == "D":
                per_line = stream[i + 2]
                i += 3
            elif command == "B":
                tab = stream[i + 2]
                i += 3
            elif command == "L":
                i += 4
            elif command == "Q":
                i += 4
            elif command == "f":  # ESC f 1 n: n blank lines
                rows += [b""] * stream[i + 3]
                i += 4
            elif command in "EG":
                if rows or command == "E":
                    pages.append(_image(rows, 84, mirror=False))
                rows = []
                i += 2
            elif command in "\x1bhieYcgnAkl*@":
                i += 2 if command != "\x1b" else 1
            else:
                raise ValueError(f"unknown ESC {command!r} at byte {i}")
        elif byte == 0x16:  # SYN: a raw line
            rows.append(b"\0" * tab + stream[i + 1:i + 1 + per_line])
            i += 1 + per_line
        elif byte == 0x17:  # ETB: a run-length line of per_line bytes
            bits, i = [], i + 1
            while len(bits) < per_line * 8:
                run = stream[i]
                bits += [run >> 7] * ((run & 0x7F) + 1)
                i += 1
            line = bytes(int("".join(map(str, bits[k:k + 8])), 2) for k in range(0, per_line * 8, 8))
            rows.append(b"\0" * tab + line)
        else:
            raise ValueError(f"unexpected byte 0x{byte:02x} at {i} in a DYMO stream")
    return [p for p in pages if p.height > 1]
