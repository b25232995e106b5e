"""How the console answers a browser: Jinja2 templates (autoescaped), the language of the page
(gettext catalogs ``locale/<lang>.po`` beside this module, the ``console`` domain; zh_CN first),
the security headers of every console answer, and HTML error pages.

Every answer under /console gets a Content-Security-Policy that allows scripts, styles and
images from this server only (no inline script or handler), refuses framing (clickjacking), and,
except for the static files, ``Cache-Control: no-store``: pages show personal data, and a shared
desk PC's cache must not keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlencode

import polib
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.server.console import session as sessions

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
LANGUAGES = ("zh_CN", "zh_TW", "en")
LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "zh_TW": "zh-TW", "en": "en"}
LANG_COOKIE = "console-lang"
PREFIX = "/console"
STATIC = f"{PREFIX}/static"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
           (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
NO_STORE = (b"cache-control", b"no-store")

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
_catalogs: dict[str, dict[str, str]] = {}


def load_catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr; untranslated and fuzzy entries left out, so the English source shows."""
    if lang not in _catalogs:
        po = polib.pofile(str(LOCALE_DIR / f"{lang}.po"))
        _catalogs[lang] = {e.msgid: e.msgstr for e in po if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
    return _catalogs[lang]


# Why the entry policy held a visitor (kiosk.core.policy's codes): the kiosk's own words, from
# its catalogs (kiosk/ui/locale), so reception reads the same text at the desk and here.
KIOSK_LOCALE = Path(__file__).resolve().parents[3] / "kiosk" / "ui" / "locale"
REASONS = {"watchlist_block": "On the watchlist: not to be let in",
           "watchlist_approve": "On the watchlist: needs approval",
           "watchlist_near": "Name close to one on the watchlist",
           "type_needs_approval": "This visitor type needs approval",
           "after_hours": "Outside opening hours", "closed_day": "The site is closed today",
           "unknown_type": "Unknown visitor type"}


def reason_text(lang: str):
    key = f"kiosk:{lang}"
    if key not in _catalogs:
        po = polib.pofile(str(KIOSK_LOCALE / f"{lang}.po"))
        _catalogs[key] = {e.msgid: e.msgstr for e in po if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}

    def shown(code: str) -> str:
        msgid = REASONS.get(str(code), str(code))
        return _catalogs[key].get(msgid, msgid)
    return shown


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else LANGUAGES[0]


def translator(lang: str):
    catalog = load_catalog(lang)

    def gettext(text: str, **values: Any) -> str:
        found = catalog.get(text, text)
        return found.format(**values) if values else found
    return gettext


def shown_time(ms: int | None, with_date: bool = True) -> str:
    if ms is None:
        return ""
    moment = datetime.fromtimestamp(ms / 1000).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M")


def render(request: Request, template: str, context: Mapping[str, Any] | None = None,
           status: int = 200) -> HTMLResponse:
    """The page, in the request's language, with the user and their CSRF token when logged in."""
    lang = language(request)
    found = sessions.current(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = env.get_template(template).render(
        request=request, _=translator(lang), reason=reason_text(lang), lang=lang, html_lang=HTML_LANG[lang],
        languages=LANGUAGE_NAMES, user=found.user if found else None, csrf=found.csrf if found else "",
        static=STATIC, prefix=PREFIX, nav=NAV, role_labels=ROLE_LABELS, device_roles=DEVICE_ROLES,
        action_labels=ACTION_LABELS, here=here, shown_time=shown_time, **(context or {}))
    return HTMLResponse(page, status_code=status)


def error_page(request: Request, status: int, message: str) -> Response:
    if status == 303:  # LoginRequired: its message is where to go
        return RedirectResponse(message, status_code=303)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class Headers:
    """Pure ASGI middleware: the security headers on every answer under /console."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        extra = HEADERS if path.startswith(STATIC + "/") else [*HEADERS, NO_STORE]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in names)]
            await send(message)
        await self.app(scope, receive, sending)


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # the msgid, translated where it is shown
    roles: tuple[str, ...]
    all_sites: bool = False  # offered only to accounts of all sites (the page reaches every site)

    def offered_to(self, user) -> bool:
        return user.role in self.roles and (not self.all_sites or user.sites is None)


def N_(text: str) -> str:
    """Marks a string for the catalogs; it is translated where it is shown."""
    return text


DEVICE_ROLES = {"visitor": N_("Visitor kiosk"), "reception": N_("Reception desk"), "exit": N_("Exit post")}
ROLE_LABELS = {"admin": N_("Administrator"), "security": N_("Security"), "reception": N_("Reception"),
               "auditor": N_("Auditor")}

# What the audit log's actions are called on its page (the code itself in the CSV and filters).
ACTION_LABELS = {"login": N_("Logged in"), "login_failed": N_("Wrong password"),
                 "login_locked": N_("Login while locked"), "logout": N_("Logged out"),
                 "search": N_("Searched the register"), "view_visit": N_("Opened a visit"),
                 "export": N_("Exported"), "unmask": N_("Unmasked a phone number"), "approve": N_("Approved a visit"),
                 "deny": N_("Denied a visit"), "board_view": N_("Opened the live board"),
                 "rollcall_view": N_("Opened the roll call"), "audit_view": N_("Read the audit log"),
                 "audit_export": N_("Exported the audit log"), "user_add": N_("Added an account"),
                 "user_remove": N_("Removed an account")}

# The menu, by role; each page's module adds its own item here (one line), in the order shown.
NAV: list[NavItem] = [
    NavItem(f"{PREFIX}/board", N_("Live board"), ("admin", "security", "reception")),
    NavItem(f"{PREFIX}/rollcall", N_("Roll call"), ("admin", "security", "reception")),
    NavItem(f"{PREFIX}/audit", N_("Audit log"), ("admin", "auditor"), all_sites=True),
]


def parse_day(text: str, end: bool = False) -> int | None:
    """ms at the start of a day YYYY-MM-DD in the server's time zone (``end``: of the next day)."""
    if not text:
        return None
    day = datetime.strptime(text, "%Y-%m-%d").astimezone()
    if end:
        day += timedelta(days=1)
    return int(day.timestamp() * 1000)


def query(values: Mapping[str, Any]) -> str:
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})
