"""Whom the visitor has come to see: type a few letters, pinyin or its initials (``zs`` finds
张三), see name and department, tap one. With no directory loaded (a stand-alone kiosk), the
typed name is taken as it is."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty

from kiosk.core.hosts import HostIndex
from kiosk.errors import KioskError
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for
from kiosk.ui.widgets import KButton

load_kv(__file__)

SHOWN = 3  # results on screen at once


class HostResult(KButton):
    pass


class HostScreen(KioskScreen):
    results = ListProperty([])
    directory = BooleanProperty(True)  # False when no host directory is loaded

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._index: HostIndex | None = None
        for position in range(SHOWN):
            result = HostResult(shown=False, disabled=True)
            result.bind(on_release=lambda _b, p=position: self.pick(p))
            self.ids.result_grid.add_widget(result)
        self.keyboard_digits = False
        self.ids.field.bind(text=lambda *_: self.search())

    def on_pre_enter(self, *_):
        self.message = ""
        self.keyboard_mode = self.flow.text_keyboard()
        super().on_pre_enter()
        self.keyboard.bind(composing=self._composing)
        # Asked on every visit, off the UI thread: the kiosk keeps its index until sync brings
        # a new directory, which then takes a second to index (20,000 hosts).
        self.flow.run_io(self.flow.kiosk.host_index, self._indexed, lambda exc: self._indexed(HostIndex([])))
        self.search()

    def on_results(self, *_):
        for position, button in enumerate(reversed(self.ids.result_grid.children)):
            shown = position < len(self.results)
            host = self.results[position] if shown else None
            button.text = f"{host.name}   {host.department}".strip() if host else ""
            button.shown, button.disabled = shown, not shown

    def on_leave(self, *_):
        super().on_leave()
        self.flow.keyboard.unbind(composing=self._composing)

    def _composing(self, *_):
        self.search()

    def _indexed(self, index: HostIndex) -> None:
        self._index = index
        self.directory = len(index) > 0
        self.search()

    def search(self) -> None:
        # Letters still being composed in pinyin count: typing "zs" shows 张三 at once.
        query = self.ids.field.text + self.flow.keyboard.composing
        if not query.strip():  # a returning visitor's last host, one tap away
            last = self.flow.form.last_host
            self.results = [last] if last is not None else []
            return
        if self._index is None:
            self.results = []
            return
        self.results = self._index.search(query, limit=SHOWN)
        self.message = "" if self.results or not self.directory else "no match"

    def pick(self, position: int) -> None:
        if position < len(self.results):
            self.flow.form.host = self.results[position]
            self.flow.next(self.name)

    def submit(self) -> None:
        """Next without tapping a result: the single match, or the typed name when stand-alone."""
        self.keyboard.commit_letters()
        if self.results and not (self.ids.field.text + self.flow.keyboard.composing).strip():
            self.pick(0)  # the last host offered, taken by Next
            return
        if self.directory and len(self.results) != 1:
            self.message = "pick one" if self.results else "no match"
            return
        if self.directory:
            self.pick(0)
            return
        try:
            self.flow.form.host = self.flow.kiosk.find_host(self.ids.field.text)
        except KioskError as exc:
            self.tell("message", reason_for(exc))
            return
        self.flow.next(self.name)

    def wipe(self) -> None:
        super().wipe()
        self.results = []
