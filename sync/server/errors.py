"""The server's exceptions: one base class, each subclass carrying the HTTP status it answers
with, so the API has a single error handler and the CLI prints the same message on stderr."""


class ServerError(Exception):
    """Base class of every error the server raises on purpose; the message is for the person
    (or device) that has to act on it."""

    status = 500


class Unauthorized(ServerError):
    """No token, an unknown one, or the token of a revoked device."""

    status = 401


class Forbidden(ServerError):
    """A valid token asking for something its device or role may not do."""

    status = 403


class NotFound(ServerError):
    status = 404


class Conflict(ServerError):
    """The request contradicts what is stored (a name taken, a key of another device)."""

    status = 409


class UnsupportedMedia(ServerError):
    """A body that is not sent as JSON."""

    status = 415


class Invalid(ServerError):
    """A well-formed request whose content we refuse; the message names the field."""

    status = 422


class DatabaseError(ServerError):
    """The database cannot be opened, is busy, or was written by a newer server."""

    status = 503


class CannotWrite(DatabaseError):
    """The database answers reads but refuses writes: its disk is full, its file or file system
    is read-only, or PostgreSQL was made read-only. Devices keep what they would push until it
    can; reads answer from the visits already folded (sync.server.store.catch_up)."""


class TooManyRequests(ServerError):
    """A device asking faster than its rate allows; ``retry_after`` says when it may again."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
