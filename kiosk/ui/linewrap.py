"""Every wrapping Label breaks its lines by printer.linebreak (UAX #14, Chinese kinsoku, whole
Chinese words), the same rule the badge is printed with.

Kivy's own wrapping breaks only at spaces, and a run of Chinese wherever it overflows, so a
line could start with "，" or split 访客卡. Rather than asking every screen to pre-wrap its
texts, the one place every Label lays out its text (``Label.texture_update``) is wrapped:
the text is broken into lines measured with Kivy's own text extents and handed to the core
label with those line breaks, which then fit and are kept. The Label's ``text`` property is
never changed, so bindings, tests and translations see the text as written.
"""

from __future__ import annotations

from kivy.core.text.markup import MarkupLabel
from kivy.uix.label import Label

from printer.linebreak import wrap

_kivy_texture_update = Label.texture_update


def broken_text(text: str, width: float, measure) -> str:
    """``text`` with a newline at each place :func:`printer.linebreak.wrap` breaks it, and the
    spaces at the end of each broken line dropped (Kivy would count them)."""
    lines = wrap(text, width, measure)
    return "".join(line if line.endswith("\n") else line.rstrip(" ") + "\n"
                   for line in lines[:-1]) + (lines[-1] if lines else "")


def texture_update(self: Label, *largs) -> None:
    # Named as the method it replaces: Kivy triggers hold it as a WeakMethod, found by name.
    core = self._label
    width = self.text_size[0]
    if width is not None and self.text and not self.shorten and not isinstance(core, MarkupLabel):
        padding = core.options.get("padding", (0, 0, 0, 0))
        usable = int(width - padding[0] - padding[2])
        if usable > 0:
            measure = core.get_cached_extents()
            core.text = broken_text(self.text, usable, lambda s: measure(s)[0])
    _kivy_texture_update(self, *largs)


def install() -> None:
    """Make every Label in this process break lines this way (idempotent)."""
    Label.texture_update = texture_update
