"""Policies: ``act(context) -> Decision``. ``policies.make(name, **options)`` creates one."""

from .base import Context, Decision, Policy, StepView
from .registry import UnknownPolicy, make, names, register

__all__ = ["Context", "Decision", "Policy", "StepView", "UnknownPolicy", "make", "names",
           "register"]
