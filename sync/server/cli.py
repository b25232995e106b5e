"""The ``kiosk-server`` command: run the central server and manage what it holds.

Every command takes ``--db URL`` (env ``KIOSK_SERVER_DB``; default a SQLite file under
$XDG_DATA_HOME/kiosk-server) or ``--db-file PATH``, a file holding the URL: a password on the
command line is visible to every local user in ``ps`` (sync.server.passwords). Exit status: 0
done; 1 refused or failed, with one line on stderr saying why; 2 bad usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import getpass
import json
import os
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path

import uvicorn

from kiosk.core.masking import masked_payload
from kiosk.errors import KioskError
from kiosk.hostcsv import read_hosts_csv
from kiosk.notify import BadChannel, channel_from_url, plainhttp
from kiosk.notify.plainhttp import PlainHttp
from kiosk.privatefiles import write_private
from kiosk.settings import ROLES
from kiosk.watchcsv import COLUMNS, read_watchlist_csv, shown
from printer.errors import PrinterError
from printer.invitation import card_png, window
from sync.server import (accesslog, auth, catchup, connections, export, invitations, passwords, person, purge,
                         ratelimit, store, tombstones)
from sync.server.app import create_app, now_ms
from sync.server.console import cli as console_cli
from sync.server.db import Database
from sync.server.errors import ServerError
from sync.server.intake import DEFAULT_TIMEOUT_S
from sync.server.models import DEFAULT_HOURS, MAX_HOURS

DB_ENV = "KIOSK_SERVER_DB"
# Each may hold a body of up to 2 MB for up to --read-timeout: 200 connections, 400 MB at worst.
MAX_CONNECTIONS = 200
SMTP_HELP = ("email invitations through smtp://USER:PASSWORD@HOST:587?from=ADDRESS (STARTTLS), smtps://... (TLS) "
             f"or smtp+plain://localhost (default: ${invitations.SMTP_ENV}; none: no email); "
             "with a password, use --smtp-file or the environment")
SMTP_FILE_HELP = "read the SMTP URL from this file (mode 0600), so no password shows in ps"


def default_db() -> str:
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return str(Path(data_home) / "kiosk-server" / "server.sqlite3")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.db = passwords.setting("--db", args.db, getattr(args, "db_file", None), DB_ENV) or default_db()
        return args.handler(args)
    except (ServerError, KioskError) as exc:
        print(f"kiosk-server: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-server", description="The visitor kiosks' central server.")
    parser.add_argument("--db", help=f"database URL: sqlite:///PATH or postgresql://... (default: ${DB_ENV}, "
                                     f"else {default_db()}); with a password, use --db-file or ${DB_ENV}")
    parser.add_argument("--db-file", metavar="PATH", help="read the database URL from this file (mode 0600), "
                                                          "so no password shows in ps")
    # --db is accepted after the command too; SUPPRESS keeps a missing one from hiding the first.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--db-file", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help: str, parent=commands) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    serve = command("serve", cmd_serve, "run the HTTP API (behind nginx or Caddy for TLS)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--smtp", help=SMTP_HELP)
    serve.add_argument("--smtp-file", metavar="PATH", help=SMTP_FILE_HELP)
    serve.add_argument("--max-connections", type=_positive(int), default=MAX_CONNECTIONS, metavar="N",
                       help="open connections served at once; a request beyond them is answered 503 "
                            f"(default: {MAX_CONNECTIONS})")
    serve.add_argument("--read-timeout", type=_positive(float), default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                       help="a connection must send a request's headers, then its body, each within this long: "
                            f"else it is closed (a late body is answered 408) (default: {DEFAULT_TIMEOUT_S:g})")
    for what, default in (("push", ratelimit.PUSH_RATE), ("pull", ratelimit.PULL_RATE)):
        serve.add_argument(f"--{what}-rate", type=_rate, default=default, metavar="PER_SECOND/BURST",
                           help=f"{what} requests a device may make (default {default.per_second:g}/{default.burst}; "
                                "off: no limit)")
    add = command("add-device", cmd_add_device, "register a device and print its token")
    add.add_argument("--site", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=ROLES, default="visitor")
    revoke = command("revoke-device", cmd_revoke_device, "stop a device's token at once")
    revoke.add_argument("--site", required=True)
    revoke.add_argument("--name", required=True)
    command("add-admin", cmd_add_admin, "create an admin and print its token").add_argument("--name", required=True)
    command("revoke-admin", cmd_revoke_admin, "stop an admin's token").add_argument("--name", required=True)
    out = command("export", cmd_export, "every visit of every site, for audit")
    out.add_argument("--format", choices=export.FORMATS, default="csv")
    out.add_argument("--site", help="only this site")
    out.add_argument("--output", help="write to this file (default: standard output)")
    inv = command("invite", cmd_invite, "register a visitor ahead: print the signed invitation, email its QR")
    inv.add_argument("--site", required=True)
    inv.add_argument("--name", required=True, help="the visitor's name")
    host = inv.add_mutually_exclusive_group(required=True)
    host.add_argument("--host-id", help="the host, from the directory (kiosk-server hosts list)")
    host.add_argument("--host", help="the host's name, when there is no directory")
    inv.add_argument("--company", default="")
    inv.add_argument("--phone", default="")
    inv.add_argument("--purpose", default="")
    inv.add_argument("--type", dest="visitor_type", default="guest", help="guest, contractor, interview, ...")
    inv.add_argument("--from", dest="valid_from", type=_aware_time, metavar="ISO",
                     help="when it becomes valid, with its UTC offset: 2024-05-01T09:00+08:00 (default: now)")
    inv.add_argument("--hours", type=int, default=DEFAULT_HOURS, help=f"how long it is valid, 1 to {MAX_HOURS}")
    inv.add_argument("--email", default="", help="the visitor's address: the QR is sent there")
    inv.add_argument("--qr", metavar="FILE.png", help="also save the invitation card (the QR) as a PNG file")
    inv.add_argument("--smtp", help=SMTP_HELP)
    inv.add_argument("--smtp-file", metavar="PATH", help=SMTP_FILE_HELP)
    hosts = commands.add_parser("hosts", help="the host directory").add_subparsers(dest="hosts_command", required=True)
    imp = command("import", cmd_hosts_import, "replace the directory with a CSV file (name,department,email,phone)",
                  parent=hosts)
    imp.add_argument("file")
    command("list", cmd_hosts_list, "print the directory, one host a line (channels by kind and host only)",
            parent=hosts)
    watch = commands.add_parser("watchlist", help="the watchlist, for every site").add_subparsers(
        dest="watchlist_command", required=True)
    command("import", cmd_watchlist_import, "replace the watchlist with a CSV file "
            "(name,aliases,company,phone,action,note)", parent=watch).add_argument("file")
    command("list", cmd_watchlist_list, "print the watchlist, one entry a line (phones masked)", parent=watch)
    evs = commands.add_parser("events", help="the sites' event logs").add_subparsers(dest="events_command",
                                                                                     required=True)
    tomb = command("tombstone", cmd_events_tombstone, "withdraw a stored event: kept with the reason, served to "
                   "no device again, left out by every device's fold and the export", parent=evs)
    tomb.add_argument("event_id", metavar="ID")
    tomb.add_argument("--reason", required=True)
    listing = command("list", cmd_events_list, "a visit's events (--site, --visit), or the withdrawn ones "
                      "(--tombstoned)", parent=evs)
    listing.add_argument("--site")
    listing.add_argument("--visit", help="the visit's id")
    listing.add_argument("--tombstoned", action="store_true", help="the events withdrawn, with why, by whom, when")
    _privacy_commands(commands, command, person.add_commands(commands, command))  # person find|export|erase
    console_cli.add_commands(command)
    return parser


def _privacy_commands(commands, command, people) -> None:
    """purge, person erase (beside person find|export: ``people``, sync.server.person), retention
    (sync.server.purge)."""
    sweep = command("purge", cmd_purge, "purge every visit past its site's retention policy, on the server and "
                    "(as they sync) on every device")
    sweep.add_argument("--dry-run", action="store_true", help="only list what would be purged")
    erase = command("erase", cmd_person_erase, "erase every visit of one person now, on every site and device "
                    "(by phone, or by name and company)", parent=people)
    erase.add_argument("--phone", default="")
    erase.add_argument("--name", default="")
    erase.add_argument("--company", default="")
    erase.add_argument("--dry-run", action="store_true", help="only list the visits that would be erased")
    keep = commands.add_parser("retention", help="each site's retention policy").add_subparsers(
        dest="retention_command", required=True)
    setting = command("set", cmd_retention_set, "set a site's retention policy (devices get it as they sync)",
                      parent=keep)
    setting.add_argument("--site", required=True)
    setting.add_argument("--days", type=int, required=True, help="retention_days: identifying data (default 180)")
    setting.add_argument("--sensitive-days", type=int, required=True,
                         help="sensitive_retention_days: signatures and sensitive data (default 30)")
    command("show", cmd_retention_show, "a site's retention policy", parent=keep).add_argument("--site", required=True)


def cmd_purge(args) -> int:
    with _database(args) as db:
        targets = purge.purge_due(db, now_ms(), dry_run=args.dry_run)
    for t in targets:
        print(f"{t.site}\t{t.visit_id}\t{t.scope}")
    verb = "would purge" if args.dry_run else "purged"
    print(f"{verb} {len(targets)} visits", file=sys.stderr)
    return 0


def cmd_person_erase(args) -> int:
    who = {"phone": args.phone, "name": args.name, "company": args.company}
    with _database(args) as db:
        targets = purge.person_visits(db, **who) if args.dry_run else purge.erase_person(db, now_ms(), **who)
    for t in targets:
        print(f"{t.site}\t{t.visit_id}")
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb} {len(targets)} visits (devices forget them as they sync)", file=sys.stderr)
    return 0


def cmd_retention_set(args) -> int:
    with _database(args) as db:
        chosen = purge.set_policy(db, args.site, args.days, args.sensitive_days, now_ms())
    print(f"site {args.site}: retention_days {chosen.days}, sensitive_retention_days {chosen.sensitive_days}")
    return 0


def cmd_retention_show(args) -> int:
    with _database(args) as db:
        chosen = purge.policy(db, args.site)
    print(f"site {args.site}: retention_days {chosen.days}, sensitive_retention_days {chosen.sensitive_days}")
    return 0


def _positive(kind: type[int] | type[float]):
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be a positive {kind.__name__}")
        return value
    return parse


def _aware_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError("must be an ISO 8601 time with its UTC offset, e.g. 2024-05-01T09:00+08:00")
    return moment


def _smtp(args) -> str:
    return passwords.setting("--smtp", args.smtp, args.smtp_file, invitations.SMTP_ENV)


def _allow_plain_http() -> str:
    """The hosts a directory's channels may reach over http:// ($KIOSK_ALLOW_PLAIN_HTTP, as on devices)."""
    return os.environ.get(plainhttp.ENV, "")


def _plain_http() -> PlainHttp:
    try:
        return PlainHttp.parse(_allow_plain_http())
    except ValueError as e:
        raise ServerError(f"{plainhttp.ENV}: expected {e}") from None


def _rate(text: str) -> ratelimit.Rate | None:
    try:
        return ratelimit.parse_rate(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def cmd_serve(args) -> int:
    _plain_http()  # a bad value stops the start with one line
    app = create_app(args.db, smtp=_smtp(args), allow_plain_http=_allow_plain_http(),
                     read_timeout_s=args.read_timeout,
                     limits=ratelimit.Limits(args.push_rate, args.pull_rate))
    # What start-up made (modules, the app, its models) lives as long as the process. Frozen,
    # the collector no longer walks it on every full collection, which otherwise cost the
    # request that triggers one tens of milliseconds. Start-up's garbage goes first.
    gc.collect()
    gc.freeze()
    # The access log shows method, path and status, approval links redacted (sync.server.accesslog);
    # tokens travel only in the Authorization header, which it never prints.
    # limit_concurrency counts open connections (stalled ones too) and requests in progress:
    # with the read timeout and the size limits of headers and bodies it bounds what clients can
    # make the server hold, and for how long (sync.server.connections, sync.server.intake).
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_config=accesslog.log_config(),
                limit_concurrency=args.max_connections, http=connections.bounded(args.read_timeout),
                timeout_keep_alive=connections.KEEP_ALIVE_S)
    return 0


def cmd_add_device(args) -> int:
    with _database(args) as db:
        print(auth.add_device(db, args.site, args.name, args.role, now_ms()))
    return 0


def cmd_revoke_device(args) -> int:
    with _database(args) as db:
        auth.revoke_device(db, args.site, args.name, now_ms())
    return 0


def cmd_add_admin(args) -> int:
    with _database(args) as db:
        print(auth.add_admin(db, args.name, now_ms()))
    return 0


def cmd_revoke_admin(args) -> int:
    with _database(args) as db:
        auth.revoke_admin(db, args.name, now_ms())
    return 0


def cmd_export(args) -> int:
    with _database(args) as db:  # streamed: a batch of visits in memory at a time, whatever the log's size
        behind = catchup.catch_up(db, args.site)  # a database that cannot write still exports what it folded
        if behind:
            print(f"kiosk-server: {catchup.describe(behind)}", file=sys.stderr)
        data = export.render(store.export_rows(db, args.site, fold=False), args.format)
        if not args.output:
            for piece in data:
                sys.stdout.buffer.write(piece)
            sys.stdout.flush()
            return 0
        try:
            write_private(Path(args.output), data)  # visitors' names and companies: the operator's eyes only
        except OSError as e:
            raise ServerError(f"cannot write {args.output}: {e.strerror}") from None
    return 0


def cmd_invite(args) -> int:
    """As POST /v1/invitations does; the card is saved after the invitation is made, so a card
    that cannot be saved says so and leaves the invitation (printed above) valid."""
    mail = invitations.mailer(_smtp(args)) if _smtp(args) else None
    fields = {k: getattr(args, k) for k in ("name", "company", "phone", "host_id", "host", "purpose", "visitor_type",
                                            "valid_from", "hours", "email")}
    with _database(args) as db:
        made = invitations.invite(db, args.site, now_ms(), mail, **fields)
    answer = made.answer()
    print(f"invite id  {answer['invite_id']}")
    print(f"valid      {window(answer['valid_from'], answer['expires'])}")
    print(f"emailed    {'yes' if made.emailed else 'no: ' + made.reason}")
    print(f"text       {made.text}")
    if args.qr:
        try:
            write_private(Path(args.qr), card_png(made.card()))  # the card admits its visitor
        except OSError as e:
            raise ServerError(f"the invitation was made, but {args.qr} cannot be written: {e.strerror}") from None
        except PrinterError as e:
            raise ServerError(f"the invitation was made, but its card cannot be drawn: {e}") from None
    return 0


def cmd_hosts_import(args) -> int:
    plain_http = _plain_http()
    hosts = store.checked_hosts((dataclasses.asdict(h) for h in read_hosts_csv(args.file, plain_http)), plain_http)
    with _database(args) as db:
        store.replace_hosts(db, hosts)
    print(f"{len(hosts)} hosts imported")
    return 0


_LISTED = ("host_id", "name", "english_name", "department", "email", "language", "aliases", "channels")


def cmd_hosts_list(args) -> int:
    """Tab-separated, a header line first. No phone numbers (confidential) and no channel URLs:
    they hold passwords and keys, and a terminal's scrollback is no place for them."""
    with _database(args) as db:
        directory = store.all_hosts(db)
    print("\t".join(_LISTED))
    for host in directory:
        shown = {**dataclasses.asdict(host), "aliases": "; ".join(host.aliases),
                 "channels": "; ".join(map(_described, host.channels))}
        print("\t".join(shown[column] for column in _LISTED))
    return 0


def cmd_watchlist_import(args) -> int:
    entries = read_watchlist_csv(args.file)
    with _database(args) as db:
        store.replace_watchlist(db, entries, now_ms())
    print(f"{len(entries)} watchlist entries imported")
    return 0


def cmd_watchlist_list(args) -> int:
    """Tab-separated, a header line first, as kiosk.watchcsv shows entries (phones masked)."""
    with _database(args) as db:
        entries, _ = store.get_watchlist(db) or ([], None)
    print("\t".join(("entry_id", *COLUMNS)))
    for entry in entries:
        print("\t".join((entry.entry_id, *shown(entry).values())))
    return 0


def cmd_events_tombstone(args) -> int:
    with _database(args) as db:
        done = tombstones.tombstone(db, args.event_id, args.reason, f"{getpass.getuser()} (kiosk-server)", now_ms())
    print(f"event {done.event_id} ({done.kind} of visit {done.visit_id}, site {done.site}, device {done.device}) "
          "is tombstoned")
    return 0


def cmd_events_list(args) -> int:
    """Tab-separated, a header line first."""
    with _database(args) as db:
        if args.tombstoned:
            print("event_id\tsite\tvisit_id\tkind\tdevice\tby\tat\treason")
            for t in tombstones.listed(db, args.site):
                print("\t".join((t.event_id, t.site, t.visit_id, t.kind, t.device, t.by, _shown_ms(t.at),
                                 " ".join(t.reason.split()))))
            return 0
        if not (args.site and args.visit):
            raise ServerError("name the visit (--site S --visit V), or list the withdrawn events (--tombstoned)")
        withdrawn = {t.event_id for t in tombstones.listed(db, args.site)}
        print("event_id\tts\tdevice\tkind\ttombstoned\tdata")
        for e in store.visit_events(db, args.site, args.visit):
            data = json.dumps(masked_payload(e.data), ensure_ascii=False, sort_keys=True)  # phones, IDs masked
            print("\t".join((e.event_id, _shown_ms(e.ts), e.device, e.kind, "yes" if e.event_id in withdrawn else "",
                             data if len(data) <= 200 else data[:200] + "…")))
    return 0


def _shown_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().isoformat(timespec="seconds")


def _described(url: str) -> str:
    try:
        return channel_from_url(url, plain_http=None).description
    except BadChannel as e:  # usable where it was imported, not here (a CA file the server lacks)
        return f"unusable here: {e}"


def _database(args) -> closing[Database]:
    return closing(Database(args.db))
