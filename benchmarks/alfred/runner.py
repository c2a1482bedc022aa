"""Run a policy over ALFRED episodes and score them; resumable.

Each episode (a task with one of its annotations) is one agent run on an ``AlfredEnv``; its
trajectory goes to ``OUT/episodes/<task_id>_<r>/`` and its score, once the episode is over, is
one line of ``OUT/episodes.jsonl``, flushed. A killed run loses at most the episode it was in:
on the next start finished episodes are read back and skipped (never scored twice) and the
interrupted one runs again from its start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError
from vagent.envs.alfred.tasks import AlfredTask

from .metrics import markdown, summarise
from .submission import after_run, markdown_notes


def _finished(path: Path) -> dict[str, dict[str, Any]]:
    done: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill: that episode runs again
            done[rec["episode"]] = rec
    return done


def _check_settings(out: Path, settings: dict[str, Any]) -> None:
    """A folder resumes only the run it holds: other settings would mix two runs' scores."""
    f = out / "run.json"
    settings = json.loads(json.dumps(settings, default=str))
    if f.exists():
        before = json.loads(f.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(before) | set(settings) if before.get(k) != settings.get(k))
        if changed:
            raise VagentError(f"{out} holds a run with other settings ({', '.join(changed)}) — "
                              "use another --out, or delete it to start over")
        return
    f.write_text(json.dumps(settings, indent=2, ensure_ascii=False), encoding="utf-8")


def run(episodes: list[AlfredTask], policy: Any, out: Path, *, backend: str = "symbolic",
        max_steps: int = 50, max_fails: int = 10, thor_platform: str | None = None,
        progress: Callable[[dict[str, Any] | None], None] | None = None,
        meta: dict[str, Any] | None = None) -> dict[str, Any]:
    from vagent.agent import Agent
    from vagent.envs.alfred import AlfredEnv

    out.mkdir(parents=True, exist_ok=True)
    _check_settings(out, {"policy": policy.describe(), "backend": backend, "max_steps": max_steps,
                          "max_fails": max_fails, **(meta or {})})
    path = out / "episodes.jsonl"
    done = _finished(path)
    env = None
    try:
        with open(path, "a", encoding="utf-8") as f:
            for task in episodes:
                if task.episode_id in done:
                    if progress:
                        progress(None)
                    continue
                if env is None:
                    env = AlfredEnv(backend=backend, tasks=episodes, max_fails=max_fails,
                                    thor_platform=thor_platform)
                folder = out / "episodes" / task.episode_id.replace(":", "_")
                traj = Agent(policy, env, out=folder, max_steps=max_steps, keep_images=2,
                             meta={"alfred_task": task.task_id, "repeat_idx": task.repeat_idx,
                                   "backend": backend}).run(
                    task.instruction, options={"alfred_task": task})
                met, total = (None, None) if task.prediction_only else env.goal_conditions()
                rec = {"episode": task.episode_id, "task_id": task.task_id,
                       "repeat_idx": task.repeat_idx, "task_type": task.task_type,
                       "instruction": task.instruction,
                       "success": None if met is None else met == total,
                       "gc_met": met, "gc_total": total, "expert_length": task.expert_length,
                       "path_length": env.path_length, "failures": env.failures,
                       "steps": len(traj.steps), "reason": traj.meta["result"]["reason"]}
                if task.prediction_only:  # a test task: its actions are the leaderboard's input
                    rec["thor_actions"] = list(env.backend.actions)
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
                done[task.episode_id] = rec
                if progress:
                    progress(rec)
    finally:
        if env is not None:
            env.close()
    records = [done[t.episode_id] for t in episodes if t.episode_id in done]
    summary = summarise(records)
    summary.update(meta or {})
    summary["policy"] = policy.describe()
    summary.update(backend=backend, max_steps=max_steps, max_fails=max_fails)
    summary.update(after_run(out, records, (meta or {}).get("split")))
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    title = f"policy `{summary['policy'].get('name', '?')}`, backend `{backend}`"
    (out / "summary.md").write_text(markdown(summary, title) + markdown_notes(summary),
                                    encoding="utf-8")
    return summary
