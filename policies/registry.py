"""``policies.make(name, **options)``: policies by name, imported only when made."""

from __future__ import annotations

import importlib
from typing import Any

from vagent.actions.errors import VagentError

from .base import Policy

_REGISTRY: dict[str, tuple[str, str]] = {}


class UnknownPolicy(VagentError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def register(name: str, entry_point: str, description: str = "") -> None:
    _REGISTRY[name] = (entry_point, description)


def names() -> list[str]:
    return sorted(_REGISTRY)


def describe(name: str) -> str:
    return _REGISTRY[name][1]


def make(name: str, **options: Any) -> Policy:
    """Create a policy; options that are None are left out so the policy's defaults hold."""
    if name not in _REGISTRY:
        raise UnknownPolicy(f"unknown policy {name!r} — choose one of: {', '.join(names())}")
    module, _, attr = _REGISTRY[name][0].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls(**{k: v for k, v in options.items() if v is not None})


register("replay", "vagent.policies.simple:ReplayPolicy", "plays a JSON/JSONL file of pixel actions")
register("random", "vagent.policies.simple:RandomPolicy", "samples the env's action space")
register("oracle", "vagent.policies.simple:OraclePolicy", "the env's own planner (an upper bound)")
register("qwen-vl", "vagent.policies.qwen_local:QwenLocalPolicy",
         "Qwen2-VL / Qwen2.5-VL run locally with transformers (--model DIR_OR_HUB_ID)")
register("openai", "vagent.policies.openai_policy:OpenAIPolicy",
         "an OpenAI-compatible endpoint: vLLM, DashScope, OpenAI (--api-base URL --model NAME)")
register("tiny", "vagent.policies.bundled:BundledPolicy",
         "the bundled tiny Qwen2-VL model (trained by 'make train-tiny'), CPU-friendly")
