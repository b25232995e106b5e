"""Charts drawn on the server as SVG: bars (categories, read left to right with their names
beside them; or columns, as hours of the day) and lines (counts over time). No JavaScript:
the page shows the SVG as is, and the same file is the download.

Labels are text, set in the browser's own fonts (system-ui, then the common Chinese UI fonts),
escaped: a host named ``<script>`` is drawn as those characters. Widths are estimated (a Han
character is one em, other characters about 0.6) to leave room for labels and cut off (…) the
ones that would not fit.
"""

from __future__ import annotations

import unicodedata
from typing import Sequence
from xml.sax.saxutils import escape

FONT = "system-ui, -apple-system, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
INK, BAR, GRID, MUTED = "#1f2933", "#2f6fde", "#d9dee5", "#52606d"
FONT_PX = 13
MAX_LABEL_EM = 12

Series = Sequence[tuple[str, int | float]]


def text_em(text: str) -> float:
    """Estimated width of ``text`` in em: wide (CJK) characters 1, others 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def fitted(text: str, most_em: float = MAX_LABEL_EM) -> str:
    """``text`` cut to ``most_em`` em, ending in … when cut."""
    if text_em(text) <= most_em:
        return text
    out, width = "", 0.0
    for ch in text:
        width += text_em(ch)
        if width > most_em - 1:
            return out + "…"
        out += ch
    return out


def _number(value: float) -> str:
    return f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" font-family="{FONT}" font-size="{FONT_PX}">'
            f"<title>{escape(title)}</title>"
            f'<rect width="{width}" height="{height}" fill="#fff"/>'
            f'<text x="12" y="22" font-size="15" font-weight="600" fill="{INK}">{escape(title)}</text>'
            + "".join(body) + "</svg>")


def _nice_max(value: float) -> float:
    """A round axis end at or above ``value`` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for m in (1, 2, 5, 10):
        if m * step >= value:
            return m * step
    return 10 * step


def bar_chart(title: str, series: Series, *, width: int = 640) -> str:
    """Horizontal bars, one per category, its name to the left and its count at the end."""
    label_px = int(min(max((text_em(label) for label, _ in series), default=4), MAX_LABEL_EM) * FONT_PX) + 16
    row, top = 24, 40
    height = top + row * max(len(series), 1) + 12
    most = _nice_max(max((v for _, v in series), default=0))
    room = width - label_px - 70
    body = []
    for n, (label, value) in enumerate(series):
        y = top + n * row
        w = max(room * value / most, 1 if value else 0)
        body.append(f'<text x="{label_px - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">'
                    f"{escape(fitted(label))}<title>{escape(label)}</title></text>"
                    f'<rect x="{label_px}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>'
                    f'<text x="{label_px + w + 6:.1f}" y="{y + 16}" fill="{MUTED}">{_number(value)}</text>')
    if not series:
        body.append(f'<text x="12" y="{top + 16}" fill="{MUTED}">—</text>')
    return _svg(width, height, title, body)


def column_chart(title: str, series: Series, *, width: int = 640, height: int = 240) -> str:
    """Vertical columns over short labels (hours, stars), the count above each."""
    left, top, bottom = 40, 40, 28
    plot_h = height - top - bottom
    most = _nice_max(max((v for _, v in series), default=0))
    slot = (width - left - 12) / max(len(series), 1)
    body = _axis(left, top, width - 12, plot_h, most)
    for n, (label, value) in enumerate(series):
        x = left + n * slot
        h = plot_h * value / most
        body.append(f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)}: {_number(value)}</title></rect>'
                    f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" fill="{INK}">'
                    f"{escape(fitted(label, slot / (FONT_PX * 0.9)))}</text>")
    return _svg(width, height, title, body)


def line_chart(title: str, series: Series, *, width: int = 640, height: int = 240) -> str:
    """Counts over time: a line through the points, every n-th label shown so none overlap."""
    left, top, bottom = 40, 40, 28
    plot_w, plot_h = width - left - 16, height - top - bottom
    most = _nice_max(max((v for _, v in series), default=0))
    body = _axis(left, top, width - 12, plot_h, most)
    if series:
        step = plot_w / max(len(series) - 1, 1)
        points = [(left + n * step, top + plot_h - plot_h * value / most) for n, (_, value) in enumerate(series)]
        body.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        label_em = max(text_em(label) for label, _ in series) + 1
        every = max(1, int(label_em * FONT_PX * 0.9 / max(step, 1)) + 1)
        for n, ((label, value), (x, y)) in enumerate(zip(series, points)):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{BAR}">'
                        f"<title>{escape(label)}: {_number(value)}</title></circle>")
            if n % every == 0:
                body.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" fill="{INK}" '
                            f'font-size="11">{escape(label)}</text>')
    return _svg(width, height, title, body)


def _axis(left: int, top: int, right: int, plot_h: int, most: float) -> list[str]:
    """Horizontal grid lines at 0, half and the top, numbered."""
    lines = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h - plot_h * fraction
        lines.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" font-size="11">'
                     f"{_number(most * fraction)}</text>")
    return lines
