"""Policies that need no model: replay a file of actions, sample randomly, ask the env's oracle."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from vagent.actions import Terminate, files
from vagent.actions.errors import VagentError

from .base import Context, Decision, Policy


class ReplayPolicy(Policy):
    """Plays a JSON array or a JSONL file of actions, in screen pixels, one per step."""

    name = "replay"
    images_needed = 0  # shows no model anything: runs without rendered views
    thread_safe = False  # one position in one file: episodes cannot run at once

    def __init__(self, actions: str | Path | list[dict[str, Any]] | None = None, **_: Any):
        if actions is None:
            raise VagentError("the replay policy needs --actions FILE (a JSON array or JSONL)")
        self.source = str(actions) if not isinstance(actions, list) else "<list>"
        self.actions = load_actions(actions) if not isinstance(actions, list) else list(actions)
        self.index = 0

    def reset(self, task: str) -> None:
        self.index = 0

    def act(self, context: Context) -> Decision:
        if self.index >= len(self.actions):
            return Decision(done=True, error="replay: no more actions in the file")
        action = self.actions[self.index]
        self.index += 1
        return Decision(raw=json.dumps(action, ensure_ascii=False), calls=[action])

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "actions": self.source, "count": len(self.actions)}


def load_actions(path: str | Path) -> list[dict[str, Any]]:
    """Actions from a JSON array, or one JSON object per line (blank lines ignored)."""
    p = Path(path)
    if not p.exists():
        raise VagentError(f"no actions file at {p} — give a JSON array or JSONL of actions")
    text = files.read_text(p, "actions file")
    if text.lstrip().startswith("["):
        data = files.loads(text, str(p))
    else:
        data = [value for _, value in files.read_jsonl(p, "actions file")]
    if not isinstance(data, list) or not all(isinstance(a, dict) and isinstance(
            a.get("action"), str) for a in data):
        raise VagentError(f"{p}: every entry must be an object with an 'action' field")
    return data


class RandomPolicy(Policy):
    """Samples the action space (a baseline, and a fuzzer for envs).

    Each draw is a function of (the policy's seed, the episode's seed, the task, the step)
    alone, not of a stream shared by the episodes, so a run gives the same actions whether its
    episodes run one after another or at once, in any order. (``seed=None``: fresh draws.)
    """

    name = "random"
    images_needed = 0

    def __init__(self, seed: int | None = 0, **_: Any):
        self.seed = seed
        self.rng = random.Random(seed)  # only for seed=None

    def act(self, context: Context) -> Decision:
        space = context.space
        if context.screen:
            space = space.with_screen(*context.screen)
        key = f"{self.seed}|{context.seed}|{context.task}|{context.step}|{len(context.steps)}"
        rng = random.Random(key) if self.seed is not None else self.rng
        space.seed(rng.randrange(2**31))
        action = space.sample()
        return Decision(raw=json.dumps(action.dump()), calls=[action.dump()])

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed}


class OraclePolicy(Policy):
    """Asks the env's own planner for the next action (an upper bound; a check of the env)."""

    name = "oracle"
    images_needed = 0

    def __init__(self, **_: Any):
        pass

    def act(self, context: Context) -> Decision:
        if context.oracle is None:
            raise VagentError("this env has no oracle — use another policy")
        action = context.oracle()
        if action is None:
            action = Terminate(status="failure", answer="the oracle has no plan")
            return Decision(raw=json.dumps(action.dump(), ensure_ascii=False),
                            calls=[action.dump()])
        # Under an env's protocol the answer is what a model should write (the export's target)
        answer = context.oracle_answer() if context.oracle_answer else None
        raw = answer if answer is not None else json.dumps(action.dump(), ensure_ascii=False)
        return Decision(raw=raw, calls=[action.dump()])
