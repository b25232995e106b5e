"""Printers as the kiosk sees them: print an image, say the status, know the paper width.

One abstract :class:`Printer` holds the high-level operations; backends stay small. The
preview backend writes each job as a PNG file: it is the default (a kiosk with no printer
attached still works, and an installer sees exactly what the paper would show).
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from printer.errors import PrinterError

DEFAULT_WIDTH = 576  # 80 mm paper at 203 dpi, the common kiosk printer


class Printer(ABC):
    """A printer of 1-bit raster images ``width`` dots wide."""

    width: int = DEFAULT_WIDTH

    @abstractmethod
    def print_image(self, image: Image.Image, *, name: str = "job") -> None:
        """Print the image and cut; raise PrinterError if it did not reach the paper."""

    def close(self) -> None:
        pass


class PreviewPrinter(Printer):
    """Writes each job to DIR as a PNG, exactly the image a thermal printer would get."""

    def __init__(self, directory: Path, width: int = DEFAULT_WIDTH):
        self.directory = Path(directory)
        self.width = width
        self.last_path: Path | None = None

    def print_image(self, image: Image.Image, *, name: str = "job") -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
        path = self.directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}.png"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            image.save(tmp, format="PNG")
            tmp.replace(path)
        except OSError as exc:
            raise PrinterError(f"preview directory {self.directory}: {exc.strerror or exc}") from None
        self.last_path = path


def open_printer(url: str) -> Printer:
    """The printer a ``KIOSK_PRINTER`` URL names."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme == "preview":
        width = int(query.get("width", [DEFAULT_WIDTH])[0])
        return PreviewPrinter(Path(parts.netloc + parts.path), width)
    raise PrinterError(f"printer URL {url!r}: scheme {parts.scheme!r} is not supported")
