"""Box and point tokens: how Qwen2-VL-family models write a place on the screen.

- Qwen2-VL / UI-TARS v1 / OS-Atlas: ``<|box_start|>(x1,y1),(x2,y2)<|box_end|>`` (a box; its
  centre is the click target) or ``<|box_start|>(x,y)<|box_end|>`` (a point), optionally after
  ``<|object_ref_start|>phrase<|object_ref_end|>``.
- UI-TARS-1.5: ``<point>x y</point>`` and ``<bbox>x1 y1 x2 y2</bbox>``.
- Plain forms seen in JSON arguments: ``[x, y]``, ``[x1, y1, x2, y2]``, ``[[x1, y1], [x2, y2]]``,
  ``"(x, y)"``, ``"x y"``, ``{"x": .., "y": ..}``.

Only the numbers are read here; which frame they are in is the format's business.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..coords import box_center

BOX_START, BOX_END = "<|box_start|>", "<|box_end|>"
REF_START, REF_END = "<|object_ref_start|>", "<|object_ref_end|>"
POINT_START, POINT_END = "<point>", "</point>"
BBOX_START, BBOX_END = "<bbox>", "</bbox>"
TAGS = ((BOX_START, BOX_END), (POINT_START, POINT_END), (BBOX_START, BBOX_END))

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")
Point = tuple[float, float]


def number(value: Any) -> float | None:
    """A finite number from an int, a float or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        f = float(value)
    elif isinstance(value, str) and 0 < len(value) <= 64:
        try:
            f = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def clean(value: float) -> int | float:
    """An integral float as an int (so JSON shows 935, not 935.0)."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def _numbers(text: str, limit: int = 5) -> list[float]:
    out: list[float] = []
    for m in _NUMBER.finditer(text):
        f = float(m.group())
        if not math.isfinite(f):
            return []
        out.append(f)
        if len(out) >= limit:
            break
    return out


def _inside_tags(text: str) -> str | None:
    """The text inside the first box/point/bbox tag pair, or None when there is none."""
    for start, end in TAGS:
        i = text.find(start)
        if i >= 0:
            j = text.find(end, i + len(start))
            return text[i + len(start):] if j < 0 else text[i + len(start):j]
    return None


def _from_numbers(nums: list[float]) -> Point | None:
    if len(nums) == 2:
        return nums[0], nums[1]
    if len(nums) == 4:
        return box_center(*nums)
    return None


def read_point(value: Any) -> Point | None:
    """A point from any of the forms above (a box gives its centre), or None."""
    if isinstance(value, str):
        if len(value) > 4096:
            value = value[:4096]  # a point never needs more; keeps garbage cheap
        inner = _inside_tags(value)
        return _from_numbers(_numbers(inner if inner is not None else value))
    if isinstance(value, dict):
        x, y = number(value.get("x")), number(value.get("y"))
        return (x, y) if x is not None and y is not None else None
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and all(isinstance(v, (list, tuple)) for v in value):
            a, b = read_point(value[0]), read_point(value[1])
            return box_center(*a, *b) if a and b else None
        nums = [number(v) for v in value]
        if any(v is None for v in nums):
            return None
        return _from_numbers(nums)  # type: ignore[arg-type]
    return None


def find_boxes(text: str, limit: int = 64) -> list[tuple[int, str, Point]]:
    """Box tokens in free text: (offset, referring phrase or "", centre), in order."""
    out: list[tuple[int, str, Point]] = []
    pos = 0
    while len(out) < limit:
        i = text.find(BOX_START, pos)
        if i < 0:
            break
        j = text.find(BOX_END, i)
        inner = text[i + len(BOX_START):] if j < 0 else text[i + len(BOX_START):j]
        point = _from_numbers(_numbers(inner[:256]))
        if point is not None:
            out.append((i, ref_before(text, i), point))
        if j < 0:
            break
        pos = j + len(BOX_END)
    return out


def ref_before(text: str, box_at: int) -> str:
    """The ``<|object_ref_start|>phrase<|object_ref_end|>`` right before a box, if any."""
    head = text[max(0, box_at - 512):box_at].rstrip()
    if not head.endswith(REF_END):
        return ""
    i = head.rfind(REF_START)
    return head[i + len(REF_START):-len(REF_END)].strip() if i >= 0 else ""


def fmt(value: float) -> str:
    """A coordinate as a model writes it: integers plainly, fractions without noise."""
    v = clean(value)
    return str(v) if isinstance(v, int) else repr(round(float(v), 6))


def box_tokens(x: float, y: float, degenerate: bool = True) -> str:
    """A point as Qwen2-VL box tokens: a degenerate box, or ``(x,y)`` alone (UI-TARS v1)."""
    p = f"({fmt(x)},{fmt(y)})"
    return f"{BOX_START}{p},{p}{BOX_END}" if degenerate else f"{BOX_START}{p}{BOX_END}"


def point_tag(x: float, y: float) -> str:
    """A point as UI-TARS-1.5 writes it."""
    return f"{POINT_START}{fmt(x)} {fmt(y)}{POINT_END}"


__all__ = ["BOX_END", "BOX_START", "REF_END", "REF_START", "box_tokens", "clean", "find_boxes",
           "fmt", "number", "point_tag", "read_point", "ref_before"]
