"""Who is using the console: sessions in a cookie, CSRF tokens, and the FastAPI dependencies
that give a page its user or turn the request away.

The cookie holds a random session id (256 bits); the server keeps only its SHA-256, with the
user, the session's CSRF token and its expiry (table console_sessions), so a copy of the
database logs no one in. A new id is made at every login (no fixation) and the row is deleted
at logout. The cookie is HttpOnly, SameSite=Strict and Secure (named ``__Host-console``); only
``KIOSK_CONSOLE_INSECURE_COOKIES=1`` drops Secure, for plain http://127.0.0.1 in tests and on a
developer's machine (browsers send a Secure cookie over https only), and only for requests to
127.0.0.1, localhost or ::1 by name: a console reached by any other name keeps Secure.

Every POST carries the session's CSRF token (a hidden ``csrf`` form field, or the
``X-CSRF-Token`` header from the console's script); ``check_csrf`` compares it in constant time.

Usage in a route::

    @router.get("/console/x")
    def page(user: Annotated[User, Depends(page_user)]): ...        # HTML: no session -> login
    @router.get("/console/api/x")
    def data(user: Annotated[User, Depends(api_user)]): ...         # API: no session -> 401

and ``visible_site(user, site)`` before showing anything of a site: 404 when the account may not
see it, as if it did not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Depends, Request

from sync.server.console.accounts import User, get_user
from sync.server.db import Database, console_sessions
from sync.server.errors import Forbidden, NotFound, ServerError, TooManyRequests, Unauthorized

INSECURE_ENV = "KIOSK_CONSOLE_INSECURE_COOKIES"
IDLE_MS = 30 * 60 * 1000  # a session unused this long ends
MAX_MS = 12 * 60 * 60 * 1000  # and any session after a working day
TOUCH_MS = 60 * 1000  # how often a session in use has its expiry pushed on (a write)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
PRELOGIN = "console-login"  # the login form's own CSRF cookie, before there is a session


@dataclass
class Settings:
    secure_cookies: bool = True

    @property
    def cookie(self) -> str:
        # __Host-: the browser takes it only Secure, from this host, for path / (no subdomain can set it)
        return "__Host-console" if self.secure_cookies else "console"

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(secure_cookies=os.environ.get(INSECURE_ENV, "") not in ("1", "true", "yes"))


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    id_hash: str


class LoginRequired(ServerError):
    """An HTML page asked without a session: answered with a redirect to the login page."""

    status = 303


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(db: Database, user: User, now: int) -> tuple[str, str]:
    """A new session for ``user``: (the cookie's id, the CSRF token)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.write() as conn:
        conn.execute(console_sessions.delete().where(console_sessions.c.expires_at <= now))  # housekeeping
        conn.execute(console_sessions.insert().values(id_hash=_hash(session_id), user_name=user.name, csrf=csrf,
                                                      created_at=now, seen_at=now, expires_at=now + IDLE_MS))
    return session_id, csrf


def end(db: Database, session_id: str) -> None:
    with db.write() as conn:
        conn.execute(console_sessions.delete().where(console_sessions.c.id_hash == _hash(session_id)))


def find(db: Database, session_id: str | None, now: int) -> Session | None:
    """The live session of this cookie, its expiry pushed on; None when there is none."""
    if not session_id or len(session_id) > 100:
        return None
    digest = _hash(session_id)
    with db.read() as conn:
        row = conn.execute(sa.select(console_sessions).where(console_sessions.c.id_hash == digest)).first()
    if row is None or row.expires_at <= now or row.created_at + MAX_MS <= now:
        return None
    user = get_user(db, row.user_name)
    if user is None:
        return None
    if now - row.seen_at >= TOUCH_MS:
        with db.write() as conn:
            conn.execute(console_sessions.update().where(console_sessions.c.id_hash == digest)
                         .values(seen_at=now, expires_at=min(now + IDLE_MS, row.created_at + MAX_MS)))
    return Session(user, row.csrf, digest)


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_SECURE = Settings(secure_cookies=True)


def settings(request: Request) -> Settings:
    """The cookie settings for this request: Secure always, unless the server was told not to
    (KIOSK_CONSOLE_INSECURE_COOKIES=1) and the browser asks for a loopback address by name."""
    configured: Settings = request.app.state.console
    if configured.secure_cookies or request.url.hostname in LOOPBACK:
        return configured
    return _SECURE


def current(request: Request) -> Session | None:
    """The request's session (looked up once per request)."""
    try:
        return request.state.console_session
    except AttributeError:
        cookie = request.cookies.get(settings(request).cookie)
        request.state.console_session = find(request.app.state.db, cookie, request.app.state.clock())
        return request.state.console_session


def page_session(request: Request) -> Session:
    found = current(request)
    if found is None:
        raise LoginRequired(login_url(request))
    return found


def api_session(request: Request) -> Session:
    found = current(request)
    if found is None:
        raise Unauthorized("log in to the console first")
    return found


def page_user(session: Annotated[Session, Depends(page_session)]) -> User:
    return session.user


def api_user(session: Annotated[Session, Depends(api_session)]) -> User:
    return session.user


def login_url(request: Request) -> str:
    """The login page, with this page to come back to (a local path only: see ``local_path``)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/console/login?next=" + quote(here, safe="")


def local_path(target: str | None) -> str:
    """Where to go after logging in: ``target`` when it is a path on this server, else the
    console's start. "//evil.example" and "/\\evil.example" are another host to a browser."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/console/"
    if any(c in target for c in "\\\r\n\t") or any(ord(c) < 32 for c in target):
        return "/console/"
    return target


def check_csrf(session: Session, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise Forbidden("the form's security token is missing or wrong: reload the page and try again")


def may(user: User, *roles: str) -> None:
    """Refuse (403) a user whose role is not among ``roles``."""
    if user.role not in roles:
        raise Forbidden("your role may not do this")


def every_site(user: User, what: str) -> None:
    """Refuse (403) an account kept to some sites a page that reaches every site (``what``):
    its site scope could not hold there."""
    if user.sites is not None:
        raise Forbidden(f"{what} covers every site: only an account of all sites may use it, "
                        "and yours is kept to some")


def visible_site(user: User, site: str) -> str:
    """``site`` when the user may see it; 404 otherwise, so another site's visits cannot even be
    told to exist."""
    if not user.may_see(site):
        raise NotFound("no such page")
    return site


class AddressThrottle:
    """Failed logins per address, in memory (each server process counts its own): an address
    that failed ``limit`` times within ``window_s`` is refused until the window has passed, so
    one address cannot try many accounts' passwords (each account also locks on its own)."""

    def __init__(self, limit: int = 20, window_s: float = 15 * 60, clock=time.monotonic):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, address: str) -> None:
        with self._lock:
            recent = self._recent(address)
            if len(recent) >= self.limit:
                wait = int(recent[0] + self.window_s - self.clock()) + 1
                raise TooManyRequests("too many failed logins from this address: wait and try again", wait)

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())
            if len(self._failures) > 100_000:  # a flood of addresses must not grow without bound
                self._failures = {a: f for a, f in self._failures.items() if f}

    def _recent(self, address: str) -> list[float]:
        cutoff = self.clock() - self.window_s
        kept = [t for t in self._failures.get(address, []) if t > cutoff]
        self._failures[address] = kept
        return kept
