"""The device side of the sync API: one small class over an injected ``requests.Session``.

Every call has an explicit (connect, read) timeout. Failures are sorted by what the caller
should do: :class:`Unreachable` (network down, timeouts, 5xx, a proxy's 502) means try again
later; :class:`AuthError` means a person must act (the token is wrong or the device revoked);
:class:`Rejected` means the server refused what we sent and says why. A server that failed
(:class:`ServerFailed`, 5xx) is quoted in its own words ("cannot write to its database ..."),
never as a bare status.

A connection reset before the answer's headers arrived (a kept-alive connection the server
closed just as we reused it, a proxy that cut it) is retried at once, on a new connection, for
the requests that may be sent twice (see ``retrying``); others are reported as Unreachable.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.exceptions import TimeoutError as _Timeout
from urllib3.util.retry import Retry

from kiosk.core import hlc, trust
from kiosk.core.events import Event
from kiosk.core.hosts import Host
from kiosk.core.tokens import PublicKey
from kiosk.core.watchlist import WatchEntry
from kiosk.errors import ValidationError
from sync.protocol import API, PULL_LIMIT, ProtocolError, check_event

TIMEOUT = (3.05, 15)  # seconds: connect, read
_NOT_MODIFIED = object()  # _call's answer to a GET with If-None-Match whose copy is current


class SyncError(Exception):
    """Base class of everything the sync client raises."""


class Unreachable(SyncError):
    """The server could not be reached or failed; retrying later is right."""


class AuthError(SyncError):
    """The server does not accept this device's token (wrong, or the device was revoked)."""


class ServerFailed(Unreachable):
    """The server answered, with a 5xx (its database cannot write, it is overloaded): it is
    reachable, so a health probe would not tell that it works again."""


class RateLimited(Unreachable):
    """The server asks this device to slow down (429); ``retry_after``: seconds it said to wait."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(SyncError):
    """The server refused the request (4xx) and said why."""


@dataclass(frozen=True)
class Pushed:
    accepted: list[str]
    known: list[str]
    refused: dict[str, str] = field(default_factory=dict)  # event id: why the server will never store it
    retry: dict[str, str] = field(default_factory=dict)  # event id: why to push it again later (not refused)
    server_time: hlc.ServerTime | None = None  # the server's clock, as its answer told it


@dataclass(frozen=True)
class Pulled:
    events: list[Event]
    cursor: int
    more: bool
    refused: list[tuple[Any, str]] = field(default_factory=list)  # (raw event, why) for the quarantine
    server_time: hlc.ServerTime | None = None  # the server's clock, as its answer told it


def checked_page(raw_events: Any) -> tuple[list[Event], list[tuple[Any, str]]]:
    """A pulled page's events that pass the protocol's checks, and the others with why: what
    the server relays came from other devices, so it is checked as the server checks a push,
    one event at a time (one bad event must not cost the page)."""
    if not isinstance(raw_events, list):
        raise Rejected("the server sent a page without a list of events")
    events, refused = [], []
    for raw in raw_events:
        try:
            events.append(check_event(raw, None))
        except ProtocolError as exc:
            refused.append((raw, f"not a valid event: {exc}"))
        except RecursionError:
            refused.append((raw, "not a valid event: nested too deep"))
    return events, refused


class _OnReset(Retry):
    """Retries a request whose connection broke, when it may be sent twice: GET, PUT (the key:
    the same again changes nothing) and one POST, the push (POST /v1/events), since the server
    stores each event once by its id and answers a repeated one as "known", so a push whose
    answer was lost is sent again without doubling anything (sync.server.store.push). No other
    POST: a second POST /v1/invitations would make a second invitation and email it again. Never
    a request that timed out: a server too slow to answer would be handed the same work again,
    and a black-holed network would cost the round three timeouts a request instead of one."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if error is not None and (isinstance(error, _Timeout) or method == "POST" and not _is_push(url)):
            if isinstance(error, ConnectTimeoutError):  # refused or unreachable (NewConnectionError is one)
                # as urllib3 gives up on a connection: requests then raises its ConnectionError,
                # not the raw urllib3 error, which no caller of ours would catch
                raise MaxRetryError(_pool, url, error) from error
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _is_push(url: str | None) -> bool:
    return (url or "").split("?", 1)[0].endswith(API + "/events")


def retrying() -> HTTPAdapter:
    """An adapter that sends a request again, once or twice and at once, when its connection
    broke before the answer's headers came back (reset, closed by the server while idle), if it
    may be sent twice (_OnReset). Refused connections and 5xx answers are not retried here: the
    worker backs off from them. One adapter for every path, so a device holds one connection."""
    return HTTPAdapter(max_retries=_OnReset(total=2, connect=0, read=2, status=0, other=0, redirect=0,
                                            allowed_methods=frozenset({"GET", "HEAD", "PUT", "POST"}),
                                            backoff_factor=0, raise_on_status=False,
                                            respect_retry_after_header=False))


class SyncClient:
    def __init__(self, base_url: str, token: str, session: requests.Session | None = None,
                 timeout: tuple[float, float] = TIMEOUT):
        self.base = base_url.rstrip("/") + API
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.answered = 0  # answers under 500 so far: the worker's sign that the server is back
        self.session.mount(self.base + "/", retrying())  # what may be sent twice: _OnReset

    def reachable(self) -> bool:
        """A cheap probe (GET /v1/ping: no database work): does the server answer at all?"""
        try:
            response = self.session.get(self.base + "/ping", timeout=self.timeout)
        except requests.RequestException:
            return False
        if response.status_code >= 500:
            return False
        self.answered += 1
        return True

    def push(self, events: Iterable[Event]) -> Pushed:
        body, heard = self._timed("POST", "/events", json={"events": [e.to_dict() for e in events]})
        refused = {str(r["event_id"]): str(r["reason"]) for r in body.get("refused") or ()}
        retry = {str(r["event_id"]): str(r["reason"]) for r in body.get("retry") or ()}
        return Pushed(list(body["accepted"]), list(body["known"]), refused, retry, heard)

    def pull(self, after: int, limit: int = PULL_LIMIT) -> Pulled:
        body, heard = self._timed("GET", "/events", params={"after": after, "limit": limit, "hlc": 1})
        try:
            events, refused = checked_page(body["events"])
            return Pulled(events, int(body["cursor"]), bool(body["more"]), refused, heard)
        except (KeyError, TypeError, ValueError):
            raise Rejected("the server's answer to a pull is not a page of events") from None

    def _timed(self, method: str, path: str, **kwargs) -> tuple[Any, hlc.ServerTime | None]:
        """_call's answer and the server's time it carries (None from a server without one),
        placed on the monotonic clock midway through the request."""
        sent = time.monotonic()
        body = self._call(method, path, **kwargs)
        answered = time.monotonic()
        said = body.get("server_time") if isinstance(body, dict) else None
        if type(said) is not int or said <= 0:
            return body, None
        return body, hlc.ServerTime(said, (sent + answered) / 2, answered - sent)

    def register_key(self, key_id: str, public_key: bytes) -> None:
        self._call("PUT", "/keys", json={"key_id": key_id, "public_key": base64.b64encode(public_key).decode()})

    def keys(self) -> list[PublicKey]:
        return self.keys_if_changed("")[0]  # type: ignore[index]  # no ETag: always an answer

    def keys_if_changed(self, etag: str) -> tuple[list[PublicKey], str] | None:
        """The site's key ring and its ETag, or None while the copy ``etag`` names is current."""
        changed = self._get_if_changed("/keys", etag)
        if changed is None:
            return None
        body, etag = changed
        return [PublicKey(k["key_id"], base64.b64decode(k["public_key"]), k["site"], k["device"], bool(k["revoked"]),
                          _role(k)) for k in body["keys"]], etag

    def retention(self) -> dict:
        """The site's retention policy: {retention_days, sensitive_retention_days}."""
        return self._call("GET", "/retention")

    def invite(self, **fields) -> dict:
        """Pre-register a visitor (a reception device, for its site): the server signs the
        invitation, logs the expected visit and emails the QR; its answer, as POST
        /v1/invitations documents it (invite_id, text, emailed, reason)."""
        return self._call("POST", "/invitations", json=fields)

    def hosts(self) -> list[Host]:
        return self.hosts_if_changed("")[0]  # type: ignore[index]  # no ETag: always an answer

    def hosts_if_changed(self, etag: str) -> tuple[list[Host], str] | None:
        """The host directory and its ETag, or None while the copy ``etag`` names is current."""
        changed = self._get_if_changed("/hosts", etag)
        if changed is None:
            return None
        body, etag = changed
        return [Host(h["host_id"], h["name"], h.get("department", ""), h.get("email", ""), h.get("phone", ""),
                     h.get("english_name", ""), tuple(h.get("aliases", ())), h.get("language", ""),
                     tuple(h.get("channels", ()))) for h in body["hosts"]], etag

    def watchlist(self) -> list[WatchEntry] | None:
        """The organisation's watchlist; None when none was ever uploaded to the server."""
        return self.watchlist_if_changed("")[0]  # type: ignore[index]  # no ETag: always an answer

    def watchlist_if_changed(self, etag: str) -> tuple[list[WatchEntry] | None, str] | None:
        """(the watchlist, None when none was ever uploaded; its ETag), or None while the copy
        ``etag`` names is current."""
        changed = self._get_if_changed("/watchlist", etag)
        if changed is None:
            return None
        body, etag = changed
        if body.get("replaced_at") is None:
            return None, etag
        try:
            return [WatchEntry.from_dict(raw) for raw in body["entries"]], etag
        except ValidationError as exc:
            raise Rejected(f"the server sent an invalid watchlist entry: {exc}") from None

    def _get_if_changed(self, path: str, etag: str) -> tuple[Any, str] | None:
        """GET ``path`` unless our copy, named by its ``etag`` (If-None-Match), is current: then
        None (the server's 304). Else (the answer, its ETag; "" from a server without ETags)."""
        answered: list[requests.Response] = []
        # A request's hooks replace the session's: keep those, and see the answer's ETag.
        hooks = [*self.session.hooks.get("response", ()), lambda response, *args, **kwargs: answered.append(response)]
        body = self._call("GET", path, headers={"If-None-Match": etag} if etag else {}, hooks={"response": hooks})
        if body is _NOT_MODIFIED:
            return None
        return body, answered[-1].headers.get("ETag", "") if answered else ""

    def _call(self, method: str, path: str, **kwargs) -> Any:
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise Unreachable(f"{self.base}: the server did not answer in time") from None
        except requests.RequestException:
            raise Unreachable(f"{self.base}: cannot reach the server (network down or server stopped)") from None
        if response.status_code < 500:
            self.answered += 1
        if response.status_code in (401, 403):
            raise AuthError(f"{self.base}{path}: {_error(response)}")
        if response.status_code == 429:
            raise RateLimited(f"{self.base}{path}: {_error(response)}", _retry_after(response))
        if response.status_code >= 500 or response.status_code == 408:
            # A server that failed has likely closed the connection too: the next call of the
            # round (keys after a failed pull) must not be sent down it and fail in its turn.
            self.session.close()
            raise ServerFailed(f"{self.base}{path}: {_error(response)}")
        if response.status_code >= 400:
            raise Rejected(f"{self.base}{path}: {_error(response)}")
        if response.status_code == 304:  # asked with If-None-Match: our copy is current
            return _NOT_MODIFIED
        try:
            return response.json()
        except RecursionError:
            raise Rejected(f"{self.base}{path}: the answer is nested too deep to read") from None
        except ValueError:
            # A 200 that is not JSON is a captive portal or a broken proxy: not the server.
            raise Unreachable(f"{self.base}{path}: the answer was not JSON") from None


def _role(key: dict) -> str:
    """The role of a key's device (kiosk.core.trust); a server older than roles names none,
    and its own key is then known by its device name, which no device may take."""
    role = key.get("role")
    if isinstance(role, str) and role:
        return role  # one this version does not know is trusted for nothing
    return trust.SERVER if key["device"] == trust.SERVER else trust.UNKNOWN


def _retry_after(response: requests.Response) -> float:
    """Retry-After in seconds (a proxy may send an HTTP date instead, or none: then a second)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 1.0


def _error(response: requests.Response) -> str:
    """The server's own words ({"error": ...}), after the status; a bare status when the answer
    is not the server's (a proxy's 502 page)."""
    try:
        said = response.json().get("error")
    except (ValueError, AttributeError, RecursionError):
        said = None
    if isinstance(said, str) and said:
        return f"HTTP {response.status_code}: {said}" if response.status_code >= 500 else said
    return f"HTTP {response.status_code}"

