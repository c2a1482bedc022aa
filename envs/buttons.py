"""A small drawn screen with a text field, three buttons and a scrollable list.

It is the loop's built-in test env and a place for users to try the agent without a device:
every action changes visible state, and three tasks have success checks and oracles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

from vagent.actions import Action, ActionError, ActionSpace, Click, Key, Scroll, Terminate, Type, Wait

from .base import Env, observation_space
from .draw import font, to_array

W, H = 640, 400
FIELD = (40, 70, 600, 120)
BUTTONS = {"OK": (40, 150, 200, 200), "Cancel": (240, 150, 400, 200),
           "Submit": (440, 150, 600, 200)}
LIST_BOX = (40, 230, 600, 380)
ROW_H = 30
ITEMS = [f"item {i}" for i in range(1, 21)]

TASKS = {
    "click the OK button": "ok",
    "type hello and submit": "hello",
    "scroll to item 12 and click it": "item12",
}


@dataclass
class State:
    text: str = ""
    focused: bool = False
    submitted: str | None = None
    clicks: dict[str, int] = field(default_factory=dict)
    offset: int = 0  # first visible list row
    chosen: str | None = None
    status: str = "ready"


def _inside(box: tuple[int, int, int, int], x: float, y: float) -> bool:
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _centre(box: tuple[int, int, int, int]) -> tuple[int, int]:
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


class ButtonsEnv(Env):
    """Screen 640×400: a text field, OK / Cancel / Submit, and a list of 20 items (5 visible)."""

    screen_size = (W, H)

    def __init__(self, render_mode: str | None = "rgb_array"):
        self.render_mode = render_mode
        self.action_space = ActionSpace(
            "buttons", [Click, Type, Key, Scroll, Wait, Terminate]).with_screen(W, H)
        self.observation_space = observation_space(W, H)
        self.state = State()
        self.task = ""

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.state = State()
        self.task = (options or {}).get("task", "")
        obs = self._observe()
        return obs, {"task_known": self.task in TASKS}

    def step(self, action: Action | dict[str, Any] | str):
        act = self.coerce(action)
        s = self.state
        terminated = False
        reward = 0.0
        if isinstance(act, Click):
            if act.x is None or act.y is None:  # a click "at the pointer": this screen has none
                raise ActionError("this screen has no mouse pointer — give the point to click")
            self._click(act.x, act.y)
        elif isinstance(act, Type):
            if s.focused:
                s.text += act.text
                s.status = f"typed {len(act.text)} characters"
                if act.submit:
                    self._submit()
            else:
                s.status = "typing ignored: no field focused"
        elif isinstance(act, Key):
            keys = [k.lower() for k in act.keys]
            if keys == ["enter"] or keys == ["return"]:
                self._submit()
            elif keys == ["backspace"] and s.focused:
                s.text = s.text[:-1]
            s.status = f"key {'+'.join(keys)}"
        elif isinstance(act, Scroll):
            step = act.amount or 1
            if act.direction == "down":
                s.offset = min(s.offset + step, len(ITEMS) - 5)
            elif act.direction == "up":
                s.offset = max(s.offset - step, 0)
            s.status = f"scrolled {act.direction}"
        elif isinstance(act, Terminate):
            terminated = True
        success = self.success()
        if terminated and success:
            reward = 1.0
        obs = self._observe()
        return obs, reward, terminated, False, {"success": success, "status": s.status}

    # -- tasks --------------------------------------------------------------------------------
    def success(self) -> bool | None:
        kind = TASKS.get(self.task)
        s = self.state
        if kind == "ok":
            return s.clicks.get("OK", 0) >= 1
        if kind == "hello":
            return s.submitted == "hello"
        if kind == "item12":
            return s.chosen == "item 12"
        return None

    def oracle_action(self) -> Action | None:
        kind = TASKS.get(self.task)
        s = self.state
        if kind is None or self.success():
            return Terminate(status="success")
        if kind == "ok":
            return Click(x=_centre(BUTTONS["OK"])[0], y=_centre(BUTTONS["OK"])[1])
        if kind == "hello":
            if not s.focused:
                return Click(x=_centre(FIELD)[0], y=_centre(FIELD)[1])
            if s.text != "":
                return Key(keys=["backspace"])
            return Type(text="hello", submit=True)
        index = ITEMS.index("item 12")
        if index < s.offset:
            return Scroll(direction="up")
        if index >= s.offset + 5:
            return Scroll(direction="down", amount=index - s.offset - 4)
        row = index - s.offset
        return Click(x=_centre(LIST_BOX)[0], y=LIST_BOX[1] + row * ROW_H + ROW_H // 2)

    # -- internals ----------------------------------------------------------------------------
    def _click(self, x: float, y: float) -> None:
        s = self.state
        s.focused = _inside(FIELD, x, y)
        if s.focused:
            s.status = "field focused"
            return
        for name, box in BUTTONS.items():
            if _inside(box, x, y):
                s.clicks[name] = s.clicks.get(name, 0) + 1
                s.status = f"{name} clicked"
                if name == "Submit":
                    self._submit()
                elif name == "Cancel":
                    s.text = ""
                return
        if _inside(LIST_BOX, x, y):
            row = int((y - LIST_BOX[1]) // ROW_H)
            s.chosen = ITEMS[s.offset + row]
            s.status = f"{s.chosen} chosen"
            return
        s.status = f"nothing at ({x:g}, {y:g})"

    def _submit(self) -> None:
        self.state.submitted = self.state.text
        self.state.status = f"submitted {self.state.text!r}"

    def _observe(self) -> dict[str, Any]:
        s = self.state
        img = Image.new("RGB", (W, H), (245, 245, 245))
        d = ImageDraw.Draw(img)
        d.text((40, 20), "vagent test screen", fill=(30, 30, 30), font=font(22, bold=True))
        d.rectangle(FIELD, fill=(255, 255, 255), outline=(0, 90, 200) if s.focused else (150,) * 3,
                    width=3 if s.focused else 1)
        d.text((FIELD[0] + 10, FIELD[1] + 12), s.text[-40:] or "type here",
               fill=(0, 0, 0) if s.text else (160, 160, 160), font=font(20))
        colours = {"OK": (40, 150, 70), "Cancel": (190, 60, 50), "Submit": (40, 90, 190)}
        for name, box in BUTTONS.items():
            d.rounded_rectangle(box, radius=8, fill=colours[name])
            cx, cy = _centre(box)
            d.text((cx, cy), name, fill="white", font=font(20, bold=True), anchor="mm")
        d.rectangle(LIST_BOX, fill=(255, 255, 255), outline=(150, 150, 150))
        for row in range(5):
            item = ITEMS[s.offset + row]
            y0 = LIST_BOX[1] + row * ROW_H
            if item == s.chosen:
                d.rectangle((LIST_BOX[0] + 1, y0, LIST_BOX[2] - 1, y0 + ROW_H), fill=(220, 232, 255))
            d.text((LIST_BOX[0] + 10, y0 + 6), item, fill=(0, 0, 0), font=font(16))
        d.text((40, 385), s.status[:70], fill=(90, 90, 90), font=font(12))
        text = (f"field: {s.text!r}{' (focused)' if s.focused else ''}; "
                f"list shows {ITEMS[s.offset]}..{ITEMS[s.offset + 4]}; status: {s.status}")
        self._last_obs = {"screenshot": to_array(img), "text": text}
        return self._last_obs
