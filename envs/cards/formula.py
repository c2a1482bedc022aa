"""The formula games (EZPoints, Points24): build a formula from the cards, token by token.

Rules as in gym_cards. Each step appends one token. Before anything else, a formula already
longer than ``max_formula`` tokens truncates the episode with −1. A number that is not an unused
card's value scores −1 and appends a blank placeholder (the episode goes on). "=" ends the
episode: +10 when the formula evaluates to the target AND every card was used, else −1.

gym_cards evaluates ``"".join(formula)`` with Python's ``eval``. ``evaluate`` gives the same
value by Python's own grammar and arithmetic (so "1" then "2" reads as 12, "**" is a power,
"//" floor division, "/" a float division — 8/(3-8/3) is 23.999999999999996, not 24), but
without ``eval``: it refuses a power too large to compute instead of hanging.

``solve`` searches every way of combining the cards with the game's binary operators and
parentheses, exactly (fractions), and keeps the formulas that also evaluate to the target the
way the env evaluates them: a deal is *solvable* when some formula reaches the target exactly,
and *rewardable* when one also passes the env's float evaluation.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from fractions import Fraction
from typing import Any, ClassVar

from PIL import Image, ImageDraw

from vagent.actions import Action

from ..draw import font
from .base import SIZE, CardEnv, ranks_option
from .faces import SUITS, Card, draw_card, label, table, value


class FormulaError(ValueError):
    """A formula Python would reject (syntax, division by zero, a complex or huge value)."""


_LEX = re.compile(r"\s*(?:(\d+)|(\*\*|//|[-+*/()]))")


def _lex(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _LEX.match(text, pos)
        if not m:
            raise FormulaError(f"invalid character at {pos}")
        out.append(m.group(1) or m.group(2))
        pos = m.end()
    return out


def evaluate(formula: str) -> int | float:
    """The value Python's ``eval`` gives ``formula`` (digits, + - * / ( ) and blanks)."""
    toks = _lex(formula)
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise FormulaError("unexpected end of formula")
        pos += 1
        return toks[pos - 1]

    def expr() -> Any:
        v = term()
        while peek() in ("+", "-"):
            op, r = take(), term()
            v = v + r if op == "+" else v - r
        return v

    def term() -> Any:
        v = factor()
        while peek() in ("*", "/", "//"):
            op, r = take(), factor()
            try:
                v = v * r if op == "*" else (v / r if op == "/" else v // r)
            except (ZeroDivisionError, OverflowError) as e:
                raise FormulaError(str(e)) from None
        return v

    def factor() -> Any:
        if peek() in ("+", "-"):
            op, v = take(), factor()
            return v if op == "+" else -v
        return power()

    def power() -> Any:
        base = atom()
        if peek() == "**":
            take()
            exp = factor()  # right-associative, and binds a unary minus on its right
            return _pow(base, exp)
        return base

    def atom() -> Any:
        t = take()
        if t.isdigit():
            if peek() is not None and peek().isdigit():  # type: ignore[union-attr]
                raise FormulaError("two numbers in a row")
            return int(t)
        if t == "(":
            if peek() == ")":
                raise FormulaError("empty parentheses")  # Python: a tuple, never a number
            v = expr()
            if take() != ")":
                raise FormulaError("unbalanced parentheses")
            return v
        raise FormulaError(f"unexpected {t!r}")

    value_ = expr()
    if pos != len(toks):
        raise FormulaError(f"unexpected {toks[pos]!r}")
    return value_


def _pow(base: Any, exp: Any) -> Any:
    if (isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1
            and exp * math.log10(abs(base)) > 10_000):
        raise FormulaError("power too large")  # Python would grind for ever; never the target
    try:
        out = base ** exp
    except (ZeroDivisionError, OverflowError) as e:
        raise FormulaError(str(e)) from None
    if isinstance(out, complex):
        raise FormulaError("complex value")  # (-8) ** (1/3) in Python: never the target
    return out


def reaches(formula: str, target: int) -> bool:
    """True when the env's evaluation of ``formula`` equals ``target``."""
    try:
        return evaluate(formula) == target
    except FormulaError:
        return False


# -- exhaustive search ---------------------------------------------------------------------------
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def _render(node: Any, full: bool) -> tuple[list[str], int]:
    """Tokens of an expression tree, with minimal (or full) parentheses, and its precedence."""
    if isinstance(node, int):
        return [str(node)], 3
    op, left, right = node
    lt, lp = _render(left, full)
    rt, rp = _render(right, full)
    p = _PREC[op]
    if full and lp < 3 or lp < p:
        lt = ["(", *lt, ")"]
    if full and rp < 3 or rp < p or (rp == p and op in "-/"):
        rt = ["(", *rt, ")"]
    return [*lt, op, *rt], p


def _trees(values: tuple[int, ...]) -> Any:
    if len(values) == 1:
        yield values[0]
        return
    for i in range(1, len(values)):
        for left in _trees(values[:i]):
            for right in _trees(values[i:]):
                yield (None, left, right)


def _with_ops(tree: Any, ops: tuple[str, ...]) -> Any:
    if isinstance(tree, int):
        yield tree
        return
    _, left, right = tree
    for lv in _with_ops(left, ops):
        for rv in _with_ops(right, ops):
            for op in ops:
                yield (op, lv, rv)


def _value(node: Any, leaf: Any = float) -> Any:
    """A formula tree's value with leaves as ``leaf`` (float to screen fast, Fraction to be
    exact; a division by zero raises ZeroDivisionError for the caller)."""
    if isinstance(node, int):
        return leaf(node)
    op, left, right = node
    a, b = _value(left, leaf), _value(right, leaf)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


@functools.lru_cache(maxsize=4096)
def solve(values: tuple[int, ...], target: int, ops: tuple[str, ...]
          ) -> tuple[bool, tuple[tuple[str, ...], ...]]:
    """(solvable, formulas): whether some formula over all ``values`` equals ``target`` exactly,
    and the token sequences of those that the env also rewards, best first (fewest tokens, no
    division, then alphabetical)."""
    solvable = False
    found: set[tuple[str, ...]] = set()
    for perm in set(itertools.permutations(values)):
        for shape in _trees(perm):
            for tree in _with_ops(shape, ops):
                try:
                    # floats first (fast); exact fractions only for the near misses
                    if abs(_value(tree) - target) > 1e-6 or _value(tree, Fraction) != target:
                        continue
                except ZeroDivisionError:
                    continue
                solvable = True
                for full in (False, True):
                    tokens = tuple(_render(tree, full)[0])
                    if reaches("".join(tokens), target):
                        found.add(tokens)
    ranked = sorted(found, key=lambda t: (len(t), "/" in t, t))
    return solvable, tuple(ranked)


# -- the env -------------------------------------------------------------------------------------
class FormulaEnv(CardEnv):
    """Cards side by side on the green table, and "Formula:" with the tokens so far."""

    n_cards: ClassVar[int] = 2
    target: ClassVar[int] = 12
    max_formula: ClassVar[int] = 5
    OPERATORS: ClassVar[tuple[str, ...]] = ("+", "*", "=")

    def __init__(self, **kwargs: Any):
        self.cards: list[Card] = []
        self.formula: list[str] = []
        self.used: list[int] = []
        super().__init__(**kwargs)

    @classmethod
    def numbers(cls) -> list[str]:
        return [str(n) for n in range(1, 11)]

    @property
    def values(self) -> list[int]:
        return [value(r) for r, _ in self.cards]

    def _deal(self, options: dict[str, Any]) -> None:
        ranks = ranks_option(options, "cards", count=self.n_cards)
        if ranks is None:
            ranks = self._random_ranks()
        self.cards = [(r, SUITS[int(self.np_random.integers(4))]) for r in ranks]
        self.formula, self.used = [], []
        self._plan = solve(tuple(sorted(self.values)), self.target, self._ops())

    def _random_ranks(self) -> list[int]:
        raise NotImplementedError

    def _ops(self) -> tuple[str, ...]:
        return tuple(o for o in self.OPERATORS if o in "+-*/")

    def _play(self, token: str) -> tuple[float, bool, bool]:
        if len(self.formula) > self.max_formula:
            return -1.0, False, True
        if token.isdigit():
            n = int(token)
            if self.used.count(n) + 1 > self.values.count(n):
                self.formula.append(" ")  # gym_cards' placeholder: the formula still grows
                return -1.0, False, False
            self.used.append(n)
        if token == "=":
            ok = reaches("".join(self.formula), self.target) and len(self.used) == self.n_cards
            return (10.0 if ok else -1.0), True, False
        self.formula.append(token)
        return 0.0, False, False

    @property
    def solvable(self) -> bool:
        return self._plan[0]

    @property
    def rewardable(self) -> bool:
        return bool(self._plan[1])

    def oracle_action(self) -> Action | None:
        """The next token of the best rewarded formula that extends the formula so far; "=" when
        the formula is complete, when the deal has no such formula (unsolvable: give up at once),
        or when earlier moves left every solution."""
        n = len(self.formula)
        for tokens in self._plan[1]:
            if list(tokens[:n]) == self.formula:
                nxt = tokens[n] if n < len(tokens) else "="
                return self.action_space.validate({"action": nxt})
        return self.action_space.validate({"action": "="})

    def oracle_facts(self) -> dict[str, Any]:
        n = len(self.formula)
        for tokens in self._plan[1]:
            if list(tokens[:n]) == self.formula:
                return {"plan": "".join(tokens)}
        return {}

    def formula_text(self) -> str:
        return "".join(self.formula)  # as RL4VLM's prompt writes it

    def observation_text(self) -> str:
        return f"Current formula: {self.formula_text()}"

    def state(self) -> dict[str, Any]:
        return {"cards": [label(r) + s for r, s in self.cards], "numbers": self.values,
                "formula": self.formula_text(), "solvable": self.solvable,
                "rewardable": self.rewardable}

    def _draw(self) -> Image.Image:
        img = table((SIZE, SIZE))
        n = len(self.cards)
        w = int(SIZE / n * 0.9)
        h = int(w * 7 / 5)
        top = (SIZE - h) // 2 - (10 if n > 2 else 20)
        for i, card in enumerate(self.cards):
            x = 5 + int(i * w * 1.1)
            draw_card(img, (x, top, x + w, top + h), card)
        d = ImageDraw.Draw(img)
        text = " ".join(self.formula)
        size = 20 if n == 2 else 16
        f = font(size)
        y = top + h + 12
        line = "Formula: "
        for tok in text.split(" ") if text else []:
            # Wrap long formulas onto a second line instead of running off the image.
            if d.textlength(line + tok + " ", font=f) > SIZE - 20 and line.strip():
                d.text((10, y), line, fill="white", font=f)
                y, line = y + size + 6, ""
            line += tok + " "
        d.text((10, y), line, fill="white", font=f)
        return img
