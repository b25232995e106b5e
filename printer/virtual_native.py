"""What the virtual printer draws itself: text in its own font (alignment, magnification, code
pages, Chinese double-byte mode) and QR codes from ``GS ( k``, as a printer's firmware would.

A mixin of :class:`printer.escpos_stream.EscPosStream`, kept apart so the stream parser stays short.
It is the test decoder of the lean and hybrid streams (printer/escpos_lean.py): it interprets
the commands from Epson's documentation, independently of how the kiosk produced them, and the
QR is drawn here from the stored data by the qrcode library, like a printer's firmware does.
"""

from __future__ import annotations

from functools import cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

CELL = (12, 24)  # font A: dots across and down one character at magnification 1
LINE_GAP = 6  # dots between lines: 1/6 inch line spacing (30 dots) less the 24-dot cell
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866",
              18: "cp852", 19: "cp858"}  # ESC t n
_QR_LEVELS = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
              50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}


@cache
def _font(height: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=height)


class NativeCommands:
    """Printer state set by commands, and the text and QR it draws. Needs ``self.width`` (dots),
    ``self._buf``, ``self.page``, ``_need``, ``_unknown`` and ``_print_line`` of the stream."""

    def _reset_native(self) -> None:
        self.align = 0  # ESC a: 0 left, 1 centre, 2 right
        self.magnify = (1, 1)  # GS !: across, down
        self.reverse = False  # GS B: white on black
        self.chinese = True  # Chinese-market firmware starts in GB18030 double-byte mode
        self.code_page = "cp437"
        self._qr = {"size": 3, "level": 49, "data": b""}

    def native_handlers(self) -> dict:
        self._reset_native()
        return {b"\x1ba": self._set_align, b"\x1d!": self._set_size, b"\x1bt": self._set_code_page,
                b"\x1dB": self._set_reverse, b"\x1bE": self._one_parameter, b"\x1b!": self._one_parameter,
                b"\x1c.": self._chinese_off, b"\x1c&": self._chinese_on}

    @property
    def chars_per_line(self) -> int:
        return max(1, self.width // (CELL[0] * self.magnify[0]))

    @property
    def encoding(self) -> str:
        return "gb18030" if self.chinese else self.code_page

    def _set_align(self) -> int:
        command = self._need(3)
        if command:
            self.align = command[2] % 48 if command[2] % 48 <= 2 else 0  # n may be 0-2 or "0"-"2"
        return len(command or b"")

    def _set_size(self) -> int:
        command = self._need(3)
        if command:
            self.magnify = ((command[2] >> 4 & 7) + 1, (command[2] & 7) + 1)
        return len(command or b"")

    def _set_reverse(self) -> int:
        command = self._need(3)
        if command:
            self.reverse = bool(command[2] & 1)
        return len(command or b"")

    def _set_code_page(self) -> int:
        command = self._need(3)
        if command:
            self.code_page = CODE_PAGES.get(command[2], "cp437")
        return len(command or b"")

    def _one_parameter(self) -> int:
        return len(self._need(3) or b"")  # bold, print mode: no visible effect here

    def _chinese_off(self) -> int:
        self.chinese = False
        return 2

    def _chinese_on(self) -> int:
        self.chinese = True
        return 2

    # Text.

    def text_image(self, text: str) -> tuple[Image.Image, int]:
        """One printed line of ``text``: the image, and the paper it advances."""
        across, down = self.magnify
        advance = CELL[1] * down + LINE_GAP
        f = _font(20 * down)  # a glyph of Pillow's proportional font fits a 12x24 cell at 20 px
        # Each character takes its cell, as in a printer's monospaced font: in reverse mode the
        # cells, spaces included, are what turns black. Font A's baseline sits 19 dots down its
        # 24-dot cell, leaving room for descenders.
        length = len(text) * CELL[0] * down
        ink = Image.new("1", (max(1, length), advance), 1)
        draw = ImageDraw.Draw(ink)
        if self.reverse:
            draw.rectangle((0, LINE_GAP // 2, length - 1, LINE_GAP // 2 + CELL[1] * down - 1), fill=0)
        cell = CELL[0] * down
        for i, char in enumerate(text):
            glyph = Image.new("1", (max(cell, round(f.getlength(char))), advance), int(not self.reverse))
            ImageDraw.Draw(glyph).text((glyph.width // 2, LINE_GAP // 2 + 19 * down), char, font=f,
                                       fill=int(self.reverse), anchor="ms")
            ink.paste(glyph.resize((cell, advance)) if glyph.width > cell else glyph, (i * cell, 0))
        if across != down:
            ink = ink.resize((max(1, len(text) * CELL[0] * across), advance))
        line = Image.new("1", (self.width, advance), 1)
        x = {0: 0, 1: (self.width - ink.width) // 2, 2: self.width - ink.width}[self.align]
        line.paste(ink, (max(0, x), 0))
        return line, advance

    # QR codes: GS ( k pL pH 49 fn ...

    def qr_command(self, header: bytes) -> int:
        """GS ( k with its whole parameter block at the head of the buffer; 0 to wait for it."""
        size = header[3] | header[4] << 8
        command = self._need(5 + size)
        if command is None:
            return 0
        body = command[5:]
        if len(body) < 2 or body[0] != 49:
            return self._unknown(len(command))
        fn, params = body[1], body[2:]
        if fn == 65 and params:  # model: only model 2 exists on current printers
            return len(command)
        if fn == 67 and params and 1 <= params[0] <= 16:
            self._qr["size"] = params[0]
        elif fn == 69 and params and params[0] in _QR_LEVELS:
            self._qr["level"] = params[0]
        elif fn == 80 and params[:1] == b"\x30":
            self._qr["data"] = bytes(params[1:])
        elif fn == 81 and params[:1] == b"\x30":
            self._print_qr()
        else:
            return self._unknown(len(command))
        return len(command)

    def _print_qr(self) -> None:
        if not self._qr["data"]:
            return  # a printer prints nothing for an empty symbol
        self._print_line()
        code = qrcode.QRCode(error_correction=_QR_LEVELS[self._qr["level"]], border=0, box_size=self._qr["size"])
        code.add_data(self._qr["data"].decode("latin-1"))
        code.make(fit=True)
        symbol = code.make_image().get_image().convert("1")
        line = Image.new("1", (max(self.width, symbol.width), symbol.height), 1)
        x = {0: 0, 1: (line.width - symbol.width) // 2, 2: line.width - symbol.width}[self.align]
        line.paste(symbol, (x, 0))
        self.page.place(line, line.height)
