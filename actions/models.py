"""The action models: what an agent can do, as pydantic models.

An action serialises as ``{"action": NAME, ...fields}``. Coordinates that reach an env are
integer pixels of that env's screen; before that (straight out of a parser) they may be floats
in the model's frame — ``actions.coords`` maps them. Each model names its point fields in
``POINTS`` so that the mapping is generic over every action, built-in or user-defined.
"""

# No ``from __future__ import annotations`` here: pydantic would evaluate every field's
# annotation from its string when each model class is made (5 ms of ``vagent parse``).
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator


class Action(BaseModel):
    """Base of every action. Subclasses fix ``action`` to a Literal of their name."""

    # Each model's validator is built when first used, not at import: ``vagent parse`` uses
    # one or two of them and starts faster (tests/test_startup.py).
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)

    action: str
    # Pairs of field names that together hold one point on the screen, e.g. (("x", "y"),).
    POINTS: ClassVar[tuple[tuple[str, str], ...]] = ()

    @classmethod
    def action_name(cls) -> str:
        field = cls.model_fields["action"]
        default = field.default
        if isinstance(default, str):
            return default
        raise TypeError(f"{cls.__name__} must give 'action' a default name")

    @model_validator(mode="after")
    def _whole_points(self) -> "Action":
        # An optional point (a click at the pointer, a scroll where the pointer is) is left out
        # whole; half a point is a model's slip, not "at the pointer".
        for fx, fy in self.POINTS:
            if (getattr(self, fx, None) is None) != (getattr(self, fy, None) is None):
                raise ValueError(f"{fx} and {fy} go together — give both or neither")
        return self

    def dump(self) -> dict[str, Any]:
        """The JSON form ``{"action": NAME, ...}`` with unset optional fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


def _coord_out(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# A coordinate: model-frame values may be fractional; after mapping they are whole pixels and
# serialise as JSON integers.
Coord = Annotated[float, PlainSerializer(_coord_out, when_used="always")]


class Click(Action):
    """Press a mouse button (or tap a touchscreen) at a point."""

    action: Literal["click"] = "click"
    x: Coord
    y: Coord
    button: Literal["left", "right", "middle"] = "left"
    clicks: Literal[1, 2, 3] = 1
    POINTS: ClassVar = (("x", "y"),)


class PointerClick(Click):
    """Press a mouse button at a point, or where the mouse pointer is when no point is given."""

    # The desktop's click: Qwen2.5-VL's computer_use clicks may leave ``coordinate`` out. A
    # touchscreen has no pointer, so the phone spaces keep ``Click``, whose point is required.
    x: Coord | None = None  # type: ignore[assignment]
    y: Coord | None = None  # type: ignore[assignment]


class LongPress(Action):
    """Touch and hold a point."""

    action: Literal["long_press"] = "long_press"
    x: Coord
    y: Coord
    duration_ms: int = Field(1000, ge=0, le=60_000)
    POINTS: ClassVar = (("x", "y"),)


class Swipe(Action):
    """Move a finger from one point to another (a phone gesture)."""

    action: Literal["swipe"] = "swipe"
    x1: Coord
    y1: Coord
    x2: Coord
    y2: Coord
    duration_ms: int = Field(300, ge=0, le=60_000)
    POINTS: ClassVar = (("x1", "y1"), ("x2", "y2"))


class Drag(Action):
    """Press the left mouse button at one point, move to another, release. Without a start point
    the drag starts where the mouse pointer is (computer_use's ``left_click_drag`` gives only the
    end: the model moves the pointer first)."""

    action: Literal["drag"] = "drag"
    x1: Coord | None = None
    y1: Coord | None = None
    x2: Coord
    y2: Coord
    POINTS: ClassVar = (("x1", "y1"), ("x2", "y2"))


class Move(Action):
    """Move the mouse pointer without pressing."""

    action: Literal["move"] = "move"
    x: Coord
    y: Coord
    POINTS: ClassVar = (("x", "y"),)


class Scroll(Action):
    """Scroll like a mouse wheel: ``down`` reveals what is below (a finger moving up)."""

    action: Literal["scroll"] = "scroll"
    direction: Literal["up", "down", "left", "right"]
    amount: int | None = Field(None, ge=1, le=10_000)
    x: Coord | None = None
    y: Coord | None = None
    POINTS: ClassVar = (("x", "y"),)


class Type(Action):
    """Type text into the focused field; ``submit`` presses enter afterwards."""

    action: Literal["type"] = "type"
    text: str
    submit: bool = False


class Key(Action):
    """Press one key, or a chord of keys held together (``["ctrl", "c"]``)."""

    action: Literal["key"] = "key"
    keys: list[str] = Field(min_length=1)


class Button(Action):
    """A system button of a phone (or its desktop equivalent)."""

    action: Literal["button"] = "button"
    name: Literal["home", "back", "enter", "menu", "app_switch"]


class OpenApp(Action):
    """Open an app by its label or package name."""

    action: Literal["open_app"] = "open_app"
    name: str = Field(min_length=1)


class Wait(Action):
    """Do nothing for a while so the screen can settle."""

    action: Literal["wait"] = "wait"
    seconds: float = Field(1.0, ge=0, le=600)


class Terminate(Action):
    """End the episode, saying whether the task succeeded (and an answer when one is asked for)."""

    action: Literal["terminate"] = "terminate"
    status: Literal["success", "failure"] = "success"
    answer: str | None = None


GUI_ACTIONS: tuple[type[Action], ...] = (
    Click, LongPress, Swipe, Drag, Move, Scroll, Type, Key, Button, OpenApp, Wait, Terminate,
)

# The built-in spaces. They cover Qwen2.5-VL's mobile_use and computer_use vocabularies: each of
# those actions translates into one of these (see actions.parsing).
MOBILE: tuple[type[Action], ...] = (
    Click, LongPress, Swipe, Scroll, Type, Key, Button, OpenApp, Wait, Terminate,
)
# (a mouse has a pointer: the desktop's click and drag may start where it is)
DESKTOP: tuple[type[Action], ...] = (PointerClick, Move, Drag, Scroll, Type, Key, Wait, Terminate)

#: space name -> its actions (``actions.space.get_space`` builds a gymnasium space of them)
SPACES: dict[str, tuple[type[Action], ...]] = {
    "mobile": MOBILE,
    "desktop": DESKTOP,
    # every GUI action, with the desktop's click (its point may be left out: a superset of the
    # phone's), so that what any GUI space takes, this one takes
    "gui": (PointerClick, *GUI_ACTIONS[1:]),
}
