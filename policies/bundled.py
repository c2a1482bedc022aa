"""The project's own tiny Qwen2-VL model, shipped in the package: the default policy.

``--policy tiny`` is the ``qwen-vl`` policy with the bundled checkpoint
(``policies/bundled/tiny-qwen2vl``) and the settings it was trained with (one screenshot, the
current one; its processor's min/max pixels; its own short system prompt; short answers).
Everything else — the model class, chat template, prompt format, parser — is the ``qwen-vl``
path, unchanged. Under a card game's protocol (``vagent eval cards``) the protocol's prompt is
used, as for any model.

The recipe that trains it (``make train-tiny``; sizes, export settings, install) is
``training.bundled``; this module keeps what the policy itself needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError

from .qwen_local import QwenLocalPolicy

BUNDLED = Path(__file__).parent / "bundled" / "tiny-qwen2vl"

#: The bundled model's own system prompt. A model trained from scratch learns the call format
#: from its examples, not from a description; the qwen2vl prompt's tool schema (about a thousand
#: tokens, the same in every sample) would only make each step four times as long to train.
SYSTEM = ("You operate an Android phone for the user, one action per turn. Answer with\n"
          "✿FUNCTION✿: mobile_use\n✿ARGS✿: a JSON object with the action\n"
          "Points are box tokens (x,y) in [0,1000) of the screenshot.")
#: The prompt layout it was trained on: the project's own (not Qwen-Agent's), frozen.
FORMAT = "vagent-tiny"
#: What the policy uses with the bundled model (the export used the same).
# constrain: decoding held to the call grammar (or a protocol's answer schema) — measured on
# 100 held-out phone episodes and 100 NumberLine games, every answer is the same as without it
# (docs/performance.md), so it costs the model nothing and guarantees a parsable answer.
DEFAULTS: dict[str, Any] = {"keep_images": 1, "max_new_tokens": 96, "context_tokens": 4096,
                            "system": SYSTEM, "format": FORMAT, "constrain": True}


class BundledPolicy(QwenLocalPolicy):
    """``qwen-vl`` with the bundled checkpoint and its training settings as defaults."""

    name = "tiny"

    def __init__(self, **options: Any):
        model = options.get("model") or str(BUNDLED)
        if not options.get("model") and not (BUNDLED / "config.json").exists():
            raise VagentError(f"the bundled model is missing from {BUNDLED} — reinstall vagent "
                              "or run 'make train-tiny'")
        super().__init__(**{**DEFAULTS, **options, "model": model})
        self.name = "tiny"


__all__ = ["BUNDLED", "DEFAULTS", "FORMAT", "SYSTEM", "BundledPolicy"]
