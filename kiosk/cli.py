"""The ``kiosk`` command: the operator's contract (see README), a thin layer over services.

Exit statuses a script can rely on: 0 done; 1 refused or failed (the message says why, and
nothing already recorded is lost); 2 bad usage; 4 the visit was recorded but its badge did not
print (reprint it); 6 the badge was sent but the printer never confirmed it (it may be in the
visitor's hand: check the printer before reprinting, which revokes it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk import retention
from kiosk.core import tokens
from kiosk.core.masking import mask_text, masked_payload
from kiosk.core.unconfirmed import badge_unconfirmed
from kiosk.core.visits import Visit
from kiosk.errors import KioskError
from kiosk.exit_desk import CheckOut
from kiosk.services import CheckIn, Kiosk, end_of_day_cutoff, print_test_page
from kiosk.settings import load_settings
from kiosk.store import quarantine
from printer.device import open_printer
from printer.fallback import open_printers
from printer.errors import PrinterError
from printer.virtual import MODES, serve

EXIT_REFUSED = 1
EXIT_NOT_PRINTED = 4
EXIT_AWAITING_APPROVAL = 5  # recorded; the badge waits for reception's (or the host's) approval
EXIT_PRINT_UNKNOWN = 6  # recorded; the badge was sent, never confirmed: check the printer


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (KioskError, PrinterError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Self-service visitor kiosk.")
    parser.add_argument("--config", help="TOML settings file (default: $KIOSK_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="the touchscreen app")
    run.add_argument("--role", choices=("visitor", "reception", "exit"), help="this device's role (default: settings)")
    run.add_argument("--windowed", action="store_true",
                     help="a normal 1280x800 window that can be closed, for trying the kiosk out")
    run.set_defaults(handler=cmd_run)

    purge = commands.add_parser("purge", help="forget the visitors of visits past the retention policy "
                                "(retention_days, sensitive_retention_days, or the site's from the server)")
    purge.add_argument("--dry-run", action="store_true", help="only say how many visits would be purged")
    purge.add_argument("--json", action="store_true")
    purge.set_defaults(handler=cmd_purge)

    hosts = commands.add_parser("hosts", help="the host directory").add_subparsers(dest="hosts_command", required=True)
    imp = hosts.add_parser("import", help="load the host directory from a CSV file (name,department,email,phone)")
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_hosts_import)
    find = hosts.add_parser("search", help="search the directory as the touchscreen does (pinyin, initials)")
    find.add_argument("query")
    find.add_argument("--json", action="store_true")
    find.set_defaults(handler=cmd_hosts_search)

    watch = commands.add_parser("watchlist", help="the watchlist the entry policy checks visitors against")
    watch = watch.add_subparsers(dest="watchlist_command", required=True)
    imp = watch.add_parser("import", help="replace the watchlist with a CSV file (name,aliases,company,phone,action,"
                                          "note); a synced device takes the server's when it changes")
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_watchlist_import)
    listed = watch.add_parser("list", help="print the watchlist (phones masked)")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=cmd_watchlist_list)

    checkin = commands.add_parser("checkin", help="sign a visitor in and print the badge")
    checkin.add_argument("--name", required=True)
    checkin.add_argument("--host", required=True, help="host name, email or search text naming one host")
    checkin.add_argument("--company", default="")
    checkin.add_argument("--phone", default="")
    checkin.add_argument("--purpose", default="")
    checkin.add_argument("--lang", choices=("zh_CN", "zh_TW", "en"), help="badge language (default: settings)")
    checkin.add_argument("--json", action="store_true")
    checkin.set_defaults(handler=cmd_checkin)

    checkout = commands.add_parser("checkout", help="what the exit post does with one scan")
    checkout.add_argument("--scan", required=True, help="the text the scanner read")
    checkout.add_argument("--json", action="store_true")
    checkout.set_defaults(handler=cmd_checkout)

    onsite = commands.add_parser("onsite", help="who is on site now")
    onsite.add_argument("--json", action="store_true")
    onsite.set_defaults(handler=cmd_onsite)

    reprint = commands.add_parser("reprint", help="print a new badge for a visitor on site (the old one is revoked)")
    reprint.add_argument("visit_id")
    reprint.add_argument("--json", action="store_true")
    reprint.set_defaults(handler=cmd_reprint)
    confirm = commands.add_parser("confirm-printed", help="the badge whose printing was not confirmed came out whole")
    confirm.add_argument("visit_id")
    confirm.add_argument("--json", action="store_true")
    confirm.set_defaults(handler=cmd_confirm_printed)

    signout = commands.add_parser("signout", help="sign a visitor out by hand (no badge to scan)")
    signout.add_argument("visit_id")
    signout.add_argument("--reason", required=True, help="why, for the record (e.g. 'badge taken home')")
    signout.set_defaults(handler=cmd_signout)

    lost = commands.add_parser("lost", help="record a lost badge; it will no longer let anyone out")
    lost.add_argument("badge", help="badge number as printed (K7QF-2M9X) or the scanned text")
    lost.set_defaults(handler=cmd_lost)

    notify = commands.add_parser("notify", help="deliver the notices to hosts that are waiting (also done by kiosk run)")
    notify.add_argument("--once", action="store_true",
                        help="try what is due once, then exit (status 0 when nothing failed or waits)")
    notify.set_defaults(handler=cmd_notify)
    sync = commands.add_parser("sync", help="push this device's events to the server and pull the site's")
    sync.add_argument("--once", action="store_true", help="one round, then exit (status 0 if it reached the server)")
    sync.set_defaults(handler=cmd_sync)
    aside = commands.add_parser("quarantine", help="the synced events this device set aside: it could not ingest them")
    aside.add_argument("--json", action="store_true", help="also each event as received")
    aside.set_defaults(handler=cmd_quarantine)

    roll = commands.add_parser("roll-call", help="print the evacuation list of everyone on site")
    roll.add_argument("--json", action="store_true")
    roll.set_defaults(handler=cmd_roll_call)

    printer = commands.add_parser("printer", help="the badge printer").add_subparsers(dest="printer_command",
                                                                                       required=True)
    test = printer.add_parser("test", help="print a test page and report the printer's status")
    test.add_argument("--json", action="store_true")
    test.set_defaults(handler=cmd_printer_test)
    status = printer.add_parser("status", help="ask the printer how it is (paper, cover, online)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_printer_status)
    serve = printer.add_parser("serve", help="a virtual ESC/POS printer on TCP that writes each job as PNG")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=9100)
    serve.add_argument("--out", default="virtual-printer", help="directory for the job PNGs")
    serve.add_argument("--mode", choices=MODES, default="ready", help="how the printer behaves")
    serve.add_argument("--bytes-per-second", type=int, help="accept data this slowly (a slow printer)")
    serve.add_argument("--drop-after", type=int, help="cut the connection after this many bytes")
    serve.add_argument("--width", type=int, default=576, help="dots across the head (384 for 58 mm paper)")
    serve.set_defaults(handler=cmd_printer_serve)

    eod = commands.add_parser("end-of-day", help="sign out everyone still on site from before the daily cut-off")
    eod.add_argument("--json", action="store_true")
    eod.set_defaults(handler=cmd_end_of_day)
    return parser


def _kiosk(args) -> Kiosk:
    settings = load_settings(args.config)
    return Kiosk.open(settings, lambda: open_printers(settings.printer_url, settings.printer_fallback))


def _emit(args, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False) if args.json else text)


def _time(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000).astimezone().isoformat(timespec="seconds")


def _minutes(start_ms: int | None, end_ms: int | None) -> int | None:
    return None if start_ms is None or end_ms is None else round((end_ms - start_ms) / 60_000)


# -- commands ----------------------------------------------------------------------------------

def cmd_run(args) -> int:
    settings = load_settings(args.config)
    if args.role:
        settings = dataclasses.replace(settings, role=args.role)
    from kiosk.ui.launch import run

    kiosk = Kiosk.open(settings, lambda: open_printers(settings.printer_url, settings.printer_fallback))
    try:
        retention.purge_now(kiosk)  # before anything is shown: what is past its time is never on screen
    except KioskError as exc:  # a full disk, say: the lobby still needs its kiosk; tried again daily
        print(f"kiosk: the purge at start failed: {exc}", file=sys.stderr)
    retention.DailyPurge(kiosk).start()
    run(settings, kiosk, lockdown=not args.windowed)
    return 0


def cmd_purge(args) -> int:
    kiosk = _kiosk(args)
    policy = retention.policy(kiosk)
    done = retention.purge_now(kiosk, dry_run=args.dry_run)
    verb = "would purge" if args.dry_run else "purged"
    _emit(args, {"dry_run": args.dry_run, "visits": done.visits, "by_scope": done.scope,
                 "retention_days": policy.days, "sensitive_retention_days": policy.sensitive_days},
          f"{verb} {done.visits} visits ({done.scope['all']} wholly, {done.scope['sensitive']} of their sensitive "
          f"data) by retention {policy.days} days, sensitive {policy.sensitive_days} days")
    return 0


def cmd_hosts_import(args) -> int:
    from kiosk.hostcsv import read_hosts_csv

    kiosk = _kiosk(args)
    hosts = read_hosts_csv(args.file, kiosk.settings.plain_http)
    count = kiosk.import_hosts(hosts)
    print(f"imported {count} hosts from {args.file}")
    return 0


def cmd_hosts_search(args) -> int:
    found = _kiosk(args).host_index().search(args.query)
    rows = [{"host_id": h.host_id, "name": h.name, "department": h.department, "email": h.email} for h in found]
    _emit(args, {"hosts": rows}, "\n".join(f"{h.name}\t{h.department}\t{h.email}" for h in found) or "no match")
    return 0


def cmd_watchlist_import(args) -> int:
    from kiosk.watchcsv import read_watchlist_csv

    entries = read_watchlist_csv(args.file)
    count = _kiosk(args).entry.replace_watchlist(entries)
    print(f"imported {count} watchlist entries from {args.file}")
    return 0


def cmd_watchlist_list(args) -> int:
    from kiosk.watchcsv import COLUMNS, shown

    rows = [shown(entry) for entry in _kiosk(args).entry.watchlist().entries]
    lines = ["\t".join(COLUMNS)] + ["\t".join(row.values()) for row in rows]
    _emit(args, {"count": len(rows), "entries": rows}, "\n".join(lines))
    return 0


def cmd_checkin(args) -> int:
    kiosk = _kiosk(args)
    result = kiosk.check_in(name=args.name, host=kiosk.find_host(args.host), company=args.company,
                            phone=args.phone, purpose=args.purpose, lang=args.lang)
    return _report_badge(args, result, "signed in")


def cmd_reprint(args) -> int:
    return _report_badge(args, _kiosk(args).reprint(args.visit_id), "reprinted")


def cmd_confirm_printed(args) -> int:
    visit = _kiosk(args).confirm_printed(args.visit_id)
    badge = visit.current_badge
    _emit(args, {"visit_id": visit.visit_id, "badge_number": tokens.badge_number(badge.badge_id), "printed": True},
          f"badge {tokens.badge_number(badge.badge_id)} of visit {visit.visit_id} recorded as printed")
    return 0


def _report_badge(args, result: CheckIn, what: str) -> int:
    visit = result.visit
    if not result.badge:  # the entry policy asks for approval first: no badge yet
        payload = {"visit_id": visit.visit_id, "badge": None, "printed": False, "awaiting_approval": True,
                   "reasons": list(visit.reasons), "name": visit.visitor.get("name"), "host": visit.host.get("name")}
        _emit(args, payload, f"{what} {payload['name']} (visit {visit.visit_id}): awaiting approval "
                             f"({', '.join(visit.reasons)}); after approval: kiosk reprint {visit.visit_id}")
        return EXIT_AWAITING_APPROVAL
    outcome = "printed" if result.printed else "unknown" if result.print_unknown else "not_printed"
    payload = {"visit_id": visit.visit_id, "badge": result.badge, "badge_number": tokens.badge_number(result.badge_id),
               "printed": None if result.print_unknown else result.printed, "print_outcome": outcome,
               "print_error": result.print_error or None,
               "name": visit.visitor.get("name"), "host": visit.host.get("name"),
               "signed_in_at": _time(visit.signed_in_at), "valid_until": _time(visit.badge(result.badge_id).expires_at)}
    text = (f"{what} {payload['name']} (visit {visit.visit_id}), badge {payload['badge_number']} "
            + ("printed" if result.printed else f"— {result.print_error}"))
    old = result.replaced
    if old is not None:
        payload["revoked"] = tokens.badge_number(old.badge_id)
        payload["revoked_may_be_held"] = old.printed or old.print_unknown
        text += f"; badge {payload['revoked']} revoked" + (
            " (it was printed or may have been: take it back from the visitor)" if payload["revoked_may_be_held"] else "")
    _emit(args, payload, text)
    if result.print_unknown:
        print(f"kiosk: the visit is recorded; whether its badge printed is unknown ({result.print_error}). "
              f"If it came out whole: kiosk confirm-printed {visit.visit_id}; if not: kiosk reprint {visit.visit_id}",
              file=sys.stderr)
        return EXIT_PRINT_UNKNOWN
    if not result.printed:
        print(f"kiosk: the visit is recorded but the badge did not print ({result.print_error}); "
              f"reprint with: kiosk reprint {visit.visit_id}", file=sys.stderr)
        return EXIT_NOT_PRINTED
    return 0


_REASON_TEXT = {
    tokens.OK: "signed out",
    tokens.MALFORMED: "not a visitor badge, or unreadable",
    tokens.UNKNOWN_KEY: "issued by a device this kiosk does not know",
    tokens.BAD_SIGNATURE: "forged or altered badge",
    tokens.WRONG_SIGNER: "signed by a device that issues no badges (forged)",
    tokens.EXPIRED: "badge expired",
    tokens.REVOKED: "badge revoked",
    tokens.OTHER_SITE: "badge of another site",
    tokens.ALREADY_SIGNED_OUT: "already signed out",
}


def cmd_checkout(args) -> int:
    result: CheckOut = _kiosk(args).check_out(args.scan)
    visit = result.visit
    payload = {"ok": result.ok, "reason": result.reason, "detail": result.detail or None,
               "visit_id": result.claims.visit_id if result.claims else None,
               "badge_number": tokens.badge_number(result.claims.badge_id) if result.claims else None,
               "name": visit.visitor.get("name") if visit else None,
               "company": visit.visitor.get("company") if visit else None,
               "known_visit": bool(visit and visit.known),
               "signed_in_at": _time(visit.signed_in_at) if visit else None,
               "signed_out_at": _time(result.signed_out_at),
               "minutes_on_site": _minutes(visit.signed_in_at, result.signed_out_at) if visit else None}
    text = _REASON_TEXT[result.reason]
    if result.detail:
        text += f" ({result.detail})"
    if result.reason == tokens.ALREADY_SIGNED_OUT:
        text += f" at {payload['signed_out_at']}"
    if visit and visit.known:
        text += f": {payload['name']}"
        if result.ok:
            text += f", {payload['minutes_on_site']} min on site"
    _emit(args, payload, text)
    return 0 if result.ok else EXIT_REFUSED


def _visit_row(visit: Visit, now: int | None = None) -> dict[str, Any]:
    # No phone numbers: lists are shown and printed where others can read them.
    row = {"visit_id": visit.visit_id, "state": visit.state, "name": visit.visitor.get("name"),
           "company": visit.visitor.get("company"), "host": visit.host.get("name"),
           "department": visit.host.get("department"), "since": _time(visit.signed_in_at),
           "invite_id": visit.invite_id or None,
           # Two kiosks cut off from each other both took its invitation: reception should look.
           "invitation_used_more_than_once": bool(visit.invitation_shared_with),
           "invitation_also_used_by": [other["visit_id"] for other in visit.invitation_shared_with],
           # Two devices signed it out (kiosk.core.visits keeps the first): reception should look.
           "signed_out_twice": visit.signed_out_twice,
           "also_signed_out_by": [other["device"] for other in visit.other_sign_outs]}
    if now is not None:  # a check-in that never recorded whether its badge printed
        row["badge_not_confirmed"] = badge_unconfirmed(visit, now)
    return row


def _visit_line(row: dict[str, Any]) -> str:
    line = f"{row['since']}  {row['name']}  {row['company'] or '-'}  → {row['host']}"
    if row["invitation_used_more_than_once"]:
        line += f"  [invitation used more than once: also {', '.join(row['invitation_also_used_by'])}]"
    if row.get("signed_out_twice"):
        line += f"  [signed out twice: also by {', '.join(row['also_signed_out_by'])}]"
    if row.get("badge_not_confirmed"):  # the check-in never recorded whether its badge printed
        line += (f"  [badge not confirmed: kiosk reprint {row['visit_id']}, kiosk confirm-printed {row['visit_id']}"
                 f" or kiosk signout {row['visit_id']} --reason ...]")
    return line


def cmd_onsite(args) -> int:
    kiosk = _kiosk(args)
    rows = [_visit_row(v, kiosk.clock()) for v in kiosk.on_site()]
    lines = [_visit_line(r) for r in rows]
    _emit(args, {"count": len(rows), "visits": rows}, "\n".join(lines + [f"{len(rows)} on site"]))
    _warn_quarantine(kiosk)  # someone may be missing from the list
    return 0


def cmd_signout(args) -> int:
    visit = _kiosk(args).sign_out_by_hand(args.visit_id, note=args.reason)
    print(f"signed out {visit.visitor.get('name') or visit.visit_id} by hand: {args.reason}")
    return 0


def cmd_lost(args) -> int:
    kiosk = _kiosk(args)
    badge_id = tokens.parse_badge_number(args.badge)
    if badge_id is None:
        parsed = tokens.parse(args.badge)
        badge_id = parsed[0].badge_id if parsed else None
    if badge_id is None:
        raise KioskError(f"{args.badge!r} is not a badge number (like K7QF-2M9X) nor a badge scan")
    visit = kiosk.mark_lost(badge_id)
    print(f"badge {tokens.badge_number(badge_id)} of {visit.visitor.get('name') or visit.visit_id} is revoked")
    return 0


def _list_refused(kiosk) -> None:
    """This device's events the server refused (kept here, never pushed again), on stderr."""
    from kiosk.store.refused import RefusedTable

    for r in RefusedTable(kiosk.log.db).listed():
        print(f"refused by the server: {r.kind} {r.event_id} of visit {r.visit_id}: {r.reason}", file=sys.stderr)


def cmd_sync(args) -> int:
    from sync.client import SyncClient
    from sync.worker import Syncer

    kiosk = _kiosk(args)
    if not (kiosk.settings.server and kiosk.settings.token):
        raise KioskError("stand-alone device: set server and token (KIOSK_SERVER, KIOSK_TOKEN) to sync")
    syncer = Syncer(kiosk, SyncClient(kiosk.settings.server, kiosk.settings.token))
    if args.once:
        done = syncer.sync_round()
        print(f"synced with {kiosk.settings.server}: {done}")
        _warn_quarantine(kiosk)
        _list_refused(kiosk)
        for part, exc in done.failed.items():
            print(f"kiosk: sync failed ({part}): {exc}", file=sys.stderr)
        return EXIT_REFUSED if done.failed else 0
    try:
        syncer.run(report=lambda line: print(line, flush=True),
                   alert=lambda line: print(f"kiosk: {line}", file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_quarantine(args) -> int:
    rows = [{**r, "raw": _masked_raw(r["raw"])} for r in quarantine.listed(_kiosk(args).log.db)]
    lines = [f"{_time(r['received_at'])}  {r['event_id'] or '-'}  {r['kind'] or '-'}  visit {r['visit_id'] or '-'}: "
             f"{r['reason']}" for r in rows]
    _emit(args, {"count": len(rows), "events": rows}, "\n".join(lines + [f"{len(rows)} events set aside"]))
    return 0


def _masked_raw(raw: str) -> str:
    """An event set aside, as received, with its phone and ID numbers masked (kiosk.core.masking);
    one cut off at 64 KB is no JSON: its texts are masked, its numbers too."""
    try:
        return json.dumps(masked_payload(json.loads(raw)), ensure_ascii=False)
    except (TypeError, ValueError):
        return mask_text(raw or "")


def _warn_quarantine(kiosk: Kiosk) -> None:
    """Pulled events this device set aside, said on stderr (they are not in any list)."""
    said = quarantine.describe(quarantine.summary(kiosk.log.db))
    if said:
        print(f"kiosk: {said}", file=sys.stderr)


def cmd_notify(args) -> int:
    from kiosk.notifier import Notifier

    notifier = Notifier(_kiosk(args))
    if args.once:
        done = notifier.deliver_due()
        counts = notifier.outbox.counts()
        print(f"notices: {done}; {counts['waiting']} waiting, {counts['failed']} failed in all")
        return 0 if not (done.retrying or done.failed) else 1
    try:
        notifier.run(report=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_roll_call(args) -> int:
    kiosk = _kiosk(args)
    visits = kiosk.in_building()
    rows = [_visit_row(v, kiosk.clock()) for v in visits]
    try:
        kiosk.print_roll_call(visits)
        printed, error = True, None
    except PrinterError as exc:
        printed, error = False, str(exc)
    # The list goes out whatever the printer does: in an evacuation it is what counts.
    lines = [_visit_line(r) for r in rows]
    _emit(args, {"count": len(rows), "visits": rows, "printed": printed, "print_error": error},
          "\n".join(lines + [f"{len(rows)} in the building; " + ("list printed" if printed else f"list {error}")]))
    _warn_quarantine(kiosk)
    return 0 if printed else EXIT_NOT_PRINTED


def _printer(args):
    return open_printer(load_settings(args.config).printer_url)


def cmd_printer_status(args) -> int:
    printer = _printer(args)
    status = printer.status()
    message = printer.status_message(status)  # a label printer says more: which roll, what is wrong
    payload = {"printer": printer.url, "status": status.value, "message": message}
    text = f"{printer.url}: {message}"
    fallback_url = load_settings(args.config).printer_fallback
    if fallback_url:  # badges go there while the first cannot print
        fallback = open_printer(fallback_url)
        spare = fallback.status()
        spare_words = fallback.status_message(spare)
        payload["fallback"] = {"printer": fallback.url, "status": spare.value, "message": spare_words,
                               "in_use": not status.can_print}
        text += f"\nfallback {fallback.url}: {spare_words}" + ("" if status.can_print else " (in use)")
        status = status if status.can_print else spare
    _emit(args, payload, text)
    return 0 if status.can_print else EXIT_REFUSED


def cmd_printer_test(args) -> int:
    printer = _printer(args)
    status = print_test_page(printer)
    _emit(args, {"printer": printer.url, "status": status.value, "printed": True, "width": printer.width},
          f"test page printed on {printer.url} ({printer.width} dots, {printer.profile}); status: {printer.status_message(status)}")
    return 0


def cmd_printer_serve(args) -> int:
    serve(args.port, Path(args.out), host=args.host, mode=args.mode, bytes_per_second=args.bytes_per_second,
          drop_after=args.drop_after, width=args.width)
    return 0


def cmd_end_of_day(args) -> int:
    kiosk = _kiosk(args)
    cutoff = end_of_day_cutoff(kiosk.settings.auto_signout_at, kiosk.clock())
    if cutoff is None:
        raise KioskError("automatic sign-out is off: set auto_signout_at (KIOSK_AUTO_SIGNOUT_AT), e.g. 20:00")
    unconfirmed = {v.visit_id for v in kiosk.on_site() if badge_unconfirmed(v, kiosk.clock())}
    rows = [{**_visit_row(v), "badge_not_confirmed": v.visit_id in unconfirmed} for v in kiosk.auto_sign_out(cutoff)]
    text = f"signed out {len(rows)} visitors still on site"
    if unconfirmed & {row["visit_id"] for row in rows}:
        text += "; badge never confirmed printed (it may be out there): " + ", ".join(
            row["visit_id"] for row in rows if row["badge_not_confirmed"])
    _emit(args, {"count": len(rows), "visits": rows}, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
