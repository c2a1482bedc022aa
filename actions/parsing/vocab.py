"""Model vocabularies → project actions, and back.

Models name the same few gestures many ways: Qwen2.5-VL's ``mobile_use`` / ``computer_use`` tools
(``left_click``, ``system_button``, ``scroll`` by signed pixels), UI-TARS (``left_double``,
``hotkey(key='ctrl c')``, ``press_home()``, ``finished()``), ShowUI/AndroidWorld-style JSON
(``TAP``, ``INPUT``, ``action_type``), and the project's own actions. ``translate(name, args)``
turns any of them into a project action dict ``{"action": NAME, ...}`` with coordinates left in
the model's frame; a name it does not know is a user tool or an env's own action and passes
through as ``{"action": name, **arguments}``.

Conventions fixed here, once:
- ``scroll`` directions mean what a mouse wheel means (``down`` reveals what is below);
  ``pixels`` follows computer_use (positive up; for ``hscroll`` positive right).
- ``swipe`` directions name the finger's motion, so a finger moving up is a scroll down.
- typed text ending in a newline means "and press enter" (``submit``), unless ``submit`` is given.
- ``time`` arguments are seconds (mobile_use, UI-TARS); ``duration_ms`` is milliseconds.

``to_qwen(action)`` goes the other way, into the mobile_use / computer_use vocabulary (used by
the qwen2vl, qwen25vl renderers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..errors import ParseError
from ..models import GUI_ACTIONS, Action
from .boxes import Point, clean, number, read_point

# Tool names whose arguments carry the real action in ``action`` (Qwen2.5-VL and look-alikes).
WRAPPERS = {"mobile_use", "computer_use", "computer", "mobile", "phone_use", "android_use"}

_GUI = {m.action_name(): m for m in GUI_ACTIONS}

# Argument names that hold points. A drag/swipe has a start and an end; a plain point key is
# whichever of the two is missing (computer_use's left_click_drag gives only the end).
START_KEYS = ("start_coordinate", "coordinate1", "start_box", "start_point", "start", "from",
              "start_position")
END_KEYS = ("end_coordinate", "coordinate2", "end_box", "end_point", "end", "to", "end_position",
            "target2")
POINT_KEYS = ("coordinate", "coordinates", "point", "target", "box", "bbox", "position",
              "location", "xy", "center", "_0")

_DIRECTIONS = {"up": "up", "down": "down", "left": "left", "right": "right", "upward": "up",
               "upwards": "up", "downward": "down", "downwards": "down", "leftward": "left",
               "rightward": "right"}
_OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
_BUTTONS = {"home": "home", "back": "back", "enter": "enter", "menu": "menu",
            "app_switch": "app_switch", "recent": "app_switch", "recents": "app_switch",
            "recent_apps": "app_switch", "overview": "app_switch", "app_switcher": "app_switch",
            "go_back": "back", "return": "enter"}
_FAIL = {"failure", "fail", "failed", "infeasible", "impossible", "error", "unsuccessful",
         "incomplete", "abort", "aborted"}


def norm(name: str) -> str:
    """A vocabulary name in one spelling: ``Left Click`` / ``left-click`` → ``left_click``."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def _pick(args: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        v = args.get(k)
        if v is not None and v != "":
            return v
    return None


def _point(args: dict[str, Any], keys: tuple[str, ...], xk: str = "", yk: str = "",
           what: str = "") -> Point | None:
    """A point from ``xk``/``yk`` fields or the first of ``keys`` present (None if absent).

    A key that is present but holds no readable point is an error that names it."""
    if xk and args.get(xk) is not None and args.get(yk) is not None:
        x, y = number(args[xk]), number(args[yk])
        if x is None or y is None:
            raise ParseError(f"{what}: {xk}/{yk} are not numbers: {args[xk]!r}, {args[yk]!r}")
        return x, y
    for k in keys:
        v = args.get(k)
        if v is None or v == "":
            continue
        p = read_point(v)
        if p is None:
            raise ParseError(f"{what}: cannot read a point from {k}={_short(v)}"
                             " — give [x, y] or box tokens")
        return p
    return None


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _seconds_to_ms(v: Any) -> int | None:
    s = number(v)
    return None if s is None else int(round(s * 1000))


def _text(args: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for k in keys:
        v = args.get(k)
        if v is None:
            continue
        if isinstance(v, str):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(clean(v))
    return None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return v.strip().lower() in ("true", "yes", "1")
    if isinstance(v, (int, float)) and v in (0, 1):
        return bool(v)
    return None


def _direction(v: Any) -> str | None:
    return _DIRECTIONS.get(norm(v)) if isinstance(v, str) else None


# --- one handler per gesture; each returns the project dict or None (then: pass through) -----

_CLICKS = {
    "click": ("left", 1), "left_click": ("left", 1), "tap": ("left", 1), "left_single": ("left", 1),
    "single_click": ("left", 1), "left_click_single": ("left", 1),
    "double_click": ("left", 2), "left_double": ("left", 2), "double_tap": ("left", 2),
    "left_double_click": ("left", 2), "doubleclick": ("left", 2),
    "triple_click": ("left", 3), "left_triple": ("left", 3), "triple_tap": ("left", 3),
    "right_click": ("right", 1), "right_single": ("right", 1), "right_double": ("right", 2),
    "middle_click": ("middle", 1), "middle_single": ("middle", 1),
}


# computer_use's clicks, whose ``coordinate`` may be left out: they click where the pointer is
# (the cookbook's tool requires it only of mouse_move and left_click_drag). Other vocabularies'
# clicks (UI-TARS, mobile_use, JSON actions) always name a point.
AT_POINTER = {"left_click", "right_click", "middle_click", "double_click", "triple_click"}


def _click(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    p = _point(args, POINT_KEYS + START_KEYS, "x", "y", name)
    if p is None and name not in AT_POINTER:
        return None
    button, clicks = _CLICKS[name]
    b = args.get("button")
    if isinstance(b, str) and norm(b) in ("left", "right", "middle"):
        button = norm(b)
    c = number(args.get("clicks"))
    if c in (1.0, 2.0, 3.0):
        clicks = int(c)  # type: ignore[arg-type]
    out: dict[str, Any] = {"action": "click", "button": button, "clicks": clicks}
    if p is not None:
        out["x"], out["y"] = p
    return out


def _long_press(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    p = _point(args, POINT_KEYS + START_KEYS, "x", "y", name)
    if p is None:
        return None
    out: dict[str, Any] = {"action": "long_press", "x": p[0], "y": p[1]}
    ms = number(args.get("duration_ms"))
    if ms is None:
        ms = _seconds_to_ms(_pick(args, ("time", "duration", "seconds")))
    if ms is not None:
        out["duration_ms"] = int(round(ms))
    return out


def _two_points(name: str, args: dict[str, Any]) -> tuple[Point | None, Point | None]:
    start = _point(args, START_KEYS, "x1", "y1", name)
    end = _point(args, END_KEYS, "x2", "y2", name)
    plain = _point(args, POINT_KEYS, "x", "y", name)
    if start is None:
        start, plain = plain, None
    if end is None:
        end = plain
    return start, end


def _swipe(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    start, end = _two_points(name, args)
    if start is not None and end is not None:
        out: dict[str, Any] = {"action": "swipe", "x1": start[0], "y1": start[1],
                               "x2": end[0], "y2": end[1]}
        ms = number(args.get("duration_ms"))
        if ms is None:
            ms = _seconds_to_ms(_pick(args, ("time", "duration")))
        if ms is not None:
            out["duration_ms"] = int(round(ms))
        return out
    finger = _direction(_pick(args, ("direction", "value", "_1", "_0")))
    if finger is None:
        return None
    # The finger's direction; content moves with it, so a finger moving up scrolls down.
    out = {"action": "scroll", "direction": _OPPOSITE[finger]}
    if start is not None:
        out["x"], out["y"] = start
    return out


def _drag(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    start, end = _two_points(name, args)
    if name == "left_click_drag" and end is None:
        end, start = start, None  # computer_use: ``coordinate`` is where the drag ends
    if start is None and end is None:
        return None
    out: dict[str, Any] = {"action": "drag"}
    if start is not None:
        out["x1"], out["y1"] = start
    if end is not None:
        out["x2"], out["y2"] = end
    return out


def _move(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    p = _point(args, POINT_KEYS + START_KEYS, "x", "y", name)
    return None if p is None else {"action": "move", "x": p[0], "y": p[1]}


def _scroll(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    start = _point(args, START_KEYS + POINT_KEYS, "x", "y", name)
    end = _point(args, END_KEYS, "x2", "y2", name)
    if start is not None and end is not None:
        # UI-TARS mobile v1: scroll(start_box, end_box) is a finger moving from start to end.
        return _swipe(name, args)
    out: dict[str, Any] = {"action": "scroll"}
    pixels = number(args.get("pixels"))
    direction = _direction(_pick(args, ("direction", "value", "_1")))
    amount = number(_pick(args, ("amount", "distance", "clicks", "steps")))
    if pixels is not None and direction is None:
        if pixels == 0:
            raise ParseError(f"{name}: scroll by 0 pixels — give a positive or negative amount")
        horizontal = name == "hscroll"
        direction = ("right" if pixels > 0 else "left") if horizontal else (
            "up" if pixels > 0 else "down")
        amount = abs(pixels)
    if direction is None:
        return None
    out["direction"] = direction
    if amount is not None and amount >= 1:
        out["amount"] = int(round(amount))
    if start is not None:
        out["x"], out["y"] = start
    return out


def _type(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    text = _text(args, ("text", "content", "value", "string", "input", "_0"))
    if text is None:
        return None
    submit = _bool(args.get("submit"))
    if submit is None:
        submit = False
        if text.endswith("\n"):
            text, submit = text[:-1], True
    return {"action": "type", "text": text, "submit": submit}


def _key_name(k: str) -> str:
    k = k.strip()
    return k if len(k) == 1 else k.lower()


def split_keys(value: Any) -> list[str] | None:
    """Keys from ``["ctrl", "c"]``, ``"ctrl c"`` (UI-TARS), ``"ctrl+c"`` or ``"Enter"``.

    Names longer than one character are lower-cased (``Return`` and ``return`` are one key);
    single characters keep their case."""
    if isinstance(value, (list, tuple)):
        keys: list[str] = []
        for v in value:
            if not isinstance(v, str) or not v.strip():
                return None
            keys.extend(_split_plus(v.strip()) if "+" in v.strip()[1:] else [_key_name(v)])
        return keys or None
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.split()
    if len(parts) == 1 and "+" in parts[0][1:]:
        return _split_plus(parts[0])
    return [_key_name(p) for p in parts]


def _split_plus(s: str) -> list[str]:
    """``ctrl+c`` → [ctrl, c]; ``ctrl++`` → [ctrl, +]."""
    keys = [_key_name(p) for p in s.split("+") if p]
    if s.endswith("++") or s == "+":
        keys.append("+")
    return keys


def _key(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    keys = split_keys(_pick(args, ("keys", "key", "text", "value", "hotkey", "_0")))
    if keys is None:
        if name in ("enter", "press_enter"):
            keys = ["enter"]
        else:
            return None
    return {"action": "key", "keys": keys}


def _button(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    fixed = {"press_home": "home", "press_back": "back", "press_menu": "menu",
             "press_recent": "app_switch", "press_app_switch": "app_switch", "home": "home",
             "back": "back", "navigate_home": "home", "navigate_back": "back", "go_back": "back",
             "go_home": "home", "press_enter": "enter"}.get(name)
    if fixed is not None:
        return {"action": "button", "name": fixed}
    raw = _pick(args, ("name", "button", "key", "text", "_0"))
    if not isinstance(raw, str):
        return None
    b = norm(raw)
    return {"action": "button", "name": _BUTTONS.get(b, b)}


def _open_app(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    app = _text(args, ("name", "app_name", "app", "text", "package", "value", "_0"))
    return None if app is None or not app.strip() else {"action": "open_app", "name": app.strip()}


def _wait(name: str, args: dict[str, Any], default: float | None = None) -> dict[str, Any] | None:
    s = number(_pick(args, ("seconds", "time", "duration", "_0")))
    ms = number(args.get("duration_ms"))
    if s is None and ms is not None:
        s = ms / 1000
    if s is None:
        s = default
    return {"action": "wait"} if s is None else {"action": "wait", "seconds": clean(s)}


def _terminate(name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    status = "failure" if name in ("call_user", "fail", "infeasible") else "success"
    raw = args.get("status") or args.get("goal_status")
    if isinstance(raw, str):
        status = "failure" if norm(raw) in _FAIL else "success"
    answer = _text(args, ("answer", "content", "text", "message", "value", "_0"))
    out: dict[str, Any] = {"action": "terminate", "status": status}
    if answer:
        out["answer"] = answer
    return out


Handler = Callable[[str, dict[str, Any]], "dict[str, Any] | None"]

HANDLERS: dict[str, Handler] = {
    **{n: _click for n in _CLICKS},
    **{n: _long_press for n in ("long_press", "long_click", "press_and_hold", "long_tap")},
    **{n: _swipe for n in ("swipe", "fling", "flick")},
    **{n: _drag for n in ("drag", "left_click_drag", "drag_and_drop", "select")},
    **{n: _move for n in ("move", "mouse_move", "hover", "move_to", "move_mouse")},
    **{n: _scroll for n in ("scroll", "hscroll", "vscroll")},
    **{n: _type for n in ("type", "input", "type_text", "input_text", "write", "typing")},
    **{n: _key for n in ("key", "hotkey", "press", "keypress", "key_press", "press_key",
                         "keyboard", "enter")},
    **{n: _button for n in ("button", "system_button", "press_home", "press_back", "press_menu",
                            "press_recent", "press_app_switch", "press_enter", "home", "back",
                            "navigate_home", "navigate_back", "go_back", "go_home")},
    **{n: _open_app for n in ("open_app", "open", "launch", "launch_app", "open_application",
                              "start_app")},
    **{n: _wait for n in ("wait", "sleep")},
    **{n: _terminate for n in ("terminate", "finished", "finish", "done", "stop", "answer",
                               "call_user", "fail", "infeasible", "status", "complete")},
}


def canonical(call: dict[str, Any]) -> dict[str, Any]:
    """A complete GUI call as its model dumps it (defaults filled in); anything else as is,
    so the action space's validation can name what is wrong."""
    model = _GUI.get(call.get("action"))  # type: ignore[arg-type]
    if model is None:
        return call
    try:
        return model.model_validate(call).dump()
    except ValidationError:
        return call


def translate(name: Any, args: Any, *, strict: bool = False,
              wait_default: float | None = None) -> dict[str, Any]:
    """One call, in any known vocabulary, as a project action dict (model frame).

    ``strict`` (inside mobile_use/computer_use, and for grammars that hold nothing but GUI
    calls): a known gesture whose arguments cannot be read is a ParseError that says what is
    missing. Otherwise such a call passes through unchanged — it may be an env's own action
    that shares a name (``open``, ``select``) — and the action space's validation judges it."""
    if not isinstance(name, str) or not name.strip():
        raise ParseError(f"a call needs a function name, got {_short(name)}")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ParseError(f"{name}: arguments must be a JSON object, got {type(args).__name__}")
    args = {str(k): v for k, v in args.items()}
    key = norm(name)
    if key in WRAPPERS or key in ("action", "gui_action"):
        inner = args.get("action", args.get("action_type"))
        if not isinstance(inner, str) or not inner.strip():
            raise ParseError(f"{name}: no 'action' in the arguments {_short(args)}"
                             " — say which action, e.g. \"click\"")
        rest = {k: v for k, v in args.items() if k not in ("action", "action_type")}
        return translate(inner, rest, strict=True, wait_default=wait_default)
    handler = HANDLERS.get(key)
    if handler is not None:
        try:
            out = (_wait(key, args, wait_default) if handler is _wait else handler(key, args))
        except ParseError:
            if strict:
                raise
            out = None
        if out is not None:
            return canonical({k: clean(v) if isinstance(v, float) else v for k, v in out.items()})
        if strict:
            raise ParseError(f"{name}: missing its {_needs(handler)} in {_short(args)}")
    # A user tool or an env's own action: the name is the action, the arguments its fields.
    rest = {k: v for k, v in args.items() if k != "action"}
    return {"action": name.strip(), **rest}


def _needs(handler: Handler) -> str:
    return {_click: "point", _long_press: "point", _move: "point", _drag: "points",
            _swipe: "points or direction", _scroll: "direction or pixels", _type: "text",
            _key: "keys", _button: "button name", _open_app: "app name"}.get(handler, "arguments")


def translate_object(obj: Any, *, strict: bool = False,
                     wait_default: float | None = None) -> dict[str, Any]:
    """A call written as one JSON object: ``{"name", "arguments"}`` (function calling),
    ``{"function": {...}}`` (OpenAI), or a project action ``{"action": NAME, ...}``."""
    if not isinstance(obj, dict):
        raise ParseError(f"a call must be a JSON object, got {type(obj).__name__}")
    if isinstance(obj.get("function"), dict):
        obj = obj["function"]
    name = obj.get("name")
    if isinstance(name, str) and not isinstance(obj.get("action"), str):
        args = obj.get("arguments", obj.get("parameters", obj.get("args", obj.get("input"))))
        if isinstance(args, str):
            from .repair import loads

            args = loads(args)[0] if args.strip() else {}
        if args is None:
            args = {k: v for k, v in obj.items() if k != "name"}
        return translate(name, args, strict=strict, wait_default=wait_default)
    action = obj.get("action", obj.get("action_type"))
    if isinstance(action, str):
        rest = {k: v for k, v in obj.items() if k not in ("action", "action_type")}
        return translate(action, rest, strict=strict, wait_default=wait_default)
    raise ParseError(f"no action in {_short(obj)} — write {{\"action\": NAME, ...}} or "
                     "{\"name\": NAME, \"arguments\": {...}}")


def finish(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Joins a computer_use ``mouse_move`` followed by an end-only ``left_click_drag`` into one
    drag (that is how the vocabulary spells a drag from a point, and a step runs one env
    action). An end-only drag alone starts where the pointer already is."""
    out: list[dict[str, Any]] = []
    for call in calls:
        if (call.get("action") == "drag" and "x1" not in call and "x2" in call
                and out and out[-1].get("action") == "move" and "x" in out[-1]):
            prev = out.pop()
            call = canonical({"action": "drag", "x1": prev["x"], "y1": prev["y"],
                              "x2": call["x2"], "y2": call["y2"]})
        out.append(call)
    return out


# --- project actions → Qwen2.5-VL mobile_use / computer_use -------------------------------------

MOBILE_ONLY = {"long_press", "swipe", "button", "open_app"}
COMPUTER_ONLY = {"drag", "move", "scroll"}


def as_dict(action: Action | dict[str, Any]) -> dict[str, Any]:
    """An action as its dump (GUI dicts validated so defaults are present)."""
    if isinstance(action, Action):
        return action.dump()
    if not isinstance(action, dict) or not isinstance(action.get("action"), str):
        raise ParseError(f"cannot render {_short(action)}: not an action")
    return canonical(dict(action))


def to_qwen(action: dict[str, Any], point: Callable[[float, float], Any],
            tool: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The calls (tool name, arguments) of a project action in the mobile_use / computer_use
    vocabulary: one call, but two for a drag from a point (``mouse_move`` to the start, then
    ``left_click_drag`` to the end: the cookbook's drag starts at the pointer).

    ``point(x, y)`` writes a point (a list for Qwen2.5-VL, box tokens for Qwen2-VL). ``tool``
    prefers one of the two tools; actions it lacks use the other. Fields the vocabulary has no
    word for (a swipe's duration) are written under their project names, which the parser reads.
    """
    if action.get("action") == "drag" and action.get("x1") is not None:
        return [("computer_use", {"action": "mouse_move",
                                  "coordinate": point(action["x1"], action["y1"])}),
                ("computer_use", {"action": "left_click_drag",
                                  "coordinate": point(action["x2"], action["y2"])})]
    return [_to_qwen(action, point, tool)]


def _to_qwen(action: dict[str, Any], point: Callable[[float, float], Any],
             tool: str | None) -> tuple[str, dict[str, Any]]:
    a = dict(action)
    name = a.pop("action")
    if name not in _GUI:
        return name, a
    mobile = tool != "computer_use"
    args: dict[str, Any]
    if name == "click":
        plain = a["button"] == "left" and a["clicks"] == 1
        at = a.get("x") is not None
        if plain and mobile and at:
            return "mobile_use", {"action": "click", "coordinate": point(a["x"], a["y"])}
        verb = {("left", 1): "left_click", ("left", 2): "double_click",
                ("left", 3): "triple_click", ("right", 1): "right_click",
                ("middle", 1): "middle_click"}.get((a["button"], a["clicks"]))
        args = {"action": verb or "left_click"}
        if at:  # no coordinate: where the pointer is
            args["coordinate"] = point(a["x"], a["y"])
        if verb is None:
            args["button"], args["clicks"] = a["button"], a["clicks"]
        return "computer_use", args
    if name == "long_press":
        return "mobile_use", {"action": "long_press", "coordinate": point(a["x"], a["y"]),
                              "time": clean(a["duration_ms"] / 1000)}
    if name == "swipe":
        args = {"action": "swipe", "coordinate": point(a["x1"], a["y1"]),
                "coordinate2": point(a["x2"], a["y2"])}
        if a["duration_ms"] != 300:
            args["duration_ms"] = a["duration_ms"]
        return "mobile_use", args
    if name == "drag":  # from the pointer (a drag from a point is two calls, see to_qwen)
        return "computer_use", {"action": "left_click_drag", "coordinate": point(a["x2"], a["y2"])}
    if name == "move":
        return "computer_use", {"action": "mouse_move", "coordinate": point(a["x"], a["y"])}
    if name == "scroll":
        vertical = a["direction"] in ("up", "down")
        args = {"action": "scroll" if vertical else "hscroll"}
        if a.get("amount") is not None:
            sign = 1 if a["direction"] in ("up", "right") else -1
            args["pixels"] = sign * a["amount"]
        else:
            args["direction"] = a["direction"]
        if a.get("x") is not None:
            args["coordinate"] = point(a["x"], a["y"])
        return "computer_use", args
    if name == "type":
        args = {"action": "type", "text": a["text"] + ("\n" if a["submit"] else "")}
        if not a["submit"] and a["text"].endswith("\n"):
            args["submit"] = False  # the newline is text, not a press of enter
        return ("mobile_use" if mobile else "computer_use"), args
    if name == "key":
        if len(a["keys"]) == 1 and mobile and tool == "mobile_use":
            return "mobile_use", {"action": "key", "text": a["keys"][0]}
        return "computer_use", {"action": "key", "keys": list(a["keys"])}
    if name == "button":
        label = {"app_switch": "App_Switch"}.get(a["name"], a["name"].title())
        return "mobile_use", {"action": "system_button", "button": label}
    if name == "open_app":
        return "mobile_use", {"action": "open", "text": a["name"]}
    if name == "wait":
        return ("mobile_use" if mobile else "computer_use"), {"action": "wait",
                                                               "time": clean(a["seconds"])}
    # terminate
    args = {"action": "terminate", "status": a["status"]}
    if a.get("answer") is not None:
        args["answer"] = a["answer"]
    return ("mobile_use" if mobile else "computer_use"), args


__all__ = ["HANDLERS", "WRAPPERS", "as_dict", "canonical", "finish", "norm", "split_keys",
           "to_qwen", "translate", "translate_object"]
