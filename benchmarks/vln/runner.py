"""Run a policy over VLN episodes and score each walk; resumable.

Each episode is one run of the agent on ``VLNEnv`` (its trajectory under ``OUT/runs/<id>/``)
and one record of ``OUT/episodes.jsonl`` with the walk and its metrics (the shape of
``benchmarks.run``); a rerun resumes. ``summary.json`` holds the means (TL, NE in metres; SR,
OSR, SPL, RGS, RGSPL in percent), overall and per scan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vagent.envs.vln.data import Episode, SceneData
from vagent.envs.vln.metrics import score, summarise

from ..run import BenchmarkRun, EpisodeRecord, RunPaths, percent
from .submission import after_run, markdown_notes

METRICS = ("TL", "NE", "SR", "OSR", "SPL", "RGS", "RGSPL")
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


def settings(dataset: str, split: str, max_steps: int, policy: Any, data: str | None,
             seed: int | None) -> dict[str, Any]:
    return {"policy": policy.describe(), "data": data, "dataset": dataset, "split": split,
            "seed": seed, "max_steps": max_steps}


def run(episodes: list[Episode], data: SceneData, dataset: str, policy: Any, out: Path,
        max_steps: int = 15, split: str = "", *, source: str | None = None,
        seed: int | None = None, progress: bool = True, workers: int = 1) -> dict[str, Any]:
    """Run ``policy`` on the episodes not yet in ``OUT/episodes.jsonl``, ``workers`` at once
    (one env each); return the summary."""
    from vagent.envs.vln.env import VLNEnv

    cfg = settings(dataset, split, max_steps, policy, source, seed)
    with BenchmarkRun("vln", out, cfg, [e.id for e in episodes], progress=progress,
                      status=_status) as bench:
        todo, paths = set(bench.todo), bench.paths
        views = getattr(policy, "images_needed", 1) > 0  # oracle, replay, random: no views needed
        data.check([e for e in episodes if e.id in todo], views=views)  # all missing, up front

        def make_env() -> Any:
            return VLNEnv(data=data, dataset=dataset, episodes=episodes, max_steps=max_steps,
                          views=views)

        def one(env: Any, policy: Any, ep: Episode) -> EpisodeRecord:
            return run_episode(env, policy, ep, data, dataset, paths, max_steps)

        bench.map(episodes, one, key=lambda ep: ep.id, make_env=make_env, policy=policy,
                  workers=workers)
        records = bench.selected()
        means = summarise(records, dataset)
        metrics = {k: means[k] for k in METRICS if k in means}
        groups: dict[str, dict[str, Any]] = {}
        for scan in dict.fromkeys(r["group"] for r in records):
            part = summarise([r for r in records if r["group"] == scan], dataset)
            groups[scan] = {**{k: part[k] for k in METRICS if k in part}, "n": part["episodes"]}
        extra = after_run(out, records, episodes, data, dataset, split, views)
        md = markdown({**means, "split": split}, dataset, str(policy.describe().get("name", "?")))
        return bench.finish(metrics, groups, md + markdown_notes(extra),
                            units={"TL": "m", "NE": "m"}, dataset=dataset, split=split,
                            prediction_only=means.get("prediction_only", 0), **extra,
                            failed_decisions=sum(r["failed_decisions"] for r in records))


def run_episode(env: Any, policy: Any, ep: Episode, data: SceneData, dataset: str,
                paths: RunPaths, max_steps: int) -> EpisodeRecord:
    """One walk on ``env``: its record with the walk and its metrics."""
    from vagent.agent import Agent

    traj = Agent(policy, env, out=paths.folder(ep.id), max_steps=max_steps,
                 meta={"episode": ep.id, "dataset": dataset}).run(
                     ep.instruction, options={"episode": ep})
    walk = list(env.path)
    metrics = score(ep, walk, data, env.predicted_object)  # None: a test episode
    errors = sum(1 for s in traj.steps if s.error)
    return EpisodeRecord(
        id=ep.id, success=None if metrics is None else bool(metrics["success"]),
        steps=len(traj.steps), metrics=metrics or {}, run=paths.relative(ep.id),
        task=ep.instruction, group=ep.scan, scan=ep.scan, walk=walk, reference=ep.path,
        stopped=env.stopped, predicted_object=env.predicted_object,
        target_object=ep.object_id, reason=traj.result.get("reason"),
        decisions=len(traj.steps), failed_decisions=errors)


def _status(records: list[dict[str, Any]]) -> str:
    return f"SR {percent(sum(bool(r['success']) for r in records), len(records)):.1f}%"
