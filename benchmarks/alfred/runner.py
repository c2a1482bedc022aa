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

from ..run import BenchmarkRun, EpisodeRecord
from .metrics import markdown, summarise

METRICS = ("SR", "GC", "PLW_SR", "PLW_GC")


def run(episodes: list[AlfredTask], policy: Any, out: Path, *, backend: str = "symbolic",
        max_steps: int = 50, max_fails: int = 10, thor_platform: str | None = None,
        meta: dict[str, Any] | None = None, progress: bool = True) -> dict[str, Any]:
    """Run ``policy`` on the episodes not yet in ``OUT/episodes.jsonl``; return the summary.
    ``meta`` (where the tasks came from, the seed) joins the guarded settings."""
    from vagent.agent import Agent
    from vagent.envs.alfred import AlfredEnv

    settings = {"policy": policy.describe(), "backend": backend, "max_steps": max_steps,
                "max_fails": max_fails, **(meta or {})}
    with BenchmarkRun("alfred", out, settings, [t.episode_id for t in episodes],
                      progress=progress, status=_status) as bench:
        env = None
        try:
            for task in episodes:
                if bench.done(task.episode_id):
                    continue
                if env is None:
                    env = AlfredEnv(backend=backend, tasks=episodes, max_fails=max_fails,
                                    thor_platform=thor_platform)
                traj = Agent(policy, env, out=bench.folder(task.episode_id),
                             max_steps=max_steps,
                             meta={"alfred_task": task.task_id, "repeat_idx": task.repeat_idx,
                                   "backend": backend}).run(
                    task.instruction, options={"alfred_task": task})
                met, total = env.goal_conditions()
                bench.add(EpisodeRecord(
                    id=task.episode_id, success=met == total, steps=len(traj.steps),
                    metrics={"gc_met": met, "gc_total": total}, task=task.instruction,
                    group=task.task_type, run=bench.relative(task.episode_id),
                    task_id=task.task_id, repeat_idx=task.repeat_idx, task_type=task.task_type,
                    instruction=task.instruction, gc_met=met, gc_total=total,
                    expert_length=task.expert_length, path_length=env.path_length,
                    failures=env.failures, reason=traj.meta["result"]["reason"]))
        finally:
            if env is not None:
                env.close()
        summary = summarise(bench.selected())
        groups = {name: {**{m: g[m] for m in METRICS}, "n": g["episodes"]}
                  for name, g in summary["per_type"].items()}
        title = f"policy `{policy.describe().get('name', '?')}`, backend `{backend}`"
        return bench.finish({m: summary[m] for m in METRICS}, groups,
                            markdown(summary, title), successes=summary.get("successes", 0),
                            mean_steps=summary["mean_steps"],
                            mean_failures=summary["mean_failures"])


def _status(records: list[dict[str, Any]]) -> str:
    return f"SR {100 * sum(r['success'] for r in records) / len(records):.1f}%"
