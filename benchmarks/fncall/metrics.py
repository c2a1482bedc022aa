"""Type match (the right function) and exact match (the right function and arguments).

Arguments are compared after normalising: numbers by value (``65``, ``65.0`` and ``"65"`` are
equal), strings by case and runs of whitespace, objects regardless of key order. Arguments the
model leaves out that equal the tool's default are not counted against it.
"""

from __future__ import annotations

import math
from typing import Any


def normalise(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 6) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        text = " ".join(value.split()).casefold()
        try:
            number = float(text.replace(",", "")) if text else None
        except ValueError:
            return text
        return normalise(number) if number is not None else text
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def as_call(call: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"name", "arguments"}`` from either that form or a project action dict."""
    if not call:
        return None
    if "name" in call and "arguments" in call:
        return {"name": call["name"], "arguments": dict(call["arguments"] or {})}
    if "action" in call:
        return {"name": call["action"], "arguments": {k: v for k, v in call.items()
                                                      if k != "action"}}
    return None


def type_match(pred: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    p = as_call(pred)
    return p is not None and p["name"] == expected["name"]


def exact_match(pred: dict[str, Any] | None, expected: dict[str, Any],
                defaults: dict[str, Any] | None = None) -> bool:
    p = as_call(pred)
    if p is None or p["name"] != expected["name"]:
        return False
    defaults = defaults or {}
    got = {k: v for k, v in p["arguments"].items() if v is not None}
    want = {k: v for k, v in expected.get("arguments", {}).items() if v is not None}
    for key, value in defaults.items():  # an explicit default equals an omitted one
        if value is not None:
            got.setdefault(key, value)
            want.setdefault(key, value)
    return normalise(got) == normalise(want)
