"""``vagent eval phone-sim``: success rate on the simulated phone's held-out tasks.

Episodes are drawn with ``envs.android.tasks.sample(rng, "held_out")``: task wordings that never
appear in training data and start seeds from a range training never uses (training data comes
from the ``train`` split, see ``training.datagen``). Episode ``ep_NNNN`` is the N-th draw of
``random.Random(seed)``, so a rerun with more ``--episodes`` extends a run. Each episode runs the
agent loop on the ``android-sim`` env (the ADB-speaking SIMULATED phone, in-process); success is
the task's own check of the simulator's state when the episode ends. Results have the shape of
``benchmarks.run``: ``success_rate`` (percent) overall and per task template.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError

from .run import BenchmarkRun, EpisodeRecord, RunPaths, percent

SPLITS = ("held_out", "novel", "train")


def held_out_episodes(n: int, seed: int, split: str = "held_out") -> list[tuple[str, int]]:
    from vagent.envs.android.tasks import sample

    rng = random.Random(seed)
    return [sample(rng, split) for _ in range(n)]


def evaluate(policy: Any, episodes: int, out: str | Path, seed: int = 1000,
             max_steps: int = 15, progress: bool = True, split: str = "held_out",
             workers: int = 1, serials: list[str] | None = None) -> dict[str, Any]:
    """Run ``policy`` on ``episodes`` drawn tasks not yet in ``OUT/episodes.jsonl``,
    ``workers`` at once (one simulated phone each: in-process, or worker k on the phone served
    at ``serials[k]``); write and return the summary. Which phones ran it is not a setting: a
    run resumes on others."""
    from vagent import envs
    from vagent.envs.android.simenv import ServedPhone

    if split not in SPLITS:
        raise VagentError(f"unknown split {split!r} — choose " + ", ".join(SPLITS))
    drawn = held_out_episodes(episodes, seed, split)
    ids = [f"ep_{i:04d}" for i in range(len(drawn))]
    settings = {"policy": policy.describe(), "data": f"android-sim tasks ({split})",
                "seed": seed, "split": split, "max_steps": max_steps}
    with BenchmarkRun("phone-sim", out, settings, ids, progress=progress,
                      status=_status) as bench:
        paths = bench.paths
        jobs = [(ep_id, task, ep_seed) for ep_id, (task, ep_seed) in zip(ids, drawn)]

        def one(env: Any, policy: Any, job: tuple[str, str, int]) -> EpisodeRecord:
            return run_episode(env, policy, job, paths, max_steps, split)

        make_env = (functools.partial(envs.make, "android-sim") if serials is None
                    else [ServedPhone(s) for s in serials])
        bench.map(jobs, one, key=lambda job: job[0], make_env=make_env, policy=policy,
                  workers=workers)
        records = bench.selected()
        groups: dict[str, dict[str, Any]] = {}
        for r in sorted(records, key=lambda r: r["group"]):
            g = groups.setdefault(r["group"], {"successes": 0, "n": 0})
            g["successes"] += r["success"]
            g["n"] += 1
        for g in groups.values():
            g["success_rate"] = percent(g.pop("successes"), g["n"])
        ok = sum(r["success"] for r in records)
        metrics = {"success_rate": percent(ok, len(records))}
        md = markdown(policy.describe(), split, groups, metrics, len(records), ok)
        return bench.finish(metrics, groups, md, successes=ok, split=split)


def run_episode(env: Any, policy: Any, job: tuple[str, str, int], paths: RunPaths,
                max_steps: int, split: str) -> EpisodeRecord:
    """One drawn task on a simulated phone: its record (a refused action: a failed episode)."""
    from vagent.agent.loop import Agent
    from vagent.envs.android.tasks import match

    ep_id, task, ep_seed = job
    found = match(task)
    template = found[0].name if found else "unknown"
    agent = Agent(policy, env, out=paths.folder(ep_id), max_steps=max_steps,
                  meta={"env_name": "android-sim", "split": split})
    try:
        traj = agent.run(task, seed=ep_seed)
        row: dict[str, Any] = {"success": traj.success is True, "steps": len(traj.steps),
                               "reason": traj.result.get("reason")}
    except VagentError as e:  # the device refused an action: a failed episode
        row = {"success": False, "steps": 0, "error": str(e)[:300], "reason": "error"}
    return EpisodeRecord(id=ep_id, task=task, group=template, run=paths.relative(ep_id),
                         template=template, seed=ep_seed, **row)


def markdown(policy: dict[str, Any], split: str, groups: dict[str, dict[str, Any]],
             metrics: dict[str, float], n: int, ok: int) -> str:
    name = policy.get("name", "?") + (f" ({policy['model']})" if policy.get("model") else "")
    what = {"held_out": "held-out wordings and seeds",
            "novel": "values never in training, held-out seeds"}.get(
        split, "TRAINING wordings, an in-distribution check")
    lines = [f"# phone-sim ({what}) — {name}", "",
             "| task | episodes | success rate % |", "|---|---:|---:|"]
    for task, g in groups.items():
        lines.append(f"| {task} | {g['n']} | {g['success_rate']:.1f} |")
    lines.append(f"| **all** | {n} | **{metrics['success_rate']:.1f}** |")
    return "\n".join(lines) + "\n"


def _status(records: list[dict[str, Any]]) -> str:
    return f"success {percent(sum(r['success'] for r in records), len(records)):.1f}%"


__all__ = ["evaluate", "held_out_episodes", "markdown"]
