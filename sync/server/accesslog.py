"""The server's access log without the secrets that travel in URLs.

An approval link (``/v1/approvals/VA1…``) is the only credential a host needs to approve a
visitor, and it is in the request's path, which uvicorn's access log prints: anyone who can read
the journal could approve a waiting visitor. :class:`RedactSecrets` replaces the token in every
access log line with a short fingerprint (the first 8 hex digits of its SHA-256), so the line
still says who asked what and how it was answered, and the GET and POST of one link can still be
told apart from another's, but the link cannot be rebuilt from it.

Device and admin tokens travel only in the ``Authorization`` header, which the access log never
prints.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re

from uvicorn.config import LOGGING_CONFIG

# The path segment after /approvals/ up to the next / ? # or the end, whatever it holds.
_APPROVAL = re.compile(r"(/approvals/)([^/?#\s\"]+)")


def redact(text: str) -> str:
    """``text`` with every approval token replaced by ``[redacted:FINGERPRINT]``."""
    return _APPROVAL.sub(lambda m: f"{m.group(1)}[redacted:{_fingerprint(m.group(2))}]", text)


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class RedactSecrets(logging.Filter):
    """Rewrites a log record's message arguments (uvicorn's access log passes the path as one)
    and its message, never dropping the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def log_config() -> dict:
    """uvicorn's own logging configuration with :class:`RedactSecrets` on its handlers, the
    access log's and the error log's (a filter on a handler sees every record it writes,
    whoever logged it)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config
