"""The badge pipeline against a printer: from the check-in call to the printer having taken the
last byte, compared with how long the paper itself takes to come out.

Run: python tests/bench/bench_printing.py [--runs N]

The baseline is physical: a thermal head at 250 mm/s needs (badge length in mm) / 250 seconds
to print the badge, so a ratio under 0.10 means the kiosk adds under a tenth of what the
printer needs anyway. The printer is the virtual one on 127.0.0.1 (python-escpos byte stream
over real TCP). Also: bytes on the wire per badge per profile, and a 300-person roll call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout, uninstalled

from kiosk.core.hosts import Host  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from printer.device import open_printer  # noqa: E402
from printer.virtual import VirtualPrinter  # noqa: E402

DOTS_PER_MM = 8  # 203 dpi
HEAD_MM_PER_S = 250
HOST = Host("h1", "李四", "研发部")


def kiosk_for(printer: VirtualPrinter, profile: str, data: Path) -> Kiosk:
    url = f"network://127.0.0.1:{printer.port}?profile={profile}"
    return Kiosk.open(Settings(data_dir=str(data), site="hq", device="bench", printer=url), open_printer(url))


def badge_runs(profile: str, runs: int) -> tuple[list[float], list[float], int]:
    with tempfile.TemporaryDirectory() as tmp, VirtualPrinter(Path(tmp) / "paper") as printer:
        kiosk = kiosk_for(printer, profile, Path(tmp) / "data")
        pipeline, paper = [], []
        for i in range(runs):
            start = time.perf_counter()
            result = kiosk.check_in(name=f"张三{i}", host=HOST, company="华为技术有限公司")
            pipeline.append(time.perf_counter() - start)
            assert result.printed, result.print_error
            job = printer.wait_for_jobs(i + 1)[-1]
            paper.append(job.image.height / DOTS_PER_MM / HEAD_MM_PER_S)
        return pipeline, paper, printer.jobs[-1].bytes_received


def roll_call_time(people: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp, VirtualPrinter(Path(tmp) / "paper") as printer:
        kiosk = kiosk_for(printer, "TM-T20II", Path(tmp) / "data")
        printer.mode = "offline"  # sign them in without printing 300 badges
        for i in range(people):
            kiosk.check_in(name=f"访客{i}", host=HOST, company="华为技术有限公司")
        printer.mode = "ready"
        start = time.perf_counter()
        kiosk.print_roll_call()
        elapsed = time.perf_counter() - start
        return elapsed, len(printer.jobs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"badge pipeline, {args.runs} check-ins per profile, virtual printer on 127.0.0.1")
    print(f"{'profile':<10}{'width':>6}{'pipeline ms':>13}{'paper ms':>10}{'ratio':>7}{'bytes':>8}")
    for profile, width in (("POS-5890", 384), ("TM-T20II", 576)):
        pipeline, paper, size = badge_runs(profile, args.runs)
        ratio = statistics.median(p / q for p, q in zip(pipeline, paper))
        print(f"{profile:<10}{width:>6}{statistics.median(pipeline) * 1000:>13.1f}"
              f"{statistics.median(paper) * 1000:>10.0f}{ratio:>7.3f}{size:>8}")
    print("target: ratio under 0.10")
    elapsed, pages = roll_call_time(300)
    print(f"roll call of 300 people, 80 mm: {elapsed:.2f} s for {pages} pages (render + send + status)")


if __name__ == "__main__":
    main()
