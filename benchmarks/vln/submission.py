"""The result file R2R's and REVERIE's test servers score, from finished episodes.

R2R (``tasks/R2R/eval.py``'s docstring; ``BaseAgent.write_results``): a JSON array with one
entry per instruction, ``{"instr_id": "<path_id>_<k>", "trajectory": [[viewpoint, heading,
elevation], ...]}`` — every viewpoint passed through, from the start (the evaluator checks the
start and that consecutive viewpoints are joined), headings and elevations in radians. REVERIE
(``eval_release.py``, README): the same plus ``"predObjId"``, the object named at the stop as an
integer, ``-1`` when none was named; test instr_ids are ``<id>_<k>``.

The headings are the agent's: the episode's start heading, then the direction of each move (the
env turns the agent that way); the elevation is 0, the horizon the views are taken at. The
evaluators read only the viewpoints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vagent.envs.vln.data import Episode, SceneData
from vagent.envs.vln.datasets import DATASETS


def file_name(dataset: str, split: str) -> str:
    """``R2R_test_submission.json`` / ``REVERIE_test_submission.json``."""
    return f"{DATASETS[dataset]}_{split}_submission.json"


def trajectory(walk: list[str], heading: float, data: SceneData, scan: str
               ) -> list[list[Any]]:
    graph = data.graph(scan)
    out: list[list[Any]] = [[walk[0], round(heading, 6), 0.0]]
    for a, b in zip(walk, walk[1:]):
        if a != b:
            heading = graph.direction(a, b)[0]
        out.append([b, round(heading, 6), 0.0])
    return out


def _object_id(predicted: str | None) -> int:
    try:
        return int(str(predicted))
    except ValueError:
        return -1  # none named (REVERIE's own writer uses -1), or not an integer id


def entries(records: list[dict[str, Any]], episodes: list[Episode], data: SceneData,
            dataset: str) -> list[dict[str, Any]]:
    """One entry per finished episode, in the episodes' order."""
    by_id = {r["id"]: r for r in records}
    out = []
    for ep in episodes:
        rec = by_id.get(ep.id)
        if rec is None:
            continue
        entry: dict[str, Any] = {"instr_id": ep.id,
                                 "trajectory": trajectory(rec["walk"], ep.heading, data, ep.scan)}
        if dataset == "reverie":
            entry["predObjId"] = _object_id(rec.get("predicted_object"))
        out.append(entry)
    return out


def write(out: Path, records: list[dict[str, Any]], episodes: list[Episode], data: SceneData,
          dataset: str, split: str) -> dict[str, Any]:
    """Write ``OUT/<DATASET>_<split>_submission.json``; what the summary says about it."""
    items = entries(records, episodes, data, dataset)
    path = out / file_name(dataset, split)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    note = {"file": path.name, "entries": len(items)}
    if len(items) < len(episodes):
        note["missing"] = len(episodes) - len(items)
        note["note"] = ("the server needs every instruction of the split: finish the run "
                        "(rerun the same command) before submitting")
    return note


def after_run(out: Path, records: list[dict[str, Any]], episodes: list[Episode],
              data: SceneData, dataset: str, split: str, views: bool) -> dict[str, Any]:
    """What a finished run adds to its summary: whether views were used, and for a test split
    (or any prediction-only episodes) the submission file, written beside ``summary.json``."""
    extra: dict[str, Any] = {"views": views}
    if not views:
        extra["views_note"] = NO_VIEWS
    if split.startswith("test") or any(e.prediction_only for e in episodes):
        extra["submission"] = write(out, records, episodes, data, dataset, split)
    return extra


NO_VIEWS = ("no images were used: this policy is shown no views, so the run read only the "
            "graphs and annotations")


def markdown_notes(extra: dict[str, Any]) -> str:
    """The lines ``after_run``'s findings add to ``summary.md``."""
    lines = []
    if not extra.get("views", True):
        lines.append(f"Views: {NO_VIEWS}.")
    sub = extra.get("submission")
    if sub:
        lines.append(f"Submission: `{sub['file']}`, {sub['entries']} entries (scored by the "
                     "benchmark's server; nothing is scored here)."
                     + (f" {sub['missing']} episodes missing: {sub['note']}." if "missing" in sub
                        else ""))
    return "".join(f"\n{line}\n" for line in lines)
