"""What a person with average or weak sight can read and hit on a screen as drawn: the
contrast of every visible text against what it is actually drawn on (WCAG 2 relative
luminance, AA: at least 4.5:1, disabled states included), and the size of every touch target
(at least 12 mm at 150 px/inch, 71 px, in both axes).

The background is found from the canvases as Kivy draws them: the window's clear colour, then
every filled rectangle (Rectangle, RoundedRectangle, a Button's BorderImage) under the text's
centre in the canvas of each of its ancestors, outermost first, and the label's own before its
text; each blended by its Color's alpha times the opacity of its widget and every ancestor, as
OpenGL blends them. The text is blended the same way (``disabled_color`` when disabled)."""

from __future__ import annotations

from kivy.core.window import Window
from kivy.graphics import (BorderImage, Canvas, Color, InstructionGroup, Rectangle, RoundedRectangle, StencilPop,
                           StencilPush, StencilUnUse, StencilUse)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.relativelayout import RelativeLayout

from kiosk.ui.keyboard import KEY_MIN
from tests.ui.driver import _shown

MIN_CONTRAST = 4.5
MIN_TARGET_PX = KEY_MIN  # 12 mm at 150 px/inch; the tests' window has 1 dp = 1 px


def relative_luminance(rgb) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(over, under, alpha: float) -> tuple[float, float, float]:
    return tuple(o * alpha + u * (1 - alpha) for o, u in zip(over[:3], under[:3]))


def _opacity(widget) -> float:
    """The opacity a widget is drawn with: its own times every ancestor's."""
    value, node = 1.0, widget
    while node is not None and node is not node.parent:
        value *= getattr(node, "opacity", 1)
        node = node.parent
    return value


def _chain(widget) -> list:
    """The widget's ancestors, outermost first, then the widget."""
    chain, node = [], widget
    while node is not None and node is not node.parent and node is not Window:
        chain.append(node)
        node = node.parent
    return chain[::-1]


def _drawing_point(widget, window_point):
    """The point in the coordinates the widget's own canvas draws in: its parent's, except a
    RelativeLayout's (its canvas.before translates to its position before our rules draw)."""
    if isinstance(widget, RelativeLayout):
        return widget.to_widget(*window_point)
    parent = widget.parent
    if parent is None or parent is Window or parent is widget:
        return window_point
    return parent.to_widget(*window_point)


def _instructions(group):
    """The widget's own instructions in drawing order (canvas.before, canvas, canvas.after),
    without its children's: each child's canvas is a Canvas nested in its parent's."""
    for instruction in group.children:
        if isinstance(instruction, Canvas):
            continue
        if isinstance(instruction, InstructionGroup):
            yield from _instructions(instruction)
        else:
            yield instruction


def _image(shape) -> bool:
    """A picture or a text: a texture other than the plain white one every fill carries."""
    texture = shape.texture
    return texture is not None and texture.id != Rectangle().texture.id


def _covers(shape, point) -> bool:
    (x, y), (w, h) = shape.pos, shape.size
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def background_of(label) -> tuple[float, float, float]:
    """The colour under the label's centre, as the canvases of its ancestors and its own
    canvas up to its text paint it."""
    colour = tuple(Window.clearcolor[:3])
    centre = label.to_window(*label.center)
    for widget in _chain(label):
        point, opacity, paint = _drawing_point(widget, centre), _opacity(widget), (1, 1, 1, 1)
        masking = False  # drawing a stencil mask (a StencilView's clip), not colour
        for instruction in _instructions(widget.canvas):
            if isinstance(instruction, (StencilPush, StencilUnUse)):
                masking = True
            elif isinstance(instruction, (StencilUse, StencilPop)):
                masking = False
            elif isinstance(instruction, Color):
                paint = instruction.rgba
            elif isinstance(instruction, (Rectangle, RoundedRectangle, BorderImage)) and not masking:
                if widget is label and instruction.texture is label.texture:
                    return colour  # the text itself: everything under it is painted
                if not _image(instruction) and _covers(instruction, point):
                    colour = blend(paint, colour, paint[3] * opacity)
    return colour


def text_colour(label, background) -> tuple[float, float, float]:
    colour = label.disabled_color if label.disabled else label.color
    return blend(colour, background, colour[3] * _opacity(label))


def contrast_problems(root) -> list[str]:
    found = []
    for label in root.walk():
        if not (isinstance(label, Label) and label.text.strip() and _shown(label)):
            continue
        under = background_of(label)
        ratio = contrast_ratio(text_colour(label, under), under)
        if ratio < MIN_CONTRAST:
            state = " (disabled)" if label.disabled else ""
            found.append(f"contrast {ratio:.2f}:1 under {MIN_CONTRAST}:1{state}: {label.text!r}")
    return found


def target_problems(root) -> list[str]:
    """Every button shown (enabled or not: a disabled key is enabled a moment later) at least
    MIN_TARGET_PX in both axes."""
    found = []
    for widget in root.walk():
        if isinstance(widget, ButtonBehavior) and _shown(widget) and widget.width > 0 and widget.height > 0:
            if widget.width < MIN_TARGET_PX - 0.5 or widget.height < MIN_TARGET_PX - 0.5:
                found.append(f"target {widget.width:.0f}x{widget.height:.0f} under {MIN_TARGET_PX} px: "
                             f"{getattr(widget, 'text', '') or type(widget).__name__!r}")
    return found
