"""Prompt formats, one per model family: ``get(name)`` and ``for_model(model_type, name)``.

- ``qwen2vl``: Qwen-Agent's ✿FUNCTION✿ tool prompt, box tokens in [0, 1000).
- ``qwen25vl``: nous ``<tool_call>`` with mobile_use / computer_use, pixels of the resized image
  (the resized resolution is stated in the tool description).
- ``uitars``: UI-TARS's Thought/Action grammar, box tokens in [0, 1000).

The texts live in ``policies.formats.prompts``.
"""

from __future__ import annotations

from vagent.actions.errors import VagentError

from .base import Format, gui_kind
from .families import UITarsFormat, VagentTinyFormat
from .qwen_agent import Qwen2VLFormat, Qwen25VLFormat

FORMATS: dict[str, type[Format]] = {
    "qwen2vl": Qwen2VLFormat,
    "qwen25vl": Qwen25VLFormat,
    "vagent-tiny": VagentTinyFormat,
    "uitars": UITarsFormat,
}


class UnknownFormat(VagentError):
    pass


def get(name: str, model_type: str | None = None, model: str = "") -> Format:
    """The format ``name``; for ``uitars``, UI-TARS-1.5 (a Qwen2.5-VL model, or "1.5" in its
    name) gets its <point>-in-pixels variant."""
    if name not in FORMATS:
        raise UnknownFormat(f"unknown prompt format {name!r} — choose one of: "
                            + ", ".join(FORMATS))
    if name == "uitars" and (model_type == "qwen2_5_vl" or "1.5" in model):
        return UITarsFormat(version="1.5")
    return FORMATS[name]()


def for_model(model_type: str | None = None, name: str = "") -> str:
    """The format a model was trained on, from its config's model_type and its name or path."""
    low = name.lower().replace("_", "-")
    if "ui-tars" in low or "uitars" in low:
        return "uitars"
    if model_type == "qwen2_vl":
        return "qwen2vl"
    if model_type == "qwen2_5_vl":
        return "qwen25vl"
    if "qwen2-vl" in low or "qwen2vl" in low:
        return "qwen2vl"
    # Served models without a config to read: Qwen2.5-VL and later (and vLLM's hermes tool
    # parser, DashScope's models) speak the nous format.
    return "qwen25vl"


__all__ = ["FORMATS", "Format", "UnknownFormat", "for_model", "get", "gui_kind"]
