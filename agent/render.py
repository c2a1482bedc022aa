"""A run as HTML: the executed action drawn on the screenshot the model saw, and a small page.

``figure`` is the one place that draws an action: an inline SVG whose viewBox is the screenshot's
pixel grid, so an action's screen-pixel coordinates are drawn as they are, whatever size the page
shows the picture at. ``vagent.view`` builds its pages from it; ``Trajectory._repr_html_`` uses
``notebook`` (a short page with the screenshots inlined, so a notebook shows a run offline).

Marks per action (the table ``MARKS``): click a filled dot, long press a ring, swipe and drag an
arrow from start to end, scroll an arrow in the wheel's direction, move a hollow dot; actions
without a point (type, key, button, open app, wait, terminate) a labelled chip in the corner.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image
from vagent.actions.coords import Frame

# Colours by role; the page's legend names them.
COLORS = {"act": "#e5484d", "pred": "#e5484d", "gold": "#1f9d55", "model": "#8e4ec6"}

# (action, unit size, colour, image width, height, layer index) -> SVG elements
Mark = Callable[[dict[str, Any], float, str, int, int, int], str]


def _num(action: dict[str, Any], *keys: str) -> tuple[float, ...] | None:
    try:
        values = tuple(float(action[k]) for k in keys)
    except (KeyError, TypeError, ValueError):
        return None
    return values if all(math.isfinite(v) for v in values) else None


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _dot(action: dict[str, Any], s: float, color: str, w: int, h: int,
         row: int = 0) -> str:
    p = _num(action, "x", "y")
    if p is None:
        return _chip(action, s, color, w, h, row)
    x, y = p
    extra = []
    if int(action.get("clicks") or 1) > 1:
        extra.append(f"×{action['clicks']}")
    if action.get("button") not in (None, "left"):
        extra.append(str(action["button"]))
    label = _text(x + 1.6 * s, y - 1.2 * s, " ".join(extra), s, color) if extra else ""
    return (f'<circle class="mark-dot" cx="{_f(x)}" cy="{_f(y)}" r="{_f(s)}" fill="{color}" '
            f'stroke="#fff" stroke-width="{_f(s / 4)}"/>{label}')


def _ring(action: dict[str, Any], s: float, color: str, w: int, h: int,
          row: int = 0) -> str:
    p = _num(action, "x", "y")
    if p is None:
        return _chip(action, s, color, w, h, row)
    x, y = p
    ms = action.get("duration_ms")
    label = _text(x + 2.6 * s, y, f"hold {ms / 1000:g} s", s, color) if ms else ""
    return (f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(2 * s)}" fill="none" stroke="#fff" '
            f'stroke-width="{_f(s * .9)}"/><circle class="mark-ring" cx="{_f(x)}" cy="{_f(y)}" '
            f'r="{_f(2 * s)}" fill="none" stroke="{color}" stroke-width="{_f(s / 2)}"/>'
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(s / 3)}" fill="{color}"/>{label}')


def _arrow_between(x1: float, y1: float, x2: float, y2: float, s: float, color: str) -> str:
    """A line with a head at (x2, y2), drawn as polygons so it needs no <defs> ids."""
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    head = min(2.2 * s, length / 2)
    bx, by = x2 - ux * head, y2 - uy * head
    px, py = -uy * head * .6, ux * head * .6
    pts = f"{_f(x2)},{_f(y2)} {_f(bx + px)},{_f(by + py)} {_f(bx - px)},{_f(by - py)}"
    line = (f'x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(bx)}" y2="{_f(by)}"')
    return (f'<line {line} stroke="#fff" stroke-width="{_f(s * .9)}" stroke-linecap="round"/>'
            f'<line class="mark-arrow" {line} stroke="{color}" stroke-width="{_f(s / 2)}" '
            f'stroke-linecap="round"/><polygon points="{pts}" fill="{color}" stroke="#fff" '
            f'stroke-width="{_f(s / 6)}"/>'
            f'<circle cx="{_f(x1)}" cy="{_f(y1)}" r="{_f(s / 2)}" fill="{color}"/>')


def _swipe(action: dict[str, Any], s: float, color: str, w: int, h: int,
           row: int = 0) -> str:
    p = _num(action, "x1", "y1", "x2", "y2")
    if p is None:
        return _chip(action, s, color, w, h, row)
    return _arrow_between(*p, s, color)


_SCROLL = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


def _scroll(action: dict[str, Any], s: float, color: str, w: int, h: int,
            row: int = 0) -> str:
    # Wheel sense (DESIGN.md): "scroll down" reveals what is below, so the arrow points down.
    d = _SCROLL.get(str(action.get("direction")))
    if d is None:
        return _chip(action, s, color, w, h, row)
    # Without a point the arrow sits mid-screen, shifted per layer so two arrows stay apart.
    x, y = _num(action, "x", "y") or (w / 2 + row * 6 * s, h / 2)
    n = max(1.0, min(float(action.get("amount") or 1), 10.0))
    length = min(w, h) * (.15 + .02 * n)
    label = f"scroll {action['direction']}" + (f" ×{action['amount']}" if action.get("amount")
                                                else "")
    return (_arrow_between(x - d[0] * length / 2, y - d[1] * length / 2,
                           x + d[0] * length / 2, y + d[1] * length / 2, s * 1.3, color)
            + _text(x + 1.8 * s, y - 1.8 * s + row * 2.2 * s, label, s, color))


def _move(action: dict[str, Any], s: float, color: str, w: int, h: int,
          row: int = 0) -> str:
    p = _num(action, "x", "y")
    if p is None:
        return _chip(action, s, color, w, h, row)
    return (f'<circle cx="{_f(p[0])}" cy="{_f(p[1])}" r="{_f(s)}" fill="none" stroke="{color}" '
            f'stroke-width="{_f(s / 3)}"/>')


def describe(action: dict[str, Any] | None) -> str:
    """One short line for an action: what a chip or a caption says."""
    if not action:
        return "no action"
    name = str(action.get("action", "?"))
    if name == "type":
        return f"type “{action.get('text', '')}”" + (" ⏎" if action.get("submit") else "")
    if name == "key":
        keys = action.get("keys") or []
        return "key " + ("+".join(map(str, keys)) if isinstance(keys, list) else str(keys))
    if name == "button":
        return f"button {action.get('name', '')}"
    if name == "open_app":
        return f"open app {action.get('name', '')}"
    if name == "wait":
        return f"wait {action.get('seconds', '')} s"
    if name == "terminate":
        answer = action.get("answer")
        return f"terminate: {action.get('status', '')}" + (f" — {answer}" if answer else "")
    fields = {k: v for k, v in action.items() if k != "action"}
    return f"{name} {json.dumps(fields, ensure_ascii=False)}" if fields else name


def caption(record: dict[str, Any]) -> str:
    """What a step did, in one line: its executed action, else its tool calls."""
    if record.get("action"):
        return describe(record["action"])
    tools = [t for t in record.get("tool_results") or [] if isinstance(t, dict)]
    if tools:
        return "; ".join(f"tool {t.get('name')} → {str(t.get('result', ''))[:80]}" for t in tools)
    return "no action"


def _text(x: float, y: float, text: str, s: float, color: str, anchor: str = "start") -> str:
    size = 1.6 * s
    return (f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" font-family="sans-serif" '
            f'text-anchor="{anchor}" '
            f'font-weight="600" fill="{color}" stroke="#fff" stroke-width="{_f(size / 5)}" '
            f'paint-order="stroke">{html.escape(text)}</text>')


def _chip(action: dict[str, Any], s: float, color: str, w: int, h: int, row: int = 0) -> str:
    text = describe(action)
    if len(text) > 60:
        text = text[:59] + "…"
    size = 1.8 * s
    width = min(w - 2 * s, .6 * size * len(text) + 2 * s)
    y = s + row * 3 * s
    return (f'<g class="mark-chip"><rect x="{_f(s)}" y="{_f(y)}" width="{_f(width)}" '
            f'height="{_f(size * 1.5)}" rx="{_f(s / 2)}" fill="{color}" opacity=".92"/>'
            f'<text x="{_f(2 * s)}" y="{_f(y + size * 1.1)}" font-size="{_f(size)}" '
            f'font-family="sans-serif" fill="#fff">{html.escape(text)}</text></g>')


MARKS: dict[str, Mark] = {
    "click": _dot, "tap": _dot, "long_press": _ring, "swipe": _swipe, "drag": _swipe,
    "scroll": _scroll, "move": _move,
}


def marks(action: dict[str, Any] | None, width: int, height: int, role: str = "act",
          row: int = 0) -> str:
    """The SVG elements that draw ``action`` (screen pixels) on a ``width``×``height`` image."""
    if not action:
        return ""
    s = max(width, height) / 100
    color = COLORS.get(role, COLORS["act"])
    draw = MARKS.get(str(action.get("action")), _chip)
    return draw(action, s, color, width, height, row)


def model_point(record: dict[str, Any], width: int, height: int) -> tuple[float, float] | None:
    """Where the model pointed, in screen pixels before clamping (None unless it was clamped)."""
    action = record.get("action") or {}
    if not record.get("clamped"):
        return None
    for call in record.get("calls") or []:
        if isinstance(call, dict) and call.get("action") == action.get("action"):
            for keys in (("x", "y"), ("x1", "y1"), ("x2", "y2")):
                p = _num(call, *keys)
                if p is None:
                    continue
                try:
                    ew, eh = Frame(kind=record.get("frame") or "pixels").extent(width, height)
                except ValueError:
                    return None
                x, y = p[0] / ew * width, p[1] / eh * height
                if not (0 <= x < width and 0 <= y < height):
                    return x, y
            return None
    return None


def _clamped_mark(point: tuple[float, float], width: int, height: int) -> str:
    s = max(width, height) / 100
    # Past the edge by a little at most, so the mark stays near the picture it belongs to.
    x = min(max(point[0], -2 * s), width + 2 * s)
    y = min(max(point[1], -2 * s), height + 2 * s)
    color = COLORS["model"]
    right = x > width / 2  # the label grows away from the edge it is near
    tx = min(x, width - s) if right else max(x, s)
    ty = min(max(y + 4 * s, 4 * s), height - 2 * s)
    return (f'<circle class="mark-model" cx="{_f(x)}" cy="{_f(y)}" r="{_f(1.5 * s)}" fill="none" '
            f'stroke="{color}" stroke-width="{_f(s / 3)}" stroke-dasharray="{_f(s / 2)}"/>'
            + _text(tx, ty, f"model point ({point[0]:.0f}, {point[1]:.0f}), clamped",
                    s, color, "end" if right else "start"))


def figure(src: str, width: int, height: int, layers: Iterable[tuple[dict[str, Any] | None, str]],
           record: dict[str, Any] | None = None, css_class: str = "shot",
           style: str = "") -> str:
    """An inline SVG: the picture at ``src`` and each (action, role) of ``layers`` drawn on it."""
    body = []
    for row, (action, role) in enumerate(layers):
        body.append(marks(action, width, height, role, row))
    if record is not None:
        point = model_point(record, width, height)
        if point is not None:
            body.append(_clamped_mark(point, width, height))
    return (f'<svg class="{css_class}" viewBox="0 0 {width} {height}" style="{style}" '
            f'xmlns="http://www.w3.org/2000/svg" overflow="visible" role="img">'
            f'<image href="{html.escape(src)}" x="0" y="0" width="{width}" height="{height}"/>'
            + "".join(body) + "</svg>")


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a picture from its header, or None when it is missing or unreadable."""
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError):
        return None


def _inline_png(path: Path, max_side: int = 480) -> str | None:
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            img.thumbnail((max_side, max_side))
            buf = io.BytesIO()
            img.save(buf, format="PNG", optimize=True)
    except (OSError, ValueError):
        return None
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def notebook(out: Path | None, meta: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """A short self-contained page of a run (screenshots inlined, scaled down) for notebooks."""
    esc = html.escape
    result = meta.get("result") or {}
    policy = meta.get("policy")
    policy_name = policy.get("name") if isinstance(policy, dict) else policy
    head = (f"<b>{esc(str(meta.get('task', '')))}</b><br>policy {esc(str(policy_name))} · env "
            f"{esc(str(meta.get('env', '')))} · success {esc(str(result.get('success')))} · "
            f"{esc(str(result.get('steps', len(steps))))} steps ({esc(str(result.get('reason', '')))})")
    cells = []
    for rec in steps:
        pic = ""
        if out is not None and rec.get("screenshot"):
            path = out / str(rec["screenshot"])
            size, src = image_size(path), _inline_png(path)
            if size and src:
                pic = figure(src, *size, [(rec.get("action"), "act")], rec,
                             style="height:320px;width:auto;max-width:100%;display:block")
        text = esc(caption(rec))
        if rec.get("error"):
            text += f'<br><span style="color:#c00">{esc(str(rec["error"])[:200])}</span>'
        thought = esc(str(rec.get("thought") or "")[:200])
        cells.append(f'<div style="font-size:12px;overflow-wrap:anywhere">{pic}'
                     f'<b>step {rec.get("step")}</b> {text}<br><i>{thought}</i></div>')
    grid = "display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px"
    return (f'<div style="font-family:sans-serif">{head}<div style="{grid}">{"".join(cells)}'
            "</div></div>")


__all__ = ["COLORS", "MARKS", "caption", "describe", "figure", "image_size", "marks", "model_point",
           "notebook"]
