"""Policies: ``act(context) -> Decision``. ``policies.make(name, **options)`` creates one.

The names below are imported on first use, so that ``vagent parse`` can reach the prompt formats
(``vagent.policies.formats``) without the Context's ActionSpace, whose gymnasium base pulls in
numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE: dict[str, str] = {
    **dict.fromkeys(("Context", "Decision", "StepView"), "vagent.actions.context"),
    **dict.fromkeys(("Part", "Protocol"), "vagent.actions.protocol"),
    "Policy": "vagent.policies.base",
    **dict.fromkeys(("UnknownPolicy", "make", "names", "register"), "vagent.policies.registry"),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


if TYPE_CHECKING:  # what type checkers and editors see
    from vagent.actions.context import Context, Decision, StepView
    from vagent.actions.protocol import Part, Protocol

    from .base import Policy
    from .registry import UnknownPolicy, make, names, register
