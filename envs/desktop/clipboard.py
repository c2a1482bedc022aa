"""Putting text on the system clipboard, for typing what the keyboard cannot (non-ASCII).

pyautogui types by sending key codes of the current layout, which has no keys for ``é`` or
``東``; so non-ASCII text is copied to the clipboard and pasted. The clipboard tool is found on
PATH: xclip or xsel on X11, wl-copy on Wayland, pbcopy on macOS, clip.exe on Windows.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile

from .errors import DesktopError

_TOOLS: list[tuple[str, list[str]]] = [
    ("xclip", ["xclip", "-selection", "clipboard", "-t", "UTF8_STRING", "-i"]),
    ("xsel", ["xsel", "--clipboard", "--input"]),
    ("wl-copy", ["wl-copy"]),
    ("pbcopy", ["pbcopy"]),
    ("clip", ["clip"]),
]


def tool() -> list[str] | None:
    """The command that copies its standard input to the clipboard, or None."""
    for name, cmd in _TOOLS:
        if shutil.which(name):
            return cmd
    return None


def paste_chord() -> list[str]:
    return ["super", "v"] if sys.platform == "darwin" else ["ctrl", "v"]


def require() -> list[str]:
    """The clipboard command, or DesktopError saying what to install."""
    cmd = tool()
    if cmd is None:
        raise DesktopError("typing non-ASCII text needs a clipboard tool — install xclip "
                           "(apt-get install xclip) or xsel, or type ASCII only")
    return cmd


def copy(text: str, env: dict[str, str] | None = None) -> None:
    """Put ``text`` on the clipboard; DesktopError when no clipboard tool is installed."""
    cmd = require()
    # xclip/xsel fork a child that serves the selection until another program takes it; its
    # output must not be a pipe we wait on, or this call would block until then.
    with tempfile.TemporaryFile() as err:
        try:
            subprocess.run(cmd, input=text.encode("utf-8"), env=env, check=True, timeout=10,
                           stdout=subprocess.DEVNULL, stderr=err)
        except subprocess.CalledProcessError as e:
            err.seek(0)
            msg = err.read().decode(errors="replace").strip().splitlines()
            raise DesktopError(f"{cmd[0]} could not set the clipboard: "
                               f"{msg[-1] if msg else 'exit ' + str(e.returncode)}") from None
        except subprocess.TimeoutExpired:
            raise DesktopError(f"{cmd[0]} did not return within 10 s") from None
