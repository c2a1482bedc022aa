"""Run a policy over ALFRED episodes and score them; resumable.

Each episode (a task with one of its annotations, id ``<task_id>:<repeat_idx>``) is one agent
run on an ``AlfredEnv``; its trajectory goes to ``OUT/runs/<safe id>/`` and its score, once the
episode is over, is one record of ``OUT/episodes.jsonl`` (the shape of ``benchmarks.run``): a
killed run loses at most the episode it was in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vagent.envs.alfred.tasks import AlfredTask

from ..run import BenchmarkRun, EpisodeRecord, RunPaths
from .metrics import markdown, summarise
from .submission import after_run, markdown_notes

METRICS = ("SR", "GC", "PLW_SR", "PLW_GC")


def run(episodes: list[AlfredTask], policy: Any, out: Path, *, backend: str = "symbolic",
        max_steps: int = 50, max_fails: int = 10, thor_platform: str | None = None,
        meta: dict[str, Any] | None = None, progress: bool = True,
        workers: int = 1) -> dict[str, Any]:
    """Run ``policy`` on the episodes not yet in ``OUT/episodes.jsonl``, ``workers`` at once
    (one env each: a THOR controller or a symbolic house); return the summary. ``meta`` (where
    the tasks came from, the seed) joins the guarded settings."""
    from vagent.envs.alfred import AlfredEnv

    settings = {"policy": policy.describe(), "backend": backend, "max_steps": max_steps,
                "max_fails": max_fails, **(meta or {})}
    with BenchmarkRun("alfred", out, settings, [t.episode_id for t in episodes],
                      progress=progress, status=_status) as bench:
        paths = bench.paths

        def make_env() -> Any:
            return AlfredEnv(backend=backend, tasks=episodes, max_fails=max_fails,
                             thor_platform=thor_platform)

        def one(env: Any, policy: Any, task: AlfredTask) -> EpisodeRecord:
            return run_episode(env, policy, task, paths, backend, max_steps)

        bench.map(episodes, one, key=lambda t: t.episode_id, make_env=make_env, policy=policy,
                  workers=workers)
        records = bench.selected()
        summary = summarise(records)
        groups = {name: {**{m: g[m] for m in METRICS}, "n": g["episodes"]}
                  for name, g in summary["per_type"].items()}
        unscored = not summary["episodes"] and summary.get("prediction_only")  # a test split
        scored = {} if unscored else {m: summary[m] for m in METRICS}
        extra = after_run(out, records, (meta or {}).get("split"))
        title = f"policy `{policy.describe().get('name', '?')}`, backend `{backend}`"
        return bench.finish(scored, groups, markdown(summary, title) + markdown_notes(extra),
                            successes=summary.get("successes", 0),
                            prediction_only=summary.get("prediction_only", 0),
                            mean_steps=summary["mean_steps"],
                            mean_failures=summary["mean_failures"], **extra)


def run_episode(env: Any, policy: Any, task: AlfredTask, paths: RunPaths, backend: str,
                max_steps: int) -> EpisodeRecord:
    """One ALFRED episode on ``env``: its record."""
    from vagent.agent import Agent

    traj = Agent(policy, env, out=paths.folder(task.episode_id), max_steps=max_steps,
                 meta={"alfred_task": task.task_id, "repeat_idx": task.repeat_idx,
                       "backend": backend}).run(task.instruction, options={"alfred_task": task})
    met, total = (None, None) if task.prediction_only else env.goal_conditions()
    # a test task: no goal conditions here; its THOR actions are the leaderboard's
    test = {"thor_actions": list(env.backend.actions)} if task.prediction_only else {}
    return EpisodeRecord(
        id=task.episode_id, success=None if met is None else met == total,
        steps=len(traj.steps), metrics={"gc_met": met, "gc_total": total},
        task=task.instruction, group=task.task_type, run=paths.relative(task.episode_id),
        task_id=task.task_id, repeat_idx=task.repeat_idx, task_type=task.task_type,
        instruction=task.instruction, gc_met=met, gc_total=total,
        expert_length=task.expert_length, path_length=env.path_length,
        failures=env.failures, reason=traj.meta["result"]["reason"], **test)


def _status(records: list[dict[str, Any]]) -> str:
    return f"SR {100 * sum(bool(r['success']) for r in records) / len(records):.1f}%"
