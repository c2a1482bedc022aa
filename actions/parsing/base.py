"""The parsing API shared by every format (each format lives in its own module here).

- ``parse(text, fmt="auto", frame=None) -> Parsed``: the thought, the calls as project action
  dicts with coordinates still in the model's frame, and that frame. Raises only ParseError.
- ``detect_format(text)``: which format a text is written in, from its markers.
- ``render(action, fmt, frame=None, thought="")``: an action (already in ``frame``) written the
  way a model of that format writes it.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from ..coords import Frame
from ..errors import ParseError
from ..models import Action
from .common import Parsed

#: format name → what it reads
FORMATS: dict[str, str] = {
    "qwen2vl": "Qwen-Agent ✿FUNCTION✿/✿ARGS✿ calls, box tokens in [0, 1000)",
    "qwen25vl": "nous <tool_call> blocks (mobile_use / computer_use), resized-image pixels",
    "uitars": "UI-TARS Thought:/Action: grammar (v1 boxes in [0, 1000), v1.5 <point> resized)",
    "json": "a JSON object {\"thoughts\": ..., \"action\": ...} or a project action, pixels",
    "openai": "OpenAI tool_calls (name + JSON arguments), pixels",
}

#: format → (module, the frame kind its coordinates are in unless the text or caller says)
_MODULES: dict[str, tuple[str, str]] = {
    "qwen2vl": ("qwen_agent", "rel1000"),
    "qwen25vl": ("nous", "resized"),
    "uitars": ("uitars", "rel1000"),  # v1; v1.5's <point> is "resized"
    "json": ("jsonfmt", "pixels"),
    "openai": ("openai_calls", "pixels"),
}

_UITARS_CALL = re.compile(
    r"(?:^|\n)[ \t]*(?:Action[ \t]*:[ \t]*)?(?:click|left_double|right_single|drag|hotkey|type"
    r"|scroll|wait|finished|call_user|long_press|press_home|press_back|open_app|hover)"
    r"[ \t]*\(")
_ACTION_LABEL = re.compile(r"Action[ \t]*:[ \t\r\n]*[A-Za-z_]\w*[ \t]*\(")


def default_frame(fmt: str) -> Frame:
    """The frame a format's coordinates are in when nothing else is known (uitars: v1)."""
    if fmt not in _MODULES:
        raise ParseError(f"unknown format {fmt!r} — choose one of: auto, {', '.join(FORMATS)}")
    return Frame(kind=_MODULES[fmt][1])  # type: ignore[arg-type]


def detect_format(text: Any) -> str:
    """Guess the format of a model's output from its markers (raises ParseError when none)."""
    if not isinstance(text, str):
        return "openai"  # a tool_calls list, a message dict or an SDK object
    if "✿FUNCTION✿" in text:
        return "qwen2vl"
    if "<tool_call>" in text:
        return "qwen25vl"
    starts_json = text.lstrip().lstrip("`").removeprefix("json").lstrip()[:1] in ("{", "[")
    if not starts_json and (_ACTION_LABEL.search(text) or _UITARS_CALL.search(text)):
        return "uitars"
    if '"tool_calls"' in text or ('"function"' in text and '"arguments"' in text):
        return "openai"
    if "<|box_start|>" in text and not starts_json:
        return "qwen2vl"  # a bare grounding answer
    if "{" in text or "[" in text:
        if ('"mobile_use"' in text or '"computer_use"' in text) and '"arguments"' in text:
            return "qwen25vl"  # a <tool_call> body whose tags were stripped
        return "json"
    if "<point>" in text:
        return "uitars"
    raise ParseError("cannot tell the format: no ✿FUNCTION✿, <tool_call>, Action: call, "
                     "box tokens or JSON in the text — pass a format", 0)


def _module(fmt: str) -> Any:
    if fmt not in _MODULES:
        raise ParseError(f"unknown format {fmt!r} — choose one of: auto, {', '.join(FORMATS)}")
    return importlib.import_module(f"{__package__}.{_MODULES[fmt][0]}")


def _parse(text: Any, fmt: str = "auto", frame: Frame | None = None) -> Parsed:
    """``parse`` without its safety net (tests use it to prove no other exception escapes)."""
    if fmt == "auto":
        fmt = detect_format(text)
    module = _module(fmt)
    if not isinstance(text, str) and fmt != "openai":
        raise ParseError(f"{fmt}: expected text, got {type(text).__name__}")
    if isinstance(text, str) and not text.strip():
        raise ParseError(f"{fmt}: the output is empty", 0)
    return module.parse(text, frame)


def parse(text: str, fmt: str = "auto", frame: Frame | None = None) -> Parsed:
    """Parse ``text`` written in ``fmt``; ``frame`` overrides the format's default frame
    (its min/max pixels matter for the ``resized`` frame)."""
    try:
        return _parse(text, fmt, frame)
    except ParseError:
        raise
    except Exception as e:  # a bug must still reach the model and the user as a ParseError
        raise ParseError(f"{fmt}: could not read the output ({type(e).__name__}: {e})") from e


def render(action: Action | dict[str, Any] | list[Action | dict[str, Any]], fmt: str,
           frame: Frame | None = None, thought: str = "", *, tool: str | None = None) -> str:
    """Write ``action`` (already in ``frame``) as a model of format ``fmt`` would.

    ``action`` may be a list (several calls in one answer). ``tool`` picks ``mobile_use`` or
    ``computer_use`` for the qwen2vl / qwen25vl formats (actions the tool lacks use the other).
    """
    actions = list(action) if isinstance(action, (list, tuple)) else [action]
    if not actions:
        raise ParseError("nothing to render: no action given")
    module = _module(fmt)
    if fmt in ("qwen2vl", "qwen25vl"):
        return module.render(actions, frame, thought, tool=tool)
    return module.render(actions, frame or default_frame(fmt), thought)


__all__ = ["FORMATS", "Parsed", "default_frame", "detect_format", "parse", "render"]
