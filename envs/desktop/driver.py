"""pyautogui, bound to one display, executing actions given in logical coordinates.

pyautogui opens its X connection when it is imported (reading $DISPLAY then), so binding it to
a display means setting DISPLAY before the import — or, when it is already imported for another
display (a second Xvfb in the same process), reloading its X11 backend, which reopens the
connection and re-reads the key codes. Its fail-safe corners are recomputed for the new size.

Several desktops in one process (``--workers N``, one Xvfb each): pyautogui's X11 backend keeps
ONE connection and key table in module globals, so each ``Driver`` keeps the ones it was given
and puts them back in place, with its fail-safe corners and settings, for each of its calls —
under ``X_LOCK``, which every X connection of the desktop env takes too (Xlib and libX11 read
``$DISPLAY``/``$XAUTHORITY`` when they connect). The workers' actions take turns; their
screenshots (each env's own mss connection) and their model requests do not.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .errors import DesktopError, FailSafe

T = TypeVar("T")

#: Held while pyautogui's backend is bound to one driver's display, and while an X client
#: connects with $DISPLAY/$XAUTHORITY set for its server (see the module).
X_LOCK = threading.RLock()


def load_pyautogui(display: str | None) -> Any:
    """pyautogui connected to ``display`` (X11) or to the platform's screen."""
    if display is not None:
        os.environ["DISPLAY"] = display
    try:
        already = "pyautogui" in sys.modules
        import pyautogui

        x11 = sys.modules.get("pyautogui._pyautogui_x11")
        if already and x11 is not None and display is not None and not _connected(x11, display):
            importlib.reload(x11)
            w, h = pyautogui.size()
            pyautogui.FAILSAFE_POINTS[:] = [(0, 0), (0, h - 1), (w - 1, 0), (w - 1, h - 1)]
        if x11 is not None:
            _fix_shift_keys(pyautogui, x11)
    except DesktopError:
        raise
    except Exception as e:  # Xlib's connection errors have many types; the message matters
        where = f"X display {display}" if display else "the screen"
        raise DesktopError(f"cannot connect to {where}: {str(e).strip() or type(e).__name__} "
                           "— is the X server running and XAUTHORITY set?") from None
    return pyautogui


def _connected(x11: Any, display: str) -> bool:
    """Whether pyautogui's X connection is to ``display`` and still alive (a new server may
    reuse the number of one that stopped)."""
    dpy = x11._display
    if dpy.get_display_name() != display:
        return False
    try:
        dpy.screen().root.get_geometry()
    except Exception:  # ConnectionClosedError and friends: that server is gone
        return False
    return True


def _fix_shift_keys(pyautogui: Any, x11: Any) -> None:
    """Make pyautogui's X11 key table agree with its shift rule on this keymap.

    pyautogui presses shift for '<', '>', '|', ... and looks up *a* key code for the symbol; on
    keymaps with the ISO "<>" key (Xvfb's default) it picks that key's unshifted '<' and so
    types '>'. For each printable character, pick a key code where the symbol sits at the
    level pyautogui will press (shifted or not), when one exists.
    """
    import Xlib.XK

    dpy = x11._display
    for code in range(0x21, 0x7F):
        ch = chr(code)
        keysym = Xlib.XK.string_to_keysym(_KEYSYM_NAMES.get(ch, ch))
        if not keysym:
            continue
        level = 1 if pyautogui.isShiftCharacter(ch) else 0
        current = x11.keyboardMapping.get(ch)
        codes = list(dpy.keysym_to_keycodes(keysym))
        if any(kc == current and idx == level for kc, idx in codes):
            continue
        for kc, idx in codes:
            if idx == level:
                x11.keyboardMapping[ch] = kc
                break


# X keysym names of the punctuation characters (letters and digits are their own names).
_KEYSYM_NAMES = {
    "!": "exclam", '"': "quotedbl", "#": "numbersign", "$": "dollar", "%": "percent",
    "&": "ampersand", "'": "apostrophe", "(": "parenleft", ")": "parenright", "*": "asterisk",
    "+": "plus", ",": "comma", "-": "minus", ".": "period", "/": "slash", ":": "colon",
    ";": "semicolon", "<": "less", "=": "equal", ">": "greater", "?": "question", "@": "at",
    "[": "bracketleft", "\\": "backslash", "]": "bracketright", "^": "asciicircum",
    "_": "underscore", "`": "grave", "{": "braceleft", "|": "bar", "}": "braceright",
    "~": "asciitilde",
}


class Driver:
    """Mouse and keyboard through pyautogui. Points are logical screen coordinates."""

    def __init__(self, display: str | None, *, failsafe: bool = True, pause: float = 0.05,
                 drag_duration: float = 0.25, type_interval: float = 0.0):
        self.display = display
        self._failsafe = failsafe
        self._pause = pause
        self.drag_duration = drag_duration
        self.type_interval = type_interval
        with X_LOCK:
            self.pg = load_pyautogui(display)
            x11 = sys.modules.get("pyautogui._pyautogui_x11")
            # this driver's own X connection and key table (None: not X11, nothing to rebind)
            self._backend = (x11, x11._display, x11.keyboardMapping) if x11 is not None else None
            w, h = self.pg.size()
            self._corners = [(0, 0), (0, h - 1), (w - 1, 0), (w - 1, h - 1)]

    @property
    def failsafe(self) -> bool:
        return self._failsafe

    @contextlib.contextmanager
    def _bound(self) -> Iterator[None]:
        """pyautogui on this driver's display, with its settings (module globals shared by
        every driver of the process), until the block ends."""
        with X_LOCK:
            if self._backend is not None:
                x11, connection, keys = self._backend
                x11._display, x11.keyboardMapping = connection, keys
            self.pg.FAILSAFE_POINTS[:] = self._corners
            self.pg.FAILSAFE = self._failsafe
            self.pg.PAUSE = self._pause
            yield

    def size(self) -> tuple[int, int]:
        with self._bound():
            w, h = self.pg.size()
        return int(w), int(h)

    def position(self) -> tuple[int, int]:
        with self._bound():
            x, y = self.pg.position()
        return int(x), int(y)

    def on_screen(self, x: int, y: int) -> bool:
        with self._bound():
            return bool(self.pg.onScreen(x, y))

    def away_from_failsafe(self, x: int, y: int) -> tuple[int, int]:
        """A point one pixel inwards when it is a fail-safe corner (so the agent's own click
        there does not trip the fail-safe on its next action); otherwise the point itself."""
        if not self.failsafe or (x, y) not in self._corners:
            return x, y
        w, h = self.size()
        return (x + 1 if x == 0 else x - 1 if x == w - 1 else x,
                y + 1 if y == 0 else y - 1 if y == h - 1 else y)

    def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            with self._bound():
                return fn(*args, **kwargs)
        except self.pg.FailSafeException:
            raise FailSafe("pyautogui's fail-safe fired (the mouse is in a screen corner) — the "
                           "run stopped; move the mouse away to go on, or set failsafe=false"
                           ) from None

    # -- actions ------------------------------------------------------------------------------
    def move(self, x: int, y: int) -> None:
        self._run(self.pg.moveTo, x, y)

    def click(self, x: int, y: int, button: str = "left", clicks: int = 1) -> None:
        self._run(self.pg.click, x, y, clicks=clicks, interval=0.0, button=button)

    def drag(self, x1: int, y1: int, x2: int, y2: int) -> None:
        self._run(self.pg.moveTo, x1, y1)
        # A drag in steps (not a jump) so that apps see motion with the button held.
        self._run(self.pg.dragTo, x2, y2, duration=self.drag_duration, button="left")

    def scroll(self, direction: str, clicks: int, x: int | None, y: int | None) -> None:
        # pyautogui: scroll(+n) is wheel up, hscroll(+n) is wheel right (X buttons 4/5, 7/6).
        sign = 1 if direction in ("up", "right") else -1
        fn = self.pg.scroll if direction in ("up", "down") else self.pg.hscroll
        self._run(fn, sign * clicks, x, y)

    def write(self, text: str) -> None:
        self._run(self.pg.write, text, interval=self.type_interval)

    def hotkey(self, keys: list[str]) -> None:
        self._run(self.pg.hotkey, *keys)

    def press(self, key: str) -> None:
        self._run(self.pg.press, key)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)
