"""The Policy contract: ``act(context) -> Decision``.

A policy sees the task, the action space, the current observation and the previous steps, and
answers with calls in its own coordinate frame. Model policies own their prompt format, parser
and frame; the agent maps coordinates and executes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from vagent.actions.context import Context, Decision, StepView


class Policy(ABC):
    """Base of all policies. ``name`` is what ``policies.make`` knows it by."""

    name: str = "policy"
    #: How many screenshots (the current one included) the policy shows its model; the agent
    #: keeps that many past screenshots in the Context.
    images_needed: int = 8

    def reset(self, task: str) -> None:
        """Called at the start of every episode."""

    @abstractmethod
    def act(self, context: Context) -> Decision:
        ...

    def describe(self) -> dict[str, Any]:
        """What the trajectory's meta records about the policy (never a secret)."""
        return {"name": self.name}

    def close(self) -> None:
        """Free models, connections."""
