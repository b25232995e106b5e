"""The kiosk's warm-up prepares a badge the way the configured printer will print it, and sends
nothing: a Zebra's ZPL (no raster badge at all), an ESC/POS printer's lean stream, a Brother
QL's raster job and the die-cut width search.  What ran is observed with a profiler hook, not
by replacing any of the project's code."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from kiosk.services import Kiosk
from kiosk.settings import Settings
from printer.device import open_printer
from printer.virtual import VirtualPrinter
from tests.test_brother_ql import loaded
from tests.virtual_ql import NetworkQL
from tests.zpl_virtual import VirtualZebra


@contextmanager
def calls() -> list[str]:
    """The names of the project's printer functions called inside the block."""
    seen: list[str] = []

    def hook(frame, event, _arg):
        if event == "call" and f"{Path('printer')}/" in frame.f_code.co_filename.replace("\\", "/"):
            seen.append(frame.f_code.co_name)

    sys.setprofile(hook)
    try:
        yield seen
    finally:
        sys.setprofile(None)


def warmed(url: str, tmp_path: Path) -> list[str]:
    kiosk = Kiosk.open(Settings(data_dir=str(tmp_path / "data"), site="hq", device="k1", printer=url),
                       open_printer(url))
    with calls() as seen:
        kiosk.warm_up()
    return seen


def test_a_zebra_warms_its_zpl_and_never_draws_a_raster_badge(tmp_path):
    with VirtualZebra() as zebra:
        seen = warmed(f"{zebra.url}?dpi=203&label=4x6", tmp_path)
        assert "badge_zpl" in seen and "render_badge" not in seen
        assert zebra.received == bytearray() and zebra.status_questions == 0


def test_an_escpos_printer_warms_its_badge_and_lean_stream_and_sends_nothing(tmp_path):
    with VirtualPrinter(tmp_path / "out") as printer:
        seen = warmed(f"network://127.0.0.1:{printer.port}?profile=POS-5890", tmp_path)
        assert {"render_badge", "encode_page"} <= set(seen)
        assert printer.jobs == []


def test_a_brother_ql_warms_its_raster_job_and_die_cut_width_and_sends_nothing(tmp_path):
    with NetworkQL(loaded("62x100")) as ql:
        seen = warmed(ql.url(model="QL-820NWB", label="62x100"), tmp_path)
        assert {"widest_badge_for", "render_badge", "encode_job"} <= set(seen)
        assert ql.received == b"" and ql.brains == []
