"""What kind of visit and why, in one tap: a guest's common reasons (meeting, training) and
each other visitor type of the entry policy (contractor, interview, delivery), or "something
else" to type a reason. The choice sets both the visitor type and the purpose."""

from __future__ import annotations

from kiosk.ui.form import GUEST_PURPOSES, TYPE_PURPOSES
from kiosk.ui.i18n import tr
from kiosk.ui.screens.base import load_kv
from kiosk.ui.screens.visitor_type import ChoiceScreen, in_language

load_kv(__file__)

# The policy's first type (a guest) is chosen by its reasons (GUEST_PURPOSES); the others are
# each a reason of their own (TYPE_PURPOSES), kept in the visitor's words (a type the policy
# adds is kept as its label).


class VisitScreen(ChoiceScreen):
    def _choices(self) -> list[tuple[str, str, str]]:
        """(visitor type, purpose, button text) for each button."""
        first, *others = self.flow.kiosk.entry.policy.types
        choices = [(first.key, tr(purpose), tr(purpose)) for purpose in GUEST_PURPOSES]
        for vtype in others:
            label = in_language(vtype.labels)
            purpose = TYPE_PURPOSES.get(vtype.key)
            choices.append((vtype.key, tr(purpose) if purpose else label, label))
        return choices

    def show(self) -> None:
        self._shown = self._choices()
        self.show_choices([(str(i), text) for i, (_t, _p, text) in enumerate(self._shown)])

    def choose(self, value: str) -> None:
        vtype, purpose, _text = self._shown[int(value)]
        self._set_type(vtype)
        self.flow.form.purpose = purpose
        self.flow.next(self.name)

    def other(self) -> None:
        """A reason of one's own, typed: a guest's."""
        self._set_type(self.flow.kiosk.entry.policy.types[0].key)
        self.flow.go("purpose_other")

    def _set_type(self, vtype: str) -> None:
        form = self.flow.form
        if vtype != form.visitor_type:
            form.answers = {}  # another type asks other questions
        form.visitor_type = vtype
