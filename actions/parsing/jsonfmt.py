"""``json``: plain JSON answers.

Read, in any of these shapes (prose and code fences around them are fine)::

    {"thoughts": "...", "action": {"action": "click", "x": 10, "y": 20}}
    {"thought": "...", "action": "click", "x": 10, "y": 20}
    {"action": "click", "x": 10, "y": 20}                         (a bare project action)
    [{"action": "click", ...}, {"action": "type", ...}]           (several)
    {"thoughts": "...", "actions": [...]}
    {"name": "click", "arguments": {...}}                         (a function call)
    {'action': 'CLICK', 'value': None, 'position': [0.49, 0.42]}   (ShowUI; give frame=unit)
    {"action_type": "click", "x": 10, "y": 20}                     (AndroidWorld style)

Coordinates are taken as screen pixels unless ``frame`` says otherwise.
"""

from __future__ import annotations

from typing import Any

from ..coords import Frame
from ..errors import ParseError
from ..models import Action
from .common import Parsed, bare, check_calls, clean_thought, dumps
from .repair import find_value
from .vocab import as_dict, finish, translate_object

FRAME = Frame(kind="pixels")
THOUGHT_KEYS = ("thoughts", "thought", "reasoning", "reason", "rationale", "think", "thinking")
_CALL_KEYS = ("action", "actions", "action_type", "name", "function", "tool_calls")


def _looks_like_answer(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in value for k in _CALL_KEYS)
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, dict) and any(k in v for k in _CALL_KEYS)
                                   for v in value)
    return False


def _thought(obj: dict[str, Any]) -> str:
    for k in THOUGHT_KEYS:
        v = obj.get(k)
        if isinstance(v, str):
            return v
        if isinstance(v, dict):  # {"thoughts": {"text": ..., "reasoning": ...}}
            return "\n".join(str(x) for x in v.values() if isinstance(x, str))
    return ""


def calls_of(value: Any) -> tuple[str, list[dict[str, Any]]]:
    """(thought, calls) of a parsed JSON answer in any of the shapes above."""
    if isinstance(value, list):
        check_calls(value, "json")
        return "", [translate_object(v) for v in value]
    if not isinstance(value, dict):
        raise ParseError(f"json: an answer is an object or a list, not {type(value).__name__}")
    thought = _thought(value)
    if isinstance(value.get("tool_calls"), list):
        from .openai_calls import calls_of_message

        content, calls = calls_of_message(value)
        return thought or content, calls
    if isinstance(value.get("actions"), list):
        check_calls(value["actions"], "json")
        return thought, [translate_object(a) for a in value["actions"]]
    action = value.get("action")
    if isinstance(action, dict):
        return thought, [translate_object(action)]
    if isinstance(action, list):
        check_calls(action, "json")
        return thought, [translate_object(a) for a in action]
    rest = {k: v for k, v in value.items() if k not in THOUGHT_KEYS}
    if isinstance(action, str) and "(" in action and len(rest) == 1:
        # {"action": "click(start_box='(10,20)')"}: a call written as code
        from .uitars import WAIT_SECONDS, parse_calls
        from .vocab import translate

        return thought, [translate(n, a, wait_default=WAIT_SECONDS)
                         for n, a, _ in parse_calls(action)]
    return thought, [translate_object(rest)]


def parse(text: str, frame: Frame | None = None) -> Parsed:
    try:
        value, at, end, notes = find_value(text, opens="{[", accept=_looks_like_answer)
    except ParseError as e:
        raise ParseError(f"json: no JSON answer found — write {{\"action\": NAME, ...}} "
                         f"({bare(e)})", e.pos) from None
    try:
        thought, calls = calls_of(value)
    except ParseError as e:
        raise ParseError(f"json: {bare(e)}", at) from None
    return Parsed(thought=thought or clean_thought(text[:at]), calls=finish(calls),
                  frame=frame or FRAME, format="json", repairs=list(notes))


def render(actions: list[Action | dict[str, Any]], frame: Frame | None = None,
           thought: str = "") -> str:
    dicts = [as_dict(a) for a in actions]
    body: Any = dicts[0] if len(dicts) == 1 else dicts
    if thought.strip():
        return dumps({"thoughts": thought.strip(), "action": body})
    return dumps(body)


__all__ = ["THOUGHT_KEYS", "calls_of", "parse", "render"]
