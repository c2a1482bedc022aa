"""``vagent eval cards``: results files, the projection rule, determinism, strict mode, the loop."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vagent import envs
from vagent import policies
from vagent.actions import ParseError
from vagent.agent import Agent
from vagent.benchmarks.cards.runner import evaluate, wilson
from vagent.actions.context import Context, Decision
from vagent.policies.base import Policy


def test_wilson_interval() -> None:
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and abs(hi - 0.2775) < 1e-3
    lo, hi = wilson(10, 10)
    assert abs(lo - 0.7225) < 1e-3 and hi == 1.0
    lo, hi = wilson(50, 100)
    assert abs(lo - 0.4038) < 1e-3 and abs(hi - 0.5962) < 1e-3


def run_cli(cmd: list[str], env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, "eval", "cards", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_eval_cards_end_to_end_oracle(tmp_path: Path, vagent_cmd: list[str],
                                      subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "oracle"
    proc = run_cli(vagent_cmd, subprocess_env, "--game", "all", "--episodes", "6",
                   "--policy", "oracle", "--seed", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "summary.json").read_text())
    assert list(results["groups"]) == ["numberline", "blackjack", "ezpoints", "points24"]
    for name, g in results["groups"].items():
        assert g["episodes"] == 6 and 0 <= g["ci95"][0] <= g["success_rate"] <= g["ci95"][1]
        assert g["projection"]["rule"].startswith("none")  # the oracle writes no text
    assert results["groups"]["numberline"]["success_rate"] == 100.0
    assert results["groups"]["ezpoints"]["success_rate"] == 100.0
    p24 = results["groups"]["points24"]
    assert p24["success_rate"] == p24["rewardable_deals"]
    assert 0.42 < results["groups"]["blackjack"]["basic_strategy"]["win"] < 0.44
    lines = (out / "episodes.jsonl").read_text().splitlines()
    assert len(lines) == 24
    first = json.loads(lines[0])
    assert first["game"] == "numberline" and first["success"] is True
    assert first["actions"][0]["action"] in ("+", "-")
    md = (out / "summary.md").read_text()
    assert "| numberline | 6 | 100.0 |" in md and "Wilson" in md
    assert "numberline" in proc.stdout and "success" in proc.stdout


def test_eval_cards_is_deterministic_for_a_seed(tmp_path: Path, vagent_cmd: list[str],
                                                subprocess_env: dict[str, str]) -> None:
    outs = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        out = tmp_path / name
        proc = run_cli(vagent_cmd, subprocess_env, "--game", "blackjack", "--episodes", "25",
                       "--policy", "random", "--policy-seed", "1", "--seed", seed,
                       "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        outs.append((out / "episodes.jsonl").read_text())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]


def test_eval_cards_usage_errors(tmp_path: Path, vagent_cmd: list[str],
                                 subprocess_env: dict[str, str]) -> None:
    proc = run_cli(vagent_cmd, subprocess_env, "--game", "poker", "--out", str(tmp_path))
    assert proc.returncode == 2 and "--game" in proc.stderr
    proc = run_cli(vagent_cmd, subprocess_env, "--game", "numberline", "--episodes", "0",
                   "--out", str(tmp_path))
    assert proc.returncode == 2 and "--episodes" in proc.stderr  # bounds on the option


class TextPolicy(Policy):
    """Answers with scripted text and reads it with the env's protocol, as model policies do."""

    name = "text"

    def __init__(self, answer: Any):
        self.answer = answer
        self.prompts: list[list[Any]] = []

    def act(self, context: Context) -> Decision:
        self.prompts.append(context.protocol.prompt(context))
        text = self.answer(context) if callable(self.answer) else self.answer
        try:
            parsed = context.protocol.parse(text)
        except ParseError as e:
            return Decision(raw=text, error=str(e))
        return Decision(raw=text, thought=parsed.thought, calls=parsed.calls)


def test_projection_rule_is_reported_lenient_and_strict(tmp_path: Path) -> None:
    answer = '{"thoughts": "hmm", "action": "+ or -"}'  # always ambiguous
    lenient = evaluate(["numberline"], 20, 0, lambda: TextPolicy(answer), tmp_path / "l")
    g = lenient["groups"]["numberline"]
    assert g["projection"]["rule"] == "rl4vlm"
    assert g["projection"]["unique"] == 0 and g["projection"]["random"] > 0
    assert 0 < g["success_rate"] < 100  # random moves sometimes reach the target
    strict = evaluate(["numberline"], 20, 0, lambda: TextPolicy(answer), tmp_path / "s",
                      strict=True)
    g = strict["groups"]["numberline"]
    assert g["projection"] == {"rule": "rl4vlm-strict", "unique": 0, "random": 0,
                               "failure": 20}
    assert g["success_rate"] == 0.0
    rec = json.loads((tmp_path / "s" / "episodes.jsonl").read_text().splitlines()[0])
    assert rec["reason"] == "parse_failure" and "ambiguous" in rec["actions"][0]["error"]


def test_text_answers_drive_the_games(tmp_path: Path) -> None:
    def greedy(context: Context) -> str:  # reads the state the way a model would be told it
        env_state = context.oracle()  # the oracle's move, written as an RL4VLM answer
        return f'{{"thoughts": "t", "action": "{env_state.action}"}}'

    policy = TextPolicy(greedy)
    res = evaluate(["numberline", "ezpoints"], 15, 2, lambda: policy, tmp_path,
                   thoughts=False, strict=True)
    for g in res["groups"].values():
        assert g["success_rate"] == 100.0 and g["projection"]["failure"] == 0
        assert g["projection"]["unique"] > 0
    assert "thoughts" not in policy.prompts[0][1]
    assert isinstance(policy.prompts[-1][1], str) and "current formula" in policy.prompts[-1][1]


def test_parallel_workers_give_the_serial_results(tmp_path: Path) -> None:
    one = evaluate(["points24"], 12, 4, lambda: policies.make("oracle"), tmp_path / "1")
    two = evaluate(["points24"], 12, 4, lambda: policies.make("oracle"), tmp_path / "2",
                   workers=3)
    assert one["groups"] == two["groups"]
    # records are written as episodes finish (any order); each is the serial run's
    lines = [sorted((tmp_path / d / "episodes.jsonl").read_text().splitlines()) for d in "12"]
    assert lines[0] == lines[1] and len(lines[0]) == 12


def test_agent_loop_runs_a_card_game(tmp_path: Path) -> None:
    traj = Agent(policies.make("oracle"), envs.make("numberline"), out=tmp_path,
                 max_steps=20).run("reach the target", seed=8)
    assert traj.success is True
    assert traj.steps[-1].terminated and traj.steps[-1].action["action"] in ("+", "-")
    traj = Agent(policies.make("random", seed=2), envs.make("points24"), out=tmp_path / "r",
                 max_steps=40).run("make 24", seed=1)
    assert traj.result["reason"] in ("terminated", "truncated")


@pytest.mark.parametrize("game", ["blackjack", "ezpoints"])
def test_cli_run_with_a_card_env(game: str, tmp_path: Path, vagent_cmd: list[str],
                                 subprocess_env: dict[str, str]) -> None:
    proc = subprocess.run([*vagent_cmd, "run", "play", "--env", game, "--policy", "oracle",
                           "--seed", "3", "--out", str(tmp_path), "--quiet"],
                          env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "after" in proc.stdout
