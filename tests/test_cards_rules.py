"""RL4VLM card games: every reward path of each game, options, observations, oracles."""

from __future__ import annotations

import itertools
import random
import warnings

import gymnasium
import numpy as np
import pytest

from vagent import envs
from vagent.actions import ActionError
from vagent.envs.cards import CardOptionError
from vagent.envs.cards.blackjack import basic_strategy, exact_outcomes, hand_total
from vagent.envs.cards.formula import FormulaError, evaluate, solve

GYM_IDS = {"numberline": "NumberLine-v0", "blackjack": "Blackjack-v0",
           "ezpoints": "EZPoints-v0", "points24": "Points24-v0"}


def play(env, tokens):  # noqa: ANN001
    out = []
    for t in tokens:
        _, reward, term, trunc, info = env.step(t)
        out.append((reward, term, trunc))
    return out, info


# -- NumberLine -------------------------------------------------------------------------------------
def test_numberline_reward_paths() -> None:
    env = envs.make("numberline")
    env.reset(options={"current": 2, "target": 4, "task": "ignored"})
    steps, info = play(env, ["+", "+"])
    assert steps == [(0.0, False, False), (1.0, True, False)]
    assert info["success"] is True and info["return"] == 1.0
    # moving away is -1; a detour then the goal sums to 0: not a success (summed reward > 0)
    env.reset(options={"current": 2, "target": 3})
    steps, info = play(env, ["-", "+", "+", "+"][:3])
    assert [s[0] for s in steps] == [-1.0, 0.0, 1.0] and steps[-1][1]
    assert info["success"] is False and info["return"] == 0.0
    # "-" at 0 does not move: the distance does not shrink, -1
    env.reset(options={"current": 0, "target": 3})
    steps, info = play(env, ["-"])
    assert steps == [(-1.0, False, False)] and info["current"] == 0 and info["success"] is None


def test_numberline_truncates_after_ten_steps() -> None:
    env = envs.make("numberline")
    env.reset(options={"current": 5, "target": 0})
    steps, info = play(env, ["+"] * 10)
    assert all(r == -1.0 for r, _, _ in steps)
    assert [t for _, _, t in steps] == [False] * 9 + [True]
    assert info["success"] is False and info["return"] == -10.0
    with pytest.raises(gymnasium.error.ResetNeeded):
        env.step("+")


def test_numberline_deal_and_options() -> None:
    env = envs.make("numberline")
    pairs = set()
    for seed in range(300):
        _, info = env.reset(seed=seed)
        assert 0 <= info["current"] <= 5 and 0 <= info["target"] <= 5
        assert info["current"] != info["target"]
        pairs.add((info["current"], info["target"]))
    assert len(pairs) >= 25  # the deal really is random
    for bad in ({"current": 2, "target": 2}, {"current": 6, "target": 1}, {"current": "1", "target": 2},
                {"target": 3}):
        with pytest.raises(CardOptionError):
            env.reset(options=bad)


# -- Blackjack ------------------------------------------------------------------------------------
def blackjack(player, dealer, deck=()):  # noqa: ANN001
    env = envs.make("blackjack")
    env.reset(seed=1, options={"player": player, "dealer": dealer, "deck": list(deck)})
    return env


def test_blackjack_bust_on_hit() -> None:
    env = blackjack([10, 6], [9, 9], deck=[12])
    steps, info = play(env, ["hit"])
    assert steps == [(-1.0, True, False)] and info["player_total"] == 26
    assert info["success"] is False


def test_blackjack_hit_without_bust_then_win() -> None:
    env = blackjack([2, 3], [10, 8], deck=[10, 6])  # 5 -> 15 -> 21; dealer 18 stands
    steps, info = play(env, ["hit", "hit", "stand"])
    assert steps == [(0.0, False, False), (0.0, False, False), (1.0, True, False)]
    assert info["dealer_total"] == 18 and info["success"] is True


def test_blackjack_loss_and_draw() -> None:
    steps, info = play(blackjack([10, 5], [10, 9]), ["stand"])
    assert steps == [(-1.0, True, False)] and info["success"] is False
    steps, info = play(blackjack([10, 13], [12, 11]), ["stand"])  # 20 against 20
    assert steps == [(0.0, True, False)] and info["success"] is False


def test_blackjack_natural_has_no_bonus_and_can_draw() -> None:
    steps, _ = play(blackjack([1, 13], [10, 7]), ["stand"])
    assert steps == [(1.0, True, False)]  # +1, not 1.5: natural=False as in RL4VLM
    steps, _ = play(blackjack([1, 13], [10, 6], deck=[5]), ["stand"])  # dealer makes 21
    assert steps == [(0.0, True, False)]


def test_blackjack_dealer_stands_on_17_soft_too_and_draws_below() -> None:
    env = blackjack([10, 8], [10, 7], deck=[4])
    steps, info = play(env, ["stand"])
    assert steps[0][0] == 1.0 and info["dealer"] == info["dealer"][:2]  # took no card
    env = blackjack([10, 8], [1, 6], deck=[4])  # soft 17: stands (a hit would make 21)
    steps, info = play(env, ["stand"])
    assert steps[0][0] == 1.0 and info["dealer_total"] == 17 and len(info["dealer"]) == 2
    env = blackjack([10, 2], [10, 6], deck=[10])  # 16 draws and busts: 12 wins
    steps, info = play(env, ["stand"])
    assert steps[0][0] == 1.0 and info["dealer_total"] == 26


def test_blackjack_aces_and_options() -> None:
    assert hand_total([1, 1]) == (12, True)
    assert hand_total([1, 6, 10]) == (17, False)
    assert hand_total([1, 13]) == (21, True)
    env = envs.make("blackjack")
    for bad in ({"player": [10, 10, 5]}, {"player": [0, 3]}, {"dealer": [1, 2, 3]},
                {"player": [14, 2]}, {"player": "AK"}):
        with pytest.raises(CardOptionError):
            env.reset(options=bad)


def test_basic_strategy_chart_and_exact_expectation() -> None:
    assert basic_strategy(16, False, 10) == "hit" and basic_strategy(16, False, 6) == "stand"
    assert basic_strategy(12, False, 3) == "hit" and basic_strategy(12, False, 4) == "stand"
    assert basic_strategy(18, True, 9) == "hit" and basic_strategy(18, True, 8) == "stand"
    assert basic_strategy(17, True, 2) == "hit" and basic_strategy(11, False, 1) == "hit"
    exact = exact_outcomes()
    assert abs(exact["win"] + exact["draw"] + exact["loss"] - 1) < 1e-9
    # The known hit/stand basic-strategy figures for these rules: ~43% wins, ~-0.05 per hand.
    assert 0.42 < exact["win"] < 0.44 and -0.06 < exact["expected_return"] < -0.03
    # The chart beats simple strategies, as it must.
    assert exact["expected_return"] > exact_outcomes(lambda t, s, u: "stand")["expected_return"]
    assert exact["expected_return"] > exact_outcomes(
        lambda t, s, u: "hit" if t < 17 else "stand")["expected_return"]


def test_blackjack_oracle_matches_exact_expectation() -> None:
    env = envs.make("blackjack")
    n, wins = 1000, 0
    for seed in range(n):
        env.reset(seed=seed)
        info = {}
        while info.get("success") is None:
            _, _, _, _, info = env.step(env.oracle_action())
        wins += info["success"]
    p = exact_outcomes()["win"]
    assert abs(wins / n - p) < 4 * (p * (1 - p) / n) ** 0.5  # within 4 standard errors


# -- EZPoints and Points24 ------------------------------------------------------------------------
def formula_env(game, cards):  # noqa: ANN001
    env = envs.make(game)
    env.reset(seed=0, options={"cards": cards})
    return env


def test_ezpoints_success_and_wrong_total() -> None:
    steps, info = play(formula_env("ezpoints", [4, 3]), ["4", "*", "3", "="])
    assert steps == [(0.0, False, False)] * 3 + [(10.0, True, False)]
    assert info["formula"] == "4*3" and info["success"] is True
    steps, info = play(formula_env("ezpoints", [4, 3]), ["4", "+", "3", "="])
    assert steps[-1] == (-1.0, True, False) and info["success"] is False


def test_ezpoints_invalid_number_appends_placeholder() -> None:
    env = formula_env("ezpoints", [13, 2])  # K counts 10
    steps, info = play(env, ["7"])
    assert steps == [(-1.0, False, False)] and info["formula"] == " "
    steps, info = play(env, ["10", "+", "10"])  # the 10 is already used: -1 again
    assert steps[-1] == (-1.0, False, False) and info["formula"] == " 10+ "
    steps, info = play(env, ["2", "="])
    assert steps[-1] == (10.0, True, False)  # " 10+  2" evaluates to 12 as Python reads it
    assert info["return"] == 8.0 and info["success"] is True


def test_ezpoints_unused_card_and_too_long_formula() -> None:
    steps, info = play(formula_env("ezpoints", [10, 2]), ["10", "="])
    assert steps[-1] == (-1.0, True, False)
    env = formula_env("ezpoints", [6, 6])
    steps, info = play(env, ["+"] * 6 + ["="])
    assert steps[:6] == [(0.0, False, False)] * 6
    assert steps[6] == (-1.0, False, True)  # longer than 5 tokens before the step: truncated
    assert info["success"] is False


def test_ezpoints_deal_rule() -> None:
    env = envs.make("ezpoints")
    products = 0
    for seed in range(300):
        _, info = env.reset(seed=seed)
        a, b = info["numbers"]
        assert a + b == 12 or a * b == 12
        assert info["solvable"] and info["rewardable"]
        products += a + b != 12
    assert 20 < products < 100  # half of the deals whose first value divides 12


def test_points24_unused_card_and_float_evaluation() -> None:
    steps, info = play(formula_env("points24", [6, 4, 1, 5]), ["6", "*", "4", "="])
    assert steps[-1] == (-1.0, True, False)  # 24, but two cards unused
    env = formula_env("points24", [8, 3, 8, 3])
    _, info = env.reset(options={"cards": [8, 3, 8, 3]})
    assert info["solvable"] is True and info["rewardable"] is False
    steps, info = play(env, ["8", "/", "(", "3", "-", "8", "/", "3", ")", "="])
    assert steps[-1] == (-1.0, True, False)  # 23.999999999999996 under Python's floats
    steps, info = play(formula_env("points24", [1, 2, 3, 4]),
                       ["(", "1", "+", "2", "+", "3", ")", "*", "4", "="])
    assert steps[-1] == (10.0, True, False) and info["success"] is True


def test_points24_too_long_formula_and_syntax_error() -> None:
    env = formula_env("points24", [1, 2, 3, 4])
    steps, info = play(env, ["("] * 21 + ["="])
    assert steps[-1] == (-1.0, False, True) and len(steps) == 22
    steps, info = play(formula_env("points24", [1, 2, 3, 4]), ["1", "+", "=",][:2] + ["="])
    assert steps[-1] == (-1.0, True, False)


def test_evaluate_matches_python_eval() -> None:
    rng = random.Random(7)
    vocab = [str(n) for n in range(1, 11)] + ["+", "-", "*", "/", "(", ")", " "]
    checked = 0
    for _ in range(4000):
        text = "".join(rng.choice(vocab) for _ in range(rng.randint(1, 9)))
        if "**" in text:
            continue  # powers are compared separately below
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)
                expected = eval(text, {"__builtins__": {}})  # noqa: S307 - the reference itself
        except Exception:  # noqa: BLE001
            expected = FormulaError
        try:
            got = evaluate(text)
        except FormulaError:
            got = FormulaError
        if isinstance(expected, tuple):  # "()" is a tuple in Python: never a number
            expected = FormulaError
        assert got == expected or (got is FormulaError and not isinstance(expected, (int, float))), text
        checked += expected is not FormulaError
    assert checked > 500
    assert evaluate("2**3**2") == 512 and evaluate("-2**2") == -4 and evaluate("2**-1") == 0.5
    assert evaluate("7//2") == 3 and evaluate(" 12") == 12
    for bad in ("1 0", "()", "(3)(4)", "3/0", "", "10**10**10**10", "(1-2)**(1/2)"):
        with pytest.raises(FormulaError):
            evaluate(bad)


def test_solver_known_counts_and_deals() -> None:
    ops = ("+", "-", "*", "/")
    assert solve((1, 1, 1, 1), 24, ops)[0] is False
    assert solve((1, 5, 5, 5), 24, ops)[0] is True  # 5*(5-1/5)
    assert solve((3, 3, 8, 8), 24, ops) == (True, ())  # only 8/(3-8/3): not float-exact
    assert solve((4, 4, 10, 10), 24, ops)[0] is True
    # 566 of the 715 multisets of four values 1..10 make 24 (the known count)
    combos = list(itertools.combinations_with_replacement(range(1, 11), 4))
    assert sum(solve(c, 24, ops)[0] for c in combos) == 566


def test_formula_oracles() -> None:
    for game in ("ezpoints", "points24"):
        env = envs.make(game)
        for seed in range(60):
            _, info = env.reset(seed=seed)
            while info.get("success") is None:
                _, _, _, _, info = env.step(env.oracle_action())
            assert info["success"] == info["rewardable"], (game, seed, info)
    env = formula_env("points24", [1, 1, 1, 1])
    assert env.oracle_action().action == "="  # unsolvable: give up at once
    env = formula_env("ezpoints", [3, 4])
    env.step("4")  # the oracle continues a formula that still leads somewhere
    assert env.oracle_action().action in ("+", "*")


# -- all games ------------------------------------------------------------------------------------
@pytest.mark.parametrize("game", list(GYM_IDS))
def test_gymnasium_registration_observation_and_determinism(game: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the passive checker warns on an obs outside the space
        env = gymnasium.make(f"vagent/{GYM_IDS[game]}")
        obs, info = env.reset(seed=5)
        obs2, *_ = env.step(env.unwrapped.oracle_action())
    assert obs["screenshot"].shape == (300, 300, 3) and obs["screenshot"].dtype == np.uint8
    assert env.unwrapped.protocol.game == game
    a = envs.make(game)
    b = envs.make(game)
    oa, ia = a.reset(seed=11)
    ob, ib = b.reset(seed=11)
    assert ia == ib and np.array_equal(oa["screenshot"], ob["screenshot"])
    tokens = list(a.action_space.names)
    for t in tokens[:3]:
        if a.done:
            break
        ra, rb = a.step(t), b.step({"action": t})
        assert ra[1:4] == rb[1:4] and np.array_equal(ra[0]["screenshot"], rb[0]["screenshot"])
    deals = {str(envs.make(game).reset(seed=s)[1]) for s in range(12)}
    assert len(deals) > 3


@pytest.mark.parametrize("game", list(GYM_IDS))
def test_step_accepts_action_dict_and_token(game: str) -> None:
    env = envs.make(game)
    env.reset(seed=2)
    token = env.action_space.names[0]
    action = env.action_space.validate({"action": token})
    assert action.dump() == {"action": token}
    env.step(action)
    if not env.done:
        env.step(f'{{"action": "{token}"}}')
    for bad in ("11", "fly", {"action": "11"}, {"action": token, "x": 1}, 7):
        with pytest.raises(ActionError):
            env.coerce(bad)


def test_episode_cap_of_300_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    import vagent.envs.cards.base as base

    monkeypatch.setattr(base, "MAX_EPISODE_STEPS", 3)
    env = blackjack([2, 2], [10, 7], deck=[1, 1, 1, 1])
    steps, info = play(env, ["hit"] * 3)
    assert [t for _, _, t in steps] == [False, False, True] and info["success"] is False


@pytest.mark.parametrize(("game", "longest"), [("numberline", 10), ("blackjack", 12),
                                                ("ezpoints", 7), ("points24", 22)])
def test_random_play_ends_within_the_rules(game: str, longest: int) -> None:
    env = envs.make(game)
    rng = random.Random(game)
    tokens = env.action_space.names
    for seed in range(40):
        env.reset(seed=seed)
        total, info, steps = 0.0, {}, 0
        while info.get("success") is None:
            _, reward, term, trunc, info = env.step(rng.choice(tokens))
            total += reward
            steps += 1
            assert reward in (-1.0, 0.0, 1.0, 10.0)
        assert steps <= longest and info["return"] == total
        assert info["success"] == (total > 0)
