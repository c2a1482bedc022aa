"""Actions, action spaces, tools, coordinate frames and the parsers of model output.

The names below are imported on first use: ``vagent.actions.errors`` (which every floor and the
CLI import) must not pull in numpy, gymnasium and the action models, so that ``vagent --help``
starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: module (relative to this package) -> the public names it holds
_MODULES: dict[str, tuple[str, ...]] = {
    ".coords": ("PIXELS", "Frame", "Mapped", "ScreenMap", "box_center", "from_screen",
                "smart_resize", "to_screen"),
    ".errors": ("ActionError", "ParseError", "VagentError"),
    ".models": ("GUI_ACTIONS", "Action", "Button", "Click", "Drag", "Key", "LongPress", "Move",
                "OpenApp", "PointerClick", "Scroll", "Swipe", "Terminate", "Type", "Wait"),
    ".space": ("DESKTOP", "MOBILE", "ActionSpace", "get_space"),
    ".tools": ("Tool", "tool"),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


if TYPE_CHECKING:  # what type checkers and editors see
    from .coords import (
        PIXELS, Frame, Mapped, ScreenMap, box_center, from_screen, smart_resize, to_screen,
    )
    from .errors import ActionError, ParseError, VagentError
    from .models import (
        GUI_ACTIONS, Action, Button, Click, Drag, Key, LongPress, Move, OpenApp, PointerClick,
        Scroll, Swipe, Terminate, Type, Wait,
    )
    from .space import DESKTOP, MOBILE, ActionSpace, get_space
    from .tools import Tool, tool
