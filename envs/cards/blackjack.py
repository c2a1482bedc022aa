"""Blackjack (RL4VLM's port of gymnasium's, natural=False): "stand" or "hit".

Infinite deck (ranks 1..13 uniform, face cards count 10, an ace 11 when that does not bust).
"hit" draws a card: over 21 is a bust, −1 and the end. "stand" plays the dealer out (draw while
under 17, so the dealer stands on every 17, soft ones too) and scores +1 win, 0 draw, −1 loss;
a bust scores 0 points. A natural earns no bonus. The dealer shows one card up, one down.

The oracle plays the hit/stand basic strategy for these rules; ``exact_outcomes`` computes the
exact win/draw/loss probabilities of a strategy on the infinite deck (the expectation the
oracle's measured rate is compared with).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw

from vagent.actions import Action

from ..draw import font
from .base import SIZE, CardEnv, CardOptionError, ranks_option
from .faces import SUITS, Card, draw_back, draw_card, label, table, value


def hand_total(ranks: list[int]) -> tuple[int, bool]:
    """(best total, soft): an ace counts 11 when that keeps the hand at 21 or under."""
    total = sum(value(r) for r in ranks)
    if 1 in ranks and total + 10 <= 21:
        return total + 10, True
    return total, False


def score(ranks: list[int]) -> int:
    total, _ = hand_total(ranks)
    return 0 if total > 21 else total


def basic_strategy(total: int, soft: bool, upcard: int) -> str:
    """Hit/stand basic strategy (infinite deck, dealer stands on 17, no doubling or splitting).

    ``upcard`` is the dealer's face-up card value (1 = ace).
    """
    up = 11 if upcard == 1 else min(upcard, 10)
    if soft:
        if total >= 19:
            return "stand"
        if total == 18:
            return "stand" if up <= 8 else "hit"
        return "hit"
    if total >= 17:
        return "stand"
    if total >= 13:
        return "stand" if up <= 6 else "hit"
    if total == 12:
        return "stand" if 4 <= up <= 6 else "hit"
    return "hit"


# Card values of one draw from the infinite deck and their probabilities.
_DRAWS = [(v, (4 if v == 10 else 1) / 13) for v in range(1, 11)]


@functools.lru_cache(maxsize=None)
def _dealer_final(total: int, aces: int) -> tuple[tuple[int, float], ...]:
    """Distribution of the dealer's final score (0 = bust) from a hard total and ace count."""
    best = total + 10 if aces and total + 10 <= 21 else total
    if best > 21:
        return ((0, 1.0),)
    if best >= 17:
        return ((best, 1.0),)
    out: dict[int, float] = {}
    for v, p in _DRAWS:
        for final, q in _dealer_final(total + v, aces + (v == 1)):
            out[final] = out.get(final, 0.0) + p * q
    return tuple(sorted(out.items()))


def exact_outcomes(strategy: Callable[[int, bool, int], str] = basic_strategy
                   ) -> dict[str, float]:
    """Exact P(win), P(draw), P(loss) and the expected return of ``strategy``."""

    def dealer_dist(up: int) -> dict[int, float]:
        out: dict[int, float] = {}
        for v, p in _DRAWS:  # the hole card
            for final, q in _dealer_final(up + v, (up == 1) + (v == 1)):
                out[final] = out.get(final, 0.0) + p * q
        return out

    @functools.lru_cache(maxsize=None)
    def play(total: int, aces: int, up: int) -> tuple[float, float, float]:
        best = total + 10 if aces and total + 10 <= 21 else total
        if best > 21:
            return 0.0, 0.0, 1.0
        soft = best != total
        if strategy(best, soft, up) == "stand":
            w = d = lo = 0.0
            for final, q in dealer_dist(up).items():
                if best > final:
                    w += q
                elif best == final:
                    d += q
                else:
                    lo += q
            return w, d, lo
        w = d = lo = 0.0
        for v, p in _DRAWS:
            a, b, c = play(total + v, aces + (v == 1), up)
            w, d, lo = w + p * a, d + p * b, lo + p * c
        return w, d, lo

    win = draw = loss = 0.0
    for up, pu in _DRAWS:
        for c1, p1 in _DRAWS:
            for c2, p2 in _DRAWS:
                a, b, c = play(c1 + c2, (c1 == 1) + (c2 == 1), up)
                p = pu * p1 * p2
                win, draw, loss = win + p * a, draw + p * b, loss + p * c
    return {"win": win, "draw": draw, "loss": loss, "expected_return": win - loss}


class BlackjackEnv(CardEnv):
    """Green table: "Dealer" with one card up and one down, "Player" with the player's cards."""

    game = "blackjack"
    TOKENS = {"stand": "Stop taking cards; the dealer plays out and the hands are compared.",
              "hit": "Take one more card."}

    def __init__(self, **kwargs: Any):
        self.player: list[Card] = []
        self.dealer: list[Card] = []
        self.deck: list[int] = []
        self.revealed = False
        super().__init__(**kwargs)

    def _card(self, rank: int | None = None) -> Card:
        rng = self.np_random
        if rank is None:
            rank = self.deck.pop(0) if self.deck else int(rng.integers(1, 14))
        return rank, SUITS[int(rng.integers(4))]

    def _deal(self, options: dict[str, Any]) -> None:
        player = ranks_option(options, "player", at_least=2)
        dealer = ranks_option(options, "dealer", at_least=1)
        deck = ranks_option(options, "deck", at_least=0)
        if dealer is not None and len(dealer) > 2:
            raise CardOptionError("options['dealer'] holds the up card and at most the hole card;"
                                  " put the dealer's later cards in options['deck']")
        if player is not None and hand_total(player)[0] > 21:
            raise CardOptionError(f"options['player'] {player} is already bust")
        self.deck = list(deck or [])
        self.revealed = False
        # Deal order as gymnasium's: the dealer's two cards, then the player's.
        dealer = list(dealer or [])
        self.dealer = [self._card(r) for r in dealer] + [self._card() for _ in range(2 - len(dealer))]
        self.player = [self._card(r) for r in player] if player else [self._card(), self._card()]

    def ranks(self, hand: list[Card]) -> list[int]:
        return [r for r, _ in hand]

    def _play(self, token: str) -> tuple[float, bool, bool]:
        if token == "hit":
            self.player.append(self._card())
            if hand_total(self.ranks(self.player))[0] > 21:
                return -1.0, True, False
            return 0.0, False, False
        self.revealed = True
        while hand_total(self.ranks(self.dealer))[0] < 17:
            self.dealer.append(self._card())
        mine, theirs = score(self.ranks(self.player)), score(self.ranks(self.dealer))
        return float((mine > theirs) - (mine < theirs)), True, False

    def oracle_action(self) -> Action | None:
        total, soft = hand_total(self.ranks(self.player))
        up = value(self.dealer[0][0])
        return self.action_space.validate({"action": basic_strategy(total, soft, up)})

    def state(self) -> dict[str, Any]:
        total, soft = hand_total(self.ranks(self.player))
        out: dict[str, Any] = {
            "player": [label(r) + s for r, s in self.player], "player_total": total,
            "soft": soft, "dealer_up": label(self.dealer[0][0]) + self.dealer[0][1],
            "dealer_up_value": 11 if self.dealer[0][0] == 1 else value(self.dealer[0][0]),
        }
        if self.revealed:
            out["dealer"] = [label(r) + s for r, s in self.dealer]
            out["dealer_total"] = hand_total(self.ranks(self.dealer))[0]
        return out

    def _draw(self) -> Image.Image:
        img = table((SIZE, SIZE))
        d = ImageDraw.Draw(img)
        bold = font(16, bold=True)
        d.text((5, 5), "Dealer", fill="white", font=bold)
        w, h = 70, 98
        draw_card(img, (5, 25, 5 + w, 25 + h), self.dealer[0])
        draw_back(img, (78, 25, 78 + w, 25 + h))
        d.text((5, 130), "Player", fill="white", font=bold)
        n = len(self.player)
        if n <= 4:
            per_row, cw, ch = 4, w, h
        else:  # smaller cards in two rows of six, so a long hand stays on the table
            per_row, cw, ch = 6, 46, 64
        for i, card in enumerate(self.player[:12]):
            x = 5 + (i % per_row) * (cw + 4)
            y = 150 + (i // per_row) * (ch + 4)
            draw_card(img, (x, y, x + cw, y + ch), card)
        return img
