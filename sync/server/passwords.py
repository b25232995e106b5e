"""Settings that may hold a password (the database URL, the SMTP URL), read so that the password
stays off the command line.

A process's arguments are readable by every local user (``ps``, /proc/PID/cmdline); its
environment and a 0600 file are not. So each such setting comes, in this order, from its
argument (``--db``), a file named by ``--db-file`` (the URL on its first line, e.g. a systemd
credential), or the environment (``KIOSK_SERVER_DB``); an argument that holds a password still
works, with a warning on stderr saying where to put it instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from sync.server.errors import ServerError


def setting(option: str, given: str | None, file: str | None, env: str) -> str:
    """The value of ``option`` from the argument, the file or the environment variable ``env``
    (empty when none is set). Both the argument and the file is a usage error."""
    if given and file:
        raise ServerError(f"{option} and {option}-file both given; use one")
    if given:
        if has_password(given):
            print(f"kiosk-server: warning: the {option} URL holds a password, which ps shows to every user "
                  f"of this machine; put the URL in a file ({option}-file PATH, mode 0600) or in ${env}",
                  file=sys.stderr)
        return given
    if file:
        return read_file(option, file)
    return os.environ.get(env, "")


def has_password(url: str) -> bool:
    try:
        return bool(urlsplit(url.strip()).password)
    except ValueError:  # not a URL: whatever it is, the command that uses it will say so
        return False


def read_file(option: str, path: str) -> str:
    """The first non-blank line of the file, stripped; the message names the file, never its text."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ServerError(f"{option}-file: cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ServerError(f"{option}-file: {path} is not UTF-8 text") from None
    value = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not value:
        raise ServerError(f"{option}-file: {path} is empty")
    return value
