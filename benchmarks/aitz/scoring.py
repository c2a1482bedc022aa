"""Scoring one step and summarising many: the scored steps of an AITZ episode record
(``step_records`` in ``episodes.jsonl``) and the figures of ``summary.json``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from vagent.actions.errors import VagentError

from .actions import gesture_of
from .loader import Step
from .metrics_aitw import aitw_match
from .metrics_coat import episode_metrics, exact_match, type_match

METRICS = ("type_match", "exact_match", "aitw_match", "aitw_match_dir")
#: Keys of summary.json that are not subset names.
RESERVED = {"overall", "policy", "data", "run", "predictions", "missing_steps",
            "unknown_predictions"}


def score_step(step: Step, prediction: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """One scored step: the prediction (pixels), the ground truth, and the flags."""
    gesture, error = None, extra.pop("error", None)
    if prediction is not None:
        try:
            gesture = gesture_of(prediction, step.width, step.height)
        except VagentError as e:
            error = error or str(e)
    gt = step.gesture
    boxes = step.aitw_boxes()
    rec: dict[str, Any] = {
        "subset": step.subset, "episode_id": step.episode_id, "step_id": step.step_id,
        "prediction": prediction, "ground_truth": step.action,
        "pred_kind": gesture.kind if gesture else None, "gt_kind": gt.kind,
        "type_match": type_match(gesture, gt),
        "exact_match": exact_match(gesture, gt, step.pixel_boxes()),
        "aitw_match": gesture is not None and aitw_match(gesture, gt, boxes),
        "aitw_match_dir": gesture is not None and aitw_match(gesture, gt, boxes, True),
        "missing": False, "error": error,
    }
    rec.update(extra)
    return rec


def _pct(n: float, d: int) -> float:
    return round(100 * n / d, 2) if d else 0.0


def summarise_group(steps: Sequence[Step], records: dict[tuple[str, int], dict[str, Any]]
                    ) -> dict[str, Any]:
    """Metrics (percentages) over ``steps``; a step without a record counts as wrong."""
    flags = {m: 0 for m in METRICS}
    by_episode: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"steps": 0, "type": 0, "exact": 0})
    missing = errors = failed = 0
    for s in steps:
        rec = records.get(s.key)
        if rec is None or rec.get("missing"):
            missing += 1
        elif rec.get("error"):
            errors += 1
            failed += not rec.get("raw")
        for m in METRICS:
            flags[m] += bool(rec and rec[m])
        exact = bool(rec and rec["exact_match"])
        by_episode[s.episode_id].append((s.step_id, exact))
        k = by_kind[s.gesture.kind]
        k["steps"] += 1
        k["type"] += bool(rec and rec["type_match"])
        k["exact"] += exact
    ep = episode_metrics([[f for _, f in sorted(v)] for v in by_episode.values()])
    n = len(steps)
    out: dict[str, Any] = {m: _pct(flags[m], n) for m in METRICS}
    out["success_rate"] = round(100 * ep["success_rate"], 2)
    out["goal_progress"] = round(100 * ep["goal_progress"], 2)
    # errors: steps scored wrong for an error; no_answer: of those, the ones without any model
    # output (a request that failed), which --retry-failed asks again
    out.update(steps=n, episodes=len(by_episode), missing=missing, errors=errors,
               no_answer=failed)
    out["by_type"] = {kind: {"steps": v["steps"], "type_match": _pct(v["type"], v["steps"]),
                             "exact_match": _pct(v["exact"], v["steps"])}
                      for kind, v in sorted(by_kind.items())}
    return out


def summarise(steps: Sequence[Step], records: dict[tuple[str, int], dict[str, Any]]
              ) -> dict[str, Any]:
    """``overall`` plus one object per subset (each: type_match, exact_match, aitw_match,
    aitw_match_dir, success_rate, goal_progress, steps, episodes, missing, errors, by_type)."""
    summary: dict[str, Any] = {"overall": summarise_group(steps, records)}
    for subset in sorted({s.subset for s in steps}):
        if subset in RESERVED:
            raise VagentError(f"a subset may not be named {subset!r}; rename the folder")
        summary[subset] = summarise_group([s for s in steps if s.subset == subset], records)
    return summary


def markdown(summary: dict[str, Any], title: str) -> str:
    head = ("| subset | type match | exact match | AITW match | AITW + direction | success rate "
            "| goal progress | steps | episodes | missing |")
    rows = [head, "|---|" + "---:|" * 9]
    names = [k for k, v in summary.items() if isinstance(v, dict) and "exact_match" in v
             and k != "overall"] + ["overall"]
    for name in names:
        g = summary[name]
        label = f"**{name}**" if name == "overall" else name
        rows.append(f"| {label} | {g['type_match']:.1f} | {g['exact_match']:.1f} | "
                    f"{g['aitw_match']:.1f} | {g['aitw_match_dir']:.1f} | "
                    f"{g['success_rate']:.1f} | {g['goal_progress']:.1f} | {g['steps']} | "
                    f"{g['episodes']} | {g['missing']} |")
    note = ("\nType/exact match, success rate and goal progress follow the CoAT evaluator "
            "(intended rules); AITW match is the original AITW action matching; AITW + direction "
            "also requires swipes to move the same way. All in %.\n")
    return f"# AITZ — {title}\n\n" + "\n".join(rows) + "\n" + note
