"""``uitars``: UI-TARS's ``Thought: ... Action: call(...)`` grammar.

::

    Thought: The search box is at the top.
    Action: click(start_box='<|box_start|>(235,512)<|box_end|>')

v1 writes points as box tokens in [0, 1000) (frame ``rel1000``); v1.5 as ``<point>x y</point>``
on the resized image (frame ``resized``) — the text decides, ``frame`` overrides. Several calls
may follow each other (blank lines between). Values are quoted strings with backslash escapes
(``\\'``, ``\\n``), bare numbers or words, or box/point tokens. What real outputs get wrong is
read anyway: a quote inside ``content='...'`` (a quote closes the value only when ``)``, ``,
key=``, the end of the text or the next call follows it), a missing ``')``, a missing ``)``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..coords import Frame
from ..errors import ParseError
from .boxes import BBOX_START, POINT_START, box_tokens, clean, fmt, point_tag
from .common import MAX_CALLS, Parsed, bare, clean_thought
from .repair import read_value
from .vocab import HANDLERS, as_dict, finish, translate

V1 = Frame(kind="rel1000")
V15 = Frame(kind="resized")
WAIT_SECONDS = 5.0  # UI-TARS's wait(): "sleep for 5s and take a screenshot"

_ACTION = re.compile(r"Action[ \t]*:")
_THOUGHT = re.compile(r"Thought[ \t]*:")
_CALL = re.compile(r"([A-Za-z_][\w.]*)[ \t]*\(")
_KWARG = re.compile(r"(\w+)[ \t]*=(?!=)")
_WS = re.compile(r"[ \t\r\n]*")
_BLANK = re.compile(r"[ \t]*")
_BARE = re.compile(r"[^,)\n]*")
_BODY = {"'": re.compile(r"[^'\\]*"), '"': re.compile(r'[^"\\]*')}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_KNOWN = re.compile(r"(?:^|\n)[ \t]*(" + "|".join(
    sorted((re.escape(n) for n in HANDLERS), key=len, reverse=True)) + r")[ \t]*\(")
_TAGGED = ((POINT_START, "</point>"), (BBOX_START, "</bbox>"),
           ("<|box_start|>", "<|box_end|>"))
_SPAN = 4096  # a bracketed or tagged value never needs more


def _start(text: str) -> tuple[int, int]:
    """(where the thought ends, where the first call begins)."""
    for m in _ACTION.finditer(text):
        at = _WS.match(text, m.end()).end()
        if _CALL.match(text, at):
            return m.start(), at
    m = _KNOWN.search(text)
    if m:
        return m.start(1), m.start(1)
    raise ParseError("uitars: no 'Action: name(...)' call found — write e.g. "
                     "Action: click(start_box='<|box_start|>(x,y)<|box_end|>')", 0)


def parse(text: str, frame: Frame | None = None) -> Parsed:
    head_end, pos = _start(text)
    head = text[:head_end]
    tm = _THOUGHT.search(head)
    thought = head[tm.end():] if tm else head
    raw_calls = parse_calls(text, pos)
    if frame is None:
        region = text[pos:]
        frame = V15 if (POINT_START in region or BBOX_START in region) else V1
    calls = []
    for k, (name, args, at) in enumerate(raw_calls, 1):
        try:
            calls.append(translate(name, args, strict=True, wait_default=WAIT_SECONDS))
        except ParseError as e:
            raise ParseError(f"uitars: call {k} ({name}): {bare(e)}", at) from None
    return Parsed(thought=clean_thought(thought), calls=finish(calls), frame=frame,
                  format="uitars")


def parse_calls(text: str, pos: int = 0) -> list[tuple[str, dict[str, Any], int]]:
    """Calls ``name(key=value, ...)`` from ``pos`` on: (name, arguments, offset)."""
    calls: list[tuple[str, dict[str, Any], int]] = []
    n = len(text)
    while pos < n:
        pos = _WS.match(text, pos).end()
        label = _ACTION.match(text, pos)
        if label:
            pos = _WS.match(text, label.end()).end()
        m = _CALL.match(text, pos)
        if not m:
            break
        if len(calls) >= MAX_CALLS:
            raise ParseError(f"uitars: more than {MAX_CALLS} calls in one answer", pos)
        args, pos = _arguments(text, m.end())
        calls.append((m.group(1), args, m.start()))
    if not calls:
        raise ParseError("uitars: expected a call like click(start_box='...')", pos)
    return calls


def _arguments(text: str, pos: int) -> tuple[dict[str, Any], int]:
    args: dict[str, Any] = {}
    n, positional = len(text), 0
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= n:
            return args, n  # the closing ')' is missing
        c = text[pos]
        if c == ")":
            return args, pos + 1
        if c == ",":
            pos += 1
            continue
        kw = _KWARG.match(text, pos)
        if kw:
            key = kw.group(1)
            pos = _BLANK.match(text, kw.end()).end()
        else:
            key, positional = f"_{positional}", positional + 1
        start = pos
        value, pos = _value(text, pos)
        args[key] = value
        if pos <= start and not kw:
            return args, pos  # nothing readable here: the call is over
        after = _BLANK.match(text, pos).end()
        if after < n and text[after] not in ",)":
            return args, after  # a newline and the next call, or prose: ')' was missing


def _value(text: str, pos: int) -> tuple[Any, int]:
    n = len(text)
    if pos >= n:
        return "", pos
    c = text[pos]
    if c in "'\"":
        return _quoted(text, pos)
    for open_, close in _TAGGED:
        if text.startswith(open_, pos):
            j = text.find(close, pos, pos + _SPAN)
            end = j + len(close) if j >= 0 else _line_end(text, pos)
            return text[pos:end], end
    if c == "[":
        try:  # a JSON-ish list: keys=['ctrl', 'c'], start_box=[1, 2]
            value, stop, _ = read_value(text, pos, fast=False)
            return value, stop
        except ParseError as e:  # give up on it, but never re-read what was read
            end = max(e.pos or 0, _line_end(text, pos))
            return text[pos:end], end
    if c == "(":
        j = text.find(")", pos, pos + _SPAN)
        end = j + 1 if j >= 0 else _line_end(text, pos)
        return text[pos:end], end
    m = _BARE.match(text, pos)
    return _scalar(m.group().strip()), m.end()


def _line_end(text: str, pos: int) -> int:
    j = text.find("\n", pos, pos + _SPAN)
    return j if j >= 0 else min(len(text), pos + _SPAN)


def _scalar(word: str) -> Any:
    if word in ("True", "true"):
        return True
    if word in ("False", "false"):
        return False
    if word in ("None", "null"):
        return None
    try:
        return clean(float(word)) if word and word[0] in "+-.0123456789" else word
    except ValueError:
        return word


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted value at ``pos``. A quote closes it only where a value can end; an earlier one
    is the model's unescaped quote inside the text."""
    quote, body, n = text[pos], _BODY[text[pos]], len(text)
    parts: list[str] = []
    fallback: tuple[int, int] | None = None  # (parts kept, end) at a quote before a newline
    i = pos + 1
    while True:
        m = body.match(text, i)
        parts.append(m.group())
        i = m.end()
        if i >= n:
            if fallback is not None:
                return "".join(parts[:fallback[0]]), fallback[1]
            rest = "".join(parts)
            if rest.rstrip().endswith(")") and rest.count(")") > rest.count("("):
                rest = rest.rstrip()[:-1]  # the quote of "')" is what went missing
            return rest, n
        if text[i] == "\\":
            if i + 1 < n:
                nxt = text[i + 1]
                parts.append(_ESCAPES.get(nxt, "\\" + nxt))
            i = min(i + 2, n)
            continue
        a = _BLANK.match(text, i + 1).end()
        if a >= n or text[a] == ")":
            return "".join(parts), i + 1
        if text[a] == ",":
            b = _WS.match(text, a + 1).end()
            if b >= n or text[b] == ")" or _KWARG.match(text, b):
                return "".join(parts), i + 1
        elif text[a] in "\r\n":
            b = _WS.match(text, a).end()
            if b >= n or _CALL.match(text, b) or _ACTION.match(text, b):
                return "".join(parts), i + 1
            if fallback is None:
                fallback = (len(parts), i + 1)
        parts.append(quote)
        i += 1


# --- rendering ---------------------------------------------------------------------------------

def quote(text: str) -> str:
    """A string value as UI-TARS writes it: single quotes, backslash escapes."""
    escaped = (text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f"'{escaped}'"


def _arg(value: Any) -> str:
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return fmt(value)
    return quote(json.dumps(value, ensure_ascii=False))


def _call(name: str, **kwargs: Any) -> str:
    return f"{name}(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def render_call(action: dict[str, Any], v15: bool) -> str:
    """One project action in the UI-TARS grammar (v1 box tokens or v1.5 points)."""
    a = dict(action)
    name = a.pop("action")

    def pt(x: float, y: float) -> str:
        return quote(point_tag(x, y) if v15 else box_tokens(x, y, degenerate=False))

    def at(key: str, x: float | None, y: float | None) -> dict[str, str]:
        # a click at the pointer / a drag from it (computer_use's, read from another format's
        # history) has no point to write: the call is written without it
        return {} if x is None or y is None else {key: pt(x, y)}

    p1, s1, e1 = ("point", "start_point", "end_point") if v15 else ("start_box", "start_box",
                                                                      "end_box")
    if name == "click":
        verb = {("left", 1): "click", ("left", 2): "left_double",
                ("right", 1): "right_single"}.get((a["button"], a["clicks"]))
        extra = {} if verb else {"button": quote(a["button"]), "clicks": str(a["clicks"])}
        return _call(verb or "click", **at(p1, a.get("x"), a.get("y")), **extra)
    if name == "long_press":
        extra = {} if a["duration_ms"] == 1000 else {"time": quote(fmt(a["duration_ms"] / 1000))}
        return _call("long_press", **{p1: pt(a["x"], a["y"])}, **extra)
    if name in ("swipe", "drag"):
        # 1.5's grammars have no swipe: its mobile prompt writes a swipe as
        # drag(start_point, end_point), which the policy's format reads back as a swipe on a
        # phone (Format.parse); v1's mobile prompt writes it as scroll(start_box, end_box).
        verb = "drag" if name == "drag" or v15 else "scroll"
        extra = {}
        if name == "swipe" and not v15 and a["duration_ms"] != 300:  # (1.5's drag has no time)
            extra["time"] = quote(fmt(a["duration_ms"] / 1000))
        return _call(verb, **at(s1, a.get("x1"), a.get("y1")), **{e1: pt(a["x2"], a["y2"])},
                     **extra)
    if name == "move":
        return _call("hover", **{p1: pt(a["x"], a["y"])})
    if name == "scroll":
        kw = {p1: pt(a["x"], a["y"])} if a.get("x") is not None else {}
        kw["direction"] = quote(a["direction"])
        if a.get("amount") is not None:
            kw["amount"] = str(a["amount"])
        return _call("scroll", **kw)
    if name == "type":
        kw = {"content": quote(a["text"] + ("\n" if a["submit"] else ""))}
        if not a["submit"] and a["text"].endswith("\n"):
            kw["submit"] = "False"
        return _call("type", **kw)
    if name == "key":
        if any(not k.strip() or len(k.split()) > 1 for k in a["keys"]):
            # a key name with a space cannot be written space-separated: give the list
            return _call("hotkey", keys=json.dumps(a["keys"], ensure_ascii=False))
        return _call("hotkey", key=quote(" ".join(a["keys"])))
    if name == "button":
        return _call(f"press_{a['name']}")
    if name == "open_app":
        return _call("open_app", app_name=quote(a["name"]))
    if name == "wait":
        return _call("wait") if a["seconds"] == WAIT_SECONDS else _call(
            "wait", time=quote(fmt(a["seconds"])))
    if name == "terminate":
        verb = "finished" if a["status"] == "success" else "call_user"
        return _call(verb, **({"content": quote(a["answer"])} if a.get("answer") is not None
                              else {}))
    return _call(name, **{k: _arg(v) for k, v in a.items()})


def render(actions: list[Any], frame: Frame | None = None, thought: str = "") -> str:
    v15 = frame is not None and frame.kind != "rel1000"
    calls = "\n\n".join(render_call(as_dict(a), v15) for a in actions)
    head = f"Thought: {thought.strip()}\n" if thought.strip() else ""
    return f"{head}Action: {calls}"


__all__ = ["V1", "V15", "parse", "parse_calls", "quote", "render", "render_call"]
