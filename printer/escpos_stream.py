"""The ESC/POS decoder behind the virtual printer (printer.virtual): turns the bytes of a job
into pages (1-bit images, text, unknown commands) as a thermal printer would put them on paper,
and answers the real-time status queries (DLE EOT n) found in the stream. Kept apart from the
TCP server so the pseudo-terminal and USB test printers decode with the same parser; what it
mirrors of real printers and what it simplifies is said in printer.virtual's docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PIL import Image

from printer.device import DEFAULT_WIDTH
from printer.virtual_native import NativeCommands

MODES = ("ready", "offline", "paper-out", "paper-low", "cover-open", "silent")
OFFLINE_MODES = frozenset({"offline", "paper-out", "cover-open"})

LINE_DOTS = 30  # the default line spacing (1/6 inch) at 203 dpi, rounded
MAX_WIDTH_DOTS = 832  # the widest ESC/POS thermal head (112 mm); wider rasters are refused
MAX_PAGE_DOTS = 32_000  # 4 m of paper: bounds the memory a hostile stream can take
MAX_UNKNOWN = 1000  # unknown commands kept per job, for the same reason

ESC, GS, FS, DLE, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x0D
_PREFIXES = {ESC, GS, FS, DLE}
_TEXT_RUN = re.compile(rb"[\x20-\x7e\x80-\xff]+")
_INVERT = bytes(255 - i for i in range(256))  # ESC/POS: 1 = black; Pillow mode "1": 1 = white

# Command -> number of parameter bytes.  Settings that change nothing a raster badge shows.
_ACCEPTED = {
    b"\x1b-": 1, b"\x1b2": 0, b"\x1b3": 1,
    b"\x1bM": 1, b"\x1b{": 1, b"\x1bR": 1, b"\x1bp": 3,
    b"\x1dL": 2, b"\x1dW": 2,
}
# Known fixed-length commands we do not render: recorded as unknown, their lengths keep the
# stream in sync.
_UNSUPPORTED = {
    b"\x1b ": 1, b"\x1b$": 2, b"\x1b%": 1, b"\x1b=": 1, b"\x1b?": 1, b"\x1bG": 1, b"\x1bL": 0,
    b"\x1bS": 0, b"\x1bT": 1, b"\x1bU": 1, b"\x1bV": 1, b"\x1bW": 8, b"\x1b\\": 2, b"\x1bc": 2,
    b"\x1be": 1, b"\x1br": 1, b"\x1bu": 1, b"\x1bv": 0,
    b"\x1d$": 2, b"\x1d/": 1, b"\x1d:": 0, b"\x1dH": 1, b"\x1dI": 1, b"\x1dP": 2, b"\x1dT": 1,
    b"\x1d\\": 2, b"\x1d^": 3, b"\x1da": 1, b"\x1db": 1, b"\x1df": 1, b"\x1dg": 4, b"\x1dh": 1,
    b"\x1dr": 1, b"\x1dw": 1, b"\x1d|": 1,
    b"\x1c!": 1, b"\x1c-": 1, b"\x1cC": 1, b"\x1cS": 2, b"\x1cW": 1,
    b"\x1cp": 2,
    b"\x10\x05": 1,
}
_DLE_DC4_LENGTHS = {1: 5, 2: 5, 3: 5, 7: 4, 8: 10}  # DLE DC4 fn ...: total bytes per fn
_CUT_SHORT = {0, 1, 48, 49}  # GS V m
_CUT_WITH_FEED = {65, 66, 97, 98, 103, 104}  # GS V m n: feed n dots, then cut
_RASTER_MODES = {0, 1, 2, 3, 48, 49, 50, 51}  # GS v 0 m: bit 0 double width, bit 1 double height


def status_byte(mode: str, n: int) -> int:
    """The Epson real-time status byte for DLE EOT n: fixed bits 0x12 plus this mode's flags."""
    paper_out = mode == "paper-out"
    flags = {
        1: 0x08 if mode in OFFLINE_MODES else 0,
        2: (0x04 if mode == "cover-open" else 0) | (0x20 if paper_out else 0),
        3: 0,
        4: (0x0C if paper_out or mode == "paper-low" else 0) | (0x60 if paper_out else 0),
    }
    return 0x12 | flags[n]


@dataclass(eq=False)
class Page:
    """What one job put on the paper, as the parser saw it."""

    pieces: list[tuple[int, Image.Image]] = field(default_factory=list)  # (y, raster, text line or QR)
    height: int = 0  # dots of paper used so far
    lines: list[str] = field(default_factory=list)
    unknown: list[bytes] = field(default_factory=list)
    received: int = 0  # bytes of the stream that belong to this job
    cut: bool = False
    offline: bool = False  # the printer was offline while receiving it: nothing prints

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def worth_recording(self) -> bool:
        return bool(self.pieces or self.unknown)

    def advance(self, dots: int) -> None:
        self.height = min(MAX_PAGE_DOTS, self.height + dots)

    def place(self, piece: Image.Image, height: int) -> None:
        if self.height + height <= MAX_PAGE_DOTS:
            self.pieces.append((self.height, piece))
            self.advance(height)

    def note_unknown(self, command: bytes) -> None:
        if len(self.unknown) < MAX_UNKNOWN:
            self.unknown.append(bytes(command))

    def render(self) -> Image.Image | None:
        """The paper as a mode "1" image, or None if blank.

        As wide as the widest piece; text and QR codes span the whole head.
        """
        if not self.pieces:
            return None
        paper = Image.new("1", (max(piece.width for _, piece in self.pieces), self.height), 1)
        for y, piece in self.pieces:
            paper.paste(piece, (0, y))
        return paper


@dataclass(eq=False)
class _Raster:
    """A GS v 0 image whose data is still arriving."""

    width_bytes: int
    scale: tuple[int, int]
    keep: int  # bytes that fit on the page; the rest is read and dropped
    left: int  # bytes still to read
    data: bytearray = field(default_factory=bytearray)

    def image(self) -> Image.Image | None:
        rows = -(-len(self.data) // self.width_bytes)
        if not rows:
            return None
        padded = bytes(self.data.ljust(rows * self.width_bytes, b"\0")).translate(_INVERT)
        image = Image.frombytes("1", (self.width_bytes * 8, rows), padded)
        sx, sy = self.scale
        return image.resize((image.width * sx, rows * sy), Image.Resampling.NEAREST)


class EscPosStream(NativeCommands):
    """Interprets one connection's bytes, fed in pieces of any size, into pages ``width`` dots
    wide (the head: 576 on 80 mm paper, 384 on 58 mm; text wraps there).

    Real-time status (DLE EOT n) is answered by the connection before the bytes get here; in
    the command stream it is only skipped.
    """

    def __init__(self, width: int = DEFAULT_WIDTH) -> None:
        self.width = width
        self.page = Page()
        self._buf = bytearray()
        self._line = bytearray()  # text waiting for LF (the printer's line buffer)
        self._skip = 0  # bytes of an unsupported command's data still to drop
        self._raster: _Raster | None = None
        self._done: list[Page] = []
        self._offline = False
        self._handlers = {
            b"\x1b@": self._init, b"\x1bd": self._feed_lines, b"\x1bJ": self._feed_dots,
            b"\x1bi": self._old_cut, b"\x1bm": self._old_cut, b"\x1b*": self._column_image,
            b"\x1dv": self._raster_image, b"\x1dV": self._cut, b"\x1d(": self._long_command,
            b"\x1d8": self._very_long_command, b"\x1d*": self._define_image, b"\x1dk": self._barcode,
            b"\x10\x04": self._status_query, b"\x10\x14": self._dle_dc4,
            **self.native_handlers(),
        }

    def feed(self, data: bytes, *, offline: bool = False) -> list[Page]:
        """Consume data; return the pages that a cut ended.  ``offline`` spoils the pages it touches."""
        self._buf += data
        self._offline = offline
        self.page.offline |= offline
        self._done = []
        while self._buf and self._step():
            pass
        return self._done

    def close(self) -> Page | None:
        """The connection ended: the unfinished page, if anything reached it."""
        if self._raster:
            self._end_raster()
        if self._buf:
            self.page.note_unknown(self._buf)  # a command cut short
        self.page.received += len(self._buf)
        self._buf.clear()
        self._print_line()
        return self.page if self.page.worth_recording else None

    def _step(self) -> bool:
        """Take one command, or some data of the current one; False when more bytes are needed."""
        if self._skip:
            size = min(self._skip, len(self._buf))
            self._skip -= size
            return self._consume(size, self.page)
        if self._raster:
            return self._raster_data()
        page = self.page  # a cut starts a new page, but its own bytes belong to the old one
        return self._consume(self._command(), page)

    def _consume(self, size: int, page: Page) -> bool:
        del self._buf[:size]
        page.received += size
        return size > 0

    def _command(self) -> int:
        """Bytes taken by the command at the head of the buffer; 0 if it is incomplete."""
        first = self._buf[0]
        if first in _PREFIXES:
            return self._prefixed() if len(self._buf) >= 2 else 0
        if first == LF:
            if not self._print_line():
                self.page.advance(LINE_DOTS)
            return 1
        if first == CR:  # ignored by printers with auto line feed off, the default
            return 1
        run = _TEXT_RUN.match(self._buf)
        if run:
            self._add_text(run.group())
            return run.end()
        return self._unknown(1)

    def _prefixed(self) -> int:
        key = bytes(self._buf[:2])
        if key in self._handlers:
            return self._handlers[key]()
        if key in _ACCEPTED:
            return len(self._need(2 + _ACCEPTED[key]) or b"")
        if key in _UNSUPPORTED:
            command = self._need(2 + _UNSUPPORTED[key])
            return self._unknown(len(command)) if command else 0
        return self._unknown(1 if key[0] == DLE else 2)  # an undefined DLE x leaves x to be read

    def _need(self, size: int) -> bytes | None:
        """The first ``size`` bytes, or None while they have not all arrived."""
        return bytes(self._buf[:size]) if len(self._buf) >= size else None

    def _unknown(self, size: int) -> int:
        self.page.note_unknown(self._buf[:size])
        return size

    # Text.

    def _add_text(self, run: bytes) -> None:
        while run:
            room = self.chars_per_line - len(self._line)
            self._line += run[:room]
            run = run[room:]
            if len(self._line) >= self.chars_per_line:
                self._print_line()

    def _print_line(self, *, on_paper: bool = True) -> bool:
        """Print the line buffer, if it holds text; say whether it did."""
        if not self._line:
            return False
        text = self._line.decode(self.encoding, errors="replace")
        self._line.clear()
        if self.page.height + LINE_DOTS <= MAX_PAGE_DOTS:
            self.page.lines.append(text)
            if on_paper:
                self.page.place(*self.text_image(text))
        return on_paper

    # Feeds, init, cuts.

    def _init(self) -> int:
        self._print_line(on_paper=False)  # ESC @ clears the print buffer
        self._reset_native()
        return 2

    def _feed_lines(self) -> int:
        command = self._need(3)
        if command:
            self._print_line()
            self.page.advance(command[2] * LINE_DOTS)
        return len(command or b"")

    def _feed_dots(self) -> int:
        command = self._need(3)
        if command:
            self._print_line()
            self.page.advance(command[2])
        return len(command or b"")

    def _cut(self) -> int:
        head = self._need(3)
        if not head:
            return 0
        mode = head[2]
        if mode in _CUT_SHORT:
            return self._end_page(3, feed=0)
        if mode in _CUT_WITH_FEED:
            command = self._need(4)
            return self._end_page(4, feed=command[3]) if command else 0
        return self._unknown(3)

    def _old_cut(self) -> int:
        return self._end_page(2, feed=0)  # ESC i / ESC m: Epson's older partial cut

    def _end_page(self, size: int, *, feed: int) -> int:
        self._print_line()
        self.page.advance(feed)
        self.page.cut = True
        self._done.append(self.page)
        self.page = Page(offline=self._offline)
        return size

    # Images.

    def _raster_image(self) -> int:
        if len(self._buf) >= 3 and self._buf[2] != 0x30:  # only GS v 0 exists
            return self._unknown(2)
        header = self._need(8)  # GS v 0 m xL xH yL yH
        if header is None:
            return 0
        mode = header[3]
        width_bytes, rows = header[4] | header[5] << 8, header[6] | header[7] << 8
        scale = (1 + (mode & 1), 1 + (mode >> 1 & 1))
        size = width_bytes * rows
        if mode not in _RASTER_MODES or not size or width_bytes * 8 * scale[0] > MAX_WIDTH_DOTS:
            return self._unknown_with_data(header, size)
        self._print_line()
        fits = max(0, MAX_PAGE_DOTS - self.page.height) // scale[1]
        self._raster = _Raster(width_bytes, scale, keep=width_bytes * min(rows, fits), left=size)
        return 8

    def _raster_data(self) -> bool:
        raster = self._raster
        take = min(raster.left, len(self._buf))
        raster.data += self._buf[:max(0, min(take, raster.keep - len(raster.data)))]
        raster.left -= take
        self._consume(take, self.page)
        if not raster.left:
            self._end_raster()
        return take > 0

    def _end_raster(self) -> None:
        image = self._raster.image()
        self._raster = None
        if image:
            self.page.place(image, image.height)

    def _column_image(self) -> int:
        header = self._need(5)  # ESC * m nL nH: n columns of 1 (8-dot) or 3 (24-dot) bytes
        if header is None:
            return 0
        columns = header[3] | header[4] << 8
        return self._unknown_with_data(header, columns * (3 if header[2] & 32 else 1))

    def _long_command(self) -> int:
        header = self._need(5)  # GS ( x pL pH data
        if header and header[2] == ord("k"):
            return self.qr_command(header)
        return self._unknown_with_data(header, header[3] | header[4] << 8) if header else 0

    def _very_long_command(self) -> int:
        header = self._need(7)  # GS 8 x p1 p2 p3 p4 data
        return self._unknown_with_data(header, int.from_bytes(header[3:7], "little")) if header else 0

    def _define_image(self) -> int:
        header = self._need(4)  # GS * x y: x * y * 8 bytes
        return self._unknown_with_data(header, header[2] * header[3] * 8) if header else 0

    def _barcode(self) -> int:
        head = self._need(3)  # GS k m: function B (m >= 65) has a length byte; A ends with NUL
        if head is None or head[2] < 65:
            return self._unknown(3) if head else 0
        header = self._need(4)
        return self._unknown_with_data(header, header[3]) if header else 0

    def _unknown_with_data(self, header: bytes, data_size: int) -> int:
        self.page.note_unknown(header)
        self._skip = data_size
        return len(header)

    # Real-time commands.

    def _status_query(self) -> int:
        command = self._need(3)
        if command and not 1 <= command[2] <= 4:
            self.page.note_unknown(command)
        return len(command or b"")

    def _dle_dc4(self) -> int:
        head = self._need(3)
        if head is None:
            return 0
        command = self._need(_DLE_DC4_LENGTHS.get(head[2], 3))
        return self._unknown(len(command)) if command else 0


class StatusScanner:
    """Finds DLE EOT n in the raw byte stream, across recv() boundaries, like a receive buffer."""

    def __init__(self) -> None:
        self._tail = b""

    def queries(self, data: bytes) -> list[int]:
        buf = self._tail + data
        found = []
        at = buf.find(b"\x10\x04")
        while at != -1 and at + 2 < len(buf):
            if 1 <= buf[at + 2] <= 4:
                found.append(buf[at + 2])
            at = buf.find(b"\x10\x04", at + 1)
        self._tail = buf[-2:]
        return found
