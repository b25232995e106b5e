"""The virtual ESC/POS printer, driven over real TCP by the real python-escpos client.

What arrives must be what was sent, pixel for pixel; status bytes must follow Epson's layout;
each kind of misbehaviour (offline, silent, slow, reset mid-job) must be observable by the
sender the way a real printer would show it; and no byte stream may break the server.
A crash inside a connection thread fails the test that caused it (the warning is an error).
"""

import itertools
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import qrcode
import zxingcpp
from escpos.constants import RT_STATUS_ONLINE
from escpos.printer import Dummy, Network
from hypothesis import given, settings, strategies as st
from PIL import Image, ImageOps

from printer import virtual
from printer.escpos_stream import EscPosStream
from printer.virtual import VirtualPrinter

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

ROOT = Path(__file__).resolve().parents[1]

# Epson's DLE EOT 1..4 bytes for each mode, written out by hand from the manual's bit tables.
EXPECTED_STATUS = {
    "ready": (0x12, 0x12, 0x12, 0x12),
    "offline": (0x1A, 0x12, 0x12, 0x12),
    "paper-out": (0x1A, 0x32, 0x12, 0x7E),
    "paper-low": (0x12, 0x12, 0x12, 0x1E),
    "cover-open": (0x1A, 0x16, 0x12, 0x12),
}


@pytest.fixture
def vp(tmp_path):
    with VirtualPrinter(tmp_path / "out") as printer:
        yield printer


def client(printer, profile="TM-T20II") -> Network:
    return Network("127.0.0.1", port=printer.port, timeout=5, profile=profile)


def connect(printer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", printer.port), timeout=5)


def print_image(printer, image, **kwargs) -> None:
    p = client(printer, **kwargs)
    p.image(image, impl="bitImageRaster", fragment_height=256)
    p.cut()
    p.close()


def noise(width, height, seed=1) -> Image.Image:
    """A 1-bit image no parser can get right by accident."""
    data = random.Random(seed).randbytes((width + 7) // 8 * height)
    return Image.frombytes("1", (width, height), data)


def qr_image(text) -> Image.Image:
    code = qrcode.QRCode(box_size=6, border=4)
    code.add_data(text)
    return code.make_image().get_image().convert("1")


def escpos_bytes(action, profile="TM-T20II") -> bytes:
    dummy = Dummy(profile=profile)
    action(dummy)
    return dummy.output


def assert_shows(page, image, top=0):
    """``image`` is on the page at ``top``, and everything else on the page is white."""
    box = (0, top, image.width, top + image.height)
    assert page.crop(box).tobytes() == image.convert("1").tobytes()
    rest = page.copy()
    rest.paste(1, box)
    assert rest.convert("L").getextrema() == (255, 255)


# Printing.

def test_image_arrives_pixel_for_pixel_and_is_saved(vp):
    sent = noise(203, 150)  # not a multiple of 8 wide: python-escpos pads the rows
    print_image(vp, sent)
    job, = vp.wait_for_jobs(1)
    assert job.complete and job.number == 1
    assert job.image.mode == "1" and job.image.width == 208
    assert job.image.height == 150 + 6 * 30  # python-escpos feeds 6 lines before the cut
    assert_shows(job.image, sent)
    assert job.path == vp.out_dir / "job-0001.png"
    saved = Image.open(job.path)
    assert saved.mode == "1" and saved.tobytes() == job.image.tobytes()
    assert job.unknown == [] and job.text == ""


def test_qr_decodes_from_the_png(vp):
    print_image(vp, qr_image("VK1:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"))
    job, = vp.wait_for_jobs(1)
    decoded = zxingcpp.read_barcodes(Image.open(job.path))
    assert [result.text for result in decoded] == ["VK1:MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"]


def test_fragments_reassemble(vp):
    sent = noise(576, 700, seed=2)  # three GS v 0 fragments of 256, 256 and 188 rows
    print_image(vp, sent)
    job, = vp.wait_for_jobs(1)
    assert_shows(job.image.crop((0, 0, 576, 700)), sent)


def test_two_jobs_on_one_connection(vp):
    first, second = noise(384, 64, seed=3), noise(576, 32, seed=4)
    p = client(vp)
    for image in (first, second):
        p.image(image, impl="bitImageRaster", fragment_height=256)
        p.cut()
    p.close()
    jobs = vp.wait_for_jobs(2)
    assert [job.complete for job in jobs] == [True, True]
    assert [job.path.name for job in jobs] == ["job-0001.png", "job-0002.png"]
    assert_shows(jobs[0].image.crop((0, 0, 384, 64)), first)
    assert_shows(jobs[1].image.crop((0, 0, 576, 32)), second)
    assert jobs[0].bytes_received == len(escpos_bytes(lambda d: (d.image(first), d.cut())))


def test_concurrent_connections_keep_their_own_pages(vp):
    a_image, b_image = noise(96, 40, seed=5), noise(160, 24, seed=6)
    a_data, b_data = (escpos_bytes(lambda d, i=i: d.image(i)) for i in (a_image, b_image))
    with connect(vp) as a, connect(vp) as b:
        a.sendall(a_data[:100])
        b.sendall(b_data[:100])
        a.sendall(a_data[100:] + b"\x1dV\x00")
        vp.wait_for_jobs(1)
        b.sendall(b_data[100:] + b"\x1dV\x00")
        jobs = vp.wait_for_jobs(2)
    assert_shows(jobs[0].image, a_image)
    assert_shows(jobs[1].image, b_image)


def test_printer_without_cutter_records_the_job_when_the_connection_closes(vp):
    sent = noise(384, 120, seed=7)
    print_image(vp, sent, profile="POS-5890")  # its cut() only feeds: the profile has no cutter
    job, = vp.wait_for_jobs(1)
    assert not job.complete
    assert job.path.name == "job-0001-incomplete.png"
    assert_shows(job.image.crop((0, 0, 384, 120)), sent)


def test_numbering_continues_after_existing_printouts(tmp_path):
    (tmp_path / "job-0007.png").write_bytes(b"an earlier run")
    with VirtualPrinter(tmp_path) as printer:
        print_image(printer, noise(8, 8))
        job, = printer.wait_for_jobs(1)
    assert job.number == 8 and job.path.name == "job-0008.png"
    assert (tmp_path / "job-0007.png").read_bytes() == b"an earlier run"


# What the kiosk should never send, but must be able to see.

def test_text_and_unknown_commands_are_recorded_without_losing_sync(vp):
    stream = (b"\x1b@Hello\n" + b"\x1b\x7f" + b"\x1d(E\x04\x001A2X" + b"\x1d8L\x03\x00\x00\x00abc"
              + b"\x1b*\x00\x02\x00de" + b"\x00" + b"World\n" + b"\x1dV\x00")
    with connect(vp) as sock:
        sock.sendall(stream)
    job, = vp.wait_for_jobs(1)
    assert job.text == "Hello\nWorld"  # "1A2X", "abc" and "de" were command data, not text
    assert job.unknown == [b"\x1b\x7f", b"\x1d(E\x04\x00", b"\x1d8L\x03\x00\x00\x00", b"\x1b*\x00\x02\x00",
                           b"\x00"]
    assert job.complete and job.bytes_received == len(stream)
    assert job.image.size == (576, 60)
    for line in (0, 1):  # each text line left ink in its own 30-dot band
        assert job.image.crop((0, 30 * line, 576, 30 * line + 30)).convert("L").getextrema() == (0, 255)


def test_python_escpos_native_qr_is_drawn_and_decodes(vp):
    """GS ( k as python-escpos (not our encoder) sends it: the printer draws the symbol."""
    p = client(vp)
    p.qr("VK1:ABC123", native=True, size=6)
    p.cut()
    p.close()
    job, = vp.wait_for_jobs(1)
    assert job.unknown == []
    [found] = zxingcpp.read_barcodes(ImageOps.expand(job.image.convert("L"), 40, fill=255))
    assert found.text == "VK1:ABC123"


def test_a_command_cut_short_by_the_connection_end_is_recorded(vp):
    with connect(vp) as sock:
        sock.sendall(b"Hi\n\x1dv0\x00")
    job, = vp.wait_for_jobs(1)
    assert (job.text, job.unknown, job.complete) == ("Hi", [b"\x1dv0\x00"], False)


def test_python_escpos_text_is_text(vp):
    p = client(vp)
    p.text("VISITOR 42\n")
    p.cut()
    p.close()
    job, = vp.wait_for_jobs(1)
    assert job.text == "VISITOR 42" and job.unknown == []


@pytest.mark.parametrize("send, prefix", [
    (lambda p: p.image(qr_image("X"), impl="graphics"), b"\x1d(L"),
    (lambda p: p.image(qr_image("X"), impl="bitImageColumn"), b"\x1b*"),
], ids=["GS ( L", "ESC *"])
def test_other_image_commands_are_skipped_by_their_length(vp, send, prefix):
    p = client(vp)
    send(p)
    p.cut()
    p.close()
    job, = vp.wait_for_jobs(1)
    assert job.unknown and all(command.startswith(prefix) for command in job.unknown)
    assert job.text == "" and job.image is None  # no image byte leaked out as text
    assert job.complete


# Status.

@pytest.mark.parametrize("mode", EXPECTED_STATUS)
def test_status_bytes_follow_epson(vp, mode):
    vp.mode = mode
    with connect(vp) as sock:
        for n, expected in enumerate(EXPECTED_STATUS[mode], start=1):
            sock.sendall(bytes([0x10, 0x04, n]))
            assert sock.recv(16) == bytes([expected]), f"DLE EOT {n}"


@pytest.mark.parametrize("mode, online, paper", [
    ("ready", True, 2), ("paper-low", True, 1), ("paper-out", False, 0), ("cover-open", False, 2),
])
def test_python_escpos_reads_the_status(vp, mode, online, paper):
    vp.mode = mode
    p = client(vp)
    assert (p.is_online(), p.paper_status()) == (online, paper)
    p.close()


def test_status_is_answered_as_soon_as_its_last_byte_arrives(vp):
    with connect(vp) as sock:
        sock.settimeout(0.1)
        for partial in (b"\x10", b"\x04"):
            sock.sendall(partial)
            with pytest.raises(TimeoutError):
                sock.recv(1)
        sock.sendall(b"\x01")
        assert sock.recv(1) == b"\x12"
        vp.mode = "cover-open"  # a change while connected shows in the next answer
        sock.sendall(b"\x10\x04\x02")
        assert sock.recv(1) == b"\x16"


def test_status_pattern_inside_image_data_is_answered_and_still_printed(vp):
    rows = bytes([0x10, 0x04, 0x01])  # three rows of one byte that happen to spell DLE EOT 1
    with connect(vp) as sock:
        sock.sendall(b"\x1dv0\x00\x01\x00\x03\x00" + rows + b"\x1dV\x00")
        assert sock.recv(1) == b"\x12"  # Epson answers real-time commands even inside image data
    job, = vp.wait_for_jobs(1)
    expected = Image.new("1", (8, 3), 1)
    for y, x in ((0, 3), (1, 5), (2, 7)):
        expected.putpixel((x, y), 0)
    assert_shows(job.image, expected)


def test_double_size_raster_is_scaled(vp):
    with connect(vp) as sock:
        sock.sendall(b"\x1dv0\x03\x01\x00\x01\x00\x80\x1dV\x00")  # m=3: double width and height
    job, = vp.wait_for_jobs(1)
    expected = Image.new("1", (16, 2), 1)
    expected.paste(0, (0, 0, 2, 2))
    assert_shows(job.image, expected)


def test_silent_mode_never_answers_but_prints(vp):
    vp.mode = "silent"
    sent = noise(64, 16, seed=8)
    with connect(vp) as sock:
        sock.sendall(b"\x10\x04\x01")
        sock.settimeout(1)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        sock.sendall(escpos_bytes(lambda d: (d.image(sent, impl="bitImageRaster"), d.cut())))
    job, = vp.wait_for_jobs(1)
    assert_shows(job.image.crop((0, 0, 64, 16)), sent)


def test_status_only_connection_creates_no_job(vp):
    with connect(vp) as sock:
        sock.sendall(b"\x1b@\x10\x04\x01")
        assert sock.recv(1) == b"\x12"
    print_image(vp, noise(8, 8))
    assert len(vp.wait_for_jobs(1)) == 1
    with pytest.raises(TimeoutError):
        vp.wait_for_jobs(2, timeout=0.3)


# Misbehaviour.

@pytest.mark.parametrize("mode", ["offline", "paper-out", "cover-open"])
def test_offline_printer_prints_nothing(vp, mode):
    vp.mode = mode
    p = client(vp)
    p.image(noise(64, 16, seed=9), impl="bitImageRaster")
    p.cut()
    assert p.query_status(RT_STATUS_ONLINE) == b"\x1a"  # answered after the job had arrived
    p.close()
    vp.mode = "ready"
    later = noise(64, 16, seed=10)
    print_image(vp, later)
    job, = vp.wait_for_jobs(1)
    assert job.number == 1
    assert_shows(job.image.crop((0, 0, 64, 16)), later)
    assert sorted(path.name for path in vp.out_dir.iterdir()) == ["job-0001.png"]


def test_paper_low_still_prints(vp):
    vp.mode = "paper-low"
    print_image(vp, noise(64, 16))
    assert vp.wait_for_jobs(1)[0].complete


def test_drop_after_resets_the_connection_and_keeps_what_arrived(vp):
    sent = noise(576, 200, seed=11)
    data = escpos_bytes(lambda d: (d.image(sent, impl="bitImageRaster", fragment_height=256), d.cut()))
    vp.drop_after = 5000
    with connect(vp) as sock:
        sock.sendall(data[:5000])
        job, = vp.wait_for_jobs(1)
        with pytest.raises(ConnectionResetError):  # a reset, not an orderly close
            sock.recv(1)
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            sock.sendall(data[5000:])
    assert not job.complete and job.bytes_received == 5000
    assert job.path.name == "job-0001-incomplete.png"
    rows, rest = divmod(5000 - 8, 72)  # after the 8-byte GS v 0 header, 72 bytes per row
    assert job.image.size == (576, rows + 1)  # the last, partial row is shown too
    partial = sent.crop((0, 0, 576, rows + 1))
    partial.paste(1, (rest * 8, rows, 576, rows + 1))
    assert_shows(job.image, partial)


def test_bytes_per_second_slows_the_sender_down(vp):
    vp.bytes_per_second = 100_000
    payload = b"\x1dv0\x00\x48\x00\x78\x05" + bytes(72 * 1400)  # 100 800 bytes of raster
    with connect(vp) as sock:
        started = time.monotonic()
        sock.sendall(payload + b"\x10\x04\x01")
        assert sock.recv(1) == b"\x12"  # answered only once everything before it was read
        elapsed = time.monotonic() - started
    assert elapsed >= 0.6 * len(payload) / 100_000


def test_idle_connection_is_closed(vp, monkeypatch):
    monkeypatch.setattr(virtual, "IDLE_TIMEOUT", 0.3)
    with connect(vp) as sock:
        sock.sendall(b"\x1dv0\x00\x01\x00\x04\x00\xff\xff")  # two of four rows, then silence
        assert sock.recv(1) == b""  # the printer hung up
    job, = vp.wait_for_jobs(1)
    assert not job.complete and job.image.size == (8, 2)


def test_unknown_mode_is_refused(vp):
    with pytest.raises(ValueError):
        VirtualPrinter(mode="jammed")
    with pytest.raises(ValueError):
        vp.mode = "jammed"


# Hostile input.

@pytest.fixture(scope="module")
def shared_printer(tmp_path_factory):
    with VirtualPrinter(tmp_path_factory.mktemp("hostile")) as printer:
        yield printer


@settings(max_examples=30, deadline=None)
@given(garbage=st.binary(max_size=3000))
def test_garbage_never_breaks_the_server(shared_printer, garbage):
    with connect(shared_printer) as sock:
        sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):  # status answers to stray DLE EOT, then the printer's close
            pass
    with connect(shared_printer) as sock:
        sock.sendall(b"\x10\x04\x01")
        assert sock.recv(1) == b"\x12"


COMMANDS = [
    b"\x1dv0\x00\x01\x00\x02\x00\xf0\x0f", b"\x1dv0\x03\x02\x00\x01\x00\xaa\x55", b"\x1dV\x00",
    b"\x1dVA\x05", b"\x1bd\x02", b"\x1bJ\x10", b"Hi \xd6\xd0", b"\n", b"\x10\x04\x01", b"\x1b@",
    b"\x1d(L\x02\x0001", b"\x1d8L\x01\x00\x00\x00x", b"\x1b*\x00\x02\x00\x01\x02", b"\x1bi",
    b"\x1dkA\x02ab", b"\x10\x14\x01\x00\x01",
]


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.one_of(st.sampled_from(COMMANDS), st.binary(max_size=12)), max_size=40),
       sizes=st.lists(st.integers(1, 16), min_size=1, max_size=10))
def test_a_stream_means_the_same_however_it_is_split(pieces, sizes):
    data = b"".join(pieces)
    whole = EscPosStream()
    expected = whole.feed(data) + [whole.close()]
    split, got, at = EscPosStream(), [], 0
    for size in itertools.cycle(sizes):
        if at >= len(data):
            break
        got += split.feed(data[at:at + size])
        at += size
    got.append(split.close())
    assert [summary(page) for page in got] == [summary(page) for page in expected]
    assert sum(page.received for page in expected[:-1]) + whole.page.received == len(data)


def summary(page):
    if page is None:
        return None
    image = page.render()
    return (page.received, page.cut, page.text, page.unknown, page.height,
            image and (image.size, image.tobytes()))


# The console command.

def test_serve_prints_one_line_per_job(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from printer.virtual import serve; serve(0, sys.argv[1])",
         str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r":(\d+) ", proc.stdout.readline()).group(1))
        p = Network("127.0.0.1", port=port, timeout=5, profile="TM-T20II")
        p.image(noise(64, 16), impl="bitImageRaster")
        p.cut()
        p.close()
        line = proc.stdout.readline()
        assert line.startswith("job 1: 64x196 dots") and "job-0001.png" in line and "complete" in line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
