"""RL4VLM's text-to-action projection for the card games (gym_cards), restated.

RL4VLM reads a model's answer like this: lower-case it, keep what follows the first
``"action":`` (when that key is missing, ``str.find`` gives -1 and only the LAST character is
kept — a quirk of the released code that this module keeps, because numbers must be comparable),
collect every legal token that occurs in that tail as a substring ("10" is looked for first in
the points games and removed, so that it does not also count as "1"), and take the action only
when exactly one token matched. Otherwise RL4VLM picks a uniformly random legal action; that
choice is the caller's (``envs.cards.protocol``), which can instead record a parse failure.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

ACTION_KEY = '"action":'


class Projection(BaseModel):
    """What the projection found: the tokens that matched, and the one action if unique."""

    tail: str
    matched: list[str]

    @property
    def action(self) -> str | None:
        return self.matched[0] if len(self.matched) == 1 else None

    @property
    def problem(self) -> str:
        """Why no action was taken, in words ('' when one was)."""
        if len(self.matched) == 1:
            return ""
        if not self.matched:
            where = "after \"action\":" if ACTION_KEY in self.tail else "in the answer's last character"
            return f"no legal action found {where}"
        return "ambiguous answer: it names " + ", ".join(repr(m) for m in self.matched)


def project(text: object, tokens: Sequence[str], ten_first: bool = False) -> Projection:
    """Project ``text`` onto ``tokens`` with RL4VLM's rule (``ten_first`` for the points games).

    ``matched`` keeps the tokens' order in ``tokens`` (RL4VLM dedups through a set; only the
    count matters for its decision).
    """
    if not isinstance(text, str):
        return Projection(tail="", matched=[])
    s = text.lower()
    s = s[s.find(ACTION_KEY):]  # -1 when missing: the last character only, as released
    tail = s
    found: set[str] = set()
    if ten_first and "10" in s:
        found.add("10")
        s = s.replace("10", "")
    for token in tokens:
        if token in s:
            found.add(token)
    return Projection(tail=tail, matched=[t for t in tokens if t in found])
