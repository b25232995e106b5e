"""Files only their owner may read: the device's log (visitors' phone numbers), the central
server's database (every site's visits and private signing keys), what is exported from them,
and the device's keys and staff PIN.

They are created with mode 0600 (and their missing directory 0700) from the start, never
created readable and tightened afterwards, so there is no moment at which another local user can
open them. The functions raise OSError; each caller says what the file is for in its own error.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists, and its directory with mode 0700
    unless that exists (directories above it, which it does not create alone, keep the usual
    mode). An existing file is left as it is: see ``exposed``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE))


def exposed(path: Path) -> str | None:
    """Why users other than its owner may read or write ``path`` (its mode, e.g. "mode 0644"),
    or None when they may not or it does not exist."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    return f"mode {mode:04o}" if mode & 0o077 else None


def write_private(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or pieces of them as they come) to ``path`` as a file only its owner
    may read: a new one is created 0600, an existing regular file is truncated and made 0600
    before anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # not a terminal or a pipe the caller named
            os.fchmod(fd, FILE_MODE)
        for piece in [data] if isinstance(data, bytes) else data:
            out.write(piece)


def replace_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, mode 0600 in a 0700 directory, durably: a crash or a
    power cut leaves either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
