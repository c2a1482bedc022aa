"""Points24 (RL4VLM): four cards, reach 24 with + - * / and parentheses (face cards count 10).

Four ranks uniform in 1..13, so not every deal is solvable; ``info["solvable"]`` says whether
one is (exact arithmetic) and ``info["rewardable"]`` whether some formula also passes the env's
float evaluation (3 3 8 8 is solvable, 8/(3-8/3), but Python's floats make it 23.999...).
Tokens: "1".."10", "+", "-", "*", "/", "(", ")", "="; a formula longer than 20 tokens truncates.
"""

from __future__ import annotations

from typing import ClassVar

from .formula import FormulaEnv


class Points24Env(FormulaEnv):
    game = "points24"
    n_cards = 4
    target = 24
    max_formula = 20
    OPERATORS: ClassVar[tuple[str, ...]] = ("+", "-", "*", "/", "(", ")", "=")
    TOKENS = {**{str(n): f"Append the number {n} (a card's value) to the formula."
                 for n in range(1, 11)},
              **{op: f"Append {op} to the formula." for op in ("+", "-", "*", "/", "(", ")")},
              "=": "Finish: the formula is evaluated (it must use all four cards and equal 24)."}

    def _random_ranks(self) -> list[int]:
        return [int(r) for r in self.np_random.integers(1, 14, size=4)]
