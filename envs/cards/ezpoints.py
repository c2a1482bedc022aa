"""EZPoints (RL4VLM): two cards, reach 12 with "+" and "*" (face cards count 10).

The deal as in gym_cards: the first card's rank is uniform in 2..13; the second card's value
makes the sum 12 or, with probability 1/2 when the first value is 1, 2, 3, 4 or 6, the product;
then the two are swapped with probability 1/2. Every random deal is solvable. Tokens: "1".."10",
"+", "*", "="; a formula longer than 5 tokens truncates the episode.
"""

from __future__ import annotations

from typing import ClassVar

from .faces import value
from .formula import FormulaEnv


class EZPointsEnv(FormulaEnv):
    game = "ezpoints"
    n_cards = 2
    target = 12
    max_formula = 5
    OPERATORS: ClassVar[tuple[str, ...]] = ("+", "*", "=")
    TOKENS = {**{str(n): f"Append the number {n} (a card's value) to the formula."
                 for n in range(1, 11)},
              "+": "Append + to the formula.", "*": "Append * to the formula.",
              "=": "Finish: the formula is evaluated (it must use both cards and equal 12)."}

    def _random_ranks(self) -> list[int]:
        rng = self.np_random
        first = int(rng.integers(2, 14))
        v = value(first)
        if v in (1, 2, 3, 4, 6) and rng.random() <= 0.5:
            second = 12 // v
        else:
            second = 12 - v
        ranks = [first, second]  # a second card of value 10 is a ten, as in gym_cards
        return ranks[::-1] if rng.random() <= 0.5 else ranks
