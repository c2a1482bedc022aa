"""Typing text on an Android device verbatim — the text is data, never shell.

ASCII goes through ``input text``. Its argument is one single-quoted sh word (inside single
quotes no character is special; a quote is written '\\''), so no ``$()``, backtick, ``;`` or
``|`` in the text can ever run. Android's ``input`` then turns every ``%s`` into a space and has
no other escape, so spaces are sent as ``%s``, and a literal "%s" in the text is split across two
commands ("…%" then "s…") so that it arrives as typed. Tabs and newlines are typed as their keys.

Anything else (non-ASCII, control characters) goes through the ADB Keyboard IME
(com.android.adbkeyboard, https://github.com/senzhk/ADBKeyBoard) as a base64 broadcast
(``am broadcast -a ADB_INPUT_B64 --es msg BASE64``): base64 has no shell metacharacters and
carries UTF-8 exactly. If the IME is not installed the caller gets an error naming it.
"""

from __future__ import annotations

import base64
import re

from vagent.actions.errors import VagentError

ADB_KEYBOARD = "com.android.adbkeyboard/.AdbIME"
ADB_KEYBOARD_PACKAGE = "com.android.adbkeyboard"
CHUNK = 400  # characters per `input text`; long command lines are slow on devices
B64_CHUNK = 1500  # characters per broadcast


class KeyboardMissing(VagentError, RuntimeError):
    """Non-ASCII text, and the ADB Keyboard IME is not installed."""


def quote(word: str) -> str:
    """One sh word holding exactly ``word``."""
    return "'" + word.replace("'", "'\\''") + "'"


def _input_text_safe(ch: str) -> bool:
    return ch == "\t" or ch == "\n" or 32 <= ord(ch) < 127


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into ("ascii", part) and ("ime", part) runs."""
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"[\x20-\x7e\t\n]+|[^\x20-\x7e\t\n]+", text):
        part = m.group(0)
        out.append(("ascii" if _input_text_safe(part[0]) else "ime", part))
    return out


def input_text_commands(text: str) -> list[str]:
    """``input text`` commands that type ASCII ``text`` exactly (see the module docstring)."""
    if any(not _input_text_safe(c) for c in text):
        raise ValueError("input text carries printable ASCII, tab and newline only")
    pieces: list[str] = []
    # split between "%" and "s" wherever the text itself holds "%s"
    start = 0
    for m in re.finditer(r"%(?=s)", text):
        pieces.append(text[start:m.end()])
        start = m.end()
    pieces.append(text[start:])
    cmds = []
    for piece in pieces:
        for i in range(0, len(piece), CHUNK):
            part = piece[i:i + CHUNK]
            if part:
                cmds.append("input text " + quote(part.replace(" ", "%s")))
    return cmds


def broadcast_commands(text: str) -> list[str]:
    """ADB Keyboard broadcasts that type ``text`` (any Unicode) exactly."""
    cmds = []
    for i in range(0, len(text), B64_CHUNK):
        b64 = base64.b64encode(text[i:i + B64_CHUNK].encode("utf-8")).decode("ascii")
        cmds.append(f"am broadcast -a ADB_INPUT_B64 --es msg {b64}")
    return cmds
