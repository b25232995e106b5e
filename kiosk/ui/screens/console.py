"""The reception console: the live queue (who waits for whom and how long, approvals, who is
with their host, who left today), what reception does about one visit, the log search, the
roll call, the end-of-day sign-out, and the health of the printer and of sync. Every read
and write goes through the kiosk's services off the UI thread; the list is a RecycleView, so
500 people on site cost no more to show than a screenful."""

from __future__ import annotations

from datetime import datetime, timedelta

from kivy.factory import Factory
from kivy.properties import BooleanProperty, DictProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.core.tokens import badge_number
from kiosk.core.visits import AWAITING_APPROVAL, BLOCKED, ON_SITE_STATES, WAITING
from kiosk.errors import ValidationError
from kiosk.services import end_of_day_cutoff
from kiosk.ui import theme as T
from kiosk.ui.i18n import N_, tr
from kiosk.ui.screens.base import KioskScreen, load_kv, reason_for
from kiosk.ui.screens.console_detail import detail_lines
from kiosk.ui.screens.console_health import HealthLines
from kiosk.ui.verdicts import clock_text, duration_text

REFRESH_EVERY = 2  # seconds: the queue as the log (and sync) has it
HEALTH_EVERY = 30  # seconds between printer status questions
TABS = ("waiting", "approval", "with_host", "left", "search", "roll_call")
# What reception can do about a visit: (action, label, colour), each offered only when
# open to the visit (console.actions); "invite" when no visit is selected.
ACTIONS = (("host_met", N_("Host has met them"), ""), ("confirm_printed", N_("The badge came out"), ""),
           ("reprint", N_("Reprint badge"), ""),
           ("approve", N_("Approve"), "primary"), ("deny", N_("Deny"), "danger"), ("lost", N_("Badge lost"), ""),
           ("signout", N_("Sign out by hand"), ""), ("complaint", N_("Record a complaint"), ""),
           ("invite", N_("Invite a visitor"), ""))
# Inviting a visitor: one answer after another in the entry bar (the server does the rest).
INVITE_STEPS = ("invite_name", "invite_company", "invite_phone", "invite_host", "invite_email")
ENTRY_PROMPTS = {"signout": N_("Why is this visitor signed out by hand?"),
                 "complaint": N_("What is the complaint?"),
                 "invite_name": N_("Invite a visitor: their name"),
                 "invite_company": N_("Invite: their company (may be left empty)"),
                 "invite_phone": N_("Invite: their mobile number (may be left empty)"),
                 "invite_host": N_("Invite: whom they visit"),
                 "invite_email": N_("Invite: their email address, for the QR code"),
                 "search": N_("Search by name, pinyin or initials, company, host, badge number, last digits of a phone, or a date (12-01)")}
# The keyboard each answer starts with (else the language's): a search is typed as pinyin or
# initials (zs finds 张三), letters first, 中/EN for characters; an address is Latin.
ENTRY_KEYBOARDS = {"search": "latin", "invite_email": "latin", "invite_phone": "digits"}
SEARCH_PAUSE = 0.15  # seconds after the last key before the list follows what is typed


load_kv(__file__)


def search_terms(text: str, now: datetime) -> tuple[str, int | None, int | None]:
    """Reception's search text split into words and a day: "张 2026-11-30", "11-30 华为" or just
    "12-01" searches that day (this year's, when the year is left out)."""
    words, since, until = [], None, None
    for word in text.split():
        parts = word.replace("/", "-").split("-")
        if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
            year, month, day = ([now.year] + [int(p) for p in parts])[-3:]
            try:
                start = now.replace(year=year, month=month, day=day, hour=0, minute=0, second=0, microsecond=0)
            except ValueError:
                words.append(word)
                continue
            since = int(start.timestamp() * 1000)
            until = int((start + timedelta(days=1)).timestamp() * 1000)
        else:
            words.append(word)
    return " ".join(words), since, until


class ConsoleRow(ButtonBehavior, BoxLayout):
    visit_id = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    since = StringProperty("")
    flag = StringProperty("")
    selected = BooleanProperty(False)
    console = ObjectProperty(None, allownone=True)

    def on_release(self):
        self.console.select(self.visit_id)


class ConsoleScreen(HealthLines, KioskScreen):
    ENTRY_PROMPTS = ENTRY_PROMPTS
    tab = OptionProperty("waiting", options=list(TABS))
    counts = DictProperty({tab: 0 for tab in TABS})
    rows = ListProperty([])
    selected = ObjectProperty(None, allownone=True)  # the Visit reception is looking at
    selected_text = StringProperty("")
    entry = OptionProperty("", options=["", "signout", "complaint", "search", *INVITE_STEPS])
    notice = StringProperty("")
    printer_text = StringProperty("")
    printer_alert = BooleanProperty(False)
    sync_text = StringProperty("")
    sync_alert = BooleanProperty(False)

    def __init__(self, syncer=None, **kwargs):
        super().__init__(**kwargs)
        self.ids["field"] = self.ids.bar.field  # the keyboard types into the entry bar
        self.ids.field.bind(text=self._typed)
        self.inviting: dict = {}  # the answers so far while reception invites a visitor
        self.syncer = syncer
        self.queue = None
        self.found: list = []
        self.roll_call: list = []
        self._eod_done = 0

    # -- life -------------------------------------------------------------------------------

    def on_pre_enter(self, *_):
        self.keyboard_mode = self.flow.text_keyboard() if self.entry else ""
        super().on_pre_enter()
        self.show_actions()
        self.refresh()
        self.check_health()
        self.every("refresh", REFRESH_EVERY, self.refresh)
        self.every("health", HEALTH_EVERY, self.check_health)
        self.every("end_of_day", 60, self.end_of_day)

    def refresh(self) -> None:
        day_start = int(datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
        self.flow.run_io(lambda: self.flow.kiosk.queue(day_start), self.show_queue, self._failed)

    def show_queue(self, queue) -> None:
        self.queue = queue
        self.counts = {"waiting": len(queue.waiting), "approval": len(self._to_judge()),
                       "with_host": len(queue.with_host), "left": len(queue.signed_out_today),
                       "search": len(self.found), "roll_call": len(self.roll_call)}
        self.show_rows()

    def show_tab(self, tab: str) -> None:
        if tab != "search":
            self.forget("search")
        self.tab = tab
        self.selected = None
        self.show_rows()

    # -- the list ---------------------------------------------------------------------------

    def _to_judge(self) -> list:
        """The approvals tab: those the policy asked about, and those it stopped today, whom
        reception must also go and speak to."""
        return self.queue.awaiting_approval + self.queue.blocked_today

    def visits(self) -> list:
        if self.tab == "search":
            return self.found
        if self.tab == "roll_call":
            return self.roll_call
        if self.queue is None:
            return []
        return {"waiting": self.queue.waiting, "approval": self._to_judge(),
                "with_host": self.queue.with_host, "left": self.queue.signed_out_today}[self.tab]

    def show_rows(self) -> None:
        now = self.flow.kiosk.clock()
        chosen = self.selected.visit_id if self.selected is not None else ""
        self.rows = [self._row(v, now, chosen) for v in self.visits()]
        if chosen and not self.entry:  # a reason being typed keeps its visit, wherever it moved
            self.selected = next((v for v in self.visits() if v.visit_id == chosen), None)

    def _row(self, visit, now: int, chosen: str) -> dict:
        host = " ".join(filter(None, [visit.host.get("name", ""), visit.host.get("department", "")]))
        return {"visit_id": visit.visit_id, "console": self, "selected": visit.visit_id == chosen,
                "title": "   ".join(filter(None, [visit.visitor.get("name", "") or visit.visit_id,
                                                  visit.visitor.get("company", "")])),
                "detail": "→ " + host if host else "", "since": self.since(visit, now), "flag": self.flag(visit)}

    @staticmethod
    def since(visit, now: int) -> str:
        if visit.state == BLOCKED:
            return tr("stopped {time}").format(time=clock_text(visit.blocked_at or now))
        if visit.signed_out_at is not None:
            return tr("left {time}").format(time=clock_text(visit.signed_out_at))
        minutes = round((now - (visit.signed_in_at or now)) / 60_000)
        what = tr("waiting {time}") if visit.state in (WAITING, AWAITING_APPROVAL) else tr("on site {time}")
        return what.format(time=duration_text(minutes))

    @staticmethod
    def flag(visit) -> str:
        badge = visit.current_badge
        if visit.state == BLOCKED:
            return tr("blocked (watchlist)") if visit.watchlist else tr("blocked")
        if visit.invitation_shared_with:  # two kiosks cut off from each other both took it
            return tr("invitation reused")
        if visit.complaints:
            return tr("complaint")
        if visit.state in ON_SITE_STATES and badge is not None and badge.print_unknown:
            return tr("badge may have printed: check the printer")
        if visit.state in ON_SITE_STATES and (badge is None or not badge.printed):
            return tr("badge not printed")
        if visit.notify_failed:
            return tr("host not told")
        if visit.messages:
            return tr("message for host")
        return ""

    def on_selected(self, *_):
        self.show_actions()
        visit = self.selected
        self.selected_text = "" if visit is None else "\n".join(
            detail_lines(visit, self.flow.kiosk.entry.policy, self.since(visit, self.flow.kiosk.clock()), self.flag(visit)))

    def on_entry(self, *_):
        self.show_actions()

    @staticmethod
    def open_actions(visit) -> list[str]:
        """The actions open to ``visit`` (None: nobody selected)."""
        if visit is None:
            return ["invite"]
        state = visit.state
        return [action for action, open_ in (
            ("host_met", state == WAITING), ("reprint", visit.on_site),
            ("confirm_printed", visit.on_site and visit.current_badge is not None and visit.current_badge.print_unknown),
            ("approve", state == AWAITING_APPROVAL), ("deny", state == AWAITING_APPROVAL),
            ("lost", visit.current_badge is not None and state != "signed_out"),
            ("signout", state not in ("signed_out", BLOCKED)), ("complaint", True)) if open_]

    def show_actions(self) -> None:
        """The buttons for what reception can do now, and only those: none while typing."""
        grid = self.ids.actions
        grid.clear_widgets()
        if self.entry:
            return
        fills = {"primary": T.PRIMARY, "danger": T.DANGER}
        open_ = self.open_actions(self.selected)
        for action, label, fill in ACTIONS:
            if action in open_:
                button = Factory.DeskButton(text=tr(label))
                if fill:
                    button.fill = fills[fill]
                button.bind(on_release=lambda _, action=action: self.act(action))
                grid.add_widget(button)

    def select(self, visit_id: str) -> None:
        self.selected = next((v for v in self.visits() if v.visit_id == visit_id), None)
        self.entry = ""
        self.show_rows()

    # -- what reception does ----------------------------------------------------------------

    def act(self, action: str) -> None:
        if action in ("signout", "complaint"):
            self.start_entry(action)
            return
        if action == "invite":
            self.start_invite()
            return
        visit = self.selected
        if visit is None:
            return
        kiosk = self.flow.kiosk
        work = {"host_met": lambda: kiosk.host_met(visit.visit_id),
                "approve": lambda: kiosk.decide(visit.visit_id, approve=True, by="reception"),
                "deny": lambda: kiosk.decide(visit.visit_id, approve=False, by="reception"),
                "reprint": lambda: kiosk.reprint(visit.visit_id),
                "confirm_printed": lambda: kiosk.confirm_printed(visit.visit_id),
                "lost": lambda: kiosk.mark_lost(visit.current_badge.badge_id)}[action]
        self.flow.run_io(work, lambda result: self._done(action, result), self._failed)

    def _done(self, action: str, result) -> None:
        messages = {"host_met": N_("Noted: the host has met the visitor."), "approve": N_("Approved."),
                    "confirm_printed": N_("Badge {number} is recorded as printed."),
                    "deny": N_("Denied."), "lost": N_("Badge {number} is revoked."),
                    "signout": N_("Signed out by hand."), "complaint": N_("Complaint recorded.")}
        if action == "reprint":
            number = badge_number(result.badge_id)
            old = result.replaced
            if result.printed and old is not None and (old.printed or old.print_unknown):
                # The revoked badge may be in the visitor's hand: say so, it no longer opens the exit.
                said = N_("New badge {number} printed; badge {old} no longer works: take it back from the visitor.")
                self.say(said, number=number, old=badge_number(old.badge_id))
            elif result.printed:
                self.say(N_("New badge {number} printed; the old one is revoked."), number=number)
            elif result.print_unknown:  # it may be on paper: no one may call it not printed
                self.say(N_("New badge {number} is valid; whether it printed is unknown: {error}"), about="printer",
                         number=number, error=result.print_error)
            else:  # gone once the printer is ready again
                self.say(N_("New badge {number} is valid but did not print: {error}"), about="printer",
                         number=number, error=result.print_error)
                self.check_health()
        else:
            badge = self.selected.current_badge if self.selected is not None else None
            self.say(messages[action], number=badge_number(badge.badge_id) if badge else "")
        self.entry = ""
        self.flow.use_keyboard(self)
        self.refresh()

    def _failed(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            self.tell("notice", reason_for(error))
        else:
            self.notice = str(error)

    # -- typed answers: a reason, a complaint, a search --------------------------------------

    def start_entry(self, entry: str) -> None:
        self.entry = entry
        self.ids.field.clear()
        self.keyboard_mode = ENTRY_KEYBOARDS.get(entry) or self.flow.text_keyboard()
        self.flow.use_keyboard(self)

    def _typed(self, *_):
        """The search follows each key, as the kiosk's host search does."""
        if self.entry == "search":
            self.later("search", SEARCH_PAUSE, self._search_as_typed)

    def _search_as_typed(self) -> None:
        text = self.ids.field.text
        if self.entry != "search" or not text.strip():
            return
        words, since, until = search_terms(text, datetime.now().astimezone())
        kiosk = self.flow.kiosk
        self.flow.run_io(lambda: kiosk.search(words, since, until),
                         lambda visits: self._found(visits, typed=text), self._failed)

    def cancel_entry(self) -> None:
        self.entry = ""
        self.keyboard_mode = ""
        self.flow.use_keyboard(self)

    def submit(self) -> None:
        text, entry, visit = self.ids.field.text, self.entry, self.selected
        kiosk = self.flow.kiosk
        if entry in INVITE_STEPS:
            self._invite_step(entry, text)
            return
        if entry == "search":
            words, since, until = search_terms(text, datetime.now().astimezone())
            self.flow.run_io(lambda: kiosk.search(words, since, until), self._found, self._failed)
        elif entry in ("signout", "complaint") and visit is not None:
            work = (lambda: kiosk.sign_out_by_hand(visit.visit_id, text)) if entry == "signout" else \
                (lambda: kiosk.complain(visit.visit_id, text))
            self.flow.run_io(work, lambda result: self._done(entry, result), self._failed)
        self.keyboard_mode = ""

    def start_invite(self) -> None:
        self.inviting = {}
        self.start_entry(INVITE_STEPS[0])

    def _invite_step(self, entry: str, text: str) -> None:
        """Keep one answer and ask the next; after the last, ask the server to invite."""
        kiosk = self.flow.kiosk
        if entry == "invite_host":  # the directory's search may have to be built: not on the UI thread
            self.flow.run_io(lambda: kiosk.find_host(text), lambda host: self._invite_answered(entry, host),
                             lambda exc: setattr(self, "notice", str(exc)))
            return
        self._invite_answered(entry, text)

    def _invite_answered(self, entry: str, answer) -> None:
        kiosk = self.flow.kiosk
        self.inviting[entry.removeprefix("invite_")] = answer
        if entry != INVITE_STEPS[-1]:
            self.start_entry(INVITE_STEPS[INVITE_STEPS.index(entry) + 1])
            return
        fields = self.inviting
        self.flow.run_io(lambda: kiosk.invite(**fields), self._invited, self._failed)
        self.cancel_entry()

    def _invited(self, answer: dict) -> None:
        name = self.inviting.get("name", "")
        if answer.get("emailed"):
            self.tell("notice", N_("Invitation for {name} sent to {email}."), name=name, email=self.inviting["email"])
        else:
            self.tell("notice", N_("Invitation for {name} made, but not emailed: {reason}"), name=name,
                      reason=answer.get("reason", ""))
        self.refresh()

    def _found(self, visits, typed: str | None = None) -> None:
        """Results of a search: as typed (the entry stays open, unless the text moved on since),
        or after OK (the entry closes)."""
        if typed is not None and (self.entry != "search" or self.ids.field.text != typed):
            return  # an answer to keys typed before the last ones
        self.found = visits
        if typed is None:
            self.entry = ""
            self.flow.use_keyboard(self)
        self.say(N_("{n} found"), about="search", n=len(visits))
        self.show_tab("search")
        self.counts = {**self.counts, "search": len(visits)}

    # -- roll call, end of day, health ------------------------------------------------------

    def call_roll(self) -> None:
        """Everyone in the building, on screen at once and on paper if the printer can: from
        this device's own log, so it works with the network down."""
        kiosk = self.flow.kiosk

        def work():
            visits = kiosk.in_building()
            try:
                kiosk.print_roll_call(visits)
                return visits, ""
            except Exception as exc:  # noqa: BLE001 - the list is shown whatever the printer does
                return visits, str(exc)

        self.flow.run_io(work, self._called, self._failed)

    def _called(self, outcome) -> None:
        visits, error = outcome
        self.roll_call = visits
        self.counts = {**self.counts, "roll_call": len(visits)}
        if error:
            self.say(N_("Roll call: {n} in the building; NOT printed: {error}"), about="printer", n=len(visits),
                     error=error)
        else:
            self.say(N_("Roll call: {n} in the building; list printed."), n=len(visits))
        self.show_tab("roll_call")

    def end_of_day(self) -> None:
        settings, kiosk = self.flow.kiosk.settings, self.flow.kiosk
        cutoff = end_of_day_cutoff(settings.auto_signout_at, kiosk.clock())
        if cutoff is None or cutoff <= self._eod_done:
            return
        self._eod_done = cutoff
        self.flow.run_io(lambda: kiosk.auto_sign_out(cutoff), self._day_ended, self._failed)

    def _day_ended(self, visits) -> None:
        if visits:
            names = ", ".join(v.visitor.get("name", "") for v in visits[:10])
            self.say(N_("End of day: {n} still on site were signed out ({names})."), n=len(visits), names=names)
        self.refresh()

    def retell(self) -> None:
        """A language switch: every line of the console again, in the new language."""
        super().retell()
        self.show_printer()
        self.sync_health()
        self.show_actions()
        if self.queue is not None:
            self.show_rows()
        self.on_selected()

    def wipe(self) -> None:
        super().wipe()
        self.selected = None
        self.entry = ""
        self.found = []
