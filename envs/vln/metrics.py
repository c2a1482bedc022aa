"""VLN metrics, computed as R2R's and REVERIE's evaluators define them.

Per episode, with ``d`` the shortest-path distance along the graph's edges (metres):

- TL  trajectory length: the length of the walk the agent made.
- NE  navigation error: d(final viewpoint, goal).
- SR  success: NE < 3 m.
- OSR oracle success: some viewpoint on the walk has d(viewpoint, goal) < 3 m.
- SPL success × L / max(TL, L), L = d(start, goal). An agent that stops where it starts has
  TL 0; when L is 0 too, SPL is the success itself.

REVERIE replaces the 3 m rule by the object's visibility: the goal viewpoints are those whose
box files list the target object (within 3 m) with a non-empty ``visible_pos``, as
``eval_release.py`` reads them (see ``envs.vln.data``). Success: the final viewpoint is one of
them; OSR: some viewpoint of the walk is; SPL as above with L = d(start, end of the reference
path); RGS: the object named at the stop is the target; RGSPL = RGS × L / max(TL, L).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vagent.envs.vln.data import Episode, SceneData
    from vagent.envs.vln.graph import NavGraph

SUCCESS_METRES = 3.0


def _weighted(success: float, shortest: float, length: float) -> float:
    denom = max(length, shortest)
    return float(success) if denom == 0 else float(success) * shortest / denom


def r2r(graph: NavGraph, walk: list[str], goal: str) -> dict[str, Any]:
    tl = graph.path_length(walk)
    ne = graph.distance(walk[-1], goal)
    shortest = graph.distance(walk[0], goal)
    success = ne < SUCCESS_METRES
    oracle = min(graph.distance(v, goal) for v in walk) < SUCCESS_METRES
    return {"TL": tl, "NE": ne, "success": success, "oracle_success": oracle,
            "SPL": _weighted(success, shortest, tl), "shortest": shortest, "steps": len(walk) - 1}


def reverie(graph: NavGraph, walk: list[str], reference_end: str, goals: set[str],
            target: str | None, predicted: str | None) -> dict[str, Any]:
    tl = graph.path_length(walk)
    shortest = graph.distance(walk[0], reference_end)
    success = walk[-1] in goals
    oracle = any(v in goals for v in walk)
    rgs = predicted is not None and target is not None and str(predicted) == str(target)
    return {"TL": tl, "NE": graph.distance(walk[-1], reference_end), "success": success,
            "oracle_success": oracle, "SPL": _weighted(success, shortest, tl),
            "RGS": rgs, "RGSPL": _weighted(rgs, shortest, tl), "shortest": shortest,
            "steps": len(walk) - 1}


def score(episode: Episode, walk: list[str], data: SceneData,
          predicted: str | None = None) -> dict[str, Any] | None:
    """The episode's metrics for its dataset; None for a prediction-only (test) episode."""
    if episode.prediction_only:
        return None
    graph = data.graph(episode.scan)
    if episode.dataset == "reverie":
        goals = data.viewpoints_seeing(episode.scan, str(episode.object_id))
        return reverie(graph, walk, episode.goal, goals, episode.object_id, predicted)
    return r2r(graph, walk, episode.goal)


def summarise(records: list[dict[str, Any]], dataset: str) -> dict[str, Any]:
    """Means over episodes: lengths in metres, rates in percent (as the papers print them).

    Prediction-only records (``metrics`` None or empty: a test split) are counted, not scored.
    """
    unscored = sum(1 for r in records if not r.get("metrics"))
    records = [r for r in records if r.get("metrics")]
    n = len(records)
    if unscored:
        return {"episodes": n + unscored, "prediction_only": unscored,
                **({k: v for k, v in summarise(records, dataset).items() if k != "episodes"}
                   if n else {})}
    if n == 0:
        return {"episodes": 0}

    def mean(key: str, pct: bool = False) -> float:
        value = sum(float(r["metrics"][key]) for r in records) / n
        return round(100 * value if pct else value, 2)

    out: dict[str, Any] = {"episodes": n, "TL": mean("TL"), "NE": mean("NE"),
                           "SR": mean("success", True), "OSR": mean("oracle_success", True),
                           "SPL": mean("SPL", True), "steps": mean("steps")}
    if dataset == "reverie":
        out["RGS"] = mean("RGS", True)
        out["RGSPL"] = mean("RGSPL", True)
    return out
