"""The Policy contract: ``act(context) -> Decision``.

A policy sees the task, the action space, the current observation and the previous steps, and
answers with calls in its own coordinate frame. Model policies own their prompt format, parser
and frame; the agent maps coordinates and executes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from actions import PIXELS, Action, ActionSpace, Frame


class StepView(BaseModel):
    """What a policy may know of a finished step (a subset of the trajectory record)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    step: int
    thought: str = ""
    raw: str = ""
    calls: list[dict[str, Any]] = Field(default_factory=list)
    action: dict[str, Any] | None = None
    tool_results: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    screenshot: Any = None  # H×W×3 array the model saw at that step, when kept in memory


class Context(BaseModel):
    """Everything a policy gets to decide one step."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    task: str
    space: ActionSpace
    observation: dict[str, Any]
    steps: list[StepView] = Field(default_factory=list)
    step: int = 0
    screen: tuple[int, int] | None = None  # (width, height) of the env's screen
    feedback: str | None = None  # the previous attempt's parse/validation error, to fix
    oracle: Callable[[], Action | None] | None = None  # the env's planner, where it has one
    # The planner's move written as a model answer under the env's protocol (training data)
    oracle_answer: Callable[[], str] | None = None
    protocol: Any = None  # a policies.protocol.Protocol the env is evaluated under, or None


class Decision(BaseModel):
    """A policy's answer: the calls (project actions, in ``frame``) and how it came to them."""

    raw: str = ""
    thought: str = ""
    calls: list[dict[str, Any]] = Field(default_factory=list)
    frame: Frame = PIXELS
    error: str | None = None  # a parse error the agent should feed back
    done: bool = False  # the policy has nothing more to do (e.g. a replay file ran out)
    timings: dict[str, float] = Field(default_factory=dict)


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
