"""Policies: ``act(context) -> Decision``. ``policies.make(name, **options)`` creates one."""

from vagent.actions.context import Context, Decision, StepView
from vagent.actions.protocol import Part, Protocol

from .base import Policy
from .registry import UnknownPolicy, make, names, register

__all__ = ["Context", "Decision", "Part", "Policy", "Protocol", "StepView", "UnknownPolicy",
           "make", "names", "register"]
