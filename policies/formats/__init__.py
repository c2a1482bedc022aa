"""Prompt formats, one per model family: ``get(name)`` and ``for_model(model_type, name)``.

- ``qwen2vl``: Qwen-Agent's ✿FUNCTION✿ prompt and layout, rendered by Qwen-Agent; box tokens in
  [0, 1000).
- ``qwen25vl``: Qwen-Agent's nous ``<tool_call>`` prompt and layout; mobile_use / computer_use on
  pixels of the resized image.
- ``uitars``: UI-TARS v1 (box tokens in [0, 1000)); ``uitars15``: UI-TARS-1.5 (``<point>`` in
  pixels of the resized image) — the ui-tars package's prompt templates.
- ``vagent-tiny``: the project's own layout, which the bundled tiny model was trained on.

The reference packages (``vagent[formats]``) are imported only by the format that needs them.
"""

from __future__ import annotations

import re

from vagent.actions.errors import VagentError

from .base import Format, gui_kind
from .families import VagentTinyFormat
from .qwen_agent import Qwen2VLFormat, Qwen25VLFormat
from .uitars import UITars15Format, UITarsFormat

FORMATS: dict[str, type[Format]] = {
    "qwen2vl": Qwen2VLFormat,
    "qwen25vl": Qwen25VLFormat,
    "uitars": UITarsFormat,
    "uitars15": UITars15Format,
    "vagent-tiny": VagentTinyFormat,
}


class UnknownFormat(VagentError):
    pass


def get(name: str) -> Format:
    """The format ``name`` (one of ``FORMATS``)."""
    if name not in FORMATS:
        raise UnknownFormat(f"unknown prompt format {name!r} — choose one of: "
                            + ", ".join(FORMATS))
    return FORMATS[name]()


#: UI-TARS v1's released checkpoints: UI-TARS-2B-SFT, -7B-SFT, -7B-DPO, -72B-SFT, -72B-DPO.
_UITARS_V1 = re.compile(r"\b(2b|7b|72b)-(sft|dpo)\b")


def for_model(model_type: str | None = None, name: str = "") -> str:
    """The format a model was trained on, from its config's model_type and its name or path.

    A UI-TARS name without a version (``--model ui-tars``, as the deployment guide serves it)
    means 1.5, the current release; v1 is recognised by its released names or by a Qwen2-VL
    config. The policies print the choice at start; ``--format`` overrides it."""
    low = name.lower().replace("_", "-")
    if "ui-tars" in low or "uitars" in low:
        if model_type == "qwen2_vl" or (_UITARS_V1.search(low) and "1.5" not in low):
            return "uitars"
        return "uitars15"
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
