"""The entry bar: one typed answer at the desk (a search, a reason, a complaint, an invitation's
answers) shown just above the on-screen keyboard, with the question it answers, what is typed so
far, and Cancel / OK beside it. The keyboard takes the lower half of the screen, so a field
anywhere else would be hidden under it: every typed answer on a staff screen goes through this
one widget."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

import kiosk.ui.widgets  # noqa: F401 - the TextField and KButton rules this bar's rule uses


class EntryBar(BoxLayout):
    """Shown while ``active``; says ``prompt`` (already translated) over the field. Dispatches
    ``on_submit`` for OK and ``on_cancel`` for Cancel; the screen types into ``field``."""

    prompt = StringProperty("")
    active = BooleanProperty(False)
    __events__ = ("on_submit", "on_cancel")

    @property
    def field(self):
        return self.ids.field

    def on_submit(self, *_):
        pass

    def on_cancel(self, *_):
        pass


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
