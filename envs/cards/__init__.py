"""The RL4VLM card games (NumberLine, Blackjack, EZPoints, Points24) as vagent envs.

Each is a gymnasium env with 300×300 RGB observations drawn by the project, a text action space
of the game's tokens, RL4VLM's prompt/projection as ``env.protocol``, and an oracle.
"""

from .base import MAX_EPISODE_STEPS, CardEnv, CardOptionError
from .blackjack import BlackjackEnv
from .ezpoints import EZPointsEnv
from .numberline import NumberLineEnv
from .points24 import Points24Env

GAMES: dict[str, type[CardEnv]] = {
    "numberline": NumberLineEnv,
    "blackjack": BlackjackEnv,
    "ezpoints": EZPointsEnv,
    "points24": Points24Env,
}

#: The task each game is played under (RL4VLM gives one per game); evaluation and training data
#: both read it from here.
TASKS: dict[str, str] = {
    "numberline": "NumberLine: move the current number to the target",
    "blackjack": "Blackjack: beat the dealer",
    "ezpoints": "EZPoints: write a formula with both cards that equals 12",
    "points24": "Points24: write a formula with all four cards that equals 24",
}

__all__ = ["GAMES", "MAX_EPISODE_STEPS", "TASKS", "BlackjackEnv", "CardEnv", "CardOptionError",
           "EZPointsEnv", "NumberLineEnv", "Points24Env"]
