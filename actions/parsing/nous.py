"""``qwen25vl``: nous/Hermes ``<tool_call>`` blocks, as Qwen2.5-VL's agent cookbooks prompt for.

One or several ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks, usually
``mobile_use`` / ``computer_use`` calls, with prose (the thought) before them. Coordinates are
pixels of the smart_resize'd image (frame ``resized``). Each block's JSON is read first and the
closing tag looked for after it, so a typed ``</tool_call>`` inside a string cannot cut the call;
a block without its closing tag ends at the next ``<tool_call>`` or at the end of the text.
"""

from __future__ import annotations

from typing import Any

from ..coords import Frame
from ..errors import ParseError
from .boxes import clean
from .common import MAX_CALLS, Parsed, bare, check_calls, clean_thought, dumps
from .repair import find_value, strict_value_at
from .vocab import WRAPPERS, as_dict, finish, norm, to_qwen, translate_object

OPEN, CLOSE = "<tool_call>", "</tool_call>"
FRAME = Frame(kind="resized")


def _is_call(value: Any) -> bool:
    return isinstance(value, dict) and (isinstance(value.get("name"), str)
                                        or isinstance(value.get("function"), dict))


def parse(text: str, frame: Frame | None = None) -> Parsed:
    calls: list[dict[str, Any]] = []
    outside: list[str] = []
    repairs: list[str] = []
    n = len(text)
    i = text.find(OPEN)
    if i < 0:
        # No tags (some servers strip them): one bare {"name": ..., "arguments": ...} object.
        try:
            value, at, end, notes = find_value(text, opens="{", accept=_is_call)
        except ParseError:
            raise ParseError("qwen25vl: no <tool_call> block and no {\"name\": ..., "
                             "\"arguments\": ...} object found", 0) from None
        repairs += notes
        calls.append(translate_object(value))
        outside.append(text[:at])
    else:
        outside.append(text[:i])
    pos = i
    spans = 0  # strict re-reads across a tag (bounded: each may cost O(n))
    while 0 <= pos < n:
        if len(calls) >= MAX_CALLS:
            raise ParseError(f"qwen25vl: more than {MAX_CALLS} <tool_call> blocks", pos)
        body = pos + len(OPEN)
        nxt = text.find(OPEN, body)
        limit = nxt if nxt >= 0 else n
        k = len(calls) + 1
        error: ParseError | None = None
        value: Any = None
        notes: list[str] = []
        try:
            value, at, end, notes = find_value(text, body, limit, opens="{", budget=limit - body)
        except ParseError as e:
            error = e
        if (error is not None or notes) and nxt >= 0 and spans < 4:
            # A typed "<tool_call>" inside a string ends the block early; valid JSON that runs
            # past it is the real call.
            spans += 1
            brace = text.find("{", body, limit)
            whole = strict_value_at(text, brace) if brace >= 0 else None
            if whole is not None and whole[1] > limit and _is_call(whole[0]):
                (value, end), at, notes, error = whole, brace, [], None
                nxt = text.find(OPEN, end)
                limit = nxt if nxt >= 0 else n
        if error is not None:
            raise ParseError(f"qwen25vl: <tool_call> {k} holds no JSON object "
                             f"({bare(error)})", body) from None
        if not _is_call(value):
            raise ParseError(f"qwen25vl: <tool_call> {k} has no \"name\" — write "
                             "{\"name\": TOOL, \"arguments\": {...}}", at)
        repairs += notes
        try:
            calls.append(translate_object(value))
        except ParseError as e:
            raise ParseError(f"qwen25vl: <tool_call> {k}: {bare(e)}", at) from None
        close = text.find(CLOSE, end, limit)
        if close < 0:
            repairs.append(f"<tool_call> {k} has no closing </tool_call>")
        else:
            outside.append(text[close + len(CLOSE):limit])
        pos = nxt
    check_calls(calls, "qwen25vl")
    return Parsed(thought=clean_thought("\n".join(s.strip() for s in outside if s.strip())),
                  calls=finish(calls), frame=frame or FRAME, format="qwen25vl", repairs=repairs)


def block(name: str, arguments: dict[str, Any]) -> str:
    body = dumps({"name": name, "arguments": arguments}, hide=(OPEN, CLOSE))
    return f"{OPEN}\n{body}\n{CLOSE}"


def render(actions: list[Any], frame: Frame | None = None, thought: str = "",
           tool: str | None = None) -> str:
    """Calls as Qwen2.5-VL writes them: mobile_use / computer_use with [x, y] points."""
    if tool is not None and norm(tool) not in WRAPPERS:
        raise ParseError(f"unknown tool {tool!r} — use mobile_use or computer_use")
    blocks = []
    for action in actions:
        for name, args in to_qwen(as_dict(action), lambda x, y: [clean(x), clean(y)], tool):
            blocks.append(block(name, args))
    head = f"{thought.strip()}\n" if thought.strip() else ""
    return head + "\n".join(blocks)


__all__ = ["CLOSE", "OPEN", "block", "parse", "render"]
