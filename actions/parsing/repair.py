"""Lenient JSON: read the JSON that models actually write, in linear time.

``read_value(text, pos)`` first tries the strict C decoder; when that fails it reads the value
with a small iterative parser that accepts what real outputs contain: single-quoted strings,
unquoted keys, Python literals (True/False/None, tuples), trailing or missing commas, ``//`` and
``/* */`` comments, raw newlines in strings, an unescaped quote inside a string (one not followed
by ``, : } ]``), and a value cut short (an unterminated string, missing closing brackets): what is
open gets closed. The parser stops at the end of the first complete value, so prose or tags after
it are ignored.

Every step either consumes input or ends the parse, each scan is a C-level regex or ``str.find``
over text not scanned before, and nesting is capped, so time is linear in the input and no
recursion limit can be hit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ParseError

MAX_DEPTH = 100
MAX_ATTEMPTS = 256  # candidate openings find_value tries before it gives up
MAX_STEPS = 20_000  # keys, values and brackets the repairing parser reads before giving up

_DECODER = json.JSONDecoder(strict=False)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_WORD = re.compile(r"[^\W\d][\w$\-]*")
_BODY = {'"': re.compile(r'[^"\\]*'), "'": re.compile(r"[^'\\]*")}
_SPACE = re.compile(r"[ \t\r\n\f\v\u00a0\ufeff]*")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None, "True": True,
                             "False": False, "None": None}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\",
            '"': '"', "'": "'"}
_CLOSERS = {"{": "}", "[": "]", "(": ")"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class TooLarge(ParseError):
    """Broken JSON too big to repair; no later candidate in the same text is worth trying."""


class Notes(list):
    """What had to be repaired, in words (empty for valid JSON)."""


def clean_surrogates(s: str) -> str:
    """Replace lone surrogates (from broken \\u escapes) so the text can be encoded."""
    return _SURROGATE.sub("\ufffd", s) if _SURROGATE.search(s) else s


def _skip(text: str, pos: int) -> int:
    """Skip whitespace and comments."""
    n = len(text)
    while True:
        pos = _SPACE.match(text, pos).end()
        if text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = n if end < 0 else end + 1
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            return pos


def _read_string(text: str, pos: int, notes: Notes) -> tuple[str, int]:
    """A string starting at its opening quote ``text[pos]``; returns (value, end)."""
    quote = text[pos]
    body = _BODY[quote]
    n = len(text)
    parts: list[str] = []
    pos += 1
    while True:
        m = body.match(text, pos)
        parts.append(m.group())
        pos = m.end()
        if pos >= n:
            notes.append("closed an unterminated string")
            return clean_surrogates("".join(parts)), n
        if text[pos] == "\\":
            pos = _read_escape(text, pos, parts)
            continue
        # A quote. It closes the string when what follows can follow a string in JSON;
        # otherwise the model meant a literal quote inside the text ("San Diego's").
        after = _SPACE.match(text, pos + 1).end()
        if after >= n or text[after] in ",:}])" or (text[after] in "\"'" and after > pos + 1):
            # (the last case: a space, then the next string — the comma between was dropped)
            return clean_surrogates("".join(parts)), pos + 1
        notes.append("kept an unescaped quote inside a string")
        parts.append(quote)
        pos += 1


def _read_escape(text: str, pos: int, parts: list[str]) -> int:
    """One backslash escape at ``pos``; unknown escapes are kept as written."""
    if pos + 1 >= len(text):
        return pos + 1
    c = text[pos + 1]
    if c in _ESCAPES:
        parts.append(_ESCAPES[c])
        return pos + 2
    if c == "u":
        digits = text[pos + 2:pos + 6]
        if len(digits) == 4 and all(d in "0123456789abcdefABCDEF" for d in digits):
            code = int(digits, 16)
            nxt = text[pos + 6:pos + 12]
            if 0xD800 <= code < 0xDC00 and nxt.startswith("\\u") and len(nxt) == 6:
                try:
                    low = int(nxt[2:], 16)
                except ValueError:
                    low = 0
                if 0xDC00 <= low < 0xE000:
                    parts.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
                    return pos + 12
            parts.append(chr(code))
            return pos + 6
    parts.append("\\" + c)
    return pos + 2


def _scalar(text: str, pos: int, notes: Notes) -> tuple[Any, int] | None:
    """A string, number or bare word at ``pos``, or None when none starts there."""
    c = text[pos]
    if c in "\"'":
        return _read_string(text, pos, notes)
    m = _NUMBER.match(text, pos)
    if m:
        raw = m.group()
        try:
            value: Any = int(raw) if raw.lstrip("+-").isdigit() else float(raw)
        except ValueError:
            return None
        return value, m.end()
    m = _WORD.match(text, pos)
    if m:
        word = m.group()
        if word in _LITERALS:
            return _LITERALS[word], m.end()
        notes.append(f"read the bare word {word[:20]!r} as a string")
        return word, m.end()
    return None


def read_value(text: str, pos: int = 0, *, fast: bool = True) -> tuple[Any, int, Notes]:
    """The JSON value starting at ``text[pos]`` (after whitespace): (value, end, notes).

    ``fast`` tries the C decoder first. Its errors cost time proportional to ``pos`` (they
    count the lines before it), so callers that try many positions turn it off."""
    pos = _skip(text, pos)
    if fast:
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError):
            pass
        else:
            if _ESCAPED_SURROGATE.search(text, pos, end):
                value = _without_surrogates(value)
            return value, end, Notes()
    return _lenient(text, pos)


def _without_surrogates(value: Any) -> Any:
    """``value`` with lone surrogates (from ``\\ud800`` escapes) replaced, iteratively."""
    root = [value]
    todo: list[Any] = [root]
    while todo:
        container = todo.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for k, v in list(items):
            if isinstance(v, str):
                container[k] = clean_surrogates(v)
            elif isinstance(v, (dict, list)):
                todo.append(v)
        if isinstance(container, dict):
            for k in [k for k in container if isinstance(k, str) and _SURROGATE.search(k)]:
                container[clean_surrogates(k)] = container.pop(k)
    return root[0]


def _lenient(text: str, pos: int) -> tuple[Any, int, Notes]:
    notes = Notes()
    n = len(text)
    # Each open container: [closer, container, pending key]
    stack: list[list[Any]] = []

    def close_all(at: int, why: str) -> tuple[Any, int, Notes]:
        notes.append(f"closed {len(stack)} unclosed bracket(s) {why}")
        root = stack[0][1]
        return root, at, notes

    expect_key = False
    for _step in range(MAX_STEPS):
        pos = _skip(text, pos)
        if pos >= n:
            if not stack:
                raise ParseError("expected a JSON value, found the end of the text", pos)
            return close_all(n, "at the end of the text")
        c = text[pos]
        top = stack[-1] if stack else None

        if top is not None and c in ")]}":
            # A closer: the matching one pops; a mismatched one closes what it skips over.
            depth = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][0] == c), None)
            if depth is None:
                return close_all(pos, f"before a stray {c!r}")
            if depth != len(stack) - 1:
                notes.append(f"closed {len(stack) - 1 - depth} bracket(s) before {c!r}")
            del stack[depth + 1:]
            done = stack.pop()[1]  # already attached to its parent when it was opened
            pos += 1
            if not stack:
                return done, pos, notes
            expect_key = isinstance(stack[-1][1], dict)
            pos = _after_item(text, pos, notes)
            if pos < 0:
                return close_all(-pos, "before text that is not JSON")
            continue

        if top is not None and c == ",":
            pos += 1  # a doubled or leading comma: nothing to read
            continue

        if expect_key:
            got = _scalar(text, pos, notes)
            if got is None:
                return close_all(pos, f"before {c!r} where a key was expected")
            key, pos = got
            top[2] = str(key)
            pos = _skip(text, pos)
            if pos < n and text[pos] in ":=":
                pos += 1
            else:
                notes.append(f"supplied a missing ':' after key {str(key)[:20]!r}")
            expect_key = False
            continue

        # A value.
        if c in "{[(":
            if len(stack) >= MAX_DEPTH:
                raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep", pos)
            container: Any = {} if c == "{" else []
            if top is not None:
                _attach(top, container)  # attached now, so closing early keeps it
            stack.append([_CLOSERS[c], container, None])
            expect_key = c == "{"
            pos += 1
            continue
        got = _scalar(text, pos, notes)
        if got is None:
            if not stack:
                raise ParseError(f"expected a JSON value, found {c!r}", pos)
            return close_all(pos, f"before {c!r}")
        value, pos = got
        if top is None:
            return value, pos, notes
        _attach(top, value)
        expect_key = isinstance(top[1], dict)
        pos = _after_item(text, pos, notes)
        if pos < 0:  # junk where a comma or closer belongs: the value was cut short
            return close_all(-pos, "before text that is not JSON")
    raise TooLarge(f"broken JSON with more than {MAX_STEPS} items is not repaired", pos)


def _attach(frame: list[Any], value: Any) -> None:
    container = frame[1]
    if isinstance(container, dict):
        container[frame[2] if frame[2] is not None else ""] = value
        frame[2] = None
    else:
        container.append(value)


def _after_item(text: str, pos: int, notes: Notes) -> int:
    """After an item: consume a comma; leave a closer; accept a missing comma before another
    item; return ``-pos`` when junk follows."""
    pos = _skip(text, pos)
    if pos >= len(text):
        return pos
    c = text[pos]
    if c == ",":
        nxt = _skip(text, pos + 1)
        if nxt < len(text) and text[nxt] in ")]}":
            notes.append("dropped a trailing comma")
        return pos + 1
    if c in ")]}":
        return pos
    if c in "\"'{[(" or c.isalnum() or c in "-+._":
        notes.append("supplied a missing comma")
        return pos
    return -pos


def find_value(text: str, start: int = 0, end: int | None = None, *, opens: str = "{",
               budget: int | None = None, accept: Any = None) -> tuple[Any, int, int, Notes]:
    """The first JSON value opening with one of ``opens`` in ``text[start:end]`` that ``accept``
    (a callable returning True/False) likes: (value, start, end, notes).

    Candidates are tried in order, at most ``MAX_ATTEMPTS`` of them, and the characters all
    attempts read are capped at ``budget`` (default: three times the text searched), so a long
    text full of brackets fails in linear time. Raises ParseError when none is found.
    """
    end = len(text) if end is None else end
    budget = 3 * (end - start) + 4096 if budget is None else budget
    region = text[start:end] if (start, end) != (0, len(text)) else text
    first_error: ParseError | None = None
    pattern = re.compile("[" + re.escape(opens) + "]")
    pos = 0
    for attempt in range(MAX_ATTEMPTS):
        if budget <= 0:
            break
        m = pattern.search(region, pos)
        if not m:
            break
        at = m.start()
        try:
            value, stop, notes = read_value(region, at, fast=attempt < 4)
        except TooLarge:
            raise
        except ParseError as e:
            if first_error is None:
                first_error = ParseError(e.args[0].rsplit(" (at character", 1)[0],
                                         None if e.pos is None else e.pos + start)
            budget -= max(e.pos - at if e.pos is not None else 1, 1)
            pos = at + 1
            continue
        budget -= max(stop - at, 1)
        if accept is None or accept(value):
            return value, at + start, stop + start, notes
        pos = at + 1
    if first_error is not None:
        raise first_error
    raise ParseError(f"no JSON object found (looked for {' or '.join(opens)})", start)


def strict_value_at(text: str, pos: int) -> tuple[Any, int] | None:
    """The valid JSON value starting exactly at ``pos`` and its end, or None. A failure costs
    time proportional to ``pos``: call it a bounded number of times per text."""
    try:
        return _DECODER.raw_decode(text, pos)
    except (ValueError, RecursionError):
        return None


def loads(text: str) -> tuple[Any, Notes]:
    """A whole string as one lenient JSON value (code fences and prose around it ignored)."""
    stripped = text.strip()
    if not stripped:
        raise ParseError("empty JSON", 0)
    value, _, _, notes = find_value(text, opens="{[")
    return value, notes


__all__ = ["MAX_DEPTH", "Notes", "clean_surrogates", "find_value", "loads", "read_value",
           "strict_value_at"]
