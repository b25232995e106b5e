"""The bounds of the screen a locked-down kiosk fills, read from SDL before Kivy opens its window.

SDL leaves full screen on X11 to the window manager (it asks for _NET_WM_STATE_FULLSCREEN).
On a bare X server started by `xinit`, with no window manager, nobody answers: the window keeps
the size it was created with (Kivy's default 800x600, centred) while SDL reports the display's
size, so Kivy lays the screens out for the whole display and only the middle shows. Creating
the window at the display's origin and size makes it cover the screen with or without a window
manager (which then still makes it full screen, as cage does)."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

_SDL_INIT_VIDEO = 0x20


class _Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("w", ctypes.c_int), ("h", ctypes.c_int)]


def _sdl_library() -> str | None:
    """The SDL2 that Kivy itself uses: the copy inside its wheel (Kivy.libs), else the system's."""
    import kivy  # the package only: importing kivy.core.window would open the window

    bundled = sorted((Path(kivy.__file__).parents[1] / "Kivy.libs").glob("libSDL2-2*.so*"))
    return str(bundled[0]) if bundled else ctypes.util.find_library("SDL2")


def display_bounds(display: int = 0) -> tuple[int, int, int, int] | None:
    """(left, top, width, height) of the display, or None when SDL cannot say (no SDL library
    found, no video device): the window is then left to SDL's full screen as before."""
    path = _sdl_library()
    if path is None:
        return None
    try:
        sdl = ctypes.CDLL(path)  # the same library Kivy loads next: one SDL in the process
    except OSError:
        return None
    if sdl.SDL_InitSubSystem(_SDL_INIT_VIDEO) != 0:
        return None
    try:
        rect = _Rect()
        if sdl.SDL_GetDisplayBounds(display, ctypes.byref(rect)) != 0 or rect.w <= 0 or rect.h <= 0:
            return None
        return rect.x, rect.y, rect.w, rect.h
    finally:
        sdl.SDL_QuitSubSystem(_SDL_INIT_VIDEO)
