"""How long a print job may take before the kiosk stops waiting for it: from the job's bytes,
the link's speed and the paper's own print time, never a fixed figure.

A fixed bound (10 s in earlier versions) is wrong both ways: a badge is 40-85 KB of raster,
which is 14 s on a 57600-baud serial line, so the kiosk gave up and said "not printed" while
the printer went on to print the whole badge; and on Ethernet the same bound makes a dead
printer keep a visitor waiting longer than it needs to. Pure: no IO, so the figures are tested
as figures.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Sequence

from PIL import Image

SERIAL_BITS_PER_BYTE = 10  # 8N1: a start bit, 8 data bits, a stop bit
DOTS_PER_MM = 8  # 203 dpi thermal heads
# Conservative: 80 mm ESC/POS printers run 150-300 mm/s, cheap 58 mm ones 50-90 mm/s.
PRINT_MM_PER_SECOND = 60
CUT_SECONDS = 1.0  # feed to the cutter and cut, per page
MARGIN_SECONDS = 5.0  # connecting, the status questions before and after, a busy host
SLACK = 1.25  # a link runs slower than its nominal rate (flow control, a busy USB hub)
MIN_JOB_SECONDS = 10.0  # never stricter than the fixed bound of earlier versions
BAND_ROWS = 256  # GS v 0 bands (printer.device.FRAGMENT_HEIGHT)
BAND_HEADER = 8  # GS v 0 m xL xH yL yH
PAGE_OVERHEAD = 64  # init, alignment, the cut, status questions


@dataclass(frozen=True)
class Link:
    """How fast bytes reach a printer over one kind of connection."""

    name: str
    bytes_per_second: float


def serial_link(baudrate: int) -> Link:
    return Link(f"serial at {baudrate} baud", baudrate / SERIAL_BITS_PER_BYTE)


# Ethernet, Wi-Fi and USB printers take bytes far faster than they print them; what bounds a
# job there is the paper. These figures are floors for a poor Wi-Fi link and a USB 1.1 printer.
NETWORK = Link("network", 100_000)
USB = Link("usb", 100_000)
LOCAL = Link("local", 1_000_000)  # a file or a CUPS queue: the spooler takes the job at once


def raster_bytes(pages: Sequence[Image.Image]) -> int:
    """The bytes of ``pages`` sent as plain GS v 0 raster: an upper bound for leaner streams."""
    total = 0
    for page in pages:
        width, height = page.size
        total += math.ceil(width / 8) * height + BAND_HEADER * math.ceil(height / BAND_ROWS) + PAGE_OVERHEAD
    return total


def print_seconds(pages: Sequence[Image.Image]) -> float:
    """How long the paper itself takes to come out, cut included."""
    return sum(page.size[1] / DOTS_PER_MM / PRINT_MM_PER_SECOND + CUT_SECONDS for page in pages)


def transfer_seconds(byte_count: int, link: Link) -> float:
    return byte_count / link.bytes_per_second


def job_seconds(pages: Sequence[Image.Image], link: Link) -> float:
    """The whole job's deadline: the bytes on the link (with slack), the paper, a margin.
    Transfer and printing overlap on a real printer; adding them keeps the bound safe."""
    estimate = transfer_seconds(raster_bytes(pages), link) * SLACK + print_seconds(pages) + MARGIN_SECONDS
    return max(MIN_JOB_SECONDS, estimate)


class JobDeadline:
    """Mixed into python-escpos's link classes (printer.network_link, serial_link, usb_link):
    the whole job's deadline, which every write and status read is bounded by."""

    deadline = float("inf")
    patient = False  # wait for a status answer until the deadline, not the link's status_timeout

    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("job deadline passed")  # socket.timeout is TimeoutError
        return left
