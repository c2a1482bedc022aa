"""RL4VLM's evaluation protocol for the card games: its prompts and its text-to-action rule.

The prompts are RL4VLM's (``VLM_PPO/a2c_ppo_acktr/rl_utils.py``) character for character, typos
and stray backslashes included, with and without the thought fields, so that numbers stay
comparable with the paper's. The user message is the image, then the prompt.

Reading the answer uses ``actions.parsing.rl4vlm.project``. When it does not find exactly one
legal token, RL4VLM plays a uniformly random legal action — ``strict=False`` does the same (from
a stream seeded by the env's reset, so runs repeat); ``strict=True`` raises a ParseError
instead, which the benchmark records as a failed episode. ``log`` keeps, per episode, under which
rule each answer became an action: "unique", "random" or "failure".
"""

from __future__ import annotations

import json
import random
import re
from typing import TYPE_CHECKING, Any

from vagent.actions.errors import ParseError
from vagent.actions.parsing.base import Parsed
from vagent.actions.parsing.rl4vlm import project
from vagent.actions.protocol import Part, Protocol

if TYPE_CHECKING:
    from vagent.actions.context import Context

TOKENS: dict[str, list[str]] = {
    "numberline": ["-", "+"],
    "blackjack": ["stand", "hit"],
    "ezpoints": [*(str(n) for n in range(1, 11)), "+", "*", "="],
    "points24": [*(str(n) for n in range(1, 11)), "+", "-", "*", "/", "(", ")", "="],
}
FORMULA_PREFIX = "Current formula: "  # how the formula games' observation text starts
BS = "\\"  # RL4VLM's prompts carry a literal backslash before two braces


def prompt_text(game: str, thoughts: bool = True, formula: str = "") -> str:
    """RL4VLM's prompt for ``game``; ``formula`` is the formula so far (points games)."""
    if game == "numberline":
        qs = ("You are playing a game called number line. You will see a target number and a "
              "current number in the image. And your goal is to move the current number closer "
              "to the target by choosing either adding or subtracting one to the current number. "
              "Your response should be a valid json file in the following format: \n{\n ")
        if thoughts:
            qs += ('"current number": "x", \n"target number": "x", \n"thoughts": "{first read '
                   'out the current and target number, then think carefully about which action '
                   'to choose}", \n')
        return qs + '"action": "-" or "+" \n}'
    if game == "blackjack":
        qs = ("You are a blackjack player. You are observing the current game state, you can "
              "choose between ['stand', 'hit']. Your response should be a valid json file in the "
              "following format: \n{\n ")
        if thoughts:
            qs += ('"thoughts": "{first describe your total points and the dealer\'s total points '
                   'then think about which action to choose}", \n')
        return qs + '"action": "stand" or "hit" \n}'
    if game in ("ezpoints", "points24"):
        ez = game == "ezpoints"
        choices = ", ".join(f"'{t}'" for t in TOKENS[game])
        target = 12 if ez else 24
        qs = ("You are an expert card game player. You are observing two cards in the image. "
              if ez else "You are an expert 24 points card game player. You are observing thee "
              "four cards in the image. ")
        qs += (f"You are observing the current formula: {formula}. "
               f"You can choose between [{choices}]. "
               "The number or operator you choose will be appended to the current formula. "
               "Note that 'J', 'Q', and 'K' count as '10'. "
               f"Your goal is to output a formula that evaluates to {target}, and each number "
               "can only be used once. "
               f"Your response should be a valid json file in the following format: {BS}{{\n")
        if thoughts:
            qs += ' "cards": [x, y], \n' if ez else ' "cards": [x, y, z, w], \n'
            qs += f'"current formula": {formula}, \n'
            if ez:
                qs += ("\"thoughts\": {First check whether the current formula 'z' is complete. "
                       "If the current formula 'z' is complete, output '='. ")
            else:
                qs += ('"thoughts": {First check whether the current formula equals 24. '
                       "If the current formula equals 24, output '='. ")
            qs += ("Otherwise consider which number or operator should be appended to the "
                   f"current formula to make it equal {target}.}} \n")
        return qs + f'"action": "{{number}}" or "{{operator}}" \n {BS}}}'
    raise ValueError(f"unknown card game {game!r}")


_THOUGHTS = re.compile(r'"thoughts"\s*:\s*"?(.*?)"?\s*,?\s*\n?\s*"action"', re.S | re.I)


class CardProtocol(Protocol):
    """RL4VLM's prompt and projection for one game (``thoughts``: the chain-of-thought prompt)."""

    system = None

    def __init__(self, game: str, thoughts: bool = True, strict: bool = False,
                 seed: int | None = None):
        if game not in TOKENS:
            raise ValueError(f"unknown card game {game!r} — one of {', '.join(TOKENS)}")
        self.game = game
        self.thoughts = thoughts
        self.strict = strict
        self.tokens = TOKENS[game]
        self.rng = random.Random(seed)
        self.log: list[dict[str, Any]] = []

    @property
    def name(self) -> str:  # type: ignore[override]
        return "rl4vlm"

    @property
    def rule(self) -> str:
        """The projection rule numbers are obtained under."""
        return "rl4vlm-strict" if self.strict else "rl4vlm"

    def reseed(self, seed: int) -> None:
        """Start an episode: a fresh fallback stream and an empty log."""
        self.rng = random.Random(seed)
        self.log = []

    # -- prompt ---------------------------------------------------------------------------------
    def prompt(self, context: Context) -> list[Part]:
        obs = context.observation
        text = str(obs.get("text") or "")
        formula = text[len(FORMULA_PREFIX):] if text.startswith(FORMULA_PREFIX) else ""
        parts: list[Part] = []
        if obs.get("screenshot") is not None:
            parts.append(obs["screenshot"])
        parts.append(prompt_text(self.game, self.thoughts, formula))
        return parts

    # -- parse ----------------------------------------------------------------------------------
    def parse(self, text: str) -> Parsed:
        """The one action the answer names; else a random one (RL4VLM) or a ParseError (strict)."""
        proj = project(text, self.tokens, ten_first=self.game in ("ezpoints", "points24"))
        m = _THOUGHTS.search(text) if isinstance(text, str) else None
        thought = m.group(1).strip() if m else ""
        token = proj.action
        if token is not None:
            rule = "unique"
        elif self.strict:
            self.log.append({"rule": "failure", "matched": proj.matched})
            raise ParseError(f"{proj.problem} — strict RL4VLM projection records a failure",
                             text=text if isinstance(text, str) else None)
        else:
            token, rule = self.rng.choice(self.tokens), "random"
        self.log.append({"rule": rule, "matched": proj.matched})
        return Parsed(thought=thought, calls=[{"action": token}], format=self.rule)

    def fallback(self, reason: str) -> str | None:
        """What to play when a policy gave no usable answer at all: RL4VLM's random action
        (logged), or None in strict mode (also logged, as a failure)."""
        if self.strict:
            self.log.append({"rule": "failure", "matched": [], "reason": reason})
            return None
        self.log.append({"rule": "random", "matched": [], "reason": reason})
        return self.rng.choice(self.tokens)

    def answer_grammar(self) -> dict[str, Any]:
        """RL4VLM's JSON answer as a schema: the prompt's fields in its order (bounded), then
        one of the game's actions."""
        text: dict[str, Any] = {"type": "string", "maxLength": 160}
        fields: dict[str, Any] = {}
        if self.thoughts:
            fields = {"numberline": {"current number": text, "target number": text,
                                     "thoughts": text},
                      "blackjack": {"thoughts": text}}.get(self.game) or {
                "cards": {"type": "array", "items": {"type": "string", "maxLength": 2},
                          "maxItems": 4},
                "current formula": {"type": "string", "maxLength": 40}, "thoughts": text}
        fields["action"] = {"enum": list(self.tokens)}
        return {"type": "object", "properties": fields, "required": list(fields),
                "additionalProperties": False}

    # -- answers in this protocol's format (oracle demonstrations) -------------------------------
    def render(self, token: str, state: dict[str, Any]) -> str:
        """An answer a model following this prompt would write for ``token`` in ``state``:
        RL4VLM's JSON layout, with thoughts that state the facts behind the move."""
        fields: dict[str, Any] = {}
        if self.thoughts:
            fields.update(self._thought_fields(token, state))
        fields["action"] = token
        return json.dumps(fields, ensure_ascii=False)

    def _thought_fields(self, token: str, s: dict[str, Any]) -> dict[str, Any]:
        if self.game == "numberline":
            c, t = s["current"], s["target"]
            rel = "smaller" if c < t else "larger"
            move = "add one" if token == "+" else "subtract one"
            return {"current number": str(c), "target number": str(t),
                    "thoughts": f"The current number is {c} and the target is {t}. {c} is {rel}"
                                f" than {t}, so I {move}."}
        if self.game == "blackjack":
            soft = " (soft)" if s.get("soft") else ""
            why = "stand" if token == "stand" else "hit"
            return {"thoughts": f"My total is {s['player_total']}{soft}. The dealer shows "
                                f"{s['dealer_up'][:-1]}, worth {s['dealer_up_value']}. Basic "
                                f"strategy says {why}."}
        cards = [c[:-1] for c in s["cards"]]
        formula, plan = s["formula"], s.get("plan")
        target = 12 if self.game == "ezpoints" else 24
        if token == "=":
            why = (f"The formula {formula} is complete, so I output '='." if plan else
                   f"No formula with these cards reaches {target}, so I stop.")
        else:
            why = f"{plan} = {target}. " if plan else ""
            why += f"The current formula is '{formula}', so I append {token}." if formula else \
                f"The formula is empty, so I append {token}."
        return {"cards": cards, "current formula": formula, "thoughts": why}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "game": self.game, "thoughts": self.thoughts,
                "projection": self.rule}
