"""The signature pad on the visitor agreement: the visitor signs with a finger; the strokes
are kept with the visit, compactly (points on a 256 x 256 grid, two bytes each, base64)."""

from __future__ import annotations

import base64
import math

from kivy.graphics import Color, Line
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

from kiosk.ui import theme as T

MAX_POINTS = 1200  # about 3 KB of base64: well inside one event's payload limit
MIN_INK = 0.6  # total stroke length, in pad widths, that counts as a signature and not a tap


class SignaturePad(Widget):
    ink = NumericProperty(0.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._strokes: list[list[tuple[float, float]]] = []
        self._lines: list[Line] = []

    @property
    def signed(self) -> bool:
        return self.ink >= MIN_INK

    def clear(self) -> None:
        self._strokes.clear()
        self._lines.clear()
        self.canvas.after.clear()
        self.ink = 0.0

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos) or self._points() >= MAX_POINTS:
            return super().on_touch_down(touch)
        touch.grab(self)
        self._strokes.append([self._relative(touch.pos)])
        with self.canvas.after:
            Color(*T.TEXT)
            self._lines.append(Line(points=list(touch.pos), width=2.2))
        return True

    def on_touch_move(self, touch):
        if touch.grab_current is not self:
            return super().on_touch_move(touch)
        if self.collide_point(*touch.pos) and self._points() < MAX_POINTS:
            last = self._strokes[-1][-1]
            point = self._relative(touch.pos)
            self._strokes[-1].append(point)
            self._lines[-1].points += list(touch.pos)
            self.ink += math.dist(last, point)
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is self:
            touch.ungrab(self)
            return True
        return super().on_touch_up(touch)

    def encoded(self) -> list[str]:
        """One base64 string per stroke, of x, y bytes (0-255, origin bottom left)."""
        return [base64.b64encode(bytes(round(c * 255) for point in stroke for c in point)).decode("ascii")
                for stroke in self._strokes]

    def _relative(self, pos) -> tuple[float, float]:
        x = min(max((pos[0] - self.x) / max(self.width, 1), 0.0), 1.0)
        y = min(max((pos[1] - self.y) / max(self.height, 1), 0.0), 1.0)
        return x, y

    def _points(self) -> int:
        return sum(map(len, self._strokes))
