"""The badge pipeline against a printer: from the check-in call to the printer having taken the
last byte, compared with how long the paper itself takes to come out.

Run: python tests/bench/bench_printing.py [--runs N]

The baseline is physical: a thermal head at 250 mm/s needs (badge length in mm) / 250 seconds
to print the badge, so a ratio under 0.10 means the kiosk adds under a tenth of what the
printer needs anyway. The printer is the virtual one (`kiosk printer serve`) in its own
process on 127.0.0.1, as a real printer would be, so the two do not share one interpreter;
the pipeline ends when the printer has answered the status query sent after the last byte.
Also: bytes on the wire per badge for every stream (raster, lean, hybrid: printer/escpos_lean.py)
and profile, and the seconds they take on a 115200-baud serial line (8N1: 10 bits a byte), on
Bluetooth SPP (20 KB/s) and on 100 Mbit/s Ethernet, each as a ratio to the physical print time
of the paper that stream produces (the virtual printer's parser measures its length); and a
300-person roll call. Then the same for the label printers' own languages (``--labels``): Brother QL
raster (compressed on a QL-820NWB, uncompressed on a QL-700) and ZPL, as a ratio to the label's
print time at the printer's rated speed (QL-820NWB 176 mm/s is Brother's figure; a desktop
Zebra's 4 in/s, 102 mm/s, is typical of the GK/ZD range). CUPS label queues are left out: their
bytes are the driver's (tests/test_cups_labels.py runs them).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run from a checkout, uninstalled

from kiosk.core.hosts import Host  # noqa: E402
from kiosk.services import Kiosk  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from printer.device import FRAGMENT_HEIGHT, open_printer  # noqa: E402
from printer.escpos_lean import encode_page  # noqa: E402
from printer.escpos_stream import EscPosStream  # noqa: E402

DOTS_PER_MM = 8  # 203 dpi
HEAD_MM_PER_S = 250
HOST = Host("h1", "李四", "研发部")
MODES = (("raster", "raster"), ("lean", "raster"), ("lean", "printer"), ("hybrid", "printer"))  # (stream, qr)
PROFILES = (("POS-5890", 384), ("RP-F10-58mm", 432), ("TM-T88V", 512), ("TM-T20II", 576))
LINKS = (("115200 baud", 115_200 / 10), ("Bluetooth SPP", 20_000), ("Ethernet 100M", 100e6 / 8))
VISITORS = {  # (name, company, host, language): a Chinese badge and a Latin one
    "zh": ("张三", "华为技术有限公司", HOST, "zh_CN"),
    "en": ("Alexandra Smith", "Contoso Ltd", Host("h2", "Wang Fang", "Procurement"), "en"),
}


@contextmanager
def virtual_printer(out: Path, *extra: str):
    """``kiosk printer serve`` in its own process, as a real printer is: it does not share our
    interpreter's lock. Yields its port once it accepts connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "kiosk", "printer", "serve", "--port", str(port),
                               "--out", str(out), *extra], cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait()


def kiosk_for(port: int, profile: str, data: Path, stream: str = "lean", qr: str = "raster") -> Kiosk:
    url = f"network://127.0.0.1:{port}?profile={profile}&stream={stream}&qr={qr}"
    return Kiosk.open(Settings(data_dir=str(data), site="hq", device="bench", printer=url), open_printer(url))


def badge_runs(profile: str, runs: int, mode=MODES[1], width: int = 576) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp, virtual_printer(Path(tmp) / "paper", "--width", str(width)) as port:
        kiosk = kiosk_for(port, profile, Path(tmp) / "data", *mode)
        pipeline = []
        for i in range(runs):
            start = time.perf_counter()
            result = kiosk.check_in(name=f"张三{i}", host=HOST, company="华为技术有限公司")
            pipeline.append(time.perf_counter() - start)
            assert result.printed, result.print_error
        heights = [Image.open(p).height for p in (Path(tmp) / "paper").glob("job-*.png")]
        return pipeline, [h / DOTS_PER_MM / HEAD_MM_PER_S for h in heights]


def badge_stream(profile: str, width: int, visitor: str, stream: str, qr: str) -> tuple[int, float]:
    """Bytes on the wire for one badge sent the ``stream`` way, and the paper it prints (mm)."""
    from escpos.capabilities import get_profile
    from escpos.printer import Dummy

    from printer.badge import render_badge

    name, company, host, lang = VISITORS[visitor]
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = Kiosk.open(Settings(data_dir=tmp, site="hq", device="bench", language=lang),
                           open_printer(f"preview://{tmp}/p?profile={profile}"))
        result = kiosk.check_in(name=name, host=host, company=company)
        page = render_badge(kiosk._badge_content(result.visit, result.badge_id, result.badge), width)
    if stream == "raster":  # python-escpos's own, as the kiosk sent every badge before
        dummy = Dummy(profile=profile)
        dummy.image(page, impl="bitImageRaster", fragment_height=FRAGMENT_HEIGHT)
        dummy.cut()
        data = dummy.output
    else:
        data = encode_page(page, stream=stream, profile=get_profile(profile), qr=qr)
    parser = EscPosStream(width)
    printed = (parser.feed(data) or [parser.close()])[0]
    return len(data), printed.height / DOTS_PER_MM


def stream_table() -> None:
    print(f"\nbytes per badge and seconds on the wire, ratio to printing at {HEAD_MM_PER_S} mm/s")
    print(f"{'profile':<12}{'badge':<6}{'stream':<18}{'bytes':>7}{'vs raster':>10}{'paper s':>8}"
          + "".join(f"{name:>22}" for name, _ in LINKS))
    for profile, width in PROFILES:
        for visitor in VISITORS:
            raster = None
            for stream, qr in MODES:
                size, paper_mm = badge_stream(profile, width, visitor, stream, qr)
                raster = raster or size
                paper_s = paper_mm / HEAD_MM_PER_S
                links = "".join(f"{size / rate:>9.3f} s {size / rate / paper_s:>6.2f}x print" for _, rate in LINKS)
                name = stream + (" qr=printer" if qr == "printer" else "")
                print(f"{profile:<12}{visitor:<6}{name:<18}{size:>7}{size / raster:>10.2f}{paper_s:>8.2f}{links}")


LABEL_PRINTERS = (  # (name, printer URL, head speed mm/s)
    ("QL-820NWB 62 mm", "brother-ql://127.0.0.1?model=QL-820NWB&label=62", 176),
    ("QL-820NWB 62x100", "brother-ql://127.0.0.1?model=QL-820NWB&label=62x100", 176),
    ("QL-700 62 mm", "brother-ql://127.0.0.1?model=QL-700&label=62", 150),
    ("ZPL 4x3 in 203 dpi", "zpl://127.0.0.1?dpi=203&label=4x3", 102),
    ("ZPL 4x6 in 300 dpi", "zpl://127.0.0.1?dpi=300&label=4x6", 102),
)


def label_bytes(url: str, visitor: str) -> tuple[int, float]:
    """Bytes one badge takes in a label printer's own language, and the label's length (mm)."""
    from printer.ql_raster import encode_job
    from printer.zpl_badge import badge_zpl

    name, company, host, lang = VISITORS[visitor]
    printer = open_printer(url)
    with tempfile.TemporaryDirectory() as tmp:
        kiosk = Kiosk.open(Settings(data_dir=tmp, site="hq", device="bench", language=lang),
                           open_printer(f"preview://{tmp}/p"))
        result = kiosk.check_in(name=name, host=host, company=company)
        content = kiosk._badge_content(result.visit, result.badge_id, result.badge)
    if url.startswith("zpl:"):
        return len(badge_zpl(content, printer.label).encode("ascii")), printer.label.length / printer.label.dpi * 25.4
    page = printer.badge_page(content)
    job = encode_job([page], printer.medium, printer.model)
    length = printer.medium.length_mm or page.height / printer.dpi * 25.4
    return len(job), length


def label_table() -> None:
    print("\nlabel printers: bytes per badge and seconds on the wire, ratio to printing the label")
    print(f"{'printer':<20}{'badge':<6}{'bytes':>7}{'label s':>8}" + "".join(f"{name:>22}" for name, _ in LINKS))
    for name, url, speed in LABEL_PRINTERS:
        for visitor in VISITORS:
            size, length_mm = label_bytes(url, visitor)
            label_s = length_mm / speed
            links = "".join(f"{size / rate:>9.3f} s {size / rate / label_s:>6.2f}x print" for _, rate in LINKS)
            print(f"{name:<20}{visitor:<6}{size:>7}{label_s:>8.2f}{links}")


def roll_call_time(people: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        paper = Path(tmp) / "paper"
        with virtual_printer(paper) as port:
            kiosk = kiosk_for(port, "TM-T20II", Path(tmp) / "data")
            kiosk.printer = open_printer("preview://" + tmp + "/badges")  # sign them in without 300 badges
            for i in range(people):
                kiosk.check_in(name=f"访客{i}", host=HOST, company="华为技术有限公司")
            kiosk.printer = open_printer(f"network://127.0.0.1:{port}?profile=TM-T20II")
            start = time.perf_counter()
            kiosk.print_roll_call(kiosk.in_building())
            elapsed = time.perf_counter() - start
        return elapsed, len(list(paper.glob("job-*.png")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--streams-only", action="store_true", help="only the bytes and link-time tables")
    args = parser.parse_args()
    if args.streams_only:
        stream_table()
        label_table()
        return
    print(f"badge pipeline, {args.runs} check-ins per profile, virtual printer on 127.0.0.1")
    print(f"{'profile':<10}{'width':>6}{'stream':>16}{'pipeline ms':>13}{'paper ms':>10}{'ratio':>7}")
    for profile, width in (("POS-5890", 384), ("TM-T20II", 576)):
        for mode in MODES:
            pipeline, paper = badge_runs(profile, args.runs, mode, width)
            ratio = statistics.median(pipeline) / statistics.median(paper)
            name = mode[0] + (" qr=printer" if mode[1] == "printer" else "")
            print(f"{profile:<10}{width:>6}{name:>16}{statistics.median(pipeline) * 1000:>13.1f}"
                  f"{statistics.median(paper) * 1000:>10.0f}{ratio:>7.3f}")
    print("target: ratio under 0.10")
    stream_table()
    label_table()
    elapsed, pages = roll_call_time(300)
    print(f"roll call of 300 people, 80 mm: {elapsed:.2f} s for {pages} pages (render + send + status)")


if __name__ == "__main__":
    main()
