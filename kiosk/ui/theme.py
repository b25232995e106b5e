"""Look and feel shared by every screen: colours that read from a metre away (white on deep
navy, contrast above 12:1), the large-text scale and the font of the current language.

Every text colour here reads at 4.5:1 or more (WCAG AA) on every fill it is drawn on, disabled
buttons included (their text turns DISABLED_TEXT on SURFACE rather than fading out);
tests/ui/legibility.py measures it on every screen as drawn. The ratios in the comments are
against the named fill."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import NumericProperty, StringProperty

from kiosk.ui.fonts import FAMILIES

BACKGROUND = (0.059, 0.106, 0.176, 1)  # #0F1B2D
SURFACE = (0.102, 0.169, 0.263, 1)  # #1A2B43, cards and keys
SURFACE_PRESSED = (0.180, 0.267, 0.392, 1)
TEXT = (1, 1, 1, 1)
MUTED = (0.741, 0.788, 0.851, 1)  # #BDC9D9, 10.3:1 on the background, 8.5:1 on SURFACE
# #107A5B: white text 5.3:1 (the old #128765 gave 4.49:1), and 3.3:1 against the background,
# enough to see the button. Secondary text on it is white too: MUTED would be 3.2:1.
PRIMARY = (0.063, 0.478, 0.357, 1)
SUCCESS = (0.369, 0.878, 0.627, 1)  # #5EE0A0: green as text, 10.4:1 on the background
DISABLED_TEXT = (0.584, 0.639, 0.714, 1)  # #95A3B6: a disabled button's text, 5.6:1 on SURFACE
DANGER = (0.753, 0.224, 0.169, 1)
WARNING = (0.949, 0.643, 0.114, 1)
VERDICT_GREEN = (0.043, 0.42, 0.227, 1)  # #0B6B3A: the exit post's "signed out"
VERDICT_AMBER = (0.604, 0.404, 0.0, 1)  # #9A6700: signed out, not yet seen here
VERDICT_RED = (0.608, 0.11, 0.11, 1)  # #9B1C1C: not signed out
LARGE_TEXT = 1.3


class Theme(EventDispatcher):
    scale = NumericProperty(1.0)  # LARGE_TEXT in large-text mode
    lang = StringProperty("zh_CN")
    font = StringProperty(FAMILIES["zh_CN"])

    def use_language(self, lang: str) -> None:
        self.lang = lang
        self.font = FAMILIES[lang]

    def toggle_large_text(self) -> None:
        self.scale = 1.0 if self.scale > 1.0 else LARGE_TEXT


theme = Theme()
