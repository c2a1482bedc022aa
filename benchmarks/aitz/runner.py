"""Evaluate a policy on AITZ, step by step under the ground-truth history; or score predictions.

At every step the policy gets a ``policies.Context``: the task is the episode's instruction, the
observation is the stored screenshot, the previous steps are the *ground-truth* actions (as
StepViews, text only), the space is the mobile space bound to the screenshot's size, and
``oracle`` returns the ground truth (so ``--policy oracle`` replays it). Steps are independent,
so a pool of ``batch`` workers asks the policy concurrently (or hands ``batch`` contexts at once
to a policy that has ``act_batch``).

``OUT/steps.jsonl`` gets one line per scored step, flushed as it is scored. A killed run
continues where it stopped: steps already in the file are not asked again, a last line cut
short by the kill is dropped (that step runs again), so no step is scored twice and no scored
step is lost. ``OUT/summary.json`` and ``OUT/summary.md`` are written when every step is scored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vagent.actions import ActionError, ActionSpace, get_space
from vagent.actions.errors import VagentError
from vagent.actions.context import Context, Decision, StepView
from vagent.agent.step import NO_ACTION, decide
from vagent.policies.base import Policy

from .. import records as record_files

from .loader import Episode, Step
from .scoring import markdown, score_step, summarise

STEPS_FILE = "steps.jsonl"


# -- the context of one step -------------------------------------------------------------------
def history_view(step: Step) -> StepView:
    """A finished ground-truth step as a policy sees it (text only)."""
    raw = json.dumps(step.action, ensure_ascii=False)
    return StepView(step=step.step_id, raw=raw, calls=[step.action], action=step.action)


def build_context(step: Step, previous: Sequence[Step], space: ActionSpace) -> Context:
    screenshot = np.asarray(Image.open(step.image).convert("RGB"))
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


# -- steps.jsonl -------------------------------------------------------------------------------
def read_records(path: Path, repair: bool = False) -> dict[tuple[str, int], dict[str, Any]]:
    """Scored steps by (episode_id, step_id); see benchmarks.records."""
    return record_files.read_records(  # type: ignore[return-value]
        path, lambda r: (str(r["episode_id"]), int(r["step_id"])), repair)


def failed_without_answer(rec: dict[str, Any]) -> bool:
    return bool(rec.get("error")) and not rec.get("raw") and not rec.get("missing")


def _drop_failed(path: Path, records: dict[tuple[str, int], dict[str, Any]]
                 ) -> dict[tuple[str, int], dict[str, Any]]:
    """Rewrite steps.jsonl without the steps that failed without an answer."""
    keep = {k: r for k, r in records.items() if not failed_without_answer(r)}
    if len(keep) < len(records):
        tmp = path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in keep.values()),
                       encoding="utf-8")
        os.replace(tmp, path)
    return keep


def _check_run(out: Path, info: dict[str, Any]) -> None:
    """A folder holds one policy's run: resuming with another policy would mix two runs."""
    path = out / "run.json"
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8")).get("policy", {})
        now = info["policy"]
        if any(before.get(k) != now.get(k) for k in ("name", "model")):
            model = f" ({before['model']})" if before.get("model") else ""
            what = f"{before.get('name')}{model}"
            raise VagentError(f"{out} holds a run of policy {what!r} — give another --out to "
                              "evaluate a different policy or model")
        return
    tmp = out / "run.json.tmp"
    tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _finish(out: Path, steps: Sequence[Step], records: dict[tuple[str, int], dict[str, Any]],
            extra: dict[str, Any], title: str) -> dict[str, Any]:
    summary = summarise(steps, records)
    summary.update(extra)
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str),
                   encoding="utf-8")
    os.replace(tmp, out / "summary.json")
    (out / "summary.md").write_text(markdown(summary, title), encoding="utf-8")
    return summary


# -- evaluation --------------------------------------------------------------------------------
def _jobs(episodes: Iterable[Episode], done: set[tuple[str, int]]
          ) -> list[tuple[Step, list[Step]]]:
    jobs = []
    for ep in episodes:
        for i, step in enumerate(ep.steps):
            if step.key not in done:
                jobs.append((step, ep.steps[:i]))
    return jobs


def evaluate(episodes: Sequence[Episode], policy: Policy, out: str | Path, *, batch: int = 8,
             parse_retries: int = 0, space: ActionSpace | None = None,
             on_start: Callable[[int, int], None] | None = None,
             on_step: Callable[[dict[str, Any]], None] | None = None,
             data: str | None = None, retry_failed: bool = False) -> dict[str, Any]:
    """Run ``policy`` on every step not yet in ``OUT/steps.jsonl``; return the summary.

    A step whose request failed without any model output (a server that gave up) is scored
    wrong, like any step without an action; ``retry_failed`` takes such steps out of the file
    first so that they are asked again. ``on_start(total, already_done)`` and
    ``on_step(record)`` drive a progress bar.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if batch < 1:
        raise VagentError("--batch must be at least 1")
    space = space or get_space("mobile")
    _check_run(out, {"policy": policy.describe(), "data": data})
    path = out / STEPS_FILE
    records = read_records(path, repair=True)
    if retry_failed:
        records = _drop_failed(path, records)
    steps = [s for ep in episodes for s in ep.steps]
    jobs = _jobs(episodes, set(records))
    if on_start:
        on_start(len(steps), len(steps) - len(jobs))
    t0 = time.perf_counter()
    ran = 0
    with open(path, "a", encoding="utf-8") as f:

        def keep(step: Step, result: dict[str, Any]) -> None:
            nonlocal ran
            rec = score_step(step, result.pop("prediction"), **result)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            records[step.key] = rec
            ran += 1
            if on_step:
                on_step(rec)

        if batch > 1 and callable(getattr(policy, "act_batch", None)):
            _run_batched(policy, jobs, space, batch, parse_retries, keep)
        else:
            _run_pool(policy, jobs, space, batch, parse_retries, keep)
    seconds = time.perf_counter() - t0
    run = {"steps_run": ran, "seconds": round(seconds, 3), "batch": batch,
           "steps_per_second": round(ran / seconds, 3) if seconds > 0 and ran else None}
    return _finish(out, steps, records, {"policy": policy.describe(), "data": data, "run": run},
                   f"policy `{policy.describe().get('name', '?')}`")


def _run_pool(policy: Policy, jobs: list[tuple[Step, list[Step]]], space: ActionSpace,
              batch: int, parse_retries: int, keep: Callable[[Step, dict[str, Any]], None]
              ) -> None:
    """Up to ``batch`` steps in flight; results are written by this thread as they finish."""

    def one(step: Step, previous: list[Step]) -> dict[str, Any]:
        return predict(policy, build_context(step, previous, space), parse_retries)

    if batch == 1:
        for step, previous in jobs:
            keep(step, one(step, previous))
        return
    pending: dict[Future[dict[str, Any]], Step] = {}
    queue = iter(jobs)
    pool = ThreadPoolExecutor(max_workers=batch, thread_name_prefix="aitz")
    try:
        while True:
            while len(pending) < batch:
                job = next(queue, None)
                if job is None:
                    break
                pending[pool.submit(one, *job)] = job[0]
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                step = pending.pop(fut)
                keep(step, fut.result())
    finally:
        # On an error or Ctrl-C, do not wait for requests still in flight: their steps were
        # not written, so a resumed run asks them again.
        pool.shutdown(wait=not pending, cancel_futures=True)


def _run_batched(policy: Any, jobs: list[tuple[Step, list[Step]]], space: ActionSpace,
                 batch: int, parse_retries: int, keep: Callable[[Step, dict[str, Any]], None]
                 ) -> None:
    """For policies that decide many contexts in one call (one batched forward pass)."""
    for i in range(0, len(jobs), batch):
        chunk = jobs[i:i + batch]
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
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key = (str(item["episode_id"]), int(item["step_id"]))
        except json.JSONDecodeError as e:
            raise VagentError(f"{p}:{n}: not JSON ({e.msg})") from None
        except (KeyError, TypeError, ValueError):
            raise VagentError(f"{p}:{n}: each line needs episode_id, step_id and action") from None
        if key in preds:
            raise VagentError(f"{p}:{n}: a second prediction for episode {key[0]} step {key[1]}"
                              " — keep one line per step")
        preds[key] = item.get("action")
    return preds


def score_predictions(episodes: Sequence[Episode], predictions: str | Path, out: str | Path,
                      data: str | None = None) -> dict[str, Any]:
    """Score a predictions file: missing steps count as wrong and are listed in the summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    preds = read_predictions(predictions)
    steps = [s for ep in episodes for s in ep.steps]
    records: dict[tuple[str, int], dict[str, Any]] = {}
    missing: list[str] = []
    for step in steps:
        if step.key not in preds:
            rec = score_step(step, None)
            rec["missing"] = True
            missing.append(f"{step.episode_id}/{step.step_id}")
        else:
            action = preds[step.key]
            error = None
            if not isinstance(action, dict):
                action, error = None, "the action is not a JSON object"
            else:
                try:
                    action = get_space("gui").validate(action).dump()
                except ActionError as e:
                    action, error = None, str(e)
            rec = score_step(step, action, error=error)
        records[step.key] = rec
    tmp = out / (STEPS_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for step in steps:
            f.write(json.dumps(records[step.key], ensure_ascii=False) + "\n")
    os.replace(tmp, out / STEPS_FILE)
    known = {s.key for s in steps}
    unknown = sorted(f"{e}/{s}" for e, s in preds if (e, s) not in known)
    return _finish(out, steps, records,
                   {"predictions": str(predictions), "data": data, "missing_steps": missing,
                    "unknown_predictions": unknown}, f"predictions `{Path(predictions).name}`")
