"""``qwen2vl``: Qwen-Agent's ``✿FUNCTION✿`` / ``✿ARGS✿`` calls with Qwen2-VL box tokens.

A turn may hold prose (the thought), then one or several calls::

    ✿FUNCTION✿: mobile_use
    ✿ARGS✿: {"action": "click", "target": "<|object_ref_start|>Chrome<|object_ref_end|><|box_start|>(100,200),(300,260)<|box_end|>"}

and, in a replayed transcript, ``✿RESULT✿`` / ``✿RETURN✿`` sections (never part of a call).
Points are box tokens in [0, 1000) (frame ``rel1000``); a box clicks at its centre. A plain
grounding answer (box tokens with no call, as OS-Atlas and Qwen2-VL write when asked where
something is) is a click on the first box.
"""

from __future__ import annotations

import re
from typing import Any

from ..coords import Frame
from ..errors import ParseError
from .boxes import BOX_START, REF_START, box_tokens, find_boxes
from .common import MAX_CALLS, Parsed, bare, clean_thought, dumps
from .repair import find_value, strict_value_at
from .vocab import as_dict, canonical, finish, to_qwen, translate

FUNCTION, ARGS, RESULT, RETURN = "✿FUNCTION✿", "✿ARGS✿", "✿RESULT✿", "✿RETURN✿"
_MARKER = re.compile("✿(FUNCTION|ARGS|RESULT|RETURN)✿")
FRAME = Frame(kind="rel1000")


def parse(text: str, frame: Frame | None = None) -> Parsed:
    frame = frame or FRAME
    first = text.find(FUNCTION)
    if first < 0:
        return _grounding(text, frame)
    markers = [(m.group(1), m.start(), m.end()) for m in _MARKER.finditer(text, first)]
    calls: list[dict[str, Any]] = []
    repairs: list[str] = []
    spans = 0  # strict re-reads across a marker (bounded: each may cost O(n))
    skip_to = 0  # markers typed inside a call's JSON are text, not markers
    for idx, (kind, start, end) in enumerate(markers):
        if kind != "FUNCTION" or start < skip_to:
            continue
        k = len(calls) + 1
        if k > MAX_CALLS:
            raise ParseError(f"qwen2vl: more than {MAX_CALLS} calls in one answer", start)
        nxt = markers[idx + 1] if idx + 1 < len(markers) else None
        line = text[end:nxt[1] if nxt else len(text)]
        nl = line.find("\n")
        name = (line if nl < 0 else line[:nl]).split("✿")[0].strip().lstrip(":：").strip()
        if not name:
            raise ParseError(f"qwen2vl: ✿FUNCTION✿ {k} names no function", end)
        args: Any = {}
        if nxt and nxt[0] == "ARGS":
            args = _arguments(text, markers, idx + 1, name, k, repairs, spans < 4)
            if isinstance(args, tuple):  # the JSON ran past later markers
                args, skip_to = args
                spans += 1
        try:
            calls.append(translate(name, args))
        except ParseError as e:
            raise ParseError(f"qwen2vl: call {k} ({name}): {bare(e)}", start) from None
    return Parsed(thought=clean_thought(text[:first]), calls=finish(calls), frame=frame,
                  format="qwen2vl", repairs=repairs)


def _arguments(text: str, markers: list[tuple[str, int, int]], i: int, name: str, k: int,
               repairs: list[str], may_span: bool) -> Any:
    """The JSON object after the ✿ARGS✿ marker ``markers[i]``: a dict, or (dict, end) when
    valid JSON ran past the next marker (a ✿ typed inside a string)."""
    a_start = markers[i][2]
    a_end = markers[i + 1][1] if i + 1 < len(markers) else len(text)
    if not text[a_start:a_end].strip().lstrip(":："):
        return {}
    error: ParseError | None = None
    notes: list[str] = []
    try:
        args, _, _, notes = find_value(text, a_start, a_end, opens="{", budget=a_end - a_start,
                                       accept=lambda v: isinstance(v, dict))
    except ParseError as e:
        error = e
    if (error is not None or notes) and may_span and a_end < len(text):
        brace = text.find("{", a_start, a_end)
        whole = strict_value_at(text, brace) if brace >= 0 else None
        if whole is not None and isinstance(whole[0], dict) and whole[1] > a_end:
            return whole
    if error is not None:
        raise ParseError(f"qwen2vl: ✿ARGS✿ of call {k} ({name}) is not a JSON object: "
                         f"{bare(error)}", a_start) from None
    repairs += notes
    return args


def _grounding(text: str, frame: Frame) -> Parsed:
    boxes = find_boxes(text, limit=1)
    if not boxes:
        raise ParseError("qwen2vl: no ✿FUNCTION✿ call and no <|box_start|>(x1,y1),(x2,y2)"
                         "<|box_end|> box found", 0)
    at, _phrase, (x, y) = boxes[0]
    head = text[:at]
    ref = head.rfind(REF_START)
    thought = head[:ref] if ref >= 0 else head
    click = canonical({"action": "click", "x": x, "y": y})
    return Parsed(thought=clean_thought(thought), calls=[click], frame=frame, format="qwen2vl")


def render(actions: list[Any], frame: Frame | None = None, thought: str = "",
           tool: str | None = None) -> str:
    """Calls in Qwen-Agent's format; every point a degenerate box in box tokens."""
    parts = [thought.strip()] if thought.strip() else []
    for action in actions:
        for name, args in to_qwen(as_dict(action), lambda x, y: box_tokens(x, y), tool):
            parts.append(f"{FUNCTION}: {name}\n{ARGS}: {dumps(args, hide=('✿',))}")
    return "\n".join(parts)


__all__ = ["ARGS", "BOX_START", "FUNCTION", "RESULT", "RETURN", "parse", "render"]
