"""The contracts every layer shares: what a policy is given (Context, StepView) and what it
answers (Decision).

They live on the ground floor so that envs (a protocol reads the Context) and policies (which
fill the Decision) can both speak them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .coords import PIXELS, Frame
from .models import Action
from .space import ActionSpace


class EncodedImage(np.ndarray):
    """An H×W×3 screenshot that keeps the PNG bytes the device sent, so that nothing between
    the device and the disk encodes the frame again (the trajectory writes these bytes; a policy
    that sends the image at its own size sends them too). A slice or a copy is other pixels:
    it has no bytes (``png`` None)."""

    png: bytes | None

    @classmethod
    def of(cls, pixels: np.ndarray, png: bytes) -> EncodedImage:
        image = np.asarray(pixels).view(cls)
        image.png = png
        return image

    def __array_finalize__(self, obj: Any) -> None:
        self.png = None


def png_bytes(image: Any) -> bytes | None:
    """The PNG bytes a screenshot was decoded from, when it kept them (``EncodedImage``)."""
    png = getattr(image, "png", None)
    return png if isinstance(png, bytes) else None


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
    oracle_answer: Callable[[], str | None] | None = None
    protocol: Any = None  # an actions.protocol.Protocol the env is evaluated under, or None
    # The episode's seed where the run has one: a sampling policy draws from (its seed, this,
    # the task, the step), so an episode repeats whatever ran before it (episodes at once)
    seed: int | None = None


class Decision(BaseModel):
    """A policy's answer: the calls (project actions, in ``frame``) and how it came to them."""

    raw: str = ""
    thought: str = ""
    calls: list[dict[str, Any]] = Field(default_factory=list)
    frame: Frame = PIXELS
    error: str | None = None  # a parse error the agent should feed back
    done: bool = False  # the policy has nothing more to do (e.g. a replay file ran out)
    # The model request itself failed (a server that gave up after its own retries): no model
    # output to correct, so the decision step does not ask again.
    request_failed: bool = False
    timings: dict[str, float] = Field(default_factory=dict)
