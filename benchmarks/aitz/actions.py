"""AITZ actions: the ground truth as project actions, and any action as a ``Gesture``.

AITZ (after AITW) records every touch as a DUAL_POINT: normalized (y, x) touch and lift points.
A dual point whose lift is within 0.04 of its touch is a tap; anything longer is a swipe, and
AITZ names a swipe by the direction the *finger* moves ("scroll up": the finger moves up, so the
content below comes into view). The project's ``scroll`` means what a mouse wheel means
(DESIGN.md), so AITZ "scroll up" becomes the project action ``scroll down``. This module is the
one place that flips it, both ways.

A ``Gesture`` is an action as both metric families see it: the AITW type code with its touch and
lift points, and the CoAT kind (click, scroll, type, press, stop) with its detail.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel

from vagent.actions import Action, Button, Click, Frame, Scroll, Terminate, Type, get_space, to_screen
from vagent.actions.errors import VagentError


class Code(IntEnum):
    """AITW action type codes (0, 1, 2, 8 and 9 are unused)."""

    TYPE = 3
    DUAL_POINT = 4
    PRESS_BACK = 5
    PRESS_HOME = 6
    PRESS_ENTER = 7
    STATUS_TASK_COMPLETE = 10
    STATUS_TASK_IMPOSSIBLE = 11


#: The AITW code of a project action AITW has no type for (open_app, wait, menu, ...).
NO_CODE = -1
#: A dual point no longer than this (normalized distance) is a tap.
TAP_DISTANCE = 0.04
#: AITZ names a swipe vertical when |Δy| ≥ 0.9·|Δx| (how its "scroll up/down" labels came).
VERTICAL_RATIO = 0.9
#: A project ``scroll`` carries no length; as a dual point it moves the finger this far.
SCROLL_LENGTH = 0.2

Kind = Literal["click", "scroll", "type", "press", "stop", "other"]
_BUTTON_CODES = {"back": Code.PRESS_BACK, "home": Code.PRESS_HOME, "enter": Code.PRESS_ENTER}
_OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
UNIT = Frame(kind="unit")


def wheel_of_finger(direction: str) -> str:
    """AITZ's finger direction → the project's (mouse-wheel) scroll direction."""
    return _OPPOSITE[direction]


def finger_of_wheel(direction: str) -> str:
    """The project's scroll direction → the direction the finger moves (AITZ's name)."""
    return _OPPOSITE[direction]


def is_tap(touch: tuple[float, float], lift: tuple[float, float]) -> bool:
    return math.dist(touch, lift) <= TAP_DISTANCE


def finger_direction(touch: tuple[float, float], lift: tuple[float, float]) -> str:
    """The direction a swipe's finger moves, named as AITZ names it."""
    dy, dx = lift[0] - touch[0], lift[1] - touch[1]
    if abs(dy) >= VERTICAL_RATIO * abs(dx):
        return "up" if dy < 0 else "down"
    return "left" if dx < 0 else "right"


class Gesture(BaseModel):
    """An action as AITW and CoAT compare it."""

    kind: Kind
    code: int
    touch: tuple[float, float] | None = None  # normalized (y, x), dual points only
    lift: tuple[float, float] | None = None
    point: tuple[float, float] | None = None  # click: (x, y) in pixels of the screenshot
    direction: str = ""  # scroll: the finger's direction (AITZ's name)
    text: str = ""
    button: str = ""  # press: home, back, enter (or menu, app_switch for predictions)


def dual_point(touch: tuple[float, float], lift: tuple[float, float], width: int,
               height: int) -> Gesture:
    """A DUAL_POINT as a tap (click) or a swipe (scroll), from normalized (y, x) points."""
    if is_tap(touch, lift):
        return Gesture(kind="click", code=Code.DUAL_POINT, touch=touch, lift=lift,
                       point=(touch[1] * width, touch[0] * height))
    return Gesture(kind="scroll", code=Code.DUAL_POINT, touch=touch, lift=lift,
                   direction=finger_direction(touch, lift))


def ground_truth_gesture(code: int, text: str, touch: tuple[float, float],
                         lift: tuple[float, float], width: int, height: int) -> Gesture:
    """The ground truth of one AITZ step. A tap's point is its touch point in whole pixels
    (the same point ``ground_truth_action`` clicks)."""
    if code == Code.DUAL_POINT:
        g = dual_point(touch, lift, width, height)
        if g.kind == "click":
            x, y, _ = UNIT.to_screen(touch[1], touch[0], width, height)
            g.point = (x, y)
        return g
    if code == Code.TYPE:
        return Gesture(kind="type", code=code, text=text)
    for name, c in _BUTTON_CODES.items():
        if code == c:
            return Gesture(kind="press", code=code, button=name)
    if code in (Code.STATUS_TASK_COMPLETE, Code.STATUS_TASK_IMPOSSIBLE):
        return Gesture(kind="stop", code=code)
    raise VagentError(f"unknown AITZ action type {code} — expected one of 3, 4, 5, 6, 7, 10, 11")


def ground_truth_action(gesture: Gesture, width: int, height: int) -> Action:
    """The ground truth as a project action in pixels of the stored screenshot."""
    if gesture.kind == "click":
        assert gesture.touch is not None
        y, x = gesture.touch
        return to_screen(Click(x=x, y=y), UNIT, width, height).action
    if gesture.kind == "scroll":
        assert gesture.touch is not None
        y, x = gesture.touch
        start = to_screen(Click(x=x, y=y), UNIT, width, height).action
        return Scroll(direction=wheel_of_finger(gesture.direction), x=start.x, y=start.y)
    if gesture.kind == "type":
        return Type(text=gesture.text)
    if gesture.kind == "press":
        return Button(name=gesture.button)  # type: ignore[arg-type]
    if gesture.code == Code.STATUS_TASK_IMPOSSIBLE:
        return Terminate(status="failure")
    return Terminate(status="success")


_GUI = get_space("gui")


def gesture_of(action: Action | dict[str, Any], width: int, height: int) -> Gesture:
    """A project action (pixels of a ``width``×``height`` screenshot) as a Gesture.

    click and long_press are taps; swipe and drag are dual points (a tap when shorter than
    0.04); ``scroll`` is a swipe of SCROLL_LENGTH from its point (or the centre) with the finger
    moving against the wheel direction; a single enter/back/home key is that press.
    """
    if isinstance(action, dict):
        action = _GUI.validate(action)
    name = action.action

    def norm(x: float, y: float) -> tuple[float, float]:
        return (y / height, x / width)

    if name in ("click", "long_press"):
        p = norm(action.x, action.y)  # type: ignore[attr-defined]
        return Gesture(kind="click", code=Code.DUAL_POINT, touch=p, lift=p,
                       point=(action.x, action.y))  # type: ignore[attr-defined]
    if name in ("swipe", "drag"):
        a = action
        g = dual_point(norm(a.x1, a.y1), norm(a.x2, a.y2), width, height)  # type: ignore
        if g.kind == "click":
            g.point = (a.x1, a.y1)  # type: ignore[attr-defined]
        return g
    if name == "scroll":
        finger = finger_of_wheel(action.direction)  # type: ignore[attr-defined]
        x = action.x if action.x is not None else width / 2  # type: ignore[attr-defined]
        y = action.y if action.y is not None else height / 2  # type: ignore[attr-defined]
        touch = norm(x, y)
        dy, dx = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}[finger]
        lift = (touch[0] + dy * SCROLL_LENGTH, touch[1] + dx * SCROLL_LENGTH)
        return Gesture(kind="scroll", code=Code.DUAL_POINT, touch=touch, lift=lift,
                       direction=finger)
    if name == "type":
        return Gesture(kind="type", code=Code.TYPE, text=action.text)  # type: ignore
    if name == "button":
        button = action.name  # type: ignore[attr-defined]
        return Gesture(kind="press", code=_BUTTON_CODES.get(button, NO_CODE), button=button)
    if name == "key" and len(action.keys) == 1:  # type: ignore[attr-defined]
        key = action.keys[0].lower()  # type: ignore[attr-defined]
        key = "enter" if key == "return" else key
        if key in _BUTTON_CODES:
            return Gesture(kind="press", code=_BUTTON_CODES[key], button=key)
    if name == "terminate":
        failed = action.status == "failure"  # type: ignore[attr-defined]
        return Gesture(kind="stop", code=Code.STATUS_TASK_IMPOSSIBLE if failed
                       else Code.STATUS_TASK_COMPLETE)
    return Gesture(kind="other", code=NO_CODE)
