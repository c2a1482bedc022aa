"""Run a policy over VLN episodes and score each walk; resumable.

Each episode is one run of the agent on ``VLNEnv`` (its trajectory under
``OUT/episodes/<id>/``) and one line of ``OUT/episodes.jsonl`` with the walk and its metrics,
written when the episode ends. A rerun skips the episodes already in that file, so a killed
evaluation goes on where it stopped. ``OUT/summary.json`` and ``OUT/summary.md`` hold the means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vagent.envs.vln.data import Episode, SceneData

from ..records import read_records

from vagent.envs.vln.metrics import score, summarise

from .submission import after_run, markdown_notes

COLUMNS = {"r2r": ["TL", "NE", "SR", "OSR", "SPL"],
           "reverie": ["TL", "SR", "OSR", "SPL", "RGS", "RGSPL"]}


def markdown(summary: dict[str, Any], dataset: str, policy: str) -> str:
    cols = COLUMNS[dataset]
    head = "| policy | episodes | " + " | ".join(cols) + " |"
    rule = "|---|---:|" + "---:|" * len(cols)
    row = f"| {policy} | {summary['episodes']} | " + " | ".join(
        f"{summary[c]:.2f}" if c in summary else "—" for c in cols) + " |"  # —: a test split
    note = ("TL and NE in metres; SR, OSR, SPL" + (", RGS, RGSPL" if dataset == "reverie" else "")
            + " in percent.")
    title = f"# VLN ({dataset.upper()}) — {summary.get('split', '')}"
    return f"{title}\n\n{head}\n{rule}\n{row}\n\n{note}\n"


def _folder(episode_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", episode_id)


def run(episodes: list[Episode], data: SceneData, dataset: str, policy: Any, out: Path,
        max_steps: int = 15, split: str = "", progress: Callable[[], None] | None = None
        ) -> dict[str, Any]:
    from vagent.agent import Agent
    from vagent.envs.vln.env import VLNEnv

    out.mkdir(parents=True, exist_ok=True)
    results = out / "episodes.jsonl"
    done = read_records(results, lambda r: r["id"], repair=True)
    views = getattr(policy, "images_needed", 1) > 0  # oracle, replay, random: no views needed
    data.check([e for e in episodes if e.id not in done], views=views)  # all missing, up front
    env = VLNEnv(data=data, dataset=dataset, episodes=episodes, max_steps=max_steps, views=views)
    with open(results, "a", encoding="utf-8") as f:
        if results.stat().st_size and not results.read_bytes().endswith(b"\n"):
            f.write("\n")  # a line cut short by a kill stays apart from the next record
        for ep in episodes:
            if ep.id not in done:
                traj = Agent(policy, env, out=out / "episodes" / _folder(ep.id),
                             max_steps=max_steps, keep_images=2,
                             meta={"episode": ep.id, "dataset": dataset}).run(
                                 ep.instruction, options={"episode": ep})
                walk = list(env.path)
                rec = {"id": ep.id, "scan": ep.scan, "instruction": ep.instruction,
                       "walk": walk, "reference": ep.path, "stopped": env.stopped,
                       "predicted_object": env.predicted_object, "target_object": ep.object_id,
                       "metrics": score(ep, walk, data, env.predicted_object),
                       "reason": traj.result.get("reason"), "decisions": len(traj.steps),
                       "errors": sum(1 for s in traj.steps if s.error)}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
                done[ep.id] = rec
            if progress:
                progress()
    env.close()
    records = [done[e.id] for e in episodes if e.id in done]
    summary = summarise(records, dataset)
    summary.update({"dataset": dataset, "split": split, "max_steps": max_steps,
                    "policy": policy.describe(),
                    "errors": sum(r.get("errors", 0) for r in records)})
    summary.update(after_run(out, records, episodes, data, dataset, split, views))
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    (out / "summary.md").write_text(
        markdown(summary, dataset, str(policy.describe().get("name", "?")))
        + markdown_notes(summary), encoding="utf-8")
    return summary
