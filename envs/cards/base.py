"""What the four RL4VLM card games share: token actions, the observation, the episode bookkeeping.

An action is one of the game's tokens, serialised as ``{"action": TOKEN}`` ("+", "hit", "7").
``step`` accepts the Action, its dict, or the bare token string. Every game ends an episode after
300 steps at the latest (gym_cards registers them with ``max_episode_steps=300``), and an episode
is a success when its summed reward is > 0 (RL4VLM's criterion); ``info["success"]`` says so once
the episode has ended and is None before.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import gymnasium
import numpy as np
from pydantic import create_model

from vagent.actions import Action, ActionSpace
from vagent.actions.errors import VagentError

from ..base import Env, observation_space
from ..draw import to_array

SIZE = 300
MAX_EPISODE_STEPS = 300


class CardOptionError(VagentError, ValueError):
    """``reset(options=...)`` asked for a state the game cannot be in."""


def token_actions(game: str, tokens: dict[str, str]) -> list[type[Action]]:
    """One Action model per token (``{"action": token}``), documented by ``tokens[token]``."""
    models = []
    for token, doc in tokens.items():
        name = "".join(c for c in f"{game}_{token}" if c.isalnum() or c == "_")
        model = create_model(  # type: ignore[call-overload]
            f"{name}_{len(models)}", __base__=Action, __doc__=doc,
            action=(Literal[token], token))
        models.append(model)
    return models


class CardEnv(Env):
    """Base of the card games. Subclasses set ``game``, ``TOKENS`` and implement the rules."""

    game: ClassVar[str] = "card"
    TOKENS: ClassVar[dict[str, str]] = {}
    screen_size = (SIZE, SIZE)
    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, render_mode: str | None = "rgb_array", thoughts: bool | str = True,
                 strict: bool | str = False):
        from .protocol import CardProtocol

        self.render_mode = render_mode
        self.action_space = ActionSpace(self.game, token_actions(self.game, self.TOKENS))
        self.observation_space = observation_space(SIZE, SIZE)
        self.protocol = CardProtocol(self.game, thoughts=_flag(thoughts), strict=_flag(strict))
        self.steps = 0
        self.total_reward = 0.0
        self.done = False
        self.reset()  # a dealt game from the start, as gym_cards' envs are (subclasses set
        # their own attributes before calling this __init__)

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        # The protocol's random fallback draws from its own stream, seeded from this episode's.
        self.protocol.reseed(int(self.np_random.integers(2**63 - 1)))
        self.steps, self.total_reward, self.done = 0, 0.0, False
        self._deal(options or {})
        return self._observe(), self._info()

    def step(self, action: Action | dict[str, Any] | str):
        token = self.coerce(action).action
        if self.done:
            raise gymnasium.error.ResetNeeded("the episode has ended — call reset()")
        self.steps += 1
        reward, terminated, truncated = self._play(token)
        if not (terminated or truncated) and self.steps >= MAX_EPISODE_STEPS:
            truncated = True
        self.total_reward += reward
        self.done = terminated or truncated
        return self._observe(), float(reward), terminated, truncated, self._info()

    def coerce(self, action: Action | dict[str, Any] | str) -> Action:
        if isinstance(action, str) and action in self.action_space.models:
            action = {"action": action}
        return self.action_space.validate(action)

    # -- what subclasses provide ----------------------------------------------------------------
    def _deal(self, options: dict[str, Any]) -> None:
        raise NotImplementedError

    def _play(self, token: str) -> tuple[float, bool, bool]:
        raise NotImplementedError

    def _draw(self) -> Any:  # a PIL image
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """The game state in plain values (info, trajectories, oracle answers)."""
        raise NotImplementedError

    def observation_text(self) -> str:
        """The text beside the image: only what RL4VLM's prompt also tells the model."""
        return ""

    # -- shared ---------------------------------------------------------------------------------
    def _observe(self) -> dict[str, Any]:
        self._last_obs = {"screenshot": to_array(self._draw()), "text": self.observation_text()}
        return self._last_obs

    def _info(self) -> dict[str, Any]:
        return {**self.state(), "return": self.total_reward, "steps": self.steps,
                "success": (self.total_reward > 0) if self.done else None}

    def oracle_answer(self) -> str | None:
        """The oracle's next move written as a model answer under this env's protocol."""
        action = self.oracle_action()
        return self.protocol.render(action.action if action else "",
                                    {**self.state(), **self.oracle_facts()})

    def oracle_facts(self) -> dict[str, Any]:
        """What the oracle knows beyond the visible state (its plan), for its answers."""
        return {}


def _flag(value: bool | str) -> bool:
    """Env options may come from the command line as strings."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def ranks_option(options: dict[str, Any], key: str, count: int | None = None,
                 at_least: int = 1) -> list[int] | None:
    """``options[key]`` as a list of ranks 1..13, or None when absent; raises when malformed."""
    if options.get(key) is None:
        return None
    ranks = options[key]
    if not isinstance(ranks, (list, tuple)) or not all(
            isinstance(r, (int, np.integer)) and not isinstance(r, bool) and 1 <= r <= 13
            for r in ranks):
        raise CardOptionError(f"options[{key!r}] must be a list of card ranks 1..13 "
                              f"(1 = A, 11..13 = J, Q, K), got {ranks!r}")
    if count is not None and len(ranks) != count:
        raise CardOptionError(f"options[{key!r}] must hold {count} ranks, got {len(ranks)}")
    if len(ranks) < at_least:
        raise CardOptionError(f"options[{key!r}] must hold at least {at_least} ranks")
    return [int(r) for r in ranks]
