"""Actions, action spaces, tools, coordinate frames and the parsers of model output.

The names below are imported on first use: ``vagent.actions.errors`` (which every floor and the
CLI import) must not pull in numpy, gymnasium and the action models, so that ``vagent --help``
starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it
_NAMES: dict[str, str] = {
    **dict.fromkeys(("PIXELS", "Frame", "Mapped", "ScreenMap", "box_center", "from_screen",
                     "smart_resize", "to_screen"), "coords"),
    **dict.fromkeys(("ActionError", "ParseError", "VagentError"), "errors"),
    **dict.fromkeys(("GUI_ACTIONS", "Action", "Button", "Click", "Drag", "Key", "LongPress",
                     "Move", "OpenApp", "Scroll", "Swipe", "Terminate", "Type", "Wait"), "models"),
    **dict.fromkeys(("DESKTOP", "MOBILE", "ActionSpace", "get_space"), "space"),
    **dict.fromkeys(("Tool", "tool"), "tools"),
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES])
