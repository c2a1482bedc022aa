"""The observe → reason → act loop.

``Agent(policy, env).run(task)``: observe, give the policy its context, read the calls it
decided (``agent.step.decide``: validated, mapped onto the screen, a parse or validation failure
fed back ``parse_retries`` times), run tools in Python and send env actions to the env, record
every step. A step that stays failed is recorded as failed and the episode goes on.
"""

from __future__ import annotations

import datetime as _dt
import functools
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vagent.actions import ActionError
from vagent.actions.errors import VagentError
from vagent.actions.context import Context, StepView
from vagent.envs.base import Env
from vagent.policies.base import Policy

from .step import decide
from .trajectory import StepRecord, Trajectory, TrajectoryWriter


@functools.cache
def _versions() -> dict[str, str]:
    """The packages' versions for meta.json: read once per process (importlib.metadata parses
    every distribution's METADATA file, ~25 ms for five, which was most of a one-step
    episode's cost)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("vagent", "transformers", "torch", "gymnasium", "pydantic"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def _screen_of(env: Env, obs: dict[str, Any]) -> tuple[int, int] | None:
    size = env.screen_size
    if size:
        return tuple(size)  # type: ignore[return-value]
    shot = obs.get("screenshot")
    if shot is not None:
        return int(shot.shape[1]), int(shot.shape[0])
    return None


def _json_safe(info: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in info.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, dict)) and len(str(v)) < 2000:
            out[k] = v
    return out


class Agent:
    """Runs one policy on one env. ``out`` is the run folder (a temp folder when None)."""

    def __init__(
        self,
        policy: Policy,
        env: Any,
        *,
        out: str | Path | None = None,
        max_steps: int = 30,
        time_budget: float | None = None,
        parse_retries: int = 1,
        on_step: Callable[[StepRecord], None] | None = None,
        meta: dict[str, Any] | None = None,
    ):
        self.policy = policy
        self.env = env
        self.out = Path(out) if out else None
        self.max_steps = max_steps
        self.time_budget = time_budget
        self.parse_retries = parse_retries
        # Screenshots of past steps kept in memory for the policy: as many as it shows the model.
        # (a duck-typed policy without the attribute gets the Policy base's default)
        self.keep_images = max(1, int(getattr(policy, "images_needed", Policy.images_needed)))
        self.on_step = on_step
        self.extra_meta = meta or {}

    def run(self, task: str, seed: int | None = None,
            options: dict[str, Any] | None = None) -> Trajectory:
        out = self.out or Path(tempfile.mkdtemp(prefix="vagent-run-"))
        env_name = self.env.spec.id if self.env.spec else None
        meta = {
            "task": task,
            "env": env_name or type(self.env.unwrapped).__name__,
            "policy": self.policy.describe(),
            "max_steps": self.max_steps,
            "seed": seed,
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": dict(_versions()),
            **self.extra_meta,
        }
        writer = TrajectoryWriter(out, meta)
        start = time.monotonic()
        obs, info = self.env.reset(seed=seed, options={"task": task, **(options or {})})
        self.policy.reset(task)
        views: list[StepView] = []
        records: list[StepRecord] = []
        reason, success, total_reward = "max_steps", None, 0.0
        try:
            for step in range(self.max_steps):
                if self.time_budget is not None and time.monotonic() - start > self.time_budget:
                    reason = "time_budget"
                    break
                record, obs, stop = self._step(step, task, obs, views, writer, seed)
                records.append(record)
                total_reward += record.reward
                if "success" in record.info and record.info["success"] is not None:
                    success = bool(record.info["success"])
                if self.on_step:
                    self.on_step(record)
                if stop:
                    reason = stop
                    break
        except KeyboardInterrupt:
            reason = "interrupted"
            raise
        except Exception as e:  # a lost device, a crashed env: the steps so far stay on disk
            reason = f"error: {e}"[:300]
            raise
        finally:
            result = {"reason": reason, "steps": len(records), "success": success,
                      "reward": total_reward,
                      "seconds": round(time.monotonic() - start, 3)}
            writer.finish(result)
        return Trajectory(out=out, meta=writer.meta, steps=records)

    # -- one step -------------------------------------------------------------------------------
    def _step(self, step: int, task: str, obs: dict[str, Any], views: list[StepView],
              writer: TrajectoryWriter, seed: int | None = None
              ) -> tuple[StepRecord, dict[str, Any], str | None]:
        env = self.env.unwrapped
        screen = _screen_of(env, obs)
        seen = obs.get("screenshot")
        shot_name = writer.screenshot(step, seen)
        context = Context(task=task, space=env.action_space, observation=obs, steps=views,
                          step=step, screen=screen, oracle=env.oracle_action,
                          oracle_answer=env.oracle_answer, protocol=env.protocol, seed=seed)
        t0 = time.perf_counter()
        outcome = decide(self.policy, context, self.parse_retries)
        decision = outcome.decision
        timings = dict(decision.timings)
        timings["decide"] = round(time.perf_counter() - t0, 4)
        record = StepRecord(step=step, raw=decision.raw, thought=decision.thought,
                            calls=decision.calls, frame=decision.frame.kind, error=outcome.error,
                            attempts=outcome.attempts, screenshot=shot_name,
                            observation_text=str(obs.get("text") or "")[:4000])
        stop: str | None = "policy_done" if decision.done else None

        space = env.action_space
        for call, tool_action in zip(decision.calls, outcome.actions):
            if isinstance(tool_action, ActionError):
                record.tool_results.append({"name": call.get("action"),
                                            "result": f"error: {tool_action}"})
            elif space.is_tool(tool_action):
                t = time.perf_counter()
                result = space.tools[tool_action.action](tool_action)
                timings[f"tool:{tool_action.action}"] = round(time.perf_counter() - t, 4)
                record.tool_results.append({"name": tool_action.action, "result": result})
        if len(outcome.env_actions) > 1:
            record.warnings.append(f"the model wrote {len(outcome.env_actions)} env actions; "
                                   "only the first was executed")
        mapped = outcome.action
        if mapped is not None:
            record.action = mapped.action.dump()
            record.clamped = mapped.clamped
            if mapped.clamped:
                record.warnings.append("a point outside the screen was clamped onto it")
            t = time.perf_counter()
            try:
                obs, reward, terminated, truncated, info = self.env.step(mapped.action)
            except ActionError as e:
                # The env refused the action (an unknown app, a key it has no name for, a
                # point off its screen): a failed step the model reads about, not the run's end.
                record.error = f"the env refused the action: {e}"
                record.info = {"refused": str(e)[:500]}
            else:
                record.reward = float(reward)
                record.terminated, record.truncated = terminated, truncated
                record.info = _json_safe(info)
                if terminated:
                    stop = "terminated"
                elif truncated:
                    stop = "truncated"
            timings["execute"] = round(time.perf_counter() - t, 4)
        record.timings = timings
        writer.write(record)
        views.append(StepView(step=step, thought=record.thought, raw=record.raw,
                              calls=record.calls, action=record.action,
                              tool_results=record.tool_results, error=record.error,
                              screenshot=seen))
        # Only the most recent screenshots stay in memory; older steps are text for the model.
        if len(views) > self.keep_images:
            views[-self.keep_images - 1].screenshot = None
        return record, obs, stop


def run(policy: Policy, env: Any, task: str, **kwargs: Any) -> Trajectory:
    """Shorthand for ``Agent(policy, env, **kwargs).run(task)``."""
    return Agent(policy, env, **kwargs).run(task)


__all__ = ["Agent", "VagentError", "run"]
