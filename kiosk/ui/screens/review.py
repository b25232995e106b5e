"""The last look before the badge prints: everything the visitor entered, phone masked. A tap
on a line asks it again and comes straight back here (no chain of "back"); a first visitor can
add a phone number here, to be recognised next time (a returning visitor, recognised by the
number just typed, has no phone line). A returning visitor whose acceptance of
the agreement still stands (kiosk.core.acceptance) sees it as one line, "accepted on ...", a
tap on it showing the agreement again; one whose agreement is due (a type with another
agreement chosen here, a name edited) is shown it to sign before the badge prints."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.core.validation import mask_phone
from kiosk.ui.i18n import N_, day_text, tr
from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class ReviewRow(ButtonBehavior, BoxLayout):
    label = StringProperty("")  # a msgid, translated in review.kv
    value = StringProperty("")
    field = StringProperty("")  # what a tap edits; "" for none
    placeholder = BooleanProperty(False)  # value is a msgid (nothing entered)


class ReviewScreen(KioskScreen):
    rows = ListProperty([])  # (label msgid, value, field a tap edits or "")

    def on_pre_enter(self, *_):
        super().on_pre_enter()
        form = self.flow.form
        host = form.host
        editable = (lambda f: f) if form.invitation is None else (lambda f: f if f == "phone" else "")
        rows = [(N_("Name"), form.name, editable("name")),
                (N_("Company"), form.company or "—", editable("company")),
                (N_("Phone"), mask_phone(form.phone) if form.phone else "", editable("phone")),
                (N_("Visiting"), f"{host.name}   {host.department}".strip() if host else "—", editable("host")),
                (N_("Purpose"), form.purpose or "—", editable("purpose"))]
        if form.returning:  # recognised by the number they have just typed: nothing to check or add
            rows = [row for row in rows if row[2] != "phone"]
        if not form.signature and self.flow.agreement_stands():
            rows.append((N_("Agreement"), tr("Accepted on {date}").format(
                date=day_text(form.accepted_before["at"], form.lang)), "agreement"))
        self.rows = rows

    def retell(self) -> None:
        super().retell()
        if self.manager is not None and self.manager.current == self.name:
            self.on_pre_enter()  # the "accepted on" line in the new language

    def on_rows(self, *_):
        self.ids.rows.clear_widgets()
        for label, value, field in self.rows:
            row = ReviewRow(label=label, value=value or N_("Optional: faster next time"),
                            placeholder=not value, field=field)
            row.bind(on_release=lambda r: r.field and self.flow.edit(r.field))
            self.ids.rows.add_widget(row)

    def confirm(self) -> None:
        if self.flow.agreement_due():
            self.flow.edit("agreement")
            return
        self.flow.submit()

    def wipe(self) -> None:
        super().wipe()
        self.rows = []
