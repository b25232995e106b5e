"""How long render_badge takes, relative to the bare minimum any badge costs.

Run: python tests/bench/bench_badge_render.py

The machine is noisy, so absolute times are printed next to a baseline measured in the same
run: building the same QR with the qrcode library, a blank canvas and one line of text in the
same font.  The ratio is the figure to compare across runs and machines.
"""

import statistics
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

import qrcode  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from printer.badge import BadgeContent, render_badge  # noqa: E402
from printer.fonts import font  # noqa: E402
from printer.linebreak import LEXICON, units  # noqa: E402
from tests.bench.stats import p99, timings  # noqa: E402

RUNS = 200
TZ = timezone(timedelta(hours=8))
QR_TEXT = "VK1:" + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 6)[:186]
TYPICAL = BadgeContent(
    name="张三 Zhang San", company="华为技术有限公司", host_name="李四", host_department="研发部",
    issued_at=datetime(2024, 5, 1, 9, 30, tzinfo=TZ), valid_until=datetime(2024, 5, 1, 18, 0, tzinfo=TZ),
    badge_number="K7QF-2M9X", qr_text=QR_TEXT, organisation="示例科技有限公司",
)
HUGE = replace(TYPICAL, name="张" * 10_000, company="Contoso " * 40)


def baseline(width: int) -> None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    qr.add_data(QR_TEXT)
    qr.make(fit=True)
    qr.get_matrix()
    image = Image.new("L", (width, 1000), 255)
    ImageDraw.Draw(image).text((8, 8), TYPICAL.name, font=font(72, bold=True), fill=0)


def main() -> None:
    print(f"render_badge, {RUNS} runs each; baseline = qrcode matrix + canvas + one text line")
    print(f"{'case':<14}{'width':>6}{'median ms':>11}{'p99 ms':>9}{'base ms':>9}{'ratio':>7}")
    for label, content, width in [("typical", TYPICAL, 384), ("typical", TYPICAL, 576),
                                  ("10k-char name", HUGE, 576)]:
        base = statistics.median(timings(lambda: baseline(width), RUNS))
        LEXICON.load()  # once per process (the kiosk's warm-up pays it); reported below
        # Line breaks are cached by text; every real badge has new text, so each run starts cold.
        badge = timings(lambda: (units.cache_clear(), render_badge(content, width)), RUNS)
        median = statistics.median(badge)
        print(f"{label:<14}{width:>6}{median:>11.2f}{p99(badge):>9.2f}{base:>9.2f}{median / base:>7.1f}")
    print(f"once per process: the word list for Chinese line breaks, {lexicon_load_ms():.0f} ms")


def lexicon_load_ms() -> float:
    """What the first badge of a process pays once to read the Chinese word list."""
    def load():
        LEXICON._words = None
        LEXICON.load()
    return statistics.median(timings(load, 5))


if __name__ == "__main__":
    main()
