"""ALFRED's metrics, computed as its evaluator does.

Per episode: success s ∈ {0, 1}; goal-condition rate g = met / total; path weight
w = min(1, L / T) with L the expert's path length and T the agent's (its actions, the final
stop not counted). Over episodes: SR = Σs / N; GC = Σmet / Σtotal (pooled, not averaged);
PLW-SR = Σ(s·w·L) / ΣL; PLW-GC = Σ(g·w·L) / ΣL. All reported in percent.

Units: this env acts at the high level, so L counts the expert's high-level actions (the
non-NoOp entries of ``plan.high_pddl``) and T the agent's high-level actions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def episode_scores(success: bool, met: int, total: int, expert_length: int,
                   path_length: int) -> dict[str, float]:
    weight = min(1.0, expert_length / max(path_length, 1))
    s = 1.0 if success else 0.0
    g = met / total if total else 0.0
    return {"path_len_weight": float(expert_length), "s_spl": s * weight, "pc_spl": g * weight,
            "plw_s_spl": s * weight * expert_length, "plw_pc_spl": g * weight * expert_length}


def aggregate(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    recs = list(records)
    n = len(recs)
    if not n:
        return {"episodes": 0, "SR": 0.0, "GC": 0.0, "PLW_SR": 0.0, "PLW_GC": 0.0}
    total_w = sum(r["expert_length"] for r in recs)
    scores = [episode_scores(r["success"], r["gc_met"], r["gc_total"], r["expert_length"],
                             r["path_length"]) for r in recs]
    gc_total = sum(r["gc_total"] for r in recs)

    def pct(x: float) -> float:
        return round(100.0 * x, 2)

    return {
        "episodes": n,
        "successes": sum(1 for r in recs if r["success"]),
        "SR": pct(sum(1 for r in recs if r["success"]) / n),
        "GC": pct(sum(r["gc_met"] for r in recs) / gc_total) if gc_total else 0.0,
        "PLW_SR": pct(sum(s["plw_s_spl"] for s in scores) / total_w) if total_w else 0.0,
        "PLW_GC": pct(sum(s["plw_pc_spl"] for s in scores) / total_w) if total_w else 0.0,
    }


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall and per task type. Test episodes (``success`` None: no goal conditions here)
    are counted as ``prediction_only`` and left out of the rates; the leaderboard scores them."""
    unscored = [r for r in records if r.get("success") is None]
    records = [r for r in records if r.get("success") is not None]
    out = aggregate(records)
    if unscored:
        out["prediction_only"] = len(unscored)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_type.setdefault(r["task_type"], []).append(r)
    out["per_type"] = {k: aggregate(v) for k, v in sorted(by_type.items())}
    every = records + unscored
    out["mean_steps"] = round(sum(r["path_length"] for r in every) / len(every), 2) if every else 0
    out["mean_failures"] = round(sum(r["failures"] for r in every) / len(every), 2) if every else 0
    return out


def markdown(summary: dict[str, Any], title: str) -> str:
    rows = ["| task type | episodes | SR | GC | PLW-SR | PLW-GC |", "|---|---:|---:|---:|---:|---:|"]
    for name, s in summary.get("per_type", {}).items():
        rows.append(f"| {name} | {s['episodes']} | {s['SR']:.1f} | {s['GC']:.1f} | "
                    f"{s['PLW_SR']:.1f} | {s['PLW_GC']:.1f} |")
    rows.append(f"| **all** | {summary['episodes']} | {summary['SR']:.1f} | {summary['GC']:.1f} | "
                f"{summary['PLW_SR']:.1f} | {summary['PLW_GC']:.1f} |")
    return f"# ALFRED — {title}\n\n" + "\n".join(rows) + "\n"
