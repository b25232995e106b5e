"""The visitor's path through the screens, and the one place the UI touches the kiosk's
services. Every service call runs on a worker thread; its result comes back on the Kivy thread
through ``Clock``, so the screen never waits on the disk, the printer or the network."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kivy.clock import Clock
from kivy.logger import Logger

from kiosk.core import consent
from kiosk.core.consent import Notice
from kiosk.core.acceptance import still_accepted, validity_days
from kiosk.core.recognise import confirms
from kiosk.notice_texts import load_notice
from kiosk import retention
from kiosk.exit_desk import CheckOut
from kiosk.services import CheckIn, Kiosk, print_test_page
from kiosk.telling import NOBODY, Telling, telling
from kiosk.ui.form import VisitForm, purpose_in
from kiosk.ui.i18n import tr
from kiosk.ui.theme import theme
from printer.linebreak import reflow
from kiosk.ui.progress import progress

AGREEMENT_DIR = Path(__file__).resolve().parents[2] / "assets" / "agreement"
# The sign-in path. "phone" only for a visitor who says they have been here before (a first
# visitor may add a number on the review screen); "who" asks name and company on one screen;
# "visit" is the visitor type and the purpose in one choice.
SIGN_IN_STEPS = ("phone", "who", "visit", "question", "host", "agreement", "review")
# Screens off the main path: where each belongs (for "next" and "back").
_ASIDES = {"purpose_other": "visit", "message": "done"}
# After a wrong answer to "which is your name?" a number is not recognised on this kiosk for
# this long (kiosk.core.recognise: a guess is one guess).
RECOGNITION_LOCK_SECONDS = 12 * 3600
# Review rows a tap edits: the screen that asks for each (and straight back to review); a
# returning visitor's "accepted on ..." line shows the agreement again.
EDITS = {"name": "who", "company": "who", "phone": "phone", "host": "host", "purpose": "visit",
         "agreement": "agreement"}


@dataclass(frozen=True)
class Agreement:
    version: str
    text: str


def load_agreement(lang: str, folder: Path = AGREEMENT_DIR) -> Agreement:
    """The visitor agreement in ``lang``: a first line ``version: V``, then the text in
    paragraphs separated by blank lines, each made one line for the screen to wrap."""
    head, _, text = (folder / f"{lang}.txt").read_text(encoding="utf-8").partition("\n")
    if not head.startswith("version:"):
        raise ValueError(f"{folder / (lang + '.txt')} must start with 'version: ...'")
    return Agreement(head.partition(":")[2].strip(), reflow(text))


class Flow:
    def __init__(self, kiosk: Kiosk, manager, keyboard: Callable[[], Any], show_keyboard: Callable[[bool], None],
                 screens: dict[str, Callable[[], Any]], default_lang: str, home: str = "welcome",
                 verdicts: str = "goodbye"):
        self.kiosk = kiosk
        self.manager = manager  # the ScreenManager
        self._keyboard = keyboard
        self._show_keyboard = show_keyboard
        self._factories = screens  # screen name -> builds it; each is built on its first visit
        self.home = home  # where every visit starts and ends: welcome, the exit post, reception
        self.verdicts = verdicts  # the screen that shows what a sign-out scan did
        self.default_lang = default_lang
        self.form = VisitForm(lang=default_lang)
        self.last_check_in: CheckIn | None = None
        self.message_left = False  # the visitor of last_check_in left a note for their host
        self.telling: Telling = NOBODY  # who last_check_in really tells (kiosk.telling)
        self.last_check_out: CheckOut | None = None
        self._known_visitor: dict | None = None  # an earlier visit by this phone, until the name step
        self.name_choices: list[str] = []  # "which is your name?" after the phone step
        self._wrong_answers: dict[str, float] = {}  # phone -> when its earlier visit was guessed wrong
        self.monotonic = time.monotonic
        self.editing = ""  # the review row tapped: its answer leads straight back to review
        self._versions: dict[tuple[str, Path], str] = {}  # (language, folder) -> agreement version
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-io")
        self._pending = 0  # service calls not yet answered (counted on the UI thread only)
        self.generation = 0  # one more at every wipe: answers for an earlier visit are dropped
        self._closed = False

    # -- navigation -------------------------------------------------------------------------

    def go(self, name: str) -> None:
        self.screen(name)
        self._show_progress(name)
        self.manager.current = name

    # -- steps ------------------------------------------------------------------------------

    def plan(self) -> list[tuple[str, int]]:
        """The steps this visitor goes through, as they stand now: (screen, question number)."""
        form, steps = self.form, []
        for step in SIGN_IN_STEPS:
            if step == "question":
                steps += [("question", i) for i in range(len(self.questions()))]
            elif not self._skips(step):
                steps.append((step, 0))
        return steps

    def _skips(self, step: str) -> bool:
        form = self.form
        invited = form.invitation is not None
        if step == "phone":
            return not form.by_phone or invited
        if step == "visit" and form.returning and form.type_offered:
            return True  # a confirmed returning visitor's last kind of visit, on review to change
        if step == "host" and form.returning and form.host is not None:
            return True  # their last host, still in the directory: likewise
        if step == "agreement":  # accepted lately: one line on review instead (invited: on its own)
            return not invited and self.agreement_stands()
        if step in ("who", "visit", "host", "review"):
            return invited  # the invitation said who, whom and why; one tap on the agreement prints
        return False

    def progress(self, name: str) -> tuple[int, int]:
        """(step number, steps in all) for screen ``name``, (0, 0) off the path."""
        if name in _ASIDES:
            name = _ASIDES[name]
        plan = self.plan()
        here = (name, self.form.question if name == "question" else 0)
        return (plan.index(here) + 1, len(plan)) if here in plan else (0, 0)

    def _show_progress(self, name: str) -> None:
        progress.step, progress.steps = self.progress(name)

    def screen(self, name: str):
        """The screen called ``name``, built now if this is its first use (which keeps the
        kiosk's start as quick as a bare Kivy app's)."""
        if not self.manager.has_screen(name):
            self.manager.add_widget(self._factories[name]())
        return self.manager.get_screen(name)

    @property
    def keyboard(self):
        """The one on-screen keyboard, shared by every screen that types."""
        return self._keyboard()

    def use_keyboard(self, screen) -> None:
        """Point the keyboard at ``screen``'s field in the screen's layout, or hide it."""
        mode = screen.keyboard_mode if screen is not None else ""
        if mode:
            self.keyboard.target = screen.typing_field()
            self.keyboard.digits = screen.keyboard_digits
            self.keyboard.field = screen.keyboard_field
            self.keyboard.mode = mode
            self.keyboard.script = self.form.lang
            self.keyboard.reset()
        self._show_keyboard(bool(mode))

    def text_keyboard(self) -> str:
        """A Chinese visitor types pinyin first, others Latin letters."""
        return "latin" if self.form.lang == "en" else "pinyin"

    def start_sign_in(self, by_phone: bool = False) -> None:
        """A start button (同意并登记 / Agree and sign in): it accepts the privacy notice shown
        above it, before anything is typed."""
        self.wipe()
        self.form.by_phone = by_phone
        self.accept_notice(consent.START)
        self._step(0, +1)

    # -- the privacy notice and separate consents (kiosk.core.consent) -----------------------

    def notice(self, lang: str | None = None) -> Notice:
        return load_notice(lang or self.form.lang, self.kiosk.settings)

    def accept_notice(self, by: str) -> None:
        """The notice in the language on screen, accepted now (the start button; an invited
        visitor's one tap)."""
        self.form.consents[consent.NOTICE] = consent.record(consent.NOTICE, True, notice=self.notice(), by=by,
                                                            at=self.kiosk.clock())

    def open_notice(self) -> None:
        """The full notice, over the screen showing its line; its Back returns there."""
        self.screen("notice").came_from = self.manager.current
        self.go("notice")

    def ask_consent(self, purpose: str, yes: Callable[[], None], no: Callable[[], None]) -> None:
        """Ask for a separate consent (a registered kiosk.core.consent.Purpose) on its own
        screen, Yes and No equally easy; the answer is recorded with the sign-in either way, and
        ``yes`` or ``no`` leads on (a No by another path: reception checks the person)."""
        self._consent_asked = (consent.PURPOSES[purpose], yes, no)
        self.go("consent")

    def consent_asked(self):
        return getattr(self, "_consent_asked", (None, None, None))[0]

    def consent_answered(self, given: bool) -> None:
        purpose, yes, no = self._consent_asked
        self.form.consents[purpose.key] = consent.record(purpose.key, given, by=consent.ANSWER, at=self.kiosk.clock(),
                                                         lang=self.form.lang, version=purpose.version)
        (yes if given else no)()

    def edit(self, field: str) -> None:
        """A tap on a review row: the screen that asks it, then straight back to review."""
        self.editing = field
        self.go(EDITS[field])

    def next(self, current: str) -> None:
        current = _ASIDES.get(current, current)
        if current == "question" and self.form.question + 1 < len(self.questions()):
            self._ask(self.form.question + 1)
            return
        if self.editing and not (current == "visit" and self._unanswered()):
            self.editing = ""
            self.go("review")
            return
        self._step(SIGN_IN_STEPS.index(current) + 1, +1)

    def _unanswered(self) -> bool:
        """The visitor type chosen asks questions not answered yet (another type was chosen)."""
        return any(q.key not in self.form.answers for q in self.questions())

    def back(self, current: str) -> None:
        if current in _ASIDES:
            self.go(_ASIDES[current])
            return
        if self.editing:  # back from an edit is back to review, as it was
            self.editing = ""
            self.go("review")
            return
        if current == "question" and self.form.question > 0:
            self._ask(self.form.question - 1)
            return
        index = SIGN_IN_STEPS.index(current) if current in SIGN_IN_STEPS else 0
        self._step(index - 1, -1)

    def _ask(self, question: int) -> None:
        """Another question of the same screen: shown afresh, since it is not entered again."""
        self.form.question = question
        self._show_progress("question")
        screen = self.screen("question")
        screen.show()
        self.use_keyboard(screen)

    def _step(self, index: int, direction: int) -> None:
        """Go to step ``index``, passing over steps with nothing to ask: the choice of visitor
        type when the policy knows one, questions when the chosen type has none."""
        while 0 <= index < len(SIGN_IN_STEPS):
            step = SIGN_IN_STEPS[index]
            if step == "question" and not self.questions():
                pass
            elif self._skips(step):
                pass
            elif step == "who" and direction < 0 and self.form.returning:
                self._forget_returning()  # back to the phone: asked afresh, the name with it
            else:
                if step == "question":
                    self.form.question = 0 if direction > 0 else len(self.questions()) - 1
                self.go(step)
                return
            index += direction
        self.go("welcome")

    def agreement_folder(self) -> Path:
        """The chosen visitor type's agreement: assets/agreement/ for "default", else the
        folder of that name in it (a contractor signs the safety rules too)."""
        vtype = self.visitor_type()
        name = vtype.agreement if vtype else "default"
        return AGREEMENT_DIR if name == "default" else AGREEMENT_DIR / name

    def visitor_type(self):
        return self.kiosk.entry.policy.visitor_type(self.form.visitor_type)

    def agreement_name(self) -> str:
        """The name of the agreement the chosen visitor type signs ("default" for most)."""
        vtype = self.visitor_type()
        return vtype.agreement if vtype else "default"

    def agreement_version(self) -> str:
        """The version of that agreement today, in the visitor's language."""
        key = (self.form.lang, self.agreement_folder())
        if key not in self._versions:
            self._versions[key] = load_agreement(*key).version
        return self._versions[key]

    def agreement_stands(self) -> bool:
        """A confirmed returning visitor (or an invited one, whose invitation names them and
        their phone) accepted this agreement's version lately enough (``agreement_valid_days``;
        kiosk.core.acceptance) not to be asked again."""
        days = validity_days(self.kiosk.settings.agreement_valid_days, retention.policy(self.kiosk).sensitive_days)
        return (self.form.returning or self.form.invitation is not None) and still_accepted(
            self.form.accepted_before, self.agreement_version(), self.agreement_name(), self.kiosk.clock(), days)

    def agreement_due(self) -> bool:
        """The agreement of the visitor type chosen now is neither accepted on this visit nor
        standing from an earlier one (the type was changed on review, the name edited)."""
        form = self.form
        signed = form.agreement_of == self.agreement_name() and (form.signature or form.invitation is not None)
        return not signed and not self.agreement_stands()

    def questions(self) -> tuple:
        vtype = self.visitor_type()
        return vtype.questions if vtype else ()

    def look_up_phone(self, phone: str, done: Callable[[], None]) -> None:
        """The phone step's answer: the earlier visit of this number and the names to pick
        one's own from, looked up off the UI thread; a log that cannot be read is a new visitor."""
        def work():
            known = self.kiosk.returning_visitor(phone)
            return known, self.kiosk.name_choices(phone, known, self.form.lang)

        def found(answer) -> None:
            done()
            self.offer_returning(*answer)

        def failed(_exc) -> None:
            done()
            self.offer_returning(None, [])

        self.run_io(work, found, failed)

    def offer_returning(self, known: dict | None, choices: list[str] | None = None) -> None:
        """After the phone step, the name step follows whether or not the number is known, with
        four names to pick from either way: nothing on screen says whether it was, and the
        earlier visit (``known``) is kept aside unused until the visitor picks or types the name
        it was made under (kiosk.core.recognise). After a wrong answer for this number, nothing
        confirms it for a while: the same names show, and none of them works."""
        if self.editing:  # a number added on the review screen: for next time, nothing looked up
            self.next("phone")
            return
        self._forget_returning()  # a number given again is recognised again, or not
        locked = self.monotonic() - self._wrong_answers.get(self.form.phone, -RECOGNITION_LOCK_SECONDS)
        self._known_visitor = known if locked >= RECOGNITION_LOCK_SECONDS else None
        self.name_choices = list(choices or [])
        self.go("who")

    def name_entered(self, name: str) -> bool:
        """The name's answer. The one that confirms the earlier visit of this phone number
        brings its name and company back, skips the company and offers the last host (True:
        the visit moved on); any other goes on as a first visit, with nothing of the earlier one
        shown or used (False: the company is asked). One answer per look-up: a guesser trying
        another name has to go back through the phone step."""
        if self._confirmed(name):
            return True
        self.form.name = name
        return False

    def name_picked(self, name: str) -> bool:
        """One of the names offered after the phone step, tapped: the earlier visit's goes on as
        a typed one does (True); any other is a wrong answer, and the visitor types their name
        as a new visitor (False: the name is not taken from the tap)."""
        return self._confirmed(name)

    def _confirmed(self, name: str) -> bool:
        known, self._known_visitor = self._known_visitor, None
        self.name_choices = []
        if known and confirms(name, known["name"]):
            self.form.name, self.form.company, self.form.returning = known["name"], known["company"], True
            self.form.last_host = known.get("host")
            self._offer_last_visit(known)
            self.next("who")
            return True
        if self.form.by_phone and self.form.phone:
            self._wrong_answers[self.form.phone] = self.monotonic()  # known or not: the same for all
        return False

    def _offer_last_visit(self, known: dict) -> None:
        """A confirmed returning visitor: their last host (while in the directory), kind of
        visit and purpose are taken as today's, each a tap on the review screen to change, and
        the agreement they accepted is not shown again while it stands."""
        form = self.form
        form.host = known.get("host")
        vtype = self.kiosk.entry.policy.visitor_type(known.get("visitor_type") or "guest")
        if vtype is not None and known.get("purpose"):
            form.visitor_type, form.purpose = vtype.key, purpose_in(known["purpose"], form.lang)
            form.type_offered = True
        form.accepted_before = known.get("accepted")

    def _forget_returning(self) -> None:
        """Nothing of an earlier visit stays in the form once its confirmation is undone."""
        form, blank = self.form, VisitForm()
        if form.returning:
            for name in ("name", "company", "purpose", "host", "last_host", "accepted_before", "returning",
                         "type_offered", "visitor_type", "answers"):
                setattr(form, name, getattr(blank, name))

    def renamed(self, name: str) -> None:
        """The name edited on review: another person's name no longer relies on the earlier
        visit's acceptance of the agreement (it is shown to sign before the badge prints)."""
        form = self.form
        if form.accepted_before and not confirms(name, form.name):
            form.accepted_before = None
        form.name = name
        self.next("who")

    def cancel(self) -> None:
        """Back to welcome with everything entered forgotten (cancel, idle, next visitor), in
        the kiosk's own language and normal text: the next visitor chooses again."""
        self.wipe()
        self.set_language(self.default_lang)
        theme.scale = 1.0
        self.go(self.home)

    def personalised(self) -> bool:
        """A visitor chose another language or large text (to undo for the next one)."""
        return tr.lang != self.default_lang or theme.scale != 1.0

    def wipe(self) -> None:
        self.generation += 1
        self.form = VisitForm(lang=tr.lang)
        self._known_visitor = None
        self.name_choices = []
        self.editing = ""
        for screen in self.manager.screens:
            screen.wipe()

    def set_language(self, lang: str) -> None:
        tr.switch(lang)
        theme.use_language(lang)
        self.form.lang = lang
        for screen in self.manager.screens:
            screen.retell()
        if self.manager.current_screen is not None and self.manager.current_screen.keyboard_mode:
            self.keyboard.script = lang

    @property
    def busy(self) -> bool:
        """True while a service call is running: the idle timer must not wipe a half-done print."""
        return self._pending > 0

    # -- services, off the UI thread --------------------------------------------------------

    def run_io(self, work: Callable[[], Any], done: Callable[[Any], None],
               failed: Callable[[Exception], None]) -> None:
        """Run ``work`` on the worker; ``done`` or ``failed`` gets its outcome on the UI thread,
        unless the visit it was for has been wiped since (cancel, idle, next visitor): an answer
        must never bring a previous visitor's details back on screen."""
        def job():
            try:
                outcome, callback = work(), done
            except Exception as exc:  # noqa: BLE001 - handed to the screen, which says what happened
                outcome, callback = exc, failed
            Clock.schedule_once(lambda dt: self._finish(callback, outcome, generation))

        if self._closed:  # the app is stopping: nothing new is started
            return
        generation = self.generation
        self._pending += 1
        self._io.submit(job)

    def _finish(self, callback: Callable[[Any], None], value: Any, generation: int) -> None:
        self._pending -= 1
        if generation != self.generation:
            return
        try:
            callback(value)
        except Exception:  # noqa: BLE001 - a screen's mistake must not take the kiosk down
            Logger.exception("kiosk: a screen failed to take a result")

    def submit(self) -> None:
        """Sign the visitor in and print the badge: the printing screen shows progress."""
        form = self.form
        self.go("printing")
        self.screen("printing").start()
        self.run_io(lambda: self._told(self.kiosk.check_in(name=form.name, host=form.host, company=form.company,
                                                           phone=form.phone, purpose=form.purpose, lang=form.lang,
                                                           agreement=form.agreement(), visitor_type=form.visitor_type,
                                                           answers=form.answers, invitation=form.invitation,
                                                           consents=list(form.consents.values()))),
                    self._signed_in, self.screen("printing").failed)

    def print_approved(self, visit_id: str) -> None:
        """The badge of a visit approved while its visitor waited at the kiosk."""
        printing = self.screen("printing")
        printing.start()
        # Signed in already: whatever goes wrong, the visitor is sent to reception, never back
        # to the form (which would sign them in a second time).
        self.run_io(lambda: self._told(self.kiosk.issue_badge(visit_id)), self._signed_in,
                    lambda _error: printing.not_printed(None))

    def start_invitation(self, text: str, refused: Callable[[Exception], None]) -> None:
        """A scanned invitation fills the form in and goes straight to the agreement."""
        def read():
            invitation = self.kiosk.read_invitation(text)
            # Its phone's last visit, made under its name: that visit's acceptance of the agreement.
            known = self.kiosk.returning_visitor(invitation.phone) if invitation.phone else None
            earlier = known["accepted"] if known and confirms(invitation.name, known["name"]) else None
            return invitation, self.kiosk.invited_host(invitation), earlier

        def accepted(found) -> None:
            invitation, host, earlier = found
            self.wipe()
            form = self.form
            form.name, form.company, form.phone = invitation.name, invitation.company, invitation.phone
            form.purpose, form.visitor_type, form.invitation = invitation.purpose, invitation.visitor_type, invitation
            form.host, form.accepted_before = host, earlier
            self._step(SIGN_IN_STEPS.index("question"), +1)  # its questions, if any, then the agreement

        self.run_io(read, accepted, refused)

    def leave_message(self, text: str, failed: Callable[[Exception], None]) -> None:
        """The signed-in visitor's note for a host who is away; back to the done screen."""
        visit_id = self.last_check_in.visit.visit_id

        def leave() -> Telling:
            self.kiosk.leave_message(visit_id, text)
            return telling(self.kiosk, visit_id)

        def left(told: Telling) -> None:
            self.message_left, self.telling = True, told
            self.go("done")

        self.run_io(leave, left, failed)

    def _told(self, result: CheckIn) -> tuple[CheckIn, Telling]:
        """On the worker: the sign-in's result and who it tells (the outbox is on disk)."""
        return result, telling(self.kiosk, result.visit.visit_id)

    def _signed_in(self, outcome: tuple[CheckIn, Telling]) -> None:
        result, self.telling = outcome
        self.last_check_in = result
        self.message_left = False
        if result.printed:
            self.go("done")
        elif not result.badge:
            self.screen("printing").awaiting(result)
        else:
            self.screen("printing").not_printed(result)

    def sign_out(self, text: str, done: Callable[[CheckOut], None] | None = None,
                 failed: Callable[[Exception], None] | None = None) -> None:
        """A badge scan (or a typed badge number) signs its visitor out; by default the
        verdict screen shows what happened."""
        scanned = text.strip()
        check = self.kiosk.check_out if scanned.upper().startswith("VB1") else self.kiosk.check_out_by_number
        self.run_io(lambda: check(scanned), done or self._signed_out, failed or self.screen("signout").failed)

    def _signed_out(self, result: CheckOut) -> None:
        self.last_check_out = result
        self.go(self.verdicts)

    def rate(self, rating: int) -> None:
        visit = self.last_check_out.visit if self.last_check_out else None
        if visit is not None:
            self.run_io(lambda: self.kiosk.rate(visit.visit_id, rating), lambda _: None, lambda _: None)

    def print_test_page(self) -> None:
        print_test_page(self.kiosk.printer)

    def shutdown(self) -> None:
        self._closed = True
        self._io.shutdown(wait=True)
