"""The web console for the people who run the building (README, "The web console"): accounts
and sessions (accounts, session), the audit log (audit), the layout and its languages (web),
and the pages. ``install(app)`` adds it all to the server's app, under /console.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from sync.server.console import pages, session, web
from sync.server.errors import ServerError

API = f"{web.PREFIX}/api/"


def install(app: FastAPI) -> None:
    app.state.console = session.Settings.from_env()
    app.state.console_throttle = session.AddressThrottle()
    app.include_router(pages.router)
    for module in _page_modules():
        app.include_router(module.router)
    app.mount(web.STATIC, StaticFiles(directory=web.HERE / "static"), name="console-static")
    app.add_middleware(web.Headers)
    _answer_pages_in_html(app)


def _page_modules() -> list:
    """The console's other pages, those that exist in this build."""
    import importlib
    found = []
    for name in ("board", "rollcall", "records", "reports", "complaints", "manage", "people"):
        try:
            found.append(importlib.import_module(f"sync.server.console.{name}"))
        except ModuleNotFoundError as e:
            if e.name != f"sync.server.console.{name}":
                raise
    return [m for m in found if hasattr(m, "router")]


def _answer_pages_in_html(app: FastAPI) -> None:
    """Errors on console pages are HTML pages in the user's language (a missing session: the
    login page); the console's API (/console/api/) and the rest of the server answer JSON."""
    for kind in (ServerError, HTTPException, RequestValidationError):
        json_handler = app.exception_handlers[kind]

        def handler(request: Request, exc: Exception, json_handler=json_handler):
            path = request.url.path
            if isinstance(exc, session.LoginRequired):
                return web.error_page(request, 303, str(exc))
            if path.startswith(web.PREFIX + "/") and not path.startswith(API):
                status = getattr(exc, "status", None) or getattr(exc, "status_code", 422)
                return web.error_page(request, status, _message(exc))
            return json_handler(request, exc)
        app.add_exception_handler(kind, handler)


def _message(exc: Exception) -> str:
    if isinstance(exc, RequestValidationError):
        return "bad request"
    return str(getattr(exc, "detail", None) or exc)
