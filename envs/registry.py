"""``envs.make(name, **kw)`` and the gymnasium registration under ``vagent/``.

Entry points are "module:Class" strings so that listing envs imports nothing heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import gymnasium

from actions.errors import VagentError


class UnknownEnv(VagentError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass
class EnvSpec:
    name: str
    entry_point: str
    description: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, EnvSpec] = {}


def register(name: str, entry_point: str, description: str = "",
             gym_id: str | None = None, **kwargs: Any) -> None:
    """Register an env under ``name`` (for ``envs.make``) and ``vagent/<gym_id or name>``."""
    _REGISTRY[name] = EnvSpec(name, entry_point, description, kwargs)
    gid = f"vagent/{gym_id or name}"
    if gid not in gymnasium.registry:
        gymnasium.register(id=gid, entry_point=entry_point, kwargs=kwargs)


def spec(name: str) -> EnvSpec:
    if name not in _REGISTRY:
        raise UnknownEnv(f"unknown env {name!r} — choose one of: {', '.join(names())}")
    return _REGISTRY[name]


def names() -> list[str]:
    return sorted(_REGISTRY)


def load(entry_point: str) -> Any:
    module, _, attr = entry_point.partition(":")
    return getattr(importlib.import_module(module), attr)


def make(name: str, **kwargs: Any) -> Any:
    """Create a registered env; keyword arguments override the registered defaults."""
    s = spec(name)
    return load(s.entry_point)(**{**s.kwargs, **kwargs})
