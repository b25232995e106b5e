"""Who is asking: bearer tokens, the devices and admins they belong to, and their registration.

A token is 32 random bytes (urlsafe Base64), shown once and stored only as its SHA-256. A slow
password hash (bcrypt, scrypt) protects guessable secrets; a 256-bit random token cannot be
guessed, so one fast hash is as safe and keeps checking a token on every request cheap.

Every request looks its token up afresh (no cache), so revoking a device stops it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from kiosk.core.validation import clean_text
from kiosk.errors import ValidationError
from kiosk.settings import ROLES
from sync import protocol
from sync.server.db import Database, admins, devices
from sync.server.errors import Conflict, Invalid, NotFound, Unauthorized

MAX_ADMIN_NAME = 64
# The server's own name in a site's log (the events it writes) and key ring (the key it signs
# invitations with); no device may take it, or its events and keys would pass for the server's.
SERVER_DEVICE = "server"


@dataclass(frozen=True)
class Device:
    site: str
    name: str
    role: str


@dataclass(frozen=True)
class Admin:
    name: str


Principal = Device | Admin


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(db: Database, token: str | None) -> Principal:
    """The device or admin a bearer token belongs to, or Unauthorized."""
    if not token:
        raise Unauthorized("this needs an 'Authorization: Bearer TOKEN' header")
    digest = token_hash(token)
    with db.read() as conn:
        device = conn.execute(sa.select(devices).where(devices.c.token_hash == digest)).first()
        admin = None if device else conn.execute(sa.select(admins).where(admins.c.token_hash == digest)).first()
    # The lookup is by hash, so its timing tells nothing about the token; the constant-time
    # comparison keeps it that way should the lookup ever change.
    found = device or admin
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        raise Unauthorized("unknown token")
    if found.revoked_at is not None:
        what = f"device {found.site}/{found.name}" if device else f"admin {found.name}"
        raise Unauthorized(f"{what} has been revoked")
    return Device(found.site, found.name, found.role) if device else Admin(found.name)


def add_device(db: Database, site: str, name: str, role: str, now: int) -> str:
    """Register a device and return its token. A name once used stays taken, even after
    revocation: its events and badge keys remain in the log under that name."""
    for what, value in (("site", site), ("device name", name)):
        if not isinstance(value, str) or not re.fullmatch(protocol.NAME.pattern, value):
            raise Invalid(f"{what} must be 1-20 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if name.casefold() == SERVER_DEVICE:
        raise Invalid(f"the device name {name!r} is the server's own; choose another")
    token = new_token()
    with db.write() as conn:
        found = conn.execute(sa.select(devices.c.revoked_at)
                             .where(devices.c.site == site, devices.c.name == name)).first()
        if found is not None:
            raise Conflict(f"device {site}/{name} " + ("was revoked; register its replacement under a new name"
                                                       if found.revoked_at is not None else "is already registered"))
        conn.execute(devices.insert().values(site=site, name=name, role=role, token_hash=token_hash(token),
                                             created_at=now))
    return token


def revoke_device(db: Database, site: str, name: str, now: int) -> None:
    """Stop a device's token at once; the keys it registered are reported revoked from then on."""
    with db.write() as conn:
        found = conn.execute(sa.select(devices.c.revoked_at)
                             .where(devices.c.site == site, devices.c.name == name)).first()
        if found is None:
            raise NotFound(f"no device {site}/{name}")
        if found.revoked_at is None:
            conn.execute(devices.update().where(devices.c.site == site, devices.c.name == name).values(revoked_at=now))


def add_admin(db: Database, name: str, now: int) -> str:
    try:
        name = clean_text(name, "admin name", MAX_ADMIN_NAME, required=True)
    except ValidationError as e:
        raise Invalid(str(e)) from None
    token = new_token()
    with db.write() as conn:
        if conn.execute(sa.select(admins.c.name).where(admins.c.name == name)).first() is not None:
            raise Conflict(f"admin {name} already exists")
        conn.execute(admins.insert().values(name=name, token_hash=token_hash(token), created_at=now))
    return token


def revoke_admin(db: Database, name: str, now: int) -> None:
    with db.write() as conn:
        found = conn.execute(sa.select(admins.c.revoked_at).where(admins.c.name == name)).first()
        if found is None:
            raise NotFound(f"no admin {name}")
        if found.revoked_at is None:
            conn.execute(admins.update().where(admins.c.name == name).values(revoked_at=now))
