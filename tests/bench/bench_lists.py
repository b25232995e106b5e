"""How long the printed lists take to render, relative to one visitor badge.

Run: python tests/bench/bench_lists.py [--runs N]

The roll call is printed when the alarm goes, so its cost matters most at its largest: 300
people on 80 mm paper.  The machine is shared and noisy, so each figure is printed next to a
baseline measured in the same run, rendering one typical badge with render_badge; the ratio
("badges' worth") is the figure to compare across runs and machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import datetime, timedelta, timezone
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

from printer.badge import BadgeContent, render_badge  # noqa: E402
from printer.lists import RollCallEntry, render_roll_call, render_test_page  # noqa: E402
from tests.bench.stats import timings  # noqa: E402

TZ = timezone(timedelta(hours=8))
NOW = datetime(2024, 5, 1, 14, 5, tzinfo=TZ)
BADGE = BadgeContent(
    name="张三 Zhang San", company="华为技术有限公司", host_name="李四", host_department="研发部",
    issued_at=NOW, valid_until=NOW + timedelta(hours=8), badge_number="K7QF-2M9X",
    qr_text="VK1:" + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 6)[:186], organisation="示例科技有限公司",
)
PEOPLE = [
    ("张三", "华为技术有限公司", "李四", "研发部"),
    ("Alice Smith", "Contoso Ltd.", "王芳", "财务部"),
    ("張偉", "台灣積體電路製造股份有限公司", "林志明", "資訊安全處"),
    ("Jean-Luc Picard", "Starfleet Engineering & Logistics International", "Alice Smith", "Sales"),
]


def roll(count: int) -> list[RollCallEntry]:
    return [RollCallEntry(*person, since=NOW - timedelta(minutes=count - i),
                          state=("waiting", "with_host")[i % 2])
            for i, person in enumerate(islice(cycle(PEOPLE), count))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    people = roll(300)
    def roll_call(entries, width):
        return lambda: render_roll_call(entries, width=width, printed_at=NOW, site="hq")

    def test_page(width):
        return lambda: render_test_page(width=width, profile="TM-T20II", status="online",
                                        printed_at=NOW, url="network://10.0.0.5:9100")

    cases = [("roll call 300", 576, roll_call(people, 576)),
             ("roll call 300", 384, roll_call(people, 384)),
             ("roll call 0", 576, roll_call([], 576)),
             ("test page", 576, test_page(576))]
    print(f"{runs} runs each; baseline = render_badge of one typical badge at the same width")
    print(f"{'case':<15}{'width':>6}{'median ms':>11}{'max ms':>9}{'badge ms':>10}{'ratio':>7}")
    for label, width, fn in cases:
        base = statistics.median(timings(lambda: render_badge(BADGE, width), runs))
        samples = timings(fn, runs)
        median = statistics.median(samples)
        print(f"{label:<15}{width:>6}{median:>11.1f}{samples[-1]:>9.1f}{base:>10.1f}"
              f"{median / base:>7.1f}")


if __name__ == "__main__":
    main()
