"""Camera scanning, driven with frames a camera would give: a printed badge photographed
(scaled, rotated, on a grey desk) is reported once while it stays in view, again when shown
again later, and an empty desk reports nothing."""

from datetime import datetime

from PIL import Image, ImageFilter

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


class FakeOpenCV:
    """The camera, at the outside boundary: what the scanner asks of it, and frames."""

    CAP_PROP_FRAME_WIDTH, CAP_PROP_FRAME_HEIGHT = 3, 4

    def __init__(self, frames):
        self.frames, self.asked = list(frames), {}

    def VideoCapture(self, index):  # noqa: N802 - OpenCV's name
        camera = self

        class Capture:
            def set(self, prop, value):
                camera.asked[prop] = value
                return True

            def read(self):
                return (True, camera.frames.pop(0)) if camera.frames else (False, None)

            def release(self):
                pass

        return Capture()

    def cvtColor(self, frame, code):  # noqa: N802
        return frame

    COLOR_BGR2GRAY = 6


def test_the_camera_is_asked_for_1280x720(monkeypatch):
    from kiosk.ui import camera_scanner

    cv2 = FakeOpenCV([photographed_badge()])
    monkeypatch.setitem(__import__("sys").modules, "cv2", cv2)
    seen = []
    CameraScanner(camera_scanner.opencv_frames(0), seen.append, sleep=lambda s: None).run()
    assert (cv2.asked[cv2.CAP_PROP_FRAME_WIDTH], cv2.asked[cv2.CAP_PROP_FRAME_HEIGHT]) == (1280, 720)
    assert seen == [TOKEN]


CAMERA_BLUR_PX = 0.8  # a webcam's lens and demosaicing spread a point over about a pixel (sigma)


def held_at(distance_mm: float, frame: tuple[int, int]) -> Image.Image:
    """A 58 mm badge held ``distance_mm`` from a webcam with a 60 degree field of view. (A sharp
    sensor would read 640x480 at 30 cm too; it is the optics' blur, over 1.4 pixels a module,
    that loses it.)"""
    now = datetime.now().astimezone()
    badge = render_badge(BadgeContent(name="张三", company="华为", host_name="李四", host_department="研发部",
                                      issued_at=now, valid_until=now, badge_number="ABCD-EFGH",
                                      qr_text="VB1" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 4 + "ABCDEFGHIJKLMNOPQRSTUVW"),
                         384).convert("L")
    px_per_mm = frame[0] / (2 * distance_mm * 0.57735)  # tan 30 degrees
    scale = px_per_mm / 8  # the badge has 8 dots a millimetre
    seen = badge.resize((round(badge.width * scale), round(badge.height * scale)), Image.Resampling.BOX)
    desk = Image.new("L", frame, 150)
    desk.paste(seen, ((frame[0] - seen.width) // 2, max(0, (frame[1] - seen.height) // 2)))
    return desk.filter(ImageFilter.GaussianBlur(CAMERA_BLUR_PX))


def test_a_badge_30_cm_away_reads_at_1280x720_and_not_at_640x480():
    for frame, readable in (((1280, 720), True), ((640, 480), False)):
        seen = []
        CameraScanner([], seen.append).look(held_at(300, frame))
        assert bool(seen) is readable, frame
    seen = []
    CameraScanner([], seen.append).look(held_at(175, (1280, 720)))  # where the exit post says to hold it
    assert seen
