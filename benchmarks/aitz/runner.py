"""Evaluate a policy on AITZ, step by step under the ground-truth history; or score predictions.

At every step the policy gets a ``policies.Context``: the task is the episode's instruction, the
observation is the stored screenshot, the previous steps are the *ground-truth* actions (as
StepViews, text only), the space is the mobile space bound to the screenshot's size, and
``oracle`` returns the ground truth (so ``--policy oracle`` replays it). Steps are independent,
so a pool of ``workers`` threads asks the policy concurrently (or hands ``workers`` contexts at
once to a policy that has ``act_batch``).

Results have the shape of ``benchmarks.run``: an episode is one record of
``OUT/episodes.jsonl`` once all its steps are scored (its scored steps under ``step_records``);
a killed run loses only the episodes in flight and a rerun asks those again, so no step is
scored twice and no recorded step is lost. ``summary.json``: the CoAT and AITW metrics (%)
overall under ``metrics`` and per subset under ``groups``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vagent.actions import ActionError, ActionSpace, get_space
from vagent.actions import files
from vagent.actions.errors import VagentError
from vagent.actions.context import Context, Decision, StepView
from vagent.agent.step import NO_ACTION, decide
from vagent.policies.base import Policy

from ..run import BenchmarkRun, EpisodeRecord, percent
from .loader import Episode, Step
from .metrics_coat import episode_metrics
from .scoring import METRICS, markdown, score_step, summarise


# -- the context of one step -------------------------------------------------------------------
def history_view(step: Step) -> StepView:
    """A finished ground-truth step as a policy sees it (text only)."""
    raw = json.dumps(step.action, ensure_ascii=False)
    return StepView(step=step.step_id, raw=raw, calls=[step.action], action=step.action)


def build_context(step: Step, previous: Sequence[Step], space: ActionSpace) -> Context:
    screenshot = np.asarray(files.open_image(step.image))
    bound = space.with_screen(step.width, step.height)
    return Context(task=step.instruction, space=bound,
                   observation={"screenshot": screenshot, "text": ""},
                   steps=[history_view(s) for s in previous], step=step.step_id,
                   screen=(step.width, step.height),
                   oracle=lambda: bound.validate(step.action))


def predict(policy: Policy, context: Context, parse_retries: int = 0,
            decision: Decision | None = None) -> dict[str, Any]:
    """Ask the policy through the one decision step and read its first env action.

    Only the model's own mistakes (unparsable or invalid output, no action) become a scored
    error; any other exception (a dropped server, an out-of-memory) propagates and the step is
    not scored.
    """
    t0 = time.perf_counter()
    outcome = decide(policy, context, parse_retries, decision=decision)
    mapped = outcome.action
    error = outcome.error
    if error is None and mapped is None:
        error = NO_ACTION  # tool calls only: AITZ scores the env action
    return {"prediction": mapped.action.dump() if error is None and mapped else None,
            "error": error, "raw": outcome.decision.raw,
            "clamped": bool(mapped and mapped.clamped), "attempts": outcome.attempts,
            "seconds": round(time.perf_counter() - t0, 4)}


# -- the run ---------------------------------------------------------------------------------
def failed_without_answer(rec: dict[str, Any]) -> bool:
    """A step whose request failed without any model output (a server that gave up)."""
    return bool(rec.get("error")) and not rec.get("raw") and not rec.get("missing")


def episode_record(ep: Episode, scored: list[dict[str, Any]]) -> EpisodeRecord:
    """An episode's record: its scored steps (in step order) and the CoAT episode figures."""
    exact = [bool(r["exact_match"]) for r in scored]
    ep_fig = episode_metrics([exact])
    errors = [r["error"] for r in scored if r.get("error")]
    return EpisodeRecord(
        id=ep.episode_id, success=ep_fig["success_rate"] == 1.0,
        error=(f"{len(errors)} of {len(scored)} steps failed: {errors[0]}"[:300]
               if errors else None),
        steps=len(scored), task=ep.instruction, group=ep.subset,
        metrics={"type_match": percent(sum(bool(r["type_match"]) for r in scored), len(scored)),
                 "exact_match": percent(sum(exact), len(scored)),
                 "goal_progress": round(100 * ep_fig["goal_progress"], 2)},
        step_records=scored)


def step_records(records: Iterable[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Scored steps by (episode_id, step_id), from episode records."""
    return {(str(r["episode_id"]), int(r["step_id"])): r
            for ep in records for r in ep.get("step_records") or []}


def _finish(bench: BenchmarkRun, episodes: Sequence[Episode], title: str,
            **extra: Any) -> dict[str, Any]:
    mine = set(bench.ids)  # a shard's summary covers its own episodes
    steps = [s for ep in episodes if ep.episode_id in mine for s in ep.steps]
    full = summarise(steps, step_records(bench.selected()))
    overall = full.pop("overall")
    metrics = {m: overall[m] for m in (*METRICS, "success_rate", "goal_progress")}
    groups = {name: {**{m: g[m] for m in metrics}, "n": g["episodes"]}
              for name, g in full.items()}
    return bench.finish(metrics, groups, markdown({**full, "overall": overall}, title),
                        overall=overall, subsets=full, **extra)


def _status(records: list[dict[str, Any]]) -> str:
    scored = [s for r in records for s in r.get("step_records") or []]
    return f"EM {percent(sum(bool(s['exact_match']) for s in scored), len(scored)):.1f}%"


# -- evaluation --------------------------------------------------------------------------------
def evaluate(episodes: Sequence[Episode], policy: Policy, out: str | Path, *, workers: int = 8,
             parse_retries: int = 0, space: ActionSpace | None = None,
             data: str | None = None, seed: int | None = None, retry_failed: bool = False,
             progress: bool = True) -> dict[str, Any]:
    """Run ``policy`` on every episode not yet in ``OUT/episodes.jsonl``; return the summary.

    Steps are asked ``workers`` at once (steps are independent: the history is the ground
    truth); an episode is recorded once all its steps are scored. A step whose request failed
    without any model output (a server that gave up) is scored wrong, like any step without an
    action; ``retry_failed`` runs the episodes holding such steps again.
    """
    if workers < 1:
        raise VagentError("--workers must be at least 1")
    space = space or get_space("mobile")
    settings = {"policy": policy.describe(), "data": data, "seed": seed,
                "parse_retries": parse_retries}
    ids = [ep.episode_id for ep in episodes]
    with BenchmarkRun("aitz", out, settings, ids, progress=progress, status=_status) as bench:
        if retry_failed:
            bench.forget(r["id"] for r in bench.selected()
                         if any(failed_without_answer(s) for s in r.get("step_records") or []))
        wanted = set(bench.todo)  # this shard's unfinished episodes
        todo = {ep.episode_id: ep for ep in episodes if ep.episode_id in wanted}
        scored: dict[str, dict[int, dict[str, Any]]] = {i: {} for i in todo}
        jobs = [(step, ep.steps[:i]) for ep in todo.values() for i, step in enumerate(ep.steps)]
        t0 = time.perf_counter()

        def keep(step: Step, result: dict[str, Any]) -> None:
            got = scored[step.episode_id]
            got[step.step_id] = score_step(step, result.pop("prediction"), **result)
            ep = todo[step.episode_id]
            if len(got) == len(ep.steps):
                bench.add(episode_record(ep, [got[s.step_id] for s in ep.steps]))

        def lost(job: tuple[Step, list[Step]], why: str) -> None:  # a Ray worker died twice
            keep(job[0], {"prediction": None, "error": why[:300], "raw": ""})

        if (workers > 1 and callable(getattr(policy, "act_batch", None))
                and bench.spread.ray is None and not bench.spread.finish_only):
            _run_batched(policy, jobs, space, workers, parse_retries, keep)
        else:
            _run_pool(bench, policy, jobs, space, workers, parse_retries, keep, lost)
        seconds = time.perf_counter() - t0
        ran = len(jobs)
        speed = {"steps_run": ran, "seconds": round(seconds, 3), "workers": workers,
                 "steps_per_second": round(ran / seconds, 3) if seconds > 0 and ran else None}
        return _finish(bench, episodes, f"policy `{policy.describe().get('name', '?')}`",
                       speed=speed)


def _run_pool(bench: BenchmarkRun, policy: Policy, jobs: list[tuple[Step, list[Step]]],
              space: ActionSpace, workers: int, parse_retries: int,
              keep: Callable[[Step, dict[str, Any]], None],
              lost: Callable[[tuple[Step, list[Step]], str], None]) -> None:
    """Up to ``workers`` steps in flight (``agent.pool`` as the run is spread; a step needs no
    env); results are written by this thread as they finish."""

    def one(_env: None, policy: Policy, job: tuple[Step, list[Step]]) -> dict[str, Any]:
        step, previous = job
        return predict(policy, build_context(step, previous, space), parse_retries)

    bench.dispatch(jobs, one, make_env=None, policy=policy, workers=workers,
                   on_done=lambda job, result: keep(job[0], result), on_lost=lost)


def _run_batched(policy: Any, jobs: list[tuple[Step, list[Step]]], space: ActionSpace,
                 workers: int, parse_retries: int, keep: Callable[[Step, dict[str, Any]], None]
                 ) -> None:
    """For policies that decide many contexts in one call (one batched forward pass)."""
    for i in range(0, len(jobs), workers):
        chunk = jobs[i:i + workers]
        contexts = [build_context(step, prev, space) for step, prev in chunk]
        t0 = time.perf_counter()
        decisions = policy.act_batch(contexts)
        share = (time.perf_counter() - t0) / len(chunk)
        for (step, _), context, decision in zip(chunk, contexts, decisions):
            result = predict(policy, context, parse_retries, decision=decision)
            result["seconds"] = round(result["seconds"] + share, 4)
            keep(step, result)


# -- predictions made elsewhere ----------------------------------------------------------------
def read_predictions(path: str | Path) -> dict[tuple[str, int], dict[str, Any]]:
    """``{"episode_id", "step_id", "action"}`` lines keyed by (episode_id, step_id)."""
    p = Path(path)
    if not p.exists():
        raise VagentError(f"no predictions file at {p} — give a JSONL file of "
                          '{"episode_id", "step_id", "action"} lines')
    preds: dict[tuple[str, int], dict[str, Any]] = {}
    for n, item in files.read_jsonl(p, "predictions file"):
        try:
            key = (str(item["episode_id"]), int(item["step_id"]))
        except (KeyError, TypeError, ValueError, OverflowError):
            raise VagentError(f"{p}:{n}: each line needs episode_id, step_id and action") from None
        if key in preds:
            raise VagentError(f"{p}:{n}: a second prediction for episode {key[0]} step {key[1]}"
                              " — keep one line per step")
        preds[key] = item.get("action")
    return preds


def score_predictions(episodes: Sequence[Episode], predictions: str | Path, out: str | Path,
                      data: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Score a predictions file: missing steps count as wrong and are listed in the summary."""
    preds = read_predictions(predictions)
    missing: list[str] = []
    settings = {"policy": {"name": "predictions"}, "predictions": str(predictions),
                "data": data}
    ids = [ep.episode_id for ep in episodes]
    with BenchmarkRun("aitz", out, settings, ids, progress=progress) as bench:
        bench.forget(ids)  # the file may have changed since: score every step again
        for ep in episodes:
            scored = []
            for step in ep.steps:
                if step.key not in preds:
                    rec = score_step(step, None)
                    rec["missing"] = True
                    missing.append(f"{step.episode_id}/{step.step_id}")
                else:
                    action, error = _prediction(preds[step.key])
                    rec = score_step(step, action, error=error)
                scored.append(rec)
            bench.add(episode_record(ep, scored))
        known = {s.key for ep in episodes for s in ep.steps}
        unknown = sorted(f"{e}/{s}" for e, s in preds if (e, s) not in known)
        return _finish(bench, episodes, f"predictions `{Path(predictions).name}`",
                       predictions=str(predictions), missing_steps=missing,
                       unknown_predictions=unknown)


def _prediction(action: Any) -> tuple[dict[str, Any] | None, str | None]:
    if not isinstance(action, dict):
        return None, "the action is not a JSON object"
    try:
        return get_space("gui").validate(action).dump(), None
    except ActionError as e:
        return None, str(e)
