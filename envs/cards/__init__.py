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

__all__ = ["GAMES", "MAX_EPISODE_STEPS", "BlackjackEnv", "CardEnv", "CardOptionError",
           "EZPointsEnv", "NumberLineEnv", "Points24Env"]
