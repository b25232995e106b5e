"""The temporary visitor access card (临时访客卡) as a 1-bit raster for a thermal printer.

Chinese text reaches the printer as an image, so the whole badge is laid out here with
Pillow: a black header band, the visitor's name large, company, host, times, the signed QR
code that the exit post scans, the badge number and a sign-out reminder.  Every text is
fitted to the paper (shrink, then wrap, then ellipsize: printer/textfit.py) so no input can push anything off
the edge, and the QR is drawn at whole dots per module with a full quiet zone so cheap
scanners read it on the first try.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from PIL import Image, ImageDraw

from printer.errors import BadgeLayoutError
from printer.fonts import font
from printer.raster import BASE_DPI, canvas, module_dots, qr_code, rule, stack, to_1bit, when
from printer.textfit import FittedText, fit_text, size_for_height

BADGE_WIDTHS = (384, 512, 576)

_REFERENCE_WIDTH = 576  # sizes below are designed at 80 mm and scaled for narrower paper
_MARGIN = 8
_QR_WIDTH_SHARE = 0.8
# What a guard must read from a metre away, in dots at 203 dpi: 4 mm (32 dots) for the capitals
# of the name and for the digits of the expiry time.
_READ_AT_A_METRE = 32
# A QR at 6 dots (0.75 mm) a module survives blur and fading that 5 dots do not (README, "Badge
# QR under blur"); level Q where the token still fits at that size, else M.  In millimetres, so
# that a 300 dpi label printer gets 9 dots where a 203 dpi receipt printer gets 6.
QR_BADGE_MIN_MM = 0.75
QR_BADGE_MIN_DOTS = module_dots(QR_BADGE_MIN_MM, BASE_DPI)
QR_BADGE_LEVELS = ("Q", "M")

# Every badge speaks the visitor's language and, for the guard, Simplified Chinese and English:
# each label is (the visitor's language, the guard's gloss).  The title is the visitor type,
# always in Simplified Chinese and English, since it is the guard who reads it.
_LABELS = {
    "zh_CN": {
        "host": ("被访人", "Host"),
        "visit": ("来访时间", "Visit"),
        "valid": ("有效至", "Valid until"),
        "footer": ("离开时请在出口扫码签退", "Scan at exit when leaving"),
        "escort": ("需陪同", "ESCORT REQUIRED"),
    },
    "zh_TW": {
        "host": ("受訪人", "被访人 Host"),
        "visit": ("來訪時間", "来访时间 Visit"),
        "valid": ("有效至", "Valid until"),
        "footer": ("離開時請在出口掃碼簽退", "Scan at exit when leaving"),
        "escort": ("需陪同", "ESCORT REQUIRED"),
    },
    "en": {
        "host": ("Host", "被访人"),
        "visit": ("Visit", "来访时间"),
        "valid": ("Valid until", "有效至"),
        "footer": ("Scan at exit when leaving", "离开时请在出口扫码签退"),
        "escort": ("需陪同", "ESCORT REQUIRED"),
    },
}

# The short names a guard reads at a glance, for the default policy's visitor types; a site's
# own types print the labels its policy gives them (see type_labels).
VISITOR_TYPES = {
    "guest": ("访客", "Visitor"),
    "contractor": ("施工", "Contractor"),
    "interview": ("面试", "Interview"),
    "delivery": ("送货", "Delivery"),
}


def type_labels(key: str, policy_labels=None) -> tuple[str, str]:
    """(Chinese, English) for the badge's title: a default type's short name, else the
    policy's own zh_CN and en labels, else those of a guest."""
    if key in VISITOR_TYPES or not policy_labels:
        return VISITOR_TYPES.get(key, VISITOR_TYPES["guest"])
    return (policy_labels.get("zh_CN") or VISITOR_TYPES["guest"][0],
            policy_labels.get("en") or VISITOR_TYPES["guest"][1])


@dataclass(frozen=True)
class BadgeContent:
    """What a badge shows.  Times are timezone-aware and shown in their own zone."""

    name: str
    company: str
    host_name: str
    host_department: str
    issued_at: datetime
    valid_until: datetime
    badge_number: str
    qr_text: str
    organisation: str = ""
    lang: str = "zh_CN"
    visitor_type: tuple[str, str] = VISITOR_TYPES["guest"]  # (Chinese, English): type_labels()
    escort: bool = False  # the visitor type says they must be escorted: shown in the header band

    def __post_init__(self):
        if self.lang not in _LABELS:
            raise ValueError(f"badge language {self.lang!r} is not one of {sorted(_LABELS)}")
        for field in ("issued_at", "valid_until"):
            if getattr(self, field).tzinfo is None:
                raise ValueError(f"BadgeContent.{field} must be timezone-aware")


def render_badge(content: BadgeContent, width: int, *, dpi: int = BASE_DPI) -> Image.Image:
    """The badge as a mode "1" image exactly ``width`` dots wide (the printable width), for a
    printer of ``dpi`` dots an inch (the QR's modules are sized in millimetres)."""
    if width < 256:
        raise ValueError(f"badge width {width} is narrower than any receipt printer (>= 256 dots)")
    scale = _Scale(width)
    above_qr = [
        _header(content, scale),
        scale.px(22),
        _identity(content, scale),
        scale.px(18),
        rule(scale.width, 2, _MARGIN),
        scale.px(16),
        _details(content, scale),
    ]
    qr_section = _qr_section(content, scale, dpi)
    parts = above_qr + [
        qr_section,
        rule(scale.width, 2, _MARGIN),
        scale.px(12),
        _footer(content, scale),
        scale.px(28),
    ]
    image = to_1bit(stack(parts, width))
    # For printers that draw QR codes and text themselves (printer/escpos_lean.py): what the
    # badge says and where its QR sits, quiet zone included. Pillow keeps it off saved PNGs.
    qr = qr_section.info["qr"]
    image.info["badge"] = content
    image.info["layout_size"] = image.size  # Pillow copies info to derived images: see escpos_lean
    image.info["qr"] = QrPlacement(top=stack_height(above_qr) + qr.top, text=content.qr_text, level=qr.level,
                                   dots=qr.dots, modules=qr.modules)
    return image


@dataclass(frozen=True)
class QrPlacement:
    """A QR drawn on a page: its top row (where the quiet zone starts), text, error-correction
    level, dots a module and modules across (quiet zone of 4 modules each side included)."""

    top: int
    text: str
    level: str
    dots: int
    modules: int

    @property
    def height(self) -> int:
        return self.dots * self.modules


def stack_height(parts: list) -> int:
    return sum(p if isinstance(p, int) else p.height for p in parts)



class _Scale:
    """Sizes designed for 576 dots, scaled to the paper but never below a legible floor."""

    def __init__(self, width: int):
        self.width = width
        self.inner = width - 2 * _MARGIN

    def px(self, base: int, floor: int = 0) -> int:
        return max(floor, round(base * self.width / _REFERENCE_WIDTH))


def _header(content: BadgeContent, s: _Scale) -> Image.Image:
    chinese, english = content.visitor_type
    title = fit_text(f"{chinese} {english.upper()}", s.inner, max_size=s.px(44, 30), min_size=s.px(28, 22),
                     max_lines=1, bold=True, lang=content.lang)
    org = fit_text(content.organisation, s.inner, max_size=s.px(22, 17), min_size=s.px(18, 15),
                   max_lines=1, lang=content.lang)
    escort = _escort_mark(content, s)
    pad = s.px(14)
    gap = s.px(6) if org.lines else 0
    escort_gap = s.px(8) if escort else 0
    escort_height = escort.height if escort else 0
    image = canvas(s.width, pad + title.height + escort_gap + escort_height + gap + org.height + pad, fill=0)
    draw = ImageDraw.Draw(image)
    title.draw(draw, _MARGIN, pad, s.inner, center=True, fill=255)
    top = pad + title.height + escort_gap
    if escort:
        image.paste(escort, ((s.width - escort.width) // 2, top))
    org.draw(draw, _MARGIN, top + escort_height + gap, s.inner, center=True, fill=255)
    return image


def _escort_mark(content: BadgeContent, s: _Scale) -> Image.Image | None:
    """"Escort required" as black on a white box inside the black band: it stands out from
    the visitor type above it, and a guard sees it before reading a word."""
    if not content.escort:
        return None
    text = fit_text(" ".join(_LABELS[content.lang]["escort"]), s.inner - 2 * s.px(12, 8),
                    max_size=s.px(30, 24), min_size=s.px(20, 18), max_lines=1, bold=True, lang=content.lang)
    box_pad = s.px(8, 6)
    box = canvas(round(text.font.getlength(text.lines[0])) + 2 * s.px(12, 8), text.height + 2 * box_pad)
    text.draw(ImageDraw.Draw(box), 0, box_pad, box.width, center=True)
    return box


def _identity(content: BadgeContent, s: _Scale) -> Image.Image:
    # Capitals at least 4 mm high on every paper width: a long name wraps (up to 3 lines)
    # rather than shrinking below what a guard reads at a metre.
    smallest = size_for_height(_READ_AT_A_METRE, "H", bold=True, lang=content.lang)
    fit_name = partial(fit_text, content.name, s.inner, max_size=max(s.px(72, 50), smallest + 4),
                       min_size=smallest, wrap_below=max(s.px(48, 36), smallest), bold=True, lang=content.lang)
    name = fit_name(max_lines=2)
    if name.truncated:  # a third line only if it then fits whole: an endless name stays at two
        whole = fit_name(max_lines=3)
        name = name if whole.truncated else whole
    company = fit_text(content.company, s.inner, max_size=s.px(32, 24), min_size=s.px(24, 20),
                       max_lines=2, lang=content.lang)
    gap = s.px(10) if company.lines else 0
    image = canvas(s.width, name.height + gap + company.height)
    draw = ImageDraw.Draw(image)
    name.draw(draw, _MARGIN, 0, s.inner, center=True)
    company.draw(draw, _MARGIN, name.height + gap, s.inner, center=True)
    return image


def _details(content: BadgeContent, s: _Scale) -> Image.Image:
    """Label/value rows: host (and department), visit time, valid until."""
    labels = _LABELS[content.lang]
    # Primary label (Chinese, or the only English one) and its smaller English gloss.
    label_fonts = (font(s.px(22, 18), lang=content.lang), font(s.px(16, 14), lang=content.lang))
    label_width = max(f.getlength(text) for key in ("host", "visit", "valid")
                      for f, text in zip(label_fonts, labels[key]))
    value_x = _MARGIN + round(label_width) + s.px(18)
    value_width = s.width - _MARGIN - value_x

    def value(text, size, floor, *, bold=False, lines=2):
        return fit_text(text, value_width, max_size=s.px(size, floor), min_size=s.px(20, 16),
                        max_lines=lines, bold=bold, lang=content.lang)

    rows = [
        ("host", [value(content.host_name, 30, 22, bold=True), value(content.host_department, 24, 18)]),
        ("visit", [value(when(content.issued_at), 26, 19, lines=1)]),
        ("valid", _expiry(content, value_width)),
    ]
    rendered = []
    for key, values in rows:
        values = [v for v in values if v.lines]  # an empty value drops its line, or its row
        if values:
            label = [FittedText(f, (text,)) for f, text in zip(label_fonts, labels[key])]
            rendered.append(_row(label, values, value_x, value_width, s))
    return stack(_interleave(rendered, s.px(14)), s.width)


def _expiry(content: BadgeContent, width: int) -> list[FittedText]:
    """The time the badge expires, its digits 4 mm high, and the date under it."""
    size = size_for_height(_READ_AT_A_METRE, "0123456789", bold=True, lang=content.lang)
    moment = content.valid_until
    time_text = FittedText(font(size, bold=True, lang=content.lang), (moment.strftime("%H:%M"),))
    date = fit_text(moment.strftime("%Y-%m-%d"), width, max_size=max(20, size // 2), min_size=16, max_lines=1,
                    bold=True, lang=content.lang)
    return [time_text, date]


def _row(label: list[FittedText], values: list[FittedText], value_x: int, value_width: int,
         s: _Scale) -> Image.Image:
    # Top-align the two columns on their first baselines, not their boxes.
    label_top = max(0, values[0].ascent - label[0].ascent)
    value_top = max(0, label[0].ascent - values[0].ascent)
    height = max(label_top + _column_height(label, s.px(2)),
                 value_top + _column_height(values, s.px(4)))
    image = canvas(s.width, height)
    draw = ImageDraw.Draw(image)
    _draw_column(draw, label, _MARGIN, label_top, value_x - _MARGIN, s.px(2))
    _draw_column(draw, values, value_x, value_top, value_width, s.px(4))
    return image


def _column_height(texts: list[FittedText], gap: int) -> int:
    return sum(t.height for t in texts) + gap * (len(texts) - 1)


def _draw_column(draw, texts: list[FittedText], x: int, top: int, width: int, gap: int) -> None:
    for text in texts:
        text.draw(draw, x, top, width)
        top += text.height + gap


def _qr_section(content: BadgeContent, s: _Scale, dpi: int) -> Image.Image:
    """The QR with its quiet zone (which doubles as spacing), and the badge number under it."""
    qr = _qr_image(content.qr_text, s.width, dpi)
    number = fit_text(f"No. {content.badge_number}", s.inner, max_size=s.px(28, 22),
                      min_size=s.px(18, 16), max_lines=1, bold=True, lang=content.lang)
    image = canvas(s.width, qr.height + number.height + s.px(16))
    image.paste(qr, ((s.width - qr.width) // 2, 0))
    number.draw(ImageDraw.Draw(image), _MARGIN, qr.height, s.inner, center=True)
    image.info["qr"] = QrPlacement(top=0, text=content.qr_text, level=qr.info["qr_level"],
                                   dots=qr.info["qr_dots"], modules=qr.info["qr_modules"])
    return image


def _qr_image(qr_text: str, width: int, dpi: int = BASE_DPI) -> Image.Image:
    """The code and its quiet zone, as large as fits in ~80 % of the paper: level Q at 0.75 mm
    a module or more where it fits, else M; only a payload longer than any badge token falls
    back to smaller modules (4 dots at least)."""
    # The white quiet zone may run into the margins, so the full width is the true limit.
    badge_min = module_dots(QR_BADGE_MIN_MM, dpi)
    attempts = [(level, room, badge_min) for level in QR_BADGE_LEVELS
                for room in (int(width * _QR_WIDTH_SHARE), width)]
    attempts.append(("M", width, None))
    for level, room, min_dots in attempts[:-1]:
        try:
            return qr_code(qr_text, room, min_dots=min_dots, level=level, dpi=dpi)
        except BadgeLayoutError:
            continue
    # Beyond this qr_code refuses the badge, which is better than one the exit post cannot read.
    level, room, min_dots = attempts[-1]
    return qr_code(qr_text, room, min_dots=min_dots, level=level, dpi=dpi)


def _footer(content: BadgeContent, s: _Scale) -> Image.Image:
    """The sign-out reminder: one line when it fits, else one line per language."""
    parts = _LABELS[content.lang]["footer"]
    sizes = dict(max_size=s.px(21, 17), min_size=s.px(18, 15), lang=content.lang)
    # One line only when it fits with room to spare: edge to edge it reads as clutter.
    joined = fit_text(" / ".join(parts), round(s.inner * 0.9), max_lines=1, **sizes)
    if joined.truncated or joined.font.size < sizes["max_size"]:
        texts = [fit_text(part, s.inner, max_lines=2, **sizes) for part in parts]
    else:
        texts = [joined]
    image = canvas(s.width, _column_height(texts, s.px(2)))
    top = 0
    for text in texts:
        text.draw(ImageDraw.Draw(image), _MARGIN, top, s.inner, center=True)
        top += text.height + s.px(2)
    return image


def _interleave(images: list[Image.Image], gap: int) -> list:
    parts: list = []
    for i, image in enumerate(images):
        parts += [gap, image] if i else [image]
    return parts
