"""Starting an X server for the touchscreen tests: Xvfb on a display it picks itself."""

from __future__ import annotations

import os
import subprocess


def start_xvfb(width: int, height: int) -> tuple[subprocess.Popen, str]:
    """An Xvfb of ``width`` x ``height`` (24-bit, black root window, no TCP) and its DISPLAY."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
                               "-br", "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        return server, ":" + fh.readline().strip()
