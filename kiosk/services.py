"""What the kiosk does, as plain calls: sign in, sign out by scan, reprint, report a badge
lost, who is on site. The CLI and the UI are thin layers over this.

Order matters here: a sign-in and its badge are committed to the log before anything goes to
the printer, and a printer failure is itself recorded, so a badge never exists on paper
without its record and a visit is never lost to a paper jam.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from kiosk.core import events as ev
from kiosk.core import invites, tokens
from kiosk.core.approvals import approval_token
from kiosk.core.invites import Invitation
from kiosk.core.hosts import Host, HostIndex, host_id_for
from kiosk.core.tokens import KeyRing, PublicKey, Signer
from kiosk.core.validation import MAX_COMPANY, MAX_PURPOSE, clean_name, clean_phone, clean_text, validate_visitor
from kiosk.core.visits import BLOCKED, Badge, Visit
from kiosk import notifier
from kiosk.core.policy import APPROVE, BLOCK, clean_answers
from kiosk.entry import EntryRules, load_policy, matches_for_reception
from kiosk.exit_desk import ExitDesk
from kiosk.reception import ReceptionDesk
from kiosk.returning import ReturningVisitors
from kiosk.errors import HostNotFound, InvitationRefused, KioskError, StoreError, ValidationError, VisitorBlocked
from kiosk.notify import notice
from kiosk.settings import Settings
from kiosk.store.db import Database
from kiosk.store.directory import DirectoryTable
from kiosk.store.keys import KeyTable, load_or_create_signer
from kiosk.store.log import EventLog, wall_clock_ms
from kiosk.store.outbox import OutboxTable
from printer.device import Printer
from printer.errors import PrinterError
from printer.fonts import unsupported_chars
from printer.status import Status

DB_FILE = "kiosk.sqlite3"
APPROVAL_PATH = "/v1/approvals"  # the server's page for an approval link (sync.server)
RECEPTION = {"zh_CN": "前台", "zh_TW": "櫃檯", "en": "Reception"}  # whom an alert greets
MAX_PRINTER_URL = 200  # of the printer URL kept with a printed badge


@dataclass(frozen=True)
class CheckIn:
    visit: Visit
    badge: str  # the exact text in the QR
    badge_id: str
    printed: bool
    print_error: str = ""
    # Sent but never confirmed by the printer: the badge may be in the visitor's hand, so
    # nobody may call it "not printed" (print_error says "unknown, check the printer").
    print_unknown: bool = False
    replaced: Badge | None = None  # a reprint: the badge it revoked, as it stood


@dataclass
class Kiosk(ExitDesk, ReceptionDesk, ReturningVisitors):
    """One device's services: signing visitors in and printing their badges here; reception's
    work (kiosk.reception), the exit side (kiosk.exit_desk) and returning visitors
    (kiosk.returning) are its other parts, by role."""

    settings: Settings
    log: EventLog
    signer: Signer | None  # None on an exit post: it verifies badges and never mints one
    keys: KeyTable
    directory: DirectoryTable
    printer_factory: Callable[[], Printer]
    entry: EntryRules
    clock: Callable[[], int] = wall_clock_ms
    notices_queued: Callable[[], None] = lambda: None  # the Notifier's poke, when one runs
    _index: HostIndex | None = field(default=None, repr=False)
    _visitor_index: tuple | None = field(default=None, repr=False)  # (window, log position, VisitorIndex)
    _keyring: KeyRing | None = field(default=None, repr=False)
    _printer: Printer | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, printer: Printer | Callable[[], Printer],
             clock: Callable[[], int] = wall_clock_ms, monotonic: Callable[[], float] = time.monotonic) -> "Kiosk":
        """The kiosk on this device's data directory. ``printer`` may be a factory, so that
        commands which never print (an exit post's check-out) never depend on the printer.
        ``monotonic`` measures the time since the server's clock was heard (kiosk.core.hlc)."""
        db = Database(settings.data_path / DB_FILE)
        keys = KeyTable(db)
        signer = None
        if settings.role != "exit":
            signer = load_or_create_signer(settings.data_path)
            keys.add(PublicKey(signer.key_id, signer.public_key.public_bytes_raw(), settings.site, settings.device,
                               role=settings.role))
        log = EventLog(db, settings.site, settings.device, clock, role=settings.role, monotonic=monotonic)
        factory = printer if callable(printer) else (lambda: printer)
        entry = EntryRules(db, load_policy(settings.policy))
        return cls(settings, log, signer, keys, DirectoryTable(db), factory, entry, clock)

    @property
    def printer(self) -> Printer:
        if self._printer is None:
            self._printer = self.printer_factory()
        return self._printer

    @printer.setter
    def printer(self, printer: Printer) -> None:
        self._printer = printer

    # -- hosts ------------------------------------------------------------------------------

    def host_index(self) -> HostIndex:
        if self._index is None:
            self._index = HostIndex(self.directory.all())
        return self._index

    def import_hosts(self, hosts: list[Host]) -> int:
        self.directory.replace_all(hosts)
        self._index = None
        return len(hosts)

    def find_host(self, query: str) -> Host:
        """The one host a free-text answer names. With no directory loaded, any sane name is
        taken as it is (a stand-alone kiosk); with one, it must name exactly one person."""
        index = self.host_index()
        if len(index) == 0:
            name = clean_name(query, "host")
            return Host(host_id_for(name, "", ""), name)
        wanted = " ".join(query.split()).casefold()
        found = index.search(query, limit=10)
        exact = [h for h in found if wanted in (h.name.casefold(), h.email.casefold(), h.host_id)]
        if len(exact) == 1 or (not exact and len(found) == 1):
            return (exact or found)[0]
        candidates = exact or found
        if not candidates:
            raise HostNotFound(f"no host matches {query!r}")
        listed = "; ".join(f"{h.name} ({h.department or '-'}, {h.email or h.host_id})" for h in candidates)
        raise HostNotFound(f"{query!r} matches {len(candidates)} hosts: {listed}", candidates)

    # -- sign in ----------------------------------------------------------------------------

    def read_invitation(self, text: str) -> Invitation:
        """A scanned invitation, checked offline (signature, site, validity) and against this
        log (used already), or InvitationRefused saying why."""
        verdict = invites.read(text, self.keyring(), now=self.clock() // 1000, site=self.settings.site)
        if not verdict.ok:
            raise InvitationRefused(verdict.reason, verdict.detail)
        if _used(self.log.visit(verdict.invitation.invite_id)):
            raise InvitationRefused(invites.USED)
        return verdict.invitation

    def invite(self, *, name: str, host: Host, email: str, company: str = "", phone: str = "", purpose: str = "",
               hours: int = 12) -> dict:
        """Pre-register a visitor through the central server, which signs the invitation, logs
        the expected visit for every device of the site and emails the visitor the QR code;
        its answer (invite_id, text, emailed, reason). Needs the server: invitations are made
        ahead, and the kiosk that will scan one must learn the server's key anyway."""
        from sync.client import SyncClient, SyncError

        if not (self.settings.server and self.settings.token):
            raise KioskError("inviting needs the central server (settings server and token)")
        listed = self.directory.get(host.host_id) is not None
        fields = {"name": clean_name(name), "company": clean_text(company, "company", MAX_COMPANY),
                  "phone": clean_phone(phone), "purpose": clean_text(purpose, "purpose", MAX_PURPOSE),
                  "email": clean_text(email, "email", 254), "hours": hours,
                  **({"host_id": host.host_id} if listed else {"host": host.name})}
        try:
            return SyncClient(self.settings.server, self.settings.token).invite(**fields)
        except SyncError as exc:
            raise KioskError(f"the invitation was not made: {exc}") from None

    def invited_host(self, invitation: Invitation) -> Host:
        """The host an invitation names, as the directory knows them (for their channels)."""
        return self._listed(invitation.host_id) or Host(invitation.host_id or host_id_for(invitation.host),
                                                        invitation.host)

    def check_in(self, *, name: str, host: Host, company: str = "", phone: str = "", purpose: str = "",
                 lang: str | None = None, agreement: Mapping[str, Any] | None = None, visitor_type: str = "guest",
                 answers: Mapping[str, str] | None = None, invitation: Invitation | None = None,
                 consents: Iterable[Mapping[str, Any]] = ()) -> CheckIn:
        """Record the visit and its badge, then print it. ``agreement`` is what the visitor
        accepted on the touchscreen (version, language, signature strokes), kept with the visit;
        ``consents`` the visitor's answers to the privacy notice and to any separate consent
        (kiosk.core.consent.record), each a ``consent`` event in the sign-in's transaction.
        The entry policy decides first: a visit that needs approval is recorded without a badge
        (``issue_badge`` prints it once approved) and the host asked; a blocked visitor is
        recorded, reception and security alerted, and VisitorBlocked raised. With ``invitation``
        the visit is a new one all the same, recorded as a use of the invitation's visit in the
        same transaction: refused if this log has a use already; two kiosks cut off from each
        other may each take it once, and each person keeps a visit of their own."""
        self.log.check_role(ev.SIGNED_IN)  # an exit post: refused before any decision is taken or kept
        visitor = validate_visitor(name, company, phone, purpose)
        for field_name, text in (("name", visitor.name), ("company", visitor.company), ("host", host.name),
                                 ("department", host.department)):
            missing = unsupported_chars(text)
            if missing:
                raise ValidationError(field_name, "unprintable",
                                      f"{field_name} has characters the badge cannot print: {''.join(missing)}")
        vtype = self.entry.policy.visitor_type(visitor_type)
        answers = clean_answers(vtype, answers or {}) if vtype else {}
        decision = self.entry.decide(visitor_type=visitor_type, name=visitor.name, company=visitor.company,
                                     phone=visitor.phone, answers=answers, when_ms=self.clock())
        visit_id = tokens.new_visit_id()
        # After the visit's opening (signed_in or blocked), never before: the log is pushed in
        # order, so the server has the opening by the time it checks the use (same device, same
        # or earlier batch; sync.server.accept.refuse_invitation_uses).
        used = ((ev.INVITATION_USED, invitation.invite_id, {"visit_id": visit_id}),) if invitation else ()
        used += tuple((ev.CONSENT, visit_id, dict(answer)) for answer in consents)
        signed_in = {"visitor": visitor.as_dict(), "lang": lang or self.settings.language,
                     "host": {"host_id": host.host_id, "name": host.name, "department": host.department},
                     "visitor_type": visitor_type, "answers": answers}
        if invitation:
            signed_in["invite_id"] = invitation.invite_id
        judged = {"reasons": list(decision.reasons), "watchlist": matches_for_reception(decision)}
        about = {"visitor_name": visitor.name, "company": visitor.company, "purpose": visitor.purpose,
                 "at": self.clock()}
        if decision.outcome == BLOCK:
            self._record_blocked(visit_id, {**signed_in, **judged}, about, alert=bool(decision.matches), used=used,
                                invitation=invitation)
        if agreement:
            signed_in["agreement"] = dict(agreement)
        if decision.outcome == APPROVE:
            signed_in["needs_approval"] = True
            # A watchlist match is reception's to judge, face to face: the host gets no link.
            ask_host = None if decision.matches else \
                self._notices(host, visit_id, notice.APPROVAL, link=self._approval_link(visit_id), **about,
                              visitor_type=vtype, answers=answers)  # a contractor's permit, area, tools
            self._record_or_explain((ev.SIGNED_IN, visit_id, signed_in), *used,
                                    (ev.APPROVAL_REQUESTED, visit_id, judged), also=ask_host, invitation=invitation)
            return CheckIn(self.log.visit(visit_id), "", "", printed=False)
        badge_id, token, issued = self._new_badge(visit_id, decision.badge_valid_ms)
        self._record_or_explain((ev.SIGNED_IN, visit_id, signed_in), *used, (ev.BADGE_ISSUED, visit_id, issued),
                                also=self._notices(host, visit_id, **about), invitation=invitation)
        return self._print(visit_id, badge_id, token)

    def _record_or_explain(self, *specs, also, invitation: Invitation | None = None) -> None:
        try:
            # An invitation's visit is signed in once: checked again here, where no other
            # sign-in can slip in between (two kiosks apart can still both take it offline).
            recorded = self.log.record(*specs, also=also, unless=_used if invitation else None,
                                       unless_visit=invitation.invite_id if invitation else "")
        except StoreError as exc:
            raise StoreError(f"the visit was NOT recorded and no badge was printed: {exc}") from exc
        if not recorded:
            raise InvitationRefused(invites.USED)
        self.notices_queued()

    def _record_blocked(self, visit_id: str, data: dict, about: dict, *, alert: bool, used: tuple = (),
                        invitation: Invitation | None = None) -> None:
        """Keep the refused registration for reception and, for a watchlist match, alert the
        site's channels (security's group); the visitor learns nothing but "please see
        reception". (A visit refused for the hours alone alarms nobody.)"""
        desk = Host("reception", RECEPTION.get(self.settings.language, RECEPTION["en"]))
        alerts = self._notices(desk, visit_id, notice.ALERT, **about) if alert else None
        self._record_or_explain((ev.BLOCKED, visit_id, data), *used, also=alerts, invitation=invitation)
        raise VisitorBlocked("please see reception")

    def _approval_link(self, visit_id: str) -> str:
        """Where the host approves or denies: the server's page for a link this kiosk signed.
        Stand-alone there is none, and reception decides."""
        if not self.settings.server or self.signer is None:
            return ""
        token = approval_token(self.signer, visit_id=visit_id, site=self.settings.site, now=self.clock() // 1000)
        return f"{self.settings.server.rstrip('/')}{APPROVAL_PATH}/{token}"

    def issue_badge(self, visit_id: str) -> CheckIn:
        """The badge of an approved visit that has none yet (it waited for approval)."""
        visit = self._visit_on_site(visit_id)
        if visit.current_badge is not None:
            raise KioskError(f"visit {visit_id} already has a badge: reprint it instead")
        badge_id, token, issued = self._new_badge(visit_id, self._badge_ms(visit))
        self.log.record((ev.BADGE_ISSUED, visit_id, issued))
        return self._print(visit_id, badge_id, token)

    def _badge_ms(self, visit: Visit) -> int:
        """How long a badge of this visit lasts: its visitor type's hours (see _new_badge)."""
        vtype = self.entry.policy.visitor_type(visit.visitor_type)
        return round((vtype.badge_hours if vtype else self.settings.badge_valid_hours) * 3_600_000)

    def _notices(self, host: Host, visit_id: str, kind: str = notice.ARRIVED, key: str = "", **about):
        """What queues the host's notices in the transaction that records the visit's event."""
        entries = notifier.notices(self.settings, host, visit_id, kind, key=key, **about)
        return lambda conn, _events: OutboxTable.add(conn, entries, self.clock())

    def _host_of(self, visit: Visit) -> Host:
        """The visit's host as the directory knows them now (their channels), else as recorded."""
        host_id = visit.host.get("host_id", "")
        return self._listed(host_id) or Host(host_id, visit.host.get("name", ""), visit.host.get("department", ""))

    def _listed(self, host_id: str) -> Host | None:
        return self.directory.get(host_id) if host_id else None

    def reprint(self, visit_id: str) -> CheckIn:
        """A new badge for a visitor on site; the old one stops working. The result names the
        badge revoked (``replaced``), so that whoever reprints can say so when it may be in the
        visitor's hand (printed, or its printing unconfirmed)."""
        visit = self._visit_on_site(visit_id)
        old = visit.current_badge
        badge_id, token, issued = self._new_badge(visit_id, self._badge_ms(visit))
        if old is not None:
            issued["replaces"] = old.badge_id
        self.log.record((ev.BADGE_ISSUED, visit_id, issued))
        return replace(self._print(visit_id, badge_id, token), replaced=old)

    def _visit_on_site(self, visit_id: str) -> Visit:
        visit = self.log.visit(visit_id)
        if visit is None or not visit.on_site:
            raise KioskError(f"visit {visit_id} is not on site")
        return visit

    def _new_badge(self, visit_id: str, valid_ms: int) -> tuple[str, str, dict]:
        if self.signer is None:
            raise KioskError("this device is an exit post: it signs visitors out, never in")
        badge_id = tokens.new_badge_id()
        while self.log.visits_of_badge(badge_id):  # keep typed badge numbers unambiguous here
            badge_id = tokens.new_badge_id()
        issued_s = self.clock() // 1000
        # The visitor type's hours, never longer than the operator's badge_valid_hours.
        expires_s = issued_s + min(self.settings.badge_valid_hours * 3600, valid_ms // 1000)
        token = self.signer.sign(badge_id=badge_id, visit_id=visit_id, site=self.settings.site,
                                 issued_at=issued_s, expires_at=expires_s)
        issued = {"badge_id": badge_id, "issued_at": issued_s * 1000, "expires_at": expires_s * 1000,
                  "key_id": self.signer.key_id}
        return badge_id, token, issued

    def _print(self, visit_id: str, badge_id: str, token: str) -> CheckIn:
        # Badge layout (qrcode, Pillow drawing) is imported when first printed (by the printer's
        # print_badge): the touchscreen shows its welcome screen sooner without it.
        visit = self.log.visit(visit_id)
        printer = self.printer
        try:
            printer.print_badge(self._badge_content(visit, badge_id, token), name=f"badge-{badge_id}")
        except Exception as exc:  # noqa: BLE001 - the visit is recorded: no failure may hide that
            reason = str(exc) if isinstance(exc, PrinterError) else f"not printed: {type(exc).__name__}: {exc}"
            code = getattr(exc, "code", "error")
            self._record_quietly((ev.PRINT_FAILED, visit_id, {"badge_id": badge_id, "reason": reason, "code": code}))
            return CheckIn(self.log.visit(visit_id), token, badge_id, printed=False, print_error=reason,
                           print_unknown=code == "unknown")
        # Which printer: with a fallback (printer.fallback) it is not always the first one.
        by = re.sub(r"://[^/@]*@", "://", getattr(printer, "printed_by", printer.url))[:MAX_PRINTER_URL]  # no password
        self._record_quietly((ev.BADGE_PRINTED, visit_id, {"badge_id": badge_id, "printer": by}))
        return CheckIn(self.log.visit(visit_id), token, badge_id, printed=True)

    def warm_up(self) -> None:
        """Prepare one badge the way the configured printer will (our raster, a label's layout,
        or ZPL) without printing it, so that the first visitor's badge does not also pay for
        loading the layout code, the fonts and their glyph tables."""
        from printer.badge import BadgeContent

        now = datetime.now().astimezone()
        self.printer.warm_up(BadgeContent(
            name="张三 Zhang San", company="示例", host_name="李四", host_department="研发部", issued_at=now,
            valid_until=now, badge_number="AAAA-AAAA", qr_text="VB1" + "A" * 150,
            organisation=self.settings.organisation, lang=self.settings.language))

    def _record_quietly(self, spec) -> None:
        # The visit and its badge are already on disk; a print outcome we cannot record (disk
        # full since) must not turn a valid sign-in into an error. Reception sees "not printed".
        try:
            self.log.record(spec)
        except StoreError:
            pass

    def _badge_content(self, visit: Visit, badge_id: str, token: str):
        from printer.badge import BadgeContent, type_labels

        badge = visit.badge(badge_id)
        vtype = self.entry.policy.visitor_type(visit.visitor_type or "guest")
        tz = datetime.now().astimezone().tzinfo
        return BadgeContent(
            name=visit.visitor["name"], company=visit.visitor.get("company", ""),
            host_name=visit.host.get("name", ""), host_department=visit.host.get("department", ""),
            issued_at=datetime.fromtimestamp(badge.issued_at / 1000, tz),
            valid_until=datetime.fromtimestamp(badge.expires_at / 1000, tz),
            badge_number=tokens.badge_number(badge_id), qr_text=token,
            organisation=self.settings.organisation, lang=visit.lang or self.settings.language,
            visitor_type=type_labels(visit.visitor_type or "guest", vtype.labels if vtype else None),
            escort=bool(vtype and vtype.needs_escort))

    # -- sign out ---------------------------------------------------------------------------

    # -- reception --------------------------------------------------------------------------

    def keyring(self) -> KeyRing:
        if self._keyring is None:  # read once: the exit post checks it on every scan
            self._keyring = self.keys.keyring()
        return self._keyring

    def trust(self, key: PublicKey) -> None:
        """Accept badges signed by another device's key (normally learnt through sync)."""
        self.keys.add(key)
        self._keyring = None

    # -- who is here ------------------------------------------------------------------------








def end_of_day_cutoff(at: str, now_ms: int) -> int | None:
    """The most recent moment the daily automatic sign-out (HH:MM, local time) has passed, in
    ms; None when the feature is off."""
    if not at:
        return None
    now = datetime.fromtimestamp(now_ms / 1000).astimezone()
    hour, minute = map(int, at.split(":"))
    cutoff = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if cutoff > now:
        cutoff -= timedelta(days=1)
    return int(cutoff.timestamp() * 1000)


def _used(visit: Visit | None) -> bool:
    """Whether a visit (an invitation's) was used already: a use recorded under it, or (as kiosks
    did before ``invitation_used``) signed in or stopped under the invitation's own id."""
    return visit is not None and (bool(visit.invitation_uses) or visit.signed_in_at is not None
                                  or visit.state == BLOCKED)


def print_test_page(printer: Printer) -> Status:
    """A test page with the printer's own status on it; returns that status."""
    from printer.lists import render_test_page

    status = printer.status()
    page = render_test_page(width=printer.width, profile=printer.profile, status=printer.status_message(status),
                            printed_at=datetime.now().astimezone(), url=printer.url,
                            **({"dpi": printer.dpi} if hasattr(printer, "dpi") else {}))  # label printers: 300
    printer.print_image(page, name="test-page")
    return status
