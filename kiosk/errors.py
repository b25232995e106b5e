"""The kiosk package's exceptions: one base class, so callers can catch everything we raise.

Every message is written for the person who has to act on it (an operator at a terminal or,
through the UI's translations, a visitor); the ``code`` lets a UI pick a translated text.
"""


class KioskError(Exception):
    """Base class of every error the kiosk package raises on purpose."""

    code = "error"


class SettingsError(KioskError):
    """A setting has a value we cannot use; the message names the setting and what it accepts."""

    code = "settings"


class StoreError(KioskError):
    """The local log cannot be opened or written (missing, read-only, full, corrupt)."""

    code = "store"


class ValidationError(KioskError):
    """Visitor input that we refuse; ``field`` names the input, ``code`` says why."""

    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field = field
        self.code = code


class HostFileError(KioskError):
    """A host directory file that cannot be imported (encoding, header, rows)."""

    code = "host_file"


class HostNotFound(KioskError):
    """No host, or more than one, matches what was asked for."""

    code = "host_not_found"

    def __init__(self, message: str, candidates=()):
        super().__init__(message)
        self.candidates = list(candidates)


class VisitorBlocked(KioskError):
    """The entry policy refused this visitor (a watchlist match): they see only "please see
    reception"; reception and security get the details."""

    code = "blocked"


class InvitationRefused(KioskError):
    """A scanned invitation that cannot be used; ``reason`` is kiosk.core.invites' code
    (malformed, bad_signature, wrong_signer, expired, not_yet_valid, other_site, used, ...)."""

    code = "invitation"

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"invitation refused: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason


class WatchlistFileError(KioskError):
    """A watchlist file that cannot be imported (encoding, header, rows)."""

    code = "watchlist_file"


class RoleRefused(KioskError):
    """This device's role never records the event asked for (an exit post marking a badge lost):
    refused before anything is written, since the server would refuse the device's whole push."""

    code = "role"
