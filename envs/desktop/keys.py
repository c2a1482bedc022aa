"""Key names: what models and users write → one canonical name → pyautogui's name.

Models write the same key many ways (``control``/``ctrl``, ``cmd``/``win``/``super``/``meta``,
``return``/``enter``, ``escape``/``esc``, ``"ctrl+c"`` as one string). ``normalize`` turns a
key list into canonical names with modifiers first; ``to_pyautogui`` names them for pyautogui
on the current platform (``super`` is the Windows key on X11/Windows, Command on macOS).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from vagent.actions.errors import ActionError

MODIFIERS = ("ctrl", "alt", "shift", "super")

_ALIASES: dict[str, str] = {}
for canon, names in {
    "ctrl": "ctrl control ctl ctrl_l ctrl_r ctrlleft ctrlright lctrl rctrl control_l control_r",
    "alt": "alt option opt alt_l alt_r altleft altright lalt ralt altgr",
    "shift": "shift shift_l shift_r shiftleft shiftright lshift rshift",
    "super": "super cmd command win windows winleft winright meta mod4 os logo super_l super_r "
             "lwin rwin",
    "enter": "enter return ret kp_enter",
    "esc": "esc escape",
    "tab": "tab",
    "space": "space spacebar",
    "backspace": "backspace back_space bksp bs",
    "delete": "delete del",
    "insert": "insert ins",
    "home": "home",
    "end": "end",
    "pageup": "pageup page_up pgup prior",
    "pagedown": "pagedown page_down pgdn next",
    "up": "up arrowup up_arrow uparrow",
    "down": "down arrowdown down_arrow downarrow",
    "left": "left arrowleft left_arrow leftarrow",
    "right": "right arrowright right_arrow rightarrow",
    "capslock": "capslock caps_lock caps",
    "printscreen": "printscreen print prtsc prtscr print_screen",
    "menu": "menu apps context_menu",
    "pause": "pause break",
    "numlock": "numlock num_lock",
    "scrolllock": "scrolllock scroll_lock",
    "+": "plus", "-": "minus", ",": "comma", ".": "period dot", "/": "slash",
    "\\": "backslash", ";": "semicolon", "'": "apostrophe quote", "`": "grave backtick",
    "=": "equal equals", "[": "bracketleft", "]": "bracketright",
}.items():
    for n in names.split():
        _ALIASES[n] = canon
for i in range(1, 25):
    _ALIASES[f"f{i}"] = f"f{i}"

_PYAUTOGUI = {"super": "command" if sys.platform == "darwin" else "win", "menu": "apps"}

_PRINTABLE = {chr(c) for c in range(0x21, 0x7F)}


def _split(item: str) -> list[str]:
    """'ctrl+shift+t' → ['ctrl', 'shift', 't']; a lone '+' and 'ctrl++' keep the plus key;
    'ctrl shift t' (UI-TARS writes chords so) splits on spaces unless it names one key
    ('page down')."""
    if len(item) > 1 and "+" not in item and len(item.split()) > 1:
        if "_".join(item.lower().split()) in _ALIASES:
            return ["_".join(item.split())]
        return item.split()
    if len(item) <= 1 or "+" not in item:
        return [item]
    parts = item.split("+")
    out = [p for p in parts if p]
    # Each empty part between separators stands for the '+' key itself (ctrl++ → ctrl, +).
    if any(not p for p in parts[1:]):
        out.append("+")
    return out


def canonical(key: str) -> str:
    """One key name → its canonical name, or ActionError naming the unknown key."""
    if not isinstance(key, str) or key == "":
        raise ActionError("a key name must be a non-empty string")
    if key == " ":
        return "space"
    if len(key) == 1:
        if key in _PRINTABLE:
            return key.lower()  # a letter in a chord means the key, not the capital
        raise ActionError(f"cannot press {key!r} as a key — type it with the type action")
    name = key.strip().lower().replace("-", "_")
    if name in _ALIASES:
        return _ALIASES[name]
    raise ActionError(f"unknown key {key!r} — use names like ctrl, alt, shift, super, enter, "
                      "esc, tab, backspace, up, f5, or one character")


def normalize(keys: Iterable[str]) -> list[str]:
    """A key or chord → canonical names, modifiers first (in ctrl, alt, shift, super order)."""
    names: list[str] = []
    for item in keys:
        for part in _split(item.strip() if len(item) > 1 else item):
            c = canonical(part)
            if c not in names:
                names.append(c)
    if not names:
        raise ActionError("a key action needs at least one key")
    mods = [m for m in MODIFIERS if m in names]
    return mods + [n for n in names if n not in MODIFIERS]


def parse_chord(text: str) -> frozenset[str]:
    """'ctrl+alt+delete' → frozenset of canonical names (deny-list entries)."""
    return frozenset(normalize([text]))


def to_pyautogui(names: Iterable[str]) -> list[str]:
    return [_PYAUTOGUI.get(n, n) for n in names]


def label(names: Iterable[str]) -> str:
    return "+".join(names)
