"""The console's accounts: people with a name, a role, the sites they may see, and an argon2id
password hash (argon2-cffi); wrong passwords lock an account for a while.

Roles (README, "The web console"): ``admin`` everything; ``security`` the board, roll call,
visit history and unmasking phones; ``reception`` their sites' board, approvals and roll call;
``auditor`` the register, exports and the audit log, read only. An account sees the sites it
lists, or every site when it lists none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.core.validation import clean_text
from kiosk.errors import ValidationError
from sync import protocol
from sync.server.db import Database, console_sessions, console_users
from sync.server.errors import Conflict, Invalid, NotFound

ROLES = ("admin", "security", "reception", "auditor")
MAX_NAME = 64
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this keeps one login from costing much more than another
LOCK_AFTER = 5  # wrong passwords in a row
LOCK_MS = 15 * 60 * 1000

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters
# A hash to check a password against when the name is unknown, so that the answer takes as long
# as for a known name and the timing does not tell which names exist.
_DUMMY = _hasher.hash("no such account")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    sites: tuple[str, ...] | None  # None: every site

    def may_see(self, site: str) -> bool:
        """Whether this account may see anything of ``site``."""
        return self.sites is None or site in self.sites

    @property
    def sites_shown(self) -> str:
        return "*" if self.sites is None else ",".join(self.sites)


def checked_name(name: str) -> str:
    try:
        name = clean_text(name, "name", MAX_NAME)
    except ValidationError as e:
        raise Invalid(str(e)) from None
    if not name:
        raise Invalid("the account needs a name")
    return name


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"a password may have at most {MAX_PASSWORD} characters")
    return password


def add_user(db: Database, name: str, role: str, sites: list[str] | None, password: str, now: int) -> User:
    name = checked_name(name)
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    for site in sites or ():
        if not protocol.NAME.fullmatch(site):
            raise Invalid(f"not a site name: {site!r}")
    sites = sorted(set(sites)) if sites else None
    digest = _hasher.hash(checked_password(password))
    with db.write() as conn:
        if conn.execute(sa.select(console_users.c.name).where(console_users.c.name == name)).first():
            raise Conflict(f"there is already an account named {name}")
        conn.execute(console_users.insert().values(name=name, role=role, password_hash=digest, created_at=now,
                                                   sites=None if sites is None else json.dumps(sites)))
    return User(name, role, None if sites is None else tuple(sites))


def remove_user(db: Database, name: str) -> None:
    """Remove an account; its sessions end with it."""
    with db.write() as conn:
        conn.execute(console_sessions.delete().where(console_sessions.c.user_name == name))
        if conn.execute(console_users.delete().where(console_users.c.name == name)).rowcount == 0:
            raise NotFound(f"there is no account named {name}")


def users(db: Database) -> list[tuple[User, int | None]]:
    """Every account, with the time it is locked until (None: not locked)."""
    with db.read() as conn:
        rows = conn.execute(sa.select(console_users).order_by(console_users.c.name)).all()
    return [(_user(row), row.locked_until) for row in rows]


def get_user(db: Database, name: str) -> User | None:
    with db.read() as conn:
        row = conn.execute(sa.select(console_users).where(console_users.c.name == name)).first()
    return None if row is None else _user(row)


def _user(row: sa.Row) -> User:
    return User(row.name, row.role, None if row.sites is None else tuple(json.loads(row.sites)))


class Locked(Exception):
    def __init__(self, until: int):
        super().__init__(until)
        self.until = until


def verify(db: Database, name: str, password: str, now: int) -> User | None:
    """The account when the password is right; None when the name or password is wrong (one
    answer for both). Raises Locked while the account is locked: then the password is not even
    checked, so guessing on through a lockout learns nothing."""
    with db.read() as conn:
        row = conn.execute(sa.select(console_users).where(console_users.c.name == name)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise Locked(row.locked_until)
    right = _matches(row.password_hash if row else _DUMMY, password[:MAX_PASSWORD])
    if row is None:
        return None
    with db.write() as conn:
        if right:
            conn.execute(console_users.update().where(console_users.c.name == name)
                         .values(failed_logins=0, locked_until=None))
            return _user(row)
        failed = (row.failed_logins or 0) + 1
        locked = now + LOCK_MS if failed >= LOCK_AFTER else None
        conn.execute(console_users.update().where(console_users.c.name == name)
                     .values(failed_logins=0 if locked else failed, locked_until=locked))
    if locked:
        raise Locked(locked)
    return None


def _matches(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
