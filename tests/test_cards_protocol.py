"""RL4VLM's prompts and text-to-action projection: verbatim prompts, nasty answers, strict mode."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from vagent import envs
from vagent.actions import ParseError
from vagent.actions.parsing.rl4vlm import project
from vagent.envs.cards.protocol import TOKENS, CardProtocol, prompt_text
from vagent.actions.context import Context

# The two prompts the project's reference file quotes in full (rl4vlm.md).
NUMBERLINE = (
    "You are playing a game called number line. You will see a target number and a current "
    "number in the image. And your goal is to move the current number closer to the target by "
    "choosing either adding or subtracting one to the current number. Your response should be a "
    "valid json file in the following format: \n{\n \"current number\": \"x\", \n\"target "
    "number\": \"x\", \n\"thoughts\": \"{first read out the current and target number, then "
    "think carefully about which action to choose}\", \n\"action\": \"-\" or \"+\" \n}")
BLACKJACK = (
    "You are a blackjack player. You are observing the current game state, you can choose "
    "between ['stand', 'hit']. Your response should be a valid json file in the following "
    "format: \n{\n \"thoughts\": \"{first describe your total points and the dealer's total "
    "points then think about which action to choose}\", \n\"action\": \"stand\" or \"hit\" \n}")


def test_prompts_are_rl4vlms() -> None:
    assert prompt_text("numberline") == NUMBERLINE
    assert prompt_text("blackjack") == BLACKJACK
    assert prompt_text("numberline", thoughts=False).endswith(
        'format: \n{\n "action": "-" or "+" \n}')
    assert "thoughts" not in prompt_text("blackjack", thoughts=False)
    ez = prompt_text("ezpoints", True, "3+")
    assert "You are observing the current formula: 3+. " in ez
    assert "['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '+', '*', '=']" in ez
    assert 'following format: \\{\n "cards": [x, y], \n"current formula": 3+, \n' in ez
    assert ez.endswith('"action": "{number}" or "{operator}" \n \\}')
    p24 = prompt_text("points24", False, "")
    assert "observing thee four cards" in p24 and "evaluates to 24" in p24
    assert "'(', ')', '='" in p24 and '"cards"' not in p24


def test_protocol_prompt_reads_the_formula_from_the_observation() -> None:
    env = envs.make("points24", thoughts=False)
    obs, _ = env.reset(seed=1, options={"cards": [1, 2, 3, 4]})
    env.step("(")
    obs, *_ = env.step("1")
    ctx = Context(task="t", space=env.action_space, observation=obs)
    image, text = env.protocol.prompt(ctx)
    assert isinstance(image, np.ndarray) and image.shape == (300, 300, 3)
    assert text == prompt_text("points24", False, "(1")
    nl = envs.make("numberline")
    obs, _ = nl.reset(seed=0)
    assert nl.protocol.prompt(Context(task="t", space=nl.action_space,
                                      observation=obs))[1] == NUMBERLINE


@pytest.mark.parametrize(("game", "answer", "expected"), [
    ("numberline", '{"current number": "2", "target number": "4", "thoughts": "2 < 4", '
                   '"action": "+"}', "+"),
    ("numberline", '{"action": "-"}', "-"),
    ("numberline", '"ACTION": "+"', "+"),
    ("numberline", "+", "+"),  # no "action": key: only the last character counts
    ("numberline", "I add one: +. Answer: -", "-"),  # ...which can differ from the intent
    ("numberline", '{"action": "+ or -"}', None),
    ("numberline", '{"action" : "+"}', None),  # a space before the colon: last char '}'
    ("numberline", "", None),
    ("blackjack", '{"thoughts": "I could hit, but 18 is enough", "action": "stand"}', "stand"),
    ("blackjack", '{"action": "Hit"}', "hit"),
    ("blackjack", '{"action": "stand", "thoughts": "never hit on 18"}', None),
    ("blackjack", "I will hit", None),
    ("blackjack", '{"action": "double"}', None),
    ("ezpoints", '{"cards": [2, 10], "action": "10"}', "10"),
    ("ezpoints", '{"action": "1"}', "1"),
    ("ezpoints", '{"action": "100"}', "10"),  # "10" taken first, the "0" left over is no token
    ("ezpoints", '{"action": "10+"}', None),
    ("ezpoints", '"action":"="', "="),
    ("points24", '{"action": "("}', "("),
    ("points24", '{"action": "-1"}', None),
    ("points24", '{"action": "\u00bd \u2212 \U0001F600"}', None),
    ("points24", "x" * 10_000 + '"action": "/"', "/"),
])
def test_projection_on_nasty_answers(game: str, answer: str, expected: str | None) -> None:
    tokens = TOKENS[game]
    proj = project(answer, tokens, ten_first=game in ("ezpoints", "points24"))
    assert proj.action == expected, proj
    lenient = CardProtocol(game, seed=3)
    strict = CardProtocol(game, strict=True, seed=3)
    if expected is None:
        parsed = lenient.parse(answer)
        assert parsed.calls[0]["action"] in tokens
        assert lenient.log[-1]["rule"] == "random" and parsed.format == "rl4vlm"
        with pytest.raises(ParseError):
            strict.parse(answer)
        assert strict.log[-1]["rule"] == "failure"
    else:
        for proto in (lenient, strict):
            parsed = proto.parse(answer)
            assert parsed.calls == [{"action": expected}]
            assert proto.log[-1]["rule"] == "unique"
        assert parsed.format == "rl4vlm-strict"


def test_non_text_answer_and_random_fallback_is_seeded_and_uniform() -> None:
    assert project(None, TOKENS["numberline"]).action is None
    a, b = CardProtocol("points24", seed=9), CardProtocol("points24", seed=9)
    picks_a = [a.parse("no idea").calls[0]["action"] for _ in range(1700)]
    picks_b = [b.parse("no idea").calls[0]["action"] for _ in range(1700)]
    assert picks_a == picks_b
    counts = collections.Counter(picks_a)
    assert set(counts) == set(TOKENS["points24"])
    assert max(counts.values()) < 2 * min(counts.values())
    # The env reseeds its protocol at every reset: same seed, same fallback stream.
    env = envs.make("blackjack")
    env.reset(seed=4)
    first = [env.protocol.parse("?").calls[0]["action"] for _ in range(20)]
    env.reset(seed=4)
    assert [env.protocol.parse("?").calls[0]["action"] for _ in range(20)] == first
    assert len(env.protocol.log) == 20


def test_thought_is_extracted() -> None:
    parsed = CardProtocol("blackjack").parse(
        '{\n "thoughts": "I have 15 and the dealer shows 10", \n"action": "hit" \n}')
    assert parsed.thought == "I have 15 and the dealer shows 10"
    assert parsed.calls == [{"action": "hit"}]


@pytest.mark.parametrize("game", list(TOKENS))
@pytest.mark.parametrize("thoughts", [True, False])
def test_oracle_answers_parse_back_to_the_oracle_action(game: str, thoughts: bool) -> None:
    env = envs.make(game, thoughts=thoughts, strict=True)
    for seed in range(15):
        _, info = env.reset(seed=seed)
        while info.get("success") is None:
            answer = env.oracle_answer()
            token = env.oracle_action().action
            assert env.protocol.parse(answer).calls == [{"action": token}], answer
            assert ('"thoughts"' in answer) == thoughts
            _, _, _, _, info = env.step(token)


def test_env_options_from_the_command_line_are_strings() -> None:
    env = envs.make("numberline", thoughts="false", strict="true")
    assert env.protocol.thoughts is False and env.protocol.strict is True
    assert env.protocol.describe() == {"name": "rl4vlm", "game": "numberline",
                                       "thoughts": False, "projection": "rl4vlm-strict"}
