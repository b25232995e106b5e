"""Where the visitor is on their own path ("step 2 of 5"), set by the flow at each step and
shown by every screen's top bar: the path depends on the visitor (a phone step for a returning
one, a visitor type's questions, an invitation that says who and whom)."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import NumericProperty


class Progress(EventDispatcher):
    step = NumericProperty(0)
    steps = NumericProperty(0)  # 0: off the path, nothing shown


progress = Progress()
