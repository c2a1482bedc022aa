"""Run a policy on the RL4VLM card games and score success as RL4VLM does (summed reward > 0).

Each episode is the loop's own pieces without the trajectory files: the env's observation goes
into a ``Context`` (with the env's RL4VLM protocol and oracle), the policy decides, the call is
validated against the game's action space and stepped. A policy that gave no usable call gets
RL4VLM's random action (or, under the strict rule, ends the episode as a failure). Episode
``i`` of a game always starts from the same seed (derived from ``--seed``), so a run repeats
exactly for a deterministic or seeded policy, with any number of ``workers`` (``agent.pool``).

Results have the shape of ``benchmarks.run`` (episode ids ``<game>-NNNN``, a rerun resumes);
``summary.json`` holds each game's success rate (%) under ``metrics`` and the full per-game
figures (95% Wilson interval, projection counts, mean return) under ``groups``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vagent.actions.errors import VagentError

from ..run import BenchmarkRun

GAMES = ("numberline", "blackjack", "ezpoints", "points24")
TASKS = {
    "numberline": "NumberLine: move the current number to the target",
    "blackjack": "Blackjack: beat the dealer",
    "ezpoints": "EZPoints: write a formula with both cards that equals 12",
    "points24": "Points24: write a formula with all four cards that equals 24",
}
# Success rates (%) reported in the literature (RL4VLM paper; Qwen2-VL README), for context.
REPORTED = {
    "GPT-4V": {"numberline": 65.5, "ezpoints": 10.5, "points24": 0.0, "blackjack": 25.5},
    "LLaVA-7B + RL (RL4VLM)": {"numberline": 89.4, "ezpoints": 50.0, "points24": 2.3,
                               "blackjack": 40.2},
    "GPT-4o": {"numberline": 91.5, "ezpoints": 85.5, "points24": 3.0, "blackjack": 34.5},
    "Qwen2-VL-72B": {"numberline": 100.0, "ezpoints": 100.0, "points24": 4.5,
                     "blackjack": 42.6},
}


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a proportion, as fractions."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def episode_seed(seed: int, game: str, index: int) -> int:
    return int(np.random.SeedSequence([seed, GAMES.index(game), index]).generate_state(1)[0])


def run_episode(env: Any, policy: Any, game: str, index: int, seed: int,
                max_steps: int) -> dict[str, Any]:
    """One episode; returns its JSONL record."""
    from vagent.actions.context import Context, StepView
    from vagent.agent.step import decide

    s = episode_seed(seed, game, index)
    obs, info = env.reset(seed=s, options={"task": TASKS[game]})
    start = {k: v for k, v in info.items() if k not in ("return", "steps", "success")}
    base = env.unwrapped
    protocol = base.protocol
    policy.reset(TASKS[game])
    views: list[Any] = []
    steps: list[dict[str, Any]] = []
    reason, total = "max_steps", 0.0
    for step in range(max_steps):
        context = Context(task=TASKS[game], space=base.action_space, observation=obs,
                          steps=views, step=step, screen=base.screen_size,
                          oracle=base.oracle_action, protocol=protocol, seed=s)
        logged = len(protocol.log)
        outcome = decide(policy, context, retries=0)  # RL4VLM asks once per step
        raw, error = outcome.decision.raw, outcome.error
        token = outcome.actions[0].action if error is None else None  # type: ignore[union-attr]
        if token is None:
            # The policy may have read its text with the protocol already (a model policy):
            # then a strict failure is logged; otherwise RL4VLM's rule for a non-answer applies.
            parsed_here = len(protocol.log) > logged and protocol.log[-1]["rule"] == "failure"
            token = None if parsed_here else protocol.fallback(error or "no action")
            if token is None:
                steps.append({"raw": raw[:500], "error": error})
                reason = "parse_failure"
                break
        obs, reward, terminated, truncated, info = env.step(token)
        total += reward
        rec: dict[str, Any] = {"action": token, "reward": reward}
        if raw and raw != json.dumps({"action": token}):
            rec["raw"] = raw[:500]
        if error:
            rec["error"] = error[:300]
        steps.append(rec)
        views.append(StepView(step=step, raw=raw, calls=[{"action": token}],
                              action={"action": token}, error=error))
        if terminated or truncated:
            reason = "terminated" if terminated else "truncated"
            break
    rules = [entry["rule"] for entry in protocol.log]
    return {
        "game": game, "episode": index, "seed": s, "start": start,
        "success": total > 0 and reason in ("terminated", "truncated"),
        "return": total, "steps": len(steps), "reason": reason,
        "projection": {r: rules.count(r) for r in ("unique", "random", "failure")},
        "actions": steps,
    }


def summarise(records: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    n = len(records)
    k = sum(r["success"] for r in records)
    lo, hi = wilson(k, n)
    counts = {r: sum(rec["projection"][r] for rec in records)
              for r in ("unique", "random", "failure")}
    answers = sum(counts.values())
    out: dict[str, Any] = {
        "success_rate": round(100 * k / n, 2) if n else 0.0,
        "episodes": n, "successes": k,
        "ci95": [round(100 * lo, 2), round(100 * hi, 2)],
        "mean_return": round(sum(r["return"] for r in records) / n, 4) if n else 0.0,
        "mean_steps": round(sum(r["steps"] for r in records) / n, 3) if n else 0.0,
        "projection": {
            "rule": rule if answers else "none (no text answers)",
            **counts,
        },
    }
    if records and "solvable" in records[0]["start"]:
        out["solvable_deals"] = round(100 * sum(r["start"]["solvable"] for r in records) / n, 2)
        out["rewardable_deals"] = round(
            100 * sum(r["start"]["rewardable"] for r in records) / n, 2)
    return out


def markdown(results: dict[str, Any]) -> str:
    pol = results["policy"].get("name", "?")
    lines = [f"# RL4VLM card games — policy `{pol}`", "",
             f"seed {results['seed']}, prompt {'with' if results['thoughts'] else 'without'} "
             f"thoughts, success = summed reward > 0", "",
             "| game | episodes | success % | 95% CI (Wilson) | mean return | projection rule |"
             " random / failed answers |",
             "|---|---:|---:|---|---:|---|---|"]
    for game, g in results["games"].items():
        p = g["projection"]
        lines.append(f"| {game} | {g['episodes']} | {g['success_rate']:.1f} | "
                     f"{g['ci95'][0]:.1f}–{g['ci95'][1]:.1f} | {g['mean_return']:.3f} | "
                     f"{p['rule']} | {p['random']} / {p['failure']} |")
    notes = []
    for game, g in results["games"].items():
        if "solvable_deals" in g:
            notes.append(f"- {game}: {g['solvable_deals']:.1f}% of these deals are solvable, "
                         f"{g['rewardable_deals']:.1f}% by a formula the env's float evaluation"
                         " accepts (the ceiling).")
        if "basic_strategy" in g:
            b = g["basic_strategy"]
            notes.append(f"- blackjack: basic strategy wins {100 * b['win']:.2f}% exactly "
                         f"(draw {100 * b['draw']:.2f}%, expected return "
                         f"{b['expected_return']:+.4f}) on the infinite deck.")
    if notes:
        lines += ["", *notes]
    games = list(results["games"])
    lines += ["", "Reported success rates (%), for context:", "",
              "| method | " + " | ".join(games) + " |", "|---|" + "---:|" * len(games)]
    for method, row in REPORTED.items():
        lines.append(f"| {method} | " + " | ".join(f"{row[g]:.1f}" for g in games) + " |")
    return "\n".join(lines) + "\n"


def evaluate(games: list[str], episodes: int, seed: int, make_policy: Callable[[], Any],
             out: Path, *, thoughts: bool = True, strict: bool = False, workers: int = 1,
             max_steps: int = 300, progress: bool = True) -> dict[str, Any]:
    """Run ``episodes`` of each game (those not yet in ``OUT/episodes.jsonl``); write and
    return the summary."""
    from vagent.envs.cards.blackjack import exact_outcomes

    for g in games:
        if g not in GAMES:
            raise VagentError(f"unknown card game {g!r} — one of {', '.join(GAMES)} or all")
    if episodes < 1:
        raise VagentError("--episodes must be at least 1")
    workers = max(1, workers)
    rule = "rl4vlm-strict" if strict else "rl4vlm"
    # One policy serves every worker (agent.pool): threads are for policies that wait on a
    # server (openai); each episode's draws depend on its own seed, not on the order.
    policy = make_policy()
    ids = [episode_id(g, i) for g in games for i in range(episodes)]
    settings = {"policy": policy.describe(), "data": "gym_cards deals", "seed": seed,
                "thoughts": thoughts, "projection": rule,
                "max_steps": max_steps}

    def one(cache: _GameEnvs, policy: Any, job: tuple[str, int]) -> dict[str, Any]:
        game, index = job
        rec = run_episode(cache.get(game), policy, game, index, seed, max_steps)
        return {"id": episode_id(game, index), "group": game, "task": TASKS[game],
                "error": None, "metrics": {"return": rec["return"]}, **rec}

    try:
        with BenchmarkRun("cards", out, settings, ids, progress=progress,
                          status=_status) as bench:
            bench.map([(g, i) for g in games for i in range(episodes)], one,
                      key=lambda job: episode_id(*job),
                      make_env=lambda: _GameEnvs(thoughts, strict), policy=policy,
                      workers=workers)
            return _finish(bench, games, policy, seed, thoughts, rule, max_steps,
                           exact_outcomes)
    finally:
        policy.close()


class _GameEnvs:
    """A worker's environments, one per game it has played (built on first use)."""

    def __init__(self, thoughts: bool, strict: bool):
        self.thoughts, self.strict = thoughts, strict
        self.envs: dict[str, Any] = {}

    def get(self, game: str) -> Any:
        from vagent import envs

        if game not in self.envs:
            self.envs[game] = envs.make(game, thoughts=self.thoughts, strict=self.strict)
        return self.envs[game]

    def close(self) -> None:
        for env in self.envs.values():
            env.close()


def episode_id(game: str, index: int) -> str:
    return f"{game}-{index:04d}"


def _finish(bench: Any, games: list[str], policy: Any, seed: int, thoughts: bool, rule: str,
            max_steps: int, exact_outcomes: Callable[[], dict[str, float]]
            ) -> dict[str, Any]:
    records = bench.selected()
    results: dict[str, Any] = {
        "benchmark": "rl4vlm-cards", "policy": policy.describe(), "seed": seed,
        "thoughts": thoughts, "projection": rule, "games": {},
    }
    for game in games:
        g = summarise([r for r in records if r["group"] == game], rule)
        if game == "blackjack":
            g["basic_strategy"] = {k: round(v, 6) for k, v in exact_outcomes().items()}
        results["games"][game] = g
    groups = {game: {**g, "n": g["episodes"]} for game, g in results["games"].items()}
    return bench.finish({game: g["success_rate"] for game, g in results["games"].items()},
                        groups, markdown(results), success="summed episode reward > 0",
                        projection=rule, max_steps=max_steps, reported=REPORTED)


def _status(records: list[dict[str, Any]]) -> str:
    return f"success {100 * sum(r['success'] for r in records) / len(records):.1f}%"
