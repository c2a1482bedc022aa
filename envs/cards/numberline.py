"""NumberLine (RL4VLM): move the current number to the target with "-" and "+".

Rules as in gym_cards: positions 0..5; start and goal uniform, and when they are equal the goal
becomes (goal + 1) mod 5. "-" at 0 and "+" at 5 do not move. Reward +1 (and the end) on reaching
the goal, −1 when the distance did not shrink, 0 otherwise; truncated after 2 × 5 steps.
"""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from vagent.actions import Action

from ..draw import font
from .base import SIZE, CardEnv, CardOptionError


class NumberLineEnv(CardEnv):
    """300×300 white image with "Target: g" and "Current: c"; actions "-" and "+"."""

    game = "numberline"
    TOKENS = {"-": "Subtract one from the current number.", "+": "Add one to the current number."}

    def __init__(self, max_position: int | str = 5, **kwargs: Any):
        self.max_position = int(max_position)
        self.current = self.target = 0
        super().__init__(**kwargs)

    def _deal(self, options: dict[str, Any]) -> None:
        if "current" in options or "target" in options:
            current, target = options.get("current"), options.get("target")
            for key, v in (("current", current), ("target", target)):
                if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= self.max_position:
                    raise CardOptionError(f"options[{key!r}] must be an integer 0..{self.max_position}"
                                          f" (give both current and target), got {v!r}")
            if current == target:
                raise CardOptionError("options 'current' and 'target' must differ")
            self.current, self.target = current, target
            return
        rng = self.np_random
        self.current = int(rng.integers(self.max_position + 1))
        self.target = int(rng.integers(self.max_position + 1))
        if self.current == self.target:
            self.target = (self.target + 1) % self.max_position  # as released: mod 5, not 6

    def _play(self, token: str) -> tuple[float, bool, bool]:
        before = abs(self.current - self.target)
        if token == "-" and self.current > 0:
            self.current -= 1
        elif token == "+" and self.current < self.max_position:
            self.current += 1
        after = abs(self.current - self.target)
        if after == 0:
            return 1.0, True, False
        reward = -1.0 if after >= before else 0.0
        return reward, False, self.steps >= 2 * self.max_position

    def oracle_action(self) -> Action | None:
        token = "+" if self.current < self.target else "-"
        return self.action_space.validate({"action": token})

    def state(self) -> dict[str, Any]:
        return {"current": self.current, "target": self.target}

    def _draw(self) -> Image.Image:
        img = Image.new("RGB", (SIZE, SIZE), "white")
        d = ImageDraw.Draw(img)
        big = font(36, bold=True)
        d.text((30, 60), f"Target: {self.target}", fill="black", font=big)
        d.text((30, 180), f"Current: {self.current}", fill="black", font=big)
        return img
