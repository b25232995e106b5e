"""The invitation card: the picture a visitor receives by email and shows the kiosk from a phone.

Laid out with the badge's tools (fonts, fitting, the QR with its full quiet zone) but for a
screen: greyscale, wider, the QR at 4 to 8 pixels a module so that a kiosk camera reads it off a
phone held at arm's length. Every text is fitted (shrunk, wrapped, then ellipsized), so no name
pushes anything off the card; the QR text itself is never cut, so nothing needed to sign in is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageDraw

from printer.badge import FittedText, fit_text
from printer.raster import canvas, qr_code, rule, stack, when

WIDTH = 600
_MARGIN = 20
_INNER = WIDTH - 2 * _MARGIN
_LABEL_WIDTH = 140
_GREY = 110

TITLE = ("访客邀请", "VISITOR INVITATION")
LABELS = {"host": "被访人 Host", "when": "时间 When", "where": "地点 Where", "purpose": "事由 Purpose"}
INSTRUCTIONS = ("在访客机上扫描此二维码", "Scan this QR code at the visitor kiosk")


@dataclass(frozen=True)
class InvitationCard:
    """What the card shows; times are timezone-aware and shown in their own zone."""

    name: str
    company: str
    host: str  # with the department, when there is one
    site: str
    purpose: str
    valid_from: datetime
    expires: datetime
    text: str  # the signed invitation, in the QR


def window(start: datetime, end: datetime) -> str:
    """2024-05-01 09:00 – 21:00 (UTC+08:00): the end's date only when it differs."""
    until = end.strftime("%H:%M") if end.date() == start.date() else when(end)
    offset = start.strftime("%z")
    return f"{when(start)} – {until} (UTC{offset[:3]}:{offset[3:]})"


def render_card(card: InvitationCard) -> Image.Image:
    """The card as a greyscale image WIDTH pixels wide."""
    parts = [_header(), 24, _identity(card), 20, rule(WIDTH, 2, _MARGIN), 16]
    for key, value in (("host", card.host), ("when", window(card.valid_from, card.expires)),
                       ("where", card.site), ("purpose", card.purpose)):
        if value:
            parts += [_row(LABELS[key], value), 10]
    parts += [6, _qr(card.text), _footer(), 24]
    return stack(parts, WIDTH)


def card_png(card: InvitationCard) -> bytes:
    out = io.BytesIO()
    render_card(card).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _header() -> Image.Image:
    title = fit_text(TITLE[0], _INNER, max_size=44, min_size=30, max_lines=1, bold=True)
    gloss = fit_text(TITLE[1], _INNER, max_size=20, min_size=16, max_lines=1)
    image = canvas(WIDTH, 18 + title.height + 8 + gloss.height + 18, fill=0)
    draw = ImageDraw.Draw(image)
    title.draw(draw, _MARGIN, 18, _INNER, center=True, fill=255)
    gloss.draw(draw, _MARGIN, 18 + title.height + 8, _INNER, center=True, fill=255)
    return image


def _identity(card: InvitationCard) -> Image.Image:
    name = fit_text(card.name, _INNER, max_size=56, min_size=32, wrap_below=40, max_lines=2, bold=True)
    company = fit_text(card.company, _INNER, max_size=26, min_size=18, max_lines=2)
    gap = 10 if company.lines else 0
    image = canvas(WIDTH, name.height + gap + company.height)
    draw = ImageDraw.Draw(image)
    name.draw(draw, _MARGIN, 0, _INNER, center=True)
    company.draw(draw, _MARGIN, name.height + gap, _INNER, center=True, fill=_GREY)
    return image


def _row(label: str, value: str) -> Image.Image:
    """A small grey label and its value beside it, aligned on their first baselines."""
    width = _INNER - _LABEL_WIDTH
    shown = fit_text(label, _LABEL_WIDTH - 10, max_size=18, min_size=12, max_lines=1)
    text = fit_text(value, width, max_size=24, min_size=16, max_lines=2, bold=True)
    label_top = max(0, text.ascent - shown.ascent)
    image = canvas(WIDTH, max(label_top + shown.height, text.height))
    draw = ImageDraw.Draw(image)
    shown.draw(draw, _MARGIN, label_top, _LABEL_WIDTH, fill=_GREY)
    text.draw(draw, _MARGIN + _LABEL_WIDTH, 0, width)
    return image


def _qr(text: str) -> Image.Image:
    """The code, its quiet zone drawn in (which doubles as spacing), centred on the card."""
    code = qr_code(text, _INNER)
    image = canvas(WIDTH, code.height)
    image.paste(code, ((WIDTH - code.width) // 2, 0))
    return image


def _footer() -> Image.Image:
    texts: list[FittedText] = [fit_text(INSTRUCTIONS[0], _INNER, max_size=24, min_size=18, max_lines=1, bold=True),
                               fit_text(INSTRUCTIONS[1], _INNER, max_size=18, min_size=14, max_lines=1)]
    image = canvas(WIDTH, texts[0].height + 6 + texts[1].height)
    draw = ImageDraw.Draw(image)
    texts[0].draw(draw, _MARGIN, 0, _INNER, center=True)
    texts[1].draw(draw, _MARGIN, texts[0].height + 6, _INNER, center=True, fill=_GREY)
    return image
