"""``openai``: OpenAI-style tool calls.

Accepts the ``tool_calls`` list (``[{"id", "type": "function", "function": {"name",
"arguments": "<JSON string>"}}]``), a whole assistant message (``{"content", "tool_calls"}``; the
content is the thought), a chat completion (``{"choices": [{"message": ...}]}``), the legacy
``function_call``, the openai SDK's objects, or any of these as JSON text. Arguments are read
leniently (they are model-written JSON). A function named like a project action
(``space.schemas()`` offers them so) is that action; ``mobile_use`` / ``computer_use`` are
translated; other names are user tools. Coordinates: pixels unless ``frame`` says otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from ..coords import Frame
from ..errors import ParseError
from .common import Parsed, bare, check_calls, dumps
from .repair import find_value, loads
from .vocab import as_dict, finish, translate

FRAME = Frame(kind="pixels")


def _plain(obj: Any) -> Any:
    """SDK objects (pydantic models) as plain data."""
    dump = getattr(obj, "model_dump", None)
    return dump() if callable(dump) and not isinstance(obj, type) else obj


def _one(call: Any, k: int) -> dict[str, Any]:
    call = _plain(call)
    if not isinstance(call, dict):
        raise ParseError(f"tool call {k} is not an object")
    fn = _plain(call.get("function", call))
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise ParseError(f"tool call {k} has no function name")
    args = fn.get("arguments", {})
    if isinstance(args, str):
        try:
            args = loads(args)[0] if args.strip() else {}
        except ParseError as e:
            raise ParseError(f"tool call {k} ({fn['name']}): arguments are not JSON: "
                             f"{bare(e)}") from None
    if args is not None and not isinstance(args, dict):
        raise ParseError(f"tool call {k} ({fn['name']}): arguments must be an object")
    try:
        return translate(fn["name"], args or {})
    except ParseError as e:
        raise ParseError(f"tool call {k} ({fn['name']}): {bare(e)}") from None


def calls_of_message(value: Any) -> tuple[str, list[dict[str, Any]]]:
    """(content, calls) of a message, a completion, a tool_calls list or a single call."""
    value = _plain(value)
    if isinstance(value, dict) and isinstance(value.get("choices"), list) and value["choices"]:
        value = _plain(value["choices"][0])
    if isinstance(value, dict) and isinstance(_plain(value.get("message")), dict):
        value = _plain(value["message"])
    content = ""
    if isinstance(value, dict) and ("tool_calls" in value or "function_call" in value
                                    or "content" in value):
        content = value.get("content") if isinstance(value.get("content"), str) else ""
        raw = value.get("tool_calls") or []
        if not raw and value.get("function_call"):
            raw = [{"function": value["function_call"]}]
        value = raw
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ParseError(f"expected tool calls, got {type(value).__name__}")
    check_calls(list(value), "openai")
    if not value:
        raise ParseError("the message has no tool calls")
    return content or "", [_one(c, k) for k, c in enumerate(value, 1)]


def _is_calls(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, dict) and ("function" in v or "name" in v)
                                   for v in value)
    return isinstance(value, dict) and any(
        k in value for k in ("tool_calls", "function_call", "function", "choices", "name"))


def parse(value: Any, frame: Frame | None = None) -> Parsed:
    repairs: list[str] = []
    if isinstance(value, str):
        try:
            value, _, _, notes = find_value(value, opens="[{", accept=_is_calls)
        except ParseError as e:
            raise ParseError(f"openai: no tool calls found ({bare(e)})", e.pos) from None
        repairs = list(notes)
    try:
        content, calls = calls_of_message(value)
    except ParseError as e:
        raise ParseError(f"openai: {bare(e)}") from None
    return Parsed(thought=content.strip(), calls=finish(calls), frame=frame or FRAME,
                  format="openai", repairs=repairs)


def tool_calls(actions: list[Any]) -> list[dict[str, Any]]:
    """Project actions as an OpenAI ``tool_calls`` list (the function is the action)."""
    out = []
    for k, action in enumerate(actions):
        a = as_dict(action)
        name = a.pop("action")
        out.append({"id": f"call_{k}", "type": "function",
                    "function": {"name": name, "arguments": json.dumps(a, ensure_ascii=False)}})
    return out


def render(actions: list[Any], frame: Frame | None = None, thought: str = "") -> str:
    calls = tool_calls(actions)
    if thought.strip():
        return dumps({"role": "assistant", "content": thought.strip(), "tool_calls": calls})
    return dumps(calls)


__all__ = ["calls_of_message", "parse", "render", "tool_calls"]
