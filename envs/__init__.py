"""Environments (gymnasium.Env) that the agent drives. ``envs.make(name)`` creates one.

The names below are imported on first use, so that importing this package (gymnasium's plugin
hook, ``envs/plugin.py``, lives in it) imports neither gymnasium nor the rest of vagent.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module that defines it
_NAMES: dict[str, str] = {
    **dict.fromkeys(("Env", "EnvError", "observation_space"), "base"),
    **dict.fromkeys(("UnknownEnv", "description", "gym_id", "make", "names", "register",
                     "register_all", "spec"), "registry"),
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
