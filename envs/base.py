"""The Env contract: a gymnasium.Env whose observation is ``{"screenshot", "text"}`` and whose
action space is an ``actions.ActionSpace``.

``step`` accepts an Action, its dict, or a JSON string; the space validates it. An env that
knows how to check a task puts ``success`` in ``info``; one that can plan puts the next correct
action behind ``oracle_action()`` (used by the ``oracle`` policy, training data and tests).
What the agent reads of an env beyond gymnasium's API is declared here, with the defaults of an
env that has none of it: ``screen_size``, ``protocol``, ``oracle_action()``, ``oracle_answer()``.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from vagent.actions import Action, ActionSpace
from vagent.actions.errors import VagentError
from vagent.actions.protocol import Protocol


class EnvError(VagentError, RuntimeError):
    """An env that cannot start or lost its device; the message says what to do."""


class Env(gymnasium.Env):
    """Base of vagent's environments. Subclasses set ``action_space`` and ``screen_size``."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"]}
    action_space: ActionSpace
    #: (width, height) of the screen in pixels, or None for envs without one.
    screen_size: tuple[int, int] | None = None
    #: The paper's protocol the env is evaluated under (prompt and answer parser: RL4VLM's card
    #: games, ALFRED, VLN), which model policies then use instead of their own format; or None.
    protocol: Protocol | None = None

    def coerce(self, action: Action | dict[str, Any] | str) -> Action:
        """Validate what a caller passed to ``step`` into an Action of this env's space."""
        return self.action_space.validate(action)

    def oracle_action(self) -> Action | None:
        """The next action a perfect agent would take, where the env can say; else None."""
        return None

    def oracle_answer(self) -> str | None:
        """The oracle's next action written as a model's answer under ``protocol`` (the target
        of training data), where the env can write one; else None (the action's JSON is used)."""
        return None

    def render(self) -> np.ndarray | None:  # gymnasium's rgb_array mode
        obs = getattr(self, "_last_obs", None)
        return None if obs is None else obs.get("screenshot")


class AnyText(gymnasium.spaces.Space):
    """Any Python string. gymnasium's Text space only admits a fixed alphabet (no spaces or
    punctuation by default), which observation texts and typed unicode always break."""

    def __init__(self, max_length: int = 1_000_000, seed: int | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)
        self.max_length = max_length

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        return "".join(chr(c) for c in self.np_random.integers(32, 127, size=8))

    @property
    def is_np_flattenable(self) -> bool:
        return False


def observation_space(width: int | None, height: int | None) -> gymnasium.spaces.Dict:
    """The observation space of a screen env: an RGB image (or None) and a text."""
    shape = (height, width, 3) if width and height else (1, 1, 3)
    return gymnasium.spaces.Dict({
        "screenshot": gymnasium.spaces.Box(0, 255, shape=shape, dtype=np.uint8),
        "text": AnyText(),
    })
