"""Actions, action spaces, tools, coordinate frames and the parsers of model output."""

from .coords import (
    PIXELS, Frame, Mapped, ScreenMap, box_center, from_screen, smart_resize, to_screen,
)
from .errors import ActionError, ParseError, VagentError
from .models import (
    GUI_ACTIONS, Action, Button, Click, Drag, Key, LongPress, Move, OpenApp, Scroll, Swipe,
    Terminate, Type, Wait,
)
from .space import DESKTOP, MOBILE, ActionSpace, get_space
from .tools import Tool, tool

__all__ = [
    "DESKTOP", "GUI_ACTIONS", "MOBILE", "PIXELS", "Action", "ActionError", "ActionSpace",
    "Button", "Click", "Drag", "Frame", "Key", "LongPress", "Mapped", "Move", "OpenApp",
    "ParseError", "ScreenMap", "Scroll", "Swipe", "Terminate", "Tool", "Type", "VagentError", "Wait",
    "box_center", "from_screen", "get_space", "smart_resize", "to_screen", "tool",
]
