"""vagent — visual agents driven by vision-language models of the Qwen2-VL family.

The public API, imported lazily so that ``import vagent`` (and the CLI, which lives under it)
stays cheap until a name is used::

    import vagent
    env = vagent.make_env("android-sim")
    policy = vagent.make_policy("oracle")
    trajectory = vagent.Agent(policy, env, out="runs/x").run("open the clock app")

The floors (each imports only those below it): ``vagent.actions`` (actions, spaces, parsers,
coordinate frames and the shared contracts) → ``vagent.envs`` | ``vagent.policies`` →
``vagent.agent`` (the loop, trajectories) → ``vagent.benchmarks`` | ``vagent.training`` →
``vagent.cli``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module, attribute)
_API: dict[str, tuple[str, str]] = {
    "Action": ("vagent.actions", "Action"),
    "ActionSpace": ("vagent.actions", "ActionSpace"),
    "Context": ("vagent.actions.context", "Context"),
    "Decision": ("vagent.actions.context", "Decision"),
    "VagentError": ("vagent.actions.errors", "VagentError"),
    "Env": ("vagent.envs", "Env"),
    "make_env": ("vagent.envs", "make"),
    "Policy": ("vagent.policies", "Policy"),
    "make_policy": ("vagent.policies", "make"),
    "Agent": ("vagent.agent", "Agent"),
    "Trajectory": ("vagent.agent", "Trajectory"),
    "tool": ("vagent.actions", "tool"),
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'vagent' has no attribute {name!r}")
    module, attr = _API[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
