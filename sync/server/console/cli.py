"""The console's ``kiosk-server`` commands: add-user, users, remove-user, audit.

A password is read from the terminal (twice, not echoed) or, when standard input is not a
terminal, from its first line: never from an argument, which ``ps`` shows to every local user.
"""

from __future__ import annotations

import getpass
import json
import sys
from contextlib import closing

from sync.server.console import accounts, audit
from sync.server.console.web import parse_day, shown_time
from sync.server.db import Database
from sync.server.errors import ServerError


def add_commands(command) -> None:
    """Add the commands through cli._parser's ``command(name, handler, help)``."""
    add = command("add-user", cmd_add_user, "create a web console account (password from the terminal or stdin)")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--site", action="append", metavar="SITE",
                     help="a site the account may see (repeat for more; none: every site)")
    command("users", cmd_users, "list the web console's accounts")
    command("remove-user", cmd_remove_user, "remove a web console account; its sessions end").add_argument("name")
    log = command("audit", cmd_audit, "the console's audit log, newest first, tab-separated")
    log.add_argument("--who")
    log.add_argument("--action")
    log.add_argument("--since", metavar="YYYY-MM-DD")
    log.add_argument("--until", metavar="YYYY-MM-DD", help="up to and including this day")
    log.add_argument("--limit", type=int, default=1000)


def read_password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ServerError("the two passwords differ")
    return first


def cmd_add_user(args) -> int:
    from sync.server.app import now_ms
    password = read_password()
    with closing(Database(args.db)) as db:
        user = accounts.add_user(db, args.name, args.role, args.site, password, now_ms())
        audit.record(db, f"{getpass.getuser()} (kiosk-server)", "user_add", now_ms(), target=user.name,
                     detail={"role": user.role, "sites": user.sites_shown})
    print(f"account {user.name} ({user.role}, sites {user.sites_shown}) created")
    return 0


def cmd_users(args) -> int:
    from sync.server.app import now_ms
    with closing(Database(args.db)) as db:
        found = accounts.users(db)
    now = now_ms()
    print("name\trole\tsites\tlocked_until")
    for user, locked in found:
        locked_until = shown_time(locked) if locked and locked > now else ""
        print("\t".join((user.name, user.role, user.sites_shown, locked_until)))
    return 0


def cmd_remove_user(args) -> int:
    from sync.server.app import now_ms
    with closing(Database(args.db)) as db:
        accounts.remove_user(db, args.name)
        audit.record(db, f"{getpass.getuser()} (kiosk-server)", "user_remove", now_ms(), target=args.name)
    return 0


def cmd_audit(args) -> int:
    try:
        chosen = audit.Filter(who=args.who or "", action=args.action or "", since=parse_day(args.since or ""),
                              until=parse_day(args.until or "", end=True))
    except ValueError:
        raise ServerError("a date is YYYY-MM-DD") from None
    with closing(Database(args.db)) as db:
        rows = audit.entries(db, chosen, limit=args.limit)
    print("\t".join(audit.COLUMNS))
    for e in rows:
        print("\t".join(" ".join(str(v).split()) for v in (
            e.entry, shown_time(e.at), e.who, e.action, e.target, e.reason,
            json.dumps(e.detail, ensure_ascii=False), e.address)))
    return 0
