"""A small ZPL II interpreter for the tests: draws a label from its ZPL as a printer would.

It is written from the ZPL II manual, not from our encoder: it tokenises the stream itself
(``^`` and ``~`` start a command wherever they stand, as on a printer, so a character that
leaked out of field data shows up as a command), decodes ``^FH`` escapes and UTF-8 (``^CI28``),
expands ``^GFA`` ASCII compression, wraps ``^FB`` blocks with a stand-in for font 0 (Nimbus
Sans Narrow Bold, of Helvetica Condensed's proportions), and draws ``^BQ`` with segno, a QR
encoder other than the one our code uses. Anything it does not know, any text that does not
fit its block, and anything drawn off the label is recorded in ``errors``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFont

FONT0_STAND_IN = "/usr/share/fonts/opentype/urw-base35/NimbusSansNarrow-Bold.otf"
_COUNTS = {**{chr(ord("G") + i): i + 1 for i in range(19)}, **{chr(ord("g") + i): 20 * (i + 1) for i in range(20)}}
BASELINE = 0.8  # of the cell height, from its top
_HEX = set("0123456789ABCDEFabcdef")


@dataclass
class TextField:
    x: int
    y: int
    lines: list[str]
    height: int
    reverse: bool


@dataclass
class QrField:
    x: int
    y: int
    magnification: int
    model: int
    level: str
    mode: str  # "auto", or the manual mode's character: N, A, B, K
    data: str
    side: int  # dots


@dataclass
class Label:
    width: int = 0
    length: int = 0
    image: Image.Image | None = None  # mode "1": 1 = ink; see picture()
    texts: list[TextField] = field(default_factory=list)
    graphics: list[tuple[int, int, Image.Image]] = field(default_factory=list)
    qrs: list[QrField] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def picture(self) -> Image.Image:
        """The printed label: black ink on white."""
        return ImageChops.invert(self.image.convert("L"))

    @property
    def text(self) -> str:
        return "\n".join(line for t in self.texts for line in t.lines)


@cache
def font0(height: int, width: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT0_STAND_IN, height)


def tokens(stream: str) -> list[tuple[str, str]]:
    """(command, parameters) pairs: ``^FD`` runs to the next ``^`` or ``~``, like everything."""
    found = []
    for m in re.finditer(r"([\^~])([^\^~]*)", stream):
        body = m.group(2)
        found.append((m.group(1) + body[:2], body[2:]))
    return found


def render(stream: str) -> list[Label]:
    """Every label (``^XA`` ... ``^XZ``) in the stream; control commands outside labels are
    listed as commands of a label of their own only if unexpected."""
    labels: list[Label] = []
    state: _State | None = None
    for command, params in tokens(stream):
        if command == "^XA":
            state = _State(Label())
            continue
        if state is None:
            if command in ("~HS", "~JA") and not params.strip():
                continue  # status questions and cancels between labels
            raise AssertionError(f"{command}{params[:20]!r} outside a label")
        if command == "^XZ":
            state.finish()
            labels.append(state.label)
            state = None
            continue
        state.run(command, params)
    if state is not None:
        raise AssertionError("a label without ^XZ")
    return labels


class _State:
    def __init__(self, label: Label):
        self.label = label
        self.utf8 = False
        self.reset_field()

    def reset_field(self):
        self.x = self.y = 0
        self.font = None
        self.block = None
        self.hex_indicator = None
        self.reverse = False
        self.barcode = None
        self.data = None
        self.graphic = None

    def ensure_canvas(self):
        if self.label.image is None:
            if not (self.label.width and self.label.length):
                self.label.errors.append("drawing before ^PW and ^LL")
                self.label.width, self.label.length = self.label.width or 812, self.label.length or 1218
            self.label.image = Image.new("1", (self.label.width, self.label.length), 0)

    def run(self, command: str, params: str):
        self.label.commands.append(command)
        handler = getattr(self, "do_" + command[1:].replace("0", "zero"), None)
        if handler is None or command[0] != "^":
            self.label.errors.append(f"unknown or unexpected command {command}{params[:30]}")
            return
        handler(params)

    def do_CI(self, p):
        self.utf8 = p.strip() == "28"

    def do_PW(self, p):
        self.label.width = int(p)

    def do_LL(self, p):
        self.label.length = int(p)

    def do_LH(self, p):
        if p.strip() not in ("0,0", ""):
            self.label.errors.append(f"label home {p} not supported")

    def do_PO(self, p):
        if p.strip() != "N":
            self.label.errors.append(f"print orientation {p}")

    def do_PQ(self, p):
        if p.split(",")[0] != "1":
            self.label.errors.append(f"quantity {p}")

    def do_FO(self, p):
        x, y = (int(v or 0) for v in (p.split(",") + ["0"])[:2])
        self.x, self.y = x, y

    def do_FR(self, p):
        self.reverse = True

    def do_FH(self, p):
        self.hex_indicator = p[:1] or "_"

    def do_Azero(self, p):
        orientation, height, width = (p.split(",") + ["", ""])[:3]
        if orientation != "N":
            self.label.errors.append(f"font orientation {orientation}")
        self.font = (int(height), int(width or height))

    def do_FB(self, p):
        width, lines, spacing, justify, _hang = (p.split(",") + ["0", "1", "0", "L", "0"][len(p.split(",")):])[:5]
        self.block = (int(width), int(lines), int(spacing), justify)

    def do_BQ(self, p):
        orientation, model, magnification, level = (p.split(",") + ["2", "1", ""])[:4]
        self.barcode = ("QR", orientation, int(model), int(magnification), level)

    def do_GB(self, p):
        width, height, thickness, color = (p.split(",") + ["1", "1", "1", "B"])[:4]
        self.ensure_canvas()
        w, h, t = int(width), int(height), int(thickness)
        layer = self.layer()
        draw = ImageDraw.Draw(layer)
        for i in range(min(t, (min(w, h) + 1) // 2)):
            draw.rectangle((self.x + i, self.y + i, self.x + w - 1 - i, self.y + h - 1 - i), outline=1)
        self.check_bounds(self.x, self.y, w, h, "box")
        self.graphic = layer

    def do_GF(self, p):
        compression, total, _field, row_bytes, data = p.split(",", 4)
        if compression != "A":
            self.label.errors.append(f"graphic compression {compression}")
            return
        rows = decompress(data, int(row_bytes))
        if len(rows) * int(row_bytes) != int(total):
            self.label.errors.append(f"graphic of {len(rows)} rows x {row_bytes} bytes, announced {total} bytes")
        image = Image.frombytes("1", (int(row_bytes) * 8, len(rows)), b"".join(rows))
        self.ensure_canvas()
        layer = self.layer()
        layer.paste(image, (self.x, self.y))
        ink = image.getbbox()  # a row is whole bytes: its padding may pass the label's edge
        if ink:
            self.check_bounds(self.x, self.y, ink[2], ink[3], "graphic")
        self.label.graphics.append((self.x, self.y, image))
        self.graphic = layer

    def do_FD(self, p):
        self.data = p

    def do_FS(self, p):
        self.ensure_canvas()
        layer = self.graphic
        if self.data is not None:
            text = self.decode(self.data)
            if self.barcode:
                layer = self.draw_qr(text)
            elif self.font:
                layer = self.draw_text(text)
            else:
                self.label.errors.append("field data with neither a font nor a barcode")
        if layer is not None:
            op = ImageChops.logical_xor if self.reverse else ImageChops.logical_or
            self.label.image = op(self.label.image, layer)
        self.reset_field()

    def finish(self):
        self.ensure_canvas()

    # -- helpers ---------------------------------------------------------------------------

    def layer(self) -> Image.Image:
        return Image.new("1", (self.label.width, self.label.length), 0)

    def check_bounds(self, x, y, w, h, what):
        if x < 0 or y < 0 or x + w > self.label.width or y + h > self.label.length:
            self.label.errors.append(f"{what} at {x},{y} size {w}x{h} leaves the label")

    def decode(self, data: str) -> str:
        raw = data.encode("utf-8")
        if self.hex_indicator:
            ind = re.escape(self.hex_indicator.encode())
            raw = re.sub(ind + rb"([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        return raw.decode("utf-8" if self.utf8 else "latin-1")

    def draw_text(self, text: str) -> Image.Image:
        height, width = self.font
        face = font0(height, width)
        block_width, max_lines, spacing, justify = self.block or (10**6, 1, 0, "L")
        lines = []
        for paragraph in text.split("\\&"):
            lines += wrap(paragraph, face, block_width)
        if len(lines) > max_lines:
            self.label.errors.append(f"text {text!r} needs {len(lines)} lines in a block of {max_lines}")
        layer = self.layer()
        draw = ImageDraw.Draw(layer)
        for i, line in enumerate(lines):
            row = min(i, max_lines - 1)  # a printer overprints the last line with the rest
            length = face.getlength(line)
            if length > block_width:
                self.label.errors.append(f"line {line!r} is {length:.0f} dots in a block of {block_width}")
            x = self.x + {"C": (block_width - length) / 2, "R": block_width - length}.get(justify, 0)
            # The cell is ``height`` dots: room above the capitals for accents, the baseline at
            # 0.8 of it, descenders below.
            baseline = self.y + row * (height + spacing) + round(BASELINE * height)
            draw.text((x, baseline), line, font=face, fill=1, anchor="ls")
        self.check_bounds(self.x, self.y, min(block_width, self.label.width),
                          len(lines) * height + (len(lines) - 1) * spacing, "text")
        self.label.texts.append(TextField(self.x, self.y, lines, height, self.reverse))
        return layer

    def draw_qr(self, text: str) -> Image.Image:
        _kind, orientation, model, magnification, bq_level = self.barcode
        level, mode_switch, rest = text[0], text[1], text[3:] if text[2:3] == "," else text[2:]
        if orientation != "N" or level not in "LMQH" or bq_level not in ("", level):
            self.label.errors.append(f"QR orientation {orientation}, level {bq_level} in ^BQ and {level} in ^FD")
        if mode_switch == "M":
            mode, data = rest[0], rest[1:]
            if mode == "B":
                count, data = int(data[:4]), data[4:]
                if count != len(data.encode("latin-1")):
                    self.label.errors.append(f"QR byte count {count} for {len(data)} bytes")
        else:
            mode, data = "auto", rest
        segno_mode = {"A": "alphanumeric", "N": "numeric", "B": "byte", "K": "kanji"}.get(mode)
        code = segno.make(data, error=level.lower(), mode=segno_mode, micro=False, boost_error=False)
        matrix = code.matrix
        side = len(matrix) * magnification
        layer = self.layer()
        draw = ImageDraw.Draw(layer)
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    x, y = self.x + c * magnification, self.y + r * magnification
                    draw.rectangle((x, y, x + magnification - 1, y + magnification - 1), fill=1)
        self.check_bounds(self.x, self.y, side, side, "QR")
        self.label.qrs.append(QrField(self.x, self.y, magnification, model, level, mode, data, side))
        return layer


def wrap(text: str, face, width: int) -> list[str]:
    """Greedy word wrap at spaces, as ^FB does."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def decompress(data: str, row_bytes: int) -> list[bytes]:
    """^GFA's ASCII hex with ZPL compression, row by row."""
    row_chars = 2 * row_bytes
    rows: list[str] = []
    current = ""
    count = 0
    for char in data.strip():
        if char in _COUNTS:
            count += _COUNTS[char]
            continue
        if char in _HEX:
            current += char.upper() * (count or 1)
            count = 0
        elif char == ",":
            current = current.ljust(row_chars, "0")
        elif char == "!":
            current = current.ljust(row_chars, "F")
        elif char == ":":
            if current or not rows:
                raise AssertionError("':' not at the start of a row after one")
            current = rows[-1]
        else:
            raise AssertionError(f"{char!r} in graphic data")
        if len(current) > row_chars:
            raise AssertionError(f"a row of {len(current)} hex digits, {row_chars} expected")
        if len(current) == row_chars:
            rows.append(current)
            current = ""
    if current:
        raise AssertionError(f"{len(current)} hex digits left over")
    return [bytes.fromhex(row) for row in rows]
