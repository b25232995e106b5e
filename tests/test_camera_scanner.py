"""Camera scanning, driven with frames a camera would give: a printed badge photographed
(scaled, rotated, on a grey desk) is reported once while it stays in view, again when shown
again later, and an empty desk reports nothing."""

from datetime import datetime

from PIL import Image

from kiosk.ui.camera_scanner import SAME_BADGE_PAUSE, CameraScanner
from printer.badge import BadgeContent, render_badge

TOKEN = "VB1" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 4


def photographed_badge() -> Image.Image:
    now = datetime.now().astimezone()
    badge = render_badge(BadgeContent(name="张三", company="华为", host_name="李四", host_department="研发部",
                                      issued_at=now, valid_until=now, badge_number="ABCD-EFGH", qr_text=TOKEN),
                         384).convert("L")
    desk = Image.new("L", (1280, 720), 150)
    held = badge.rotate(8, expand=True, fillcolor=150)
    desk.paste(held, (400, 700 - held.height))  # the QR end of the badge, held up to the camera
    return desk


def test_a_badge_in_view_is_reported_once_and_again_after_a_pause():
    now = [0.0]
    seen = []
    scanner = CameraScanner([], seen.append, clock=lambda: now[0])
    badge, empty = photographed_badge(), Image.new("L", (1280, 720), 150)
    for frame in (empty, badge, badge, badge, empty):
        scanner.look(frame)
        now[0] += 0.2
    assert seen == [TOKEN]
    now[0] += SAME_BADGE_PAUSE + 0.1
    scanner.look(badge)
    assert seen == [TOKEN, TOKEN]


def test_run_reads_every_frame_it_is_given():
    seen = []
    CameraScanner([photographed_badge()], seen.append, sleep=lambda s: None).run()
    assert seen == [TOKEN]
