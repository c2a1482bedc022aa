"""Issue 23.1: the SFT export of a model-written run equals, sample by sample, the prompts the
policy sent — thoughts, tool calls and their results, failed steps, and histories cut to the
token budget counted with the policy's own tokenizer — for every format."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium
import pytest

from fixtures.episode import WEATHER, get_weather
from vagent import envs
from vagent.actions.context import Context
from vagent.actions.coords import from_screen
from vagent.actions.parsing import render
from vagent.agent.loop import Agent
from vagent.envs.android.simenv import SimulatedPhoneEnv
from vagent.policies import formats
from vagent.policies.bundled import BUNDLED
from vagent.policies.history import ImagePart
from vagent.policies.model import ModelOptions, ModelPolicy
from vagent.training.datagen import phone_episodes
from vagent.training.export import text_counter, trajectory_samples

ENV_ID = "vagenttest/PhoneWeather-v0"
MIN_PX, MAX_PX = 28 * 28 * 4, 224 * 476


class PhoneWithWeather(SimulatedPhoneEnv):
    """The simulated phone with a custom tool in its action space."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.action_space = self.action_space | [get_weather]


if ENV_ID not in gymnasium.registry:
    gymnasium.register(ENV_ID, entry_point=PhoneWithWeather)


class StandIn(ModelPolicy):
    """A 'model' that thinks aloud, calls the weather tool at step 1, writes an unusable answer
    at step 2, and otherwise the oracle's action — in the format, recording every prompt."""

    name = "stand-in"

    def __init__(self, fmt: str, keep: int, context_tokens: int):
        self.options = ModelOptions(keep_images=keep, max_new_tokens=64,
                                    context_tokens=context_tokens, format=fmt)
        self.fmt = formats.get(fmt)
        self._min, self._max = MIN_PX, MAX_PX
        self.count = text_counter(BUNDLED)
        self.prompts: list[Any] = []

    def count_text(self, text: str) -> int:
        return self.count(text)

    def generate(self, prompt: Any, context: Context, timings: dict[str, float]) -> str:
        self.prompts.append(prompt)
        if context.step == 2:
            return "I am not sure what to do."
        thought = f"I am at step {context.step} of {context.task}."
        if context.step == 1:
            return render({"action": "get_weather", "city": "San Diego"}, self.fmt.parser,
                          frame=self.frame(), thought=thought)
        w, h = context.screen
        action = from_screen(context.oracle(), self.frame(), w, h)
        return render(action, self.fmt.parser, frame=self.frame(), thought=thought)


def as_swift(prompt: Any) -> list[dict[str, str]]:
    return [{"role": m.role, "content": "".join("<image>" if isinstance(p, ImagePart) else p
                                                for p in m.parts)} for m in prompt.messages]


@pytest.mark.parametrize("fmt", ["qwen2vl", "qwen25vl", "uitars", "uitars15", "vagent-tiny"])
def test_export_equals_what_the_policy_sent(fmt: str, tmp_path: Path) -> None:
    if fmt != "vagent-tiny" and os.environ.get("CI") != "true":  # (CI installs them)
        pytest.importorskip("qwen_agent" if fmt.startswith("qwen") else "ui_tars")
    # A budget the later histories overflow: their oldest steps must be cut the same way.
    budget = {"qwen2vl": 2300, "qwen25vl": 2300, "vagent-tiny": 1900}.get(fmt, 1100)
    policy = StandIn(fmt, keep=2, context_tokens=budget)
    env = envs.make(ENV_ID)
    try:
        task, seed = phone_episodes(1, 11)[0]
        traj = Agent(policy, env, out=tmp_path / "run", max_steps=9, parse_retries=0,
                     meta={"env_name": ENV_ID}).run(task, seed=seed)
    finally:
        env.close()
    steps = traj.steps
    assert steps[1].tool_results == [{"name": "get_weather", "result": WEATHER}]
    assert steps[2].error and steps[0].thought.startswith("I am at step 0")
    cut = [p for p in policy.prompts if p.dropped or p.lines]
    assert cut, "no history reached the budget: lower it so the comparison covers a cut"
    assert not any(p.over_budget for p in policy.prompts), "budget too low for any history"
    samples = list(trajectory_samples(tmp_path / "run", fmt, keep_images=2, min_pixels=MIN_PX,
                                      max_pixels=MAX_PX, context_tokens=budget,
                                      max_new_tokens=64, only_success=False,
                                      tokenizer=BUNDLED))
    sent = [(p, r) for p, r in zip(policy.prompts, steps) if not r.error]
    assert len(samples) == len(sent) >= 3
    for sample, (prompt, rec) in zip(samples, sent):
        assert sample["messages"][:-1] == as_swift(prompt)
        assert sample["messages"][-1]["content"] == rec.raw
    shown = ["\n".join(m["content"] for m in s["messages"][:-1]) for s in samples]
    assert any("I am at step 0" in text for text in shown)  # past thoughts are exported
    assert any(WEATHER in text for text in shown)  # and tool results
