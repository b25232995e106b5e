"""The printer package's exceptions: one base class, so callers can catch everything we raise.

Messages are written for the operator who has to fix the device; ``code`` lets a UI pick a
translated text for the visitor instead.
"""


class PrinterError(Exception):
    """Base class of every error the printer package raises on purpose."""

    code = "printer"


class FontMissing(PrinterError):
    """No CJK font was found, so a badge cannot be laid out."""

    code = "font_missing"

    def __init__(self, detail: str = ""):
        message = (
            "No CJK font found for badges: install Debian's fonts-noto-cjk "
            "(apt install fonts-noto-cjk) or set KIOSK_FONT to a .ttc/.otf path"
        )
        super().__init__(f"{message} ({detail})" if detail else message)


class BadgeLayoutError(PrinterError):
    """The badge cannot be laid out at this paper width (e.g. the QR text is too long)."""

    code = "badge_layout"
