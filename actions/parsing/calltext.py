"""Calls written as text: ``Pickup(apple)``, ``GotoLocation("countertop 2")`` or a JSON object.

Benchmarks whose models answer with one plain call per step (ALFRED's high-level actions) read
them here. ``signatures`` maps each action name to its single argument field; names match
case-insensitively; the last call in the text counts (models reason first, then act) and the
text before it is the thought. ``Stop()`` / ``Done()`` end the episode (``terminate``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ParseError
from .base import Parsed

_CALL = re.compile(r"\b([A-Za-z_][A-Za-z_]*)\s*\(\s*([^()]*?)\s*\)")
_STOP = {"stop", "done", "end", "terminate", "finish"}


def _unquote(arg: str) -> str:
    arg = arg.strip()
    if "=" in arg and not arg.startswith(("'", '"')):
        arg = arg.split("=", 1)[1].strip()  # object="apple"
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"`":
        arg = arg[1:-1]
    return arg.strip()


def _from_json(obj: Any, signatures: dict[str, str]) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("action"), dict):  # {"thoughts": ..., "action": {...}}
        return _from_json(obj["action"], signatures)
    name = obj.get("action") or obj.get("name")
    args = obj.get("arguments", obj.get("args"))
    if not isinstance(name, str):
        return None
    if isinstance(name, str) and "(" in name:  # {"action": "Pickup(apple)"}
        return _from_calls(name, signatures)
    canon = _canon(name, signatures)
    if canon is None:
        return None
    if canon == "terminate":
        return {"action": "terminate", "status": "success"}
    field = signatures[canon]
    if isinstance(args, dict):
        value = args.get(field, next(iter(args.values()), None))
    elif isinstance(args, list):
        value = args[0] if args else None
    else:
        value = obj.get(field, args)
    if value is None:
        value = next((v for k, v in obj.items() if k not in ("action", "name", "thought",
                                                           "thoughts")), None)
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{canon} needs its {field} — write {canon}(<{field}>)")
    return {"action": canon, field: value.strip()}


def _canon(name: str, signatures: dict[str, str]) -> str | None:
    low = name.strip().lower()
    if low in _STOP:
        return "terminate"
    for known in signatures:
        if known.lower() == low:
            return known
    return None


def _from_calls(text: str, signatures: dict[str, str]) -> dict[str, Any] | None:
    found = None
    for m in _CALL.finditer(text):
        canon = _canon(m.group(1), signatures)
        if canon is not None:
            found = (canon, m)
    if found is None:
        return None
    canon, m = found
    if canon == "terminate":
        return {"action": "terminate", "status": "success"}
    arg = _unquote(m.group(2))
    if not arg:
        raise ParseError(f"{canon}() needs its {signatures[canon]} — write "
                         f"{canon}(<{signatures[canon]}>)", pos=m.start())
    return {"action": canon, signatures[canon]: arg}


def parse_call_text(text: str, signatures: dict[str, str]) -> Parsed:
    """The one call in ``text``; ParseError naming the accepted actions when there is none."""
    stripped = text.strip()
    start = stripped.find("{")
    if start >= 0:
        try:
            obj, _ = json.JSONDecoder().raw_decode(stripped[start:])
        except json.JSONDecodeError:
            obj = None
        call = _from_json(obj, signatures) if obj is not None else None
        if call is not None:
            thought = obj.get("thought") or obj.get("thoughts") or stripped[:start].strip()
            return Parsed(thought=str(thought), calls=[call], format="calltext")
    call = _from_calls(stripped, signatures)
    if call is None:
        names = ", ".join(f"{n}(<{f}>)" for n, f in signatures.items())
        raise ParseError(f"no action found — answer with one of: {names}, or Stop()")
    last = [x for x in _CALL.finditer(stripped) if _canon(x.group(1), signatures)]
    thought = stripped[:last[-1].start()].strip() if last else ""
    thought = re.sub(r"(?i)\baction\s*:\s*$", "", thought).strip()
    return Parsed(thought=thought, calls=[call], format="calltext")
