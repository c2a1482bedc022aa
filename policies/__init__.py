"""Policies: ``act(context) -> Decision``. ``policies.make(name, **options)`` creates one."""

from .base import Context, Decision, Policy, StepView
from .protocol import Part, Protocol
from .registry import UnknownPolicy, make, names, register

__all__ = ["Context", "Decision", "Part", "Policy", "Protocol", "StepView", "UnknownPolicy", "make", "names",
           "register"]
