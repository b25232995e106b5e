"""Scanning badges with a camera where no scanner is attached: frames are read a few times a
second on a thread of its own and decoded with zxing-cpp; a badge held in view is reported
once, not once per frame. Set ``camera`` to the camera's index (0 for the first);
OpenCV reads the frames (``pip install -e '.[camera]'``).

The camera is asked for 1280x720: at 640x480 a badge's QR held 30 cm away has under 1.5 pixels
a module and never decodes (tests/test_camera_scanner.py); the exit post shows the visitor to
hold it 15-20 cm away (kiosk/ui/screens/exit.kv)."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

INTERVAL = 0.2  # seconds between decoded frames: fast enough for a hand, light on the CPU
SAME_BADGE_PAUSE = 3.0  # the same badge seen again within this is the same scan
FRAME_SIZE = (1280, 720)  # asked of the camera; a camera that cannot gives its nearest size


class CameraScanner:
    def __init__(self, frames: Iterable, on_scan: Callable[[str], None], *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.frames = frames
        self.on_scan = on_scan
        self._clock = clock
        self._sleep = sleep
        self._last: tuple[str, float] = ("", float("-inf"))

    def run(self) -> None:
        for frame in self.frames:
            self.look(frame)
            self._sleep(INTERVAL)

    def look(self, frame) -> None:
        """Decode one frame (a PIL image or an array) and report a new badge in it."""
        import zxingcpp

        now = self._clock()
        for found in zxingcpp.read_barcodes(frame):
            text, seen = self._last
            if found.text and (found.text != text or now - seen > SAME_BADGE_PAUSE):
                self.on_scan(found.text)
            if found.text:
                self._last = (found.text, now)


def opencv_frames(index: int):
    """Frames from camera ``index`` as grey arrays, until it stops giving them."""
    import cv2  # optional: opencv-python-headless

    camera = cv2.VideoCapture(index)
    camera.set(cv2.CAP_PROP_FRAME_WIDTH, FRAME_SIZE[0])
    camera.set(cv2.CAP_PROP_FRAME_HEIGHT, FRAME_SIZE[1])
    try:
        while True:
            ok, frame = camera.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    finally:
        camera.release()


def start_camera(index: int, on_scan: Callable[[str], None]) -> threading.Thread:
    thread = threading.Thread(target=CameraScanner(opencv_frames(index), on_scan).run, name="camera", daemon=True)
    thread.start()
    return thread
