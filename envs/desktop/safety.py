"""What keeps the agent from doing harm on a real desktop.

- ``DenyList``: chords the env refuses to press (lock screen, kill X, the three-finger salute).
  A chord is refused when it holds every key of an entry, so ``ctrl+alt+shift+delete`` is as
  denied as ``ctrl+alt+delete``.
- ``Confirmer``: asks in the terminal before each action; ``y`` acts, ``n`` (or Enter) skips,
  ``q`` (or end of input) stops the run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Literal, TextIO

from .errors import DesktopOptionError
from .keys import label, normalize, parse_chord

#: lock the screen, kill X, the three-finger salute, close the window (the whole app, the run's
#: own terminal), switch to a text console (the agent could not see its way back)
DEFAULT_DENY = ("ctrl+alt+delete", "super+l", "ctrl+alt+backspace", "alt+f4",
                *(f"ctrl+alt+f{n}" for n in range(1, 13)))

#: typed text never sent (regular expressions, case-insensitive): shell commands that destroy
#: data or stop the machine, whatever window has the focus
DEFAULT_DENY_TEXT = (
    r"\brm\s+(-\S+\s+)*-\w*[rR]",               # recursive rm: rm -rf, rm -r, rm -fr
    r"\bmkfs(\.\w+)?\s",                          # make a filesystem over one
    r"\bdd\s[^\n]*\bof=/dev/",                    # write over a device
    r">\s*/dev/(sd|nvme|hd|vd)",                   # redirect over a disk
    r":\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:",      # the fork bomb
    r"\b(shutdown|poweroff|reboot|halt)\s+(-|now\b)",
    r"\bchmod\s+(-\w+\s+)*[0-7]{3,4}\s+/(\s|$)",   # open up the root folder
)


def _split(text: str) -> list[str]:
    """Comma-separated entries where a comma inside ``{}`` or ``[]`` (a regular expression's
    ``{3,4}`` or ``[,;]``) or written ``\\,`` belongs to its entry."""
    items, cur, depth, i = [], [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            cur.append(nxt if nxt == "," else ch + nxt)  # keep other escapes for the regex
            i += 2
            continue
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    return [*items, "".join(cur)]


def _entries(entries: str | Iterable[str] | None, defaults: Iterable[str]) -> list[str]:
    """A deny option's entries: None gives the defaults; a list or comma-separated text
    replaces them, where the word ``default`` stands for all of them."""
    if entries is None:
        return list(defaults)
    raw = _split(entries) if isinstance(entries, str) else list(entries)
    items: list[str] = []
    for e in (x.strip() for x in raw):
        if e.lower() == "default":
            items.extend(defaults)
        elif e:
            items.append(e)
    return items


class TextDenyList:
    """Typed text the env refuses to type: a ``type`` step whose text matches any pattern.
    ``None`` gives the defaults; ``"default,PATTERN"`` adds to them; ``""`` denies nothing;
    other text (comma-separated) or a list replaces them."""

    def __init__(self, entries: str | Iterable[str] | None = None):
        import re

        items = _entries(entries, DEFAULT_DENY_TEXT)
        try:
            self.patterns = [re.compile(p, re.IGNORECASE) for p in dict.fromkeys(items)]
        except re.error as e:
            raise DesktopOptionError(f"deny_text: {e.pattern!r} is not a regular expression "
                                     f"({e})") from None

    def match(self, text: str) -> str | None:
        """The pattern the text matches (the first), or None when it may be typed."""
        for p in self.patterns:
            if p.search(text):
                return p.pattern
        return None

    def __iter__(self):  # noqa: ANN204
        return (p.pattern for p in self.patterns)


class DenyList:
    """Chords the env never presses. ``DenyList("default,ctrl+q")`` adds to the defaults;
    ``DenyList("")`` denies nothing; a list or comma-separated text replaces the defaults."""

    def __init__(self, entries: str | Iterable[str] | None = None):
        items = _entries(entries, DEFAULT_DENY)
        self.chords: list[frozenset[str]] = []
        for item in items:
            chord = parse_chord(item)
            if chord not in self.chords:
                self.chords.append(chord)

    def add(self, chord: str) -> None:
        c = parse_chord(chord)
        if c not in self.chords:
            self.chords.append(c)

    def remove(self, chord: str) -> None:
        c = parse_chord(chord)
        self.chords = [x for x in self.chords if x != c]

    def match(self, keys: Iterable[str]) -> str | None:
        """The deny entry a chord falls under (as text), or None when it may be pressed."""
        pressed = set(normalize(keys))
        for chord in self.chords:
            if chord <= pressed:
                return label(normalize(sorted(chord)))
        return None

    def __iter__(self):  # noqa: ANN204
        return (label(normalize(sorted(c))) for c in self.chords)

    def __repr__(self) -> str:
        return f"DenyList({', '.join(self)})"


Answer = Literal["yes", "no", "quit"]


class Confirmer:
    """Asks ``question [y/N/q]`` on ``output`` and reads the answer from ``input``."""

    def __init__(self, input: TextIO | None = None, output: TextIO | None = None):
        self.input = input
        self.output = output

    def ask(self, what: str) -> Answer:
        out = self.output or sys.stderr
        inp = self.input or sys.stdin
        while True:
            out.write(f"vagent desktop: {what} — do it? [y/N/q] ")
            out.flush()
            line = inp.readline()
            if line == "":  # end of input: nobody is there to say yes
                out.write("\n")
                return "quit"
            answer = line.strip().lower()
            if answer in ("y", "yes"):
                return "yes"
            if answer in ("", "n", "no"):
                return "no"
            if answer in ("q", "quit", "stop"):
                return "quit"
            out.write("answer y (do it), n (skip it) or q (stop the run)\n")
