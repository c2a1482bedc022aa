"""gymnasium's plugin hook: vagent's envs are registered as soon as gymnasium is imported.

gymnasium 0.26–0.29 loaded the ``gymnasium.envs`` entry points at import (pyproject still
declares one for them); gymnasium 1.x no longer does. So the wheel (and an editable install)
also puts ``vagent-gymnasium.pth`` into site-packages. Python runs its one line at start-up: it
puts a finder object on ``sys.meta_path`` that does nothing (it imports neither gymnasium nor
vagent) until something imports ``gymnasium``. Then it calls ``find_spec`` here, which removes
the finder, lets the normal import machinery find gymnasium, and wraps its loader so that,
right after gymnasium's own module has run, ``vagent.envs.registry`` is imported (importing it
registers every env). A failure there is a warning, never a failed ``import gymnasium``.

This module imports nothing of gymnasium or vagent at import: it runs while gymnasium is being
found.
"""

from __future__ import annotations

import sys
import warnings
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

#: The file installed beside the package (setup.py writes it into the wheel from the repo root).
PTH = "vagent-gymnasium.pth"
REGISTRY = "vagent.envs.registry"


class _RegisteringLoader:
    """gymnasium's own loader, followed by vagent's registrations."""

    def __init__(self, loader: Any):
        self._loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...
        return getattr(self._loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register()


def register() -> None:
    """Import the registry (which registers vagent's envs), unless it is already imported —
    or being imported: then it is what imports gymnasium, and registers when it goes on."""
    if REGISTRY in sys.modules:
        return
    try:
        __import__(REGISTRY)
    except Exception as e:  # noqa: BLE001 — gymnasium must import whatever vagent's state
        warnings.warn(f"vagent: its envs are not registered with gymnasium ({e}) — "
                      "reinstall vagent, or import vagent.envs first", stacklevel=2)


def find_spec(hook: Any, name: str) -> ModuleSpec | None:
    """Called by the .pth's finder when ``name`` (gymnasium) is first imported."""
    from importlib.util import find_spec as real_find_spec

    if hook in sys.meta_path:
        sys.meta_path.remove(hook)  # gymnasium is imported once; the finder's work is done
    spec = real_find_spec(name)
    if spec is not None and spec.loader is not None:
        spec.loader = _RegisteringLoader(spec.loader)
    return spec


__all__ = ["PTH", "find_spec", "register"]
