"""The parsing API shared by every format (implemented per format in this package)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..coords import Frame
from ..errors import ParseError
from ..models import Action

#: format name → (module, default frame kind)
FORMATS: dict[str, str] = {
    "qwen2vl": "Qwen-Agent ✿FUNCTION✿/✿ARGS✿ calls, box tokens in [0, 1000)",
    "qwen25vl": "nous <tool_call> blocks (mobile_use / computer_use), resized-image pixels",
    "uitars": "UI-TARS Thought:/Action: grammar (v1 boxes in [0, 1000), v1.5 <point> resized)",
    "json": "a JSON object {\"thoughts\": ..., \"action\": ...} or a project action, pixels",
    "openai": "OpenAI tool_calls (name + JSON arguments)",
}


class Parsed(BaseModel):
    thought: str = ""
    calls: list[dict[str, Any]] = Field(default_factory=list)
    frame: Frame = Frame()
    format: str = ""


def detect_format(text: str) -> str:
    """Guess the format of a model's output from its markers."""
    raise NotImplementedError  # implemented by the parsers change


def parse(text: str, fmt: str = "auto", frame: Frame | None = None) -> Parsed:
    """Parse ``text`` written in ``fmt``; ``frame`` overrides the format's default frame
    (its min/max pixels matter for the ``resized`` frame)."""
    raise ParseError("parsers not implemented yet")


def render(action: Action | dict[str, Any], fmt: str, frame: Frame | None = None,
           thought: str = "") -> str:
    """Write ``action`` (already in ``frame``) as a model of format ``fmt`` would."""
    raise NotImplementedError
