"""One person's visits across every site: the data subject's rights (PIPL Art. 44-47, GDPR Art. 15
and 17) as ``kiosk-server person find|export ...``.

- ``find``: every visit of one person, by phone number (as typed at the kiosk, with or without
  the country code) or by name and company (as typed, case and spacing aside), on every site or
  one; shown as the lists show visits, the phone masked.
- ``export``: those visits for the person (the right of access), as JSON: what they gave, whom
  they visited, when, the agreement and privacy notice they accepted (version, language), each
  consent, their badges, messages and the complaints recorded about them, and each visit's
  history (when, which kind of event, which device). Phone and ID numbers are masked here too
  (kiosk.core.masking): the person knows their own number; an unmasked copy is the web
  console's, for a role allowed to, recorded in its access log.
- ``erase`` (issue 15's purge, added beside these): the same visits, erased everywhere.

``find_person`` is the one search the three share, and the web console's pages may call it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from kiosk.core import events as ev
from kiosk.core.masking import mask_phone, mask_text, masked_answers, masked_payload, masked_visitor
from kiosk.core.tokens import badge_number
from kiosk.core.validation import clean_phone
from kiosk.core.visits import Visit, live
from kiosk.errors import ValidationError
from kiosk.privatefiles import write_private
from kiosk.store.log import visit_from_json
from sync.server import store
from sync.server.db import Database, visits
from sync.server.errors import Invalid, ServerError
from sync.server.models import local_time

FIND_BATCH = 1000  # visits read at a time while searching by phone


@dataclass(frozen=True)
class Who:
    """Whom to find: a phone number, or a name and a company (either may be empty, not both)."""

    phone: str = ""
    name: str = ""
    company: str = ""

    def described(self) -> str:
        """The search as a list may show it: the number masked."""
        return f"phone {mask_phone(self.phone)}" if self.phone else f"name {self.name!r}, company {self.company!r}"


def who(phone: str | None = None, name: str | None = None, company: str | None = None) -> Who:
    """The search, checked: a phone number alone, or a name (and company)."""
    if phone and (name or company):
        raise Invalid("search by phone, or by name and company: not both")
    if phone:
        try:
            number = clean_phone(phone)
        except ValidationError as e:
            raise Invalid(str(e)) from None
        return Who(phone=number)
    if not name:
        raise Invalid("name whom to find: --phone NUMBER, or --name NAME [--company COMPANY]")
    return Who(name=_folded(name), company=_folded(company or ""))


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def same_phone(a: str, b: str) -> bool:
    """One number, whether or not either was typed with its country code (+86 138... and 138...)."""
    a, b = _digits(a), _digits(b)
    if len(a) < 5 or len(b) < 5:
        return False
    short, long = sorted((a, b), key=len)
    return long.endswith(short) and len(long) - len(short) <= 3 and len(short) >= 7 or a == b


def find_person(db: Database, person: Who, site: str | None = None) -> list[Visit]:
    """Every visit of ``person`` (brought up to date first), in sign-in order across sites."""
    store.project_all(db, site)
    query = sa.select(visits.c.doc).order_by(visits.c.signed_in_at.nulls_last(), visits.c.site, visits.c.visit_id)
    if site is not None:
        query = query.where(visits.c.site == site)
    if person.phone:
        # The number's last 7 digits somewhere in the document narrow the read; the fold's
        # visitor.phone decides.
        query = query.where(visits.c.doc.like(f'%{_digits(person.phone)[-7:]}%'))
        matches = lambda v: same_phone(str(v.visitor.get("phone") or ""), person.phone)  # noqa: E731
    else:
        # Its words in order, any spacing between (the fold's name, casefolded, decides).
        words = [re.sub(r"([\\%_])", r"\\\1", word) for word in person.name.split()]
        query = query.where(sa.func.lower(visits.c.name).like("%".join(words), escape="\\"))
        matches = lambda v: (_folded(str(v.visitor.get("name") or "")) == person.name  # noqa: E731
                             and (not person.company or _folded(str(v.visitor.get("company") or "")) == person.company))
    with db.read() as conn:
        found = (visit_from_json(doc) for doc in conn.execution_options(yield_per=FIND_BATCH).execute(query).scalars())
        return [v for v in found if matches(v)]


# -- what is shown -----------------------------------------------------------------------------

def listed(visit: Visit) -> dict[str, Any]:
    """One line of ``find``: as the lists show a visit, the phone masked."""
    shown = masked_visitor(visit.visitor)
    return {"site": visit.site, "visit_id": visit.visit_id, "state": visit.state,
            "signed_in_at": _time(visit.signed_in_at), "name": str(shown.get("name") or ""),
            "company": str(shown.get("company") or ""), "phone": str(shown.get("phone") or ""),
            "host": str(visit.host.get("name") or "")}


def exported(db: Database, visit: Visit) -> dict[str, Any]:
    """One visit as the person receives it (the right of access), numbers masked."""
    events = live(store.visit_events(db, visit.site, visit.visit_id))
    opening = next((e for e in events if e.kind in (ev.SIGNED_IN, ev.BLOCKED, ev.EXPECTED)), None)
    agreement = opening.data.get("agreement") if opening is not None else None
    return {
        "site": visit.site, "visit_id": visit.visit_id, "state": visit.state,
        "visitor": masked_visitor(visit.visitor), "visitor_type": visit.visitor_type,
        "answers": masked_answers(visit.answers), "language": visit.lang,
        "host": {"name": str(visit.host.get("name") or ""), "department": str(visit.host.get("department") or "")},
        "signed_in_at": _time(visit.signed_in_at), "host_met_at": _time(visit.host_met_at),
        "signed_out_at": _time(visit.signed_out_at), "signed_out_by": visit.signed_out_by, "rating": visit.rating,
        "agreement": _agreement(agreement),
        "consents": [{**c, "at": _time(c.get("at"))} for c in visit.consents],
        "badges": [{"badge_number": badge_number(b.badge_id), "issued_at": _time(b.issued_at),
                    "expires_at": _time(b.expires_at), "printed": b.printed, "revoked": b.revoked}
                   for b in visit.badges],
        "messages_left": [mask_text(m) for m in visit.messages],
        "complaints": [mask_text(c) for c in visit.complaints],
        "entry_policy": {"reasons": list(visit.reasons), "watchlist_matched": bool(visit.watchlist)},
        "invitation": visit.invite_id,
        "history": [{"at": _time(e.ts), "event": e.kind, "device": e.device,
                     **({"consent": masked_payload(dict(e.data))} if e.kind == ev.CONSENT else {})} for e in events],
    }


def _agreement(agreement: Any) -> dict[str, Any] | None:
    if not isinstance(agreement, dict):
        return None
    accepted = {key: agreement[key] for key in ("version", "lang", "accepted_by") if key in agreement}
    return {**accepted, "signed": bool(agreement.get("signature"))}


def _time(ms: Any) -> str | None:
    return local_time(ms).isoformat() if isinstance(ms, int) else None


def export_document(db: Database, person: Who, found: Iterable[Visit], now_ms: int) -> dict[str, Any]:
    return {"exported_at": _time(now_ms), "search": person.described(),
            "visits": [exported(db, visit) for visit in found]}


# -- the command -------------------------------------------------------------------------------

def add_commands(commands, command) -> Any:
    """``kiosk-server person find|export``, in the CLI's ``commands`` (sync.server.cli);
    returns the group's subparsers, for ``erase`` beside them."""
    group = commands.add_parser("person", help="one person's visits across sites: find, export (access right)")
    person = group.add_subparsers(dest="person_command", required=True)
    find = command("find", cmd_find, "every visit of one person, by phone or by name and company", parent=person)
    _who_arguments(find)
    find.add_argument("--json", action="store_true", help="as JSON, one object a visit")
    out = command("export", cmd_export, "one person's visits as JSON, for that person (phones masked)", parent=person)
    _who_arguments(out)
    out.add_argument("--output", help="write to this file, mode 0600 (default: standard output)")
    return person


def _who_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--phone", help="the number as the visitor typed it, with or without the country code")
    parser.add_argument("--name")
    parser.add_argument("--company", help="with --name: only visits from this company")
    parser.add_argument("--site", help="only this site (default: every site)")


def who_of(args) -> Who:
    return who(args.phone, args.name, args.company)


_COLUMNS = ("site", "visit_id", "state", "signed_in_at", "name", "company", "phone", "host")


def cmd_find(args) -> int:
    person = who_of(args)
    with closing(Database(args.db)) as db:
        found = [listed(v) for v in find_person(db, person, args.site)]
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=1))
    else:
        print("\t".join(_COLUMNS))
        for row in found:
            print("\t".join(str(row[c] or "") for c in _COLUMNS))
    print(f"kiosk-server: {len(found)} visits of {person.described()}", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from sync.server.app import now_ms

    person = who_of(args)
    with closing(Database(args.db)) as db:
        document = export_document(db, person, find_person(db, person, args.site), now_ms())
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        write_private(Path(args.output), _pieces(text))  # a person's data: the operator's and theirs only
    except OSError as e:
        raise ServerError(f"cannot write {args.output}: {e.strerror}") from None
    print(f"kiosk-server: {len(document['visits'])} visits of {person.described()} written to {args.output}",
          file=sys.stderr)
    return 0


def _pieces(text: str) -> Iterator[bytes]:
    yield text.encode("utf-8")
