"""``vagent eval phone-sim``: success rate on the simulated phone's held-out tasks.

Episodes are drawn with ``envs.android.tasks.sample(rng, "held_out")``: task wordings that never
appear in training data and start seeds from a range training never uses (training data comes
from the ``train`` split, see ``agent.datagen``). Each episode runs the agent loop on the
``android-sim`` env (the ADB-speaking SIMULATED phone, in-process); success is the task's own
check of the simulator's state when the episode ends. ``DIR/results.json`` holds the overall and
per-task success rates and every episode; ``DIR/results.md`` the table.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.actions.errors import VagentError
from vagent.cli.options import PolicyOptions, make_policy, policy_options


def held_out_episodes(n: int, seed: int, split: str = "held_out") -> list[tuple[str, int]]:
    from vagent.envs.android.tasks import sample

    rng = random.Random(seed)
    return [sample(rng, split) for _ in range(n)]


def evaluate(policy: Any, episodes: int, out: str | Path, seed: int = 1000,
             max_steps: int = 15, progress: bool = True, keep_runs: bool = True,
             split: str = "held_out") -> dict[str, Any]:
    """Run ``policy`` on ``episodes`` held-out tasks; write and return the results."""
    import shutil
    import tempfile

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
        TimeElapsedColumn

    from vagent import envs
    from vagent.agent.loop import Agent
    from vagent.envs.android.tasks import match

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = out / "episodes" if keep_runs else Path(tempfile.mkdtemp(prefix="vagent-eval-"))
    env = envs.make("android-sim")
    rows: list[dict[str, Any]] = []
    cols = [TextColumn("phone-sim"), BarColumn(), MofNCompleteColumn(),
            TextColumn("success {task.fields[rate]}"), TimeElapsedColumn()]
    try:
        with Progress(*cols, disable=not progress) as bar:
            job = bar.add_task("eval", total=episodes, rate="-")
            for i, (task, ep_seed) in enumerate(held_out_episodes(episodes, seed, split)):
                found = match(task)
                name = found[0].name if found else "unknown"
                agent = Agent(policy, env, out=runs / f"ep_{i:04d}", max_steps=max_steps,
                              meta={"env_name": "android-sim", "split": split})
                try:
                    traj = agent.run(task, seed=ep_seed)
                    row = {"success": traj.success is True, "steps": len(traj.steps),
                           "reason": traj.result.get("reason")}
                except VagentError as e:  # the device refused an action: a failed episode
                    row = {"success": False, "steps": None, "reason": f"error: {e}"[:300]}
                rows.append({"episode": i, "task": task, "template": name, "seed": ep_seed,
                             **row})
                rate = sum(r["success"] for r in rows) / len(rows)
                # the rows so far, so that a killed evaluation leaves its episodes on disk
                with (out / "episodes.jsonl").open("a" if i else "w") as f:
                    f.write(json.dumps(rows[-1], ensure_ascii=False) + "\n")
                bar.update(job, advance=1, rate=f"{rate:.1%}")
    finally:
        env.close()
        if not keep_runs:
            shutil.rmtree(runs, ignore_errors=True)
    return summarise(rows, policy.describe(), seed, max_steps, out, split)


def summarise(rows: list[dict[str, Any]], policy: dict[str, Any], seed: int, max_steps: int,
              out: Path | None = None, split: str = "held_out") -> dict[str, Any]:
    """Success rates overall and per task from the episodes' rows (written to ``out``)."""
    per_task: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = per_task.setdefault(r["template"], {"episodes": 0, "successes": 0})
        t["episodes"] += 1
        t["successes"] += r["success"]
    for t in per_task.values():
        t["success_rate"] = round(t["successes"] / t["episodes"], 4)
    ok = sum(r["success"] for r in rows)
    results = {"benchmark": "phone-sim", "split": split, "seed": seed,
               "policy": policy, "episodes": len(rows), "successes": ok,
               "success_rate": round(ok / len(rows), 4) if rows else 0.0,
               "max_steps": max_steps, "per_task": dict(sorted(per_task.items())),
               "runs": rows}
    if out is not None:
        (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
        (out / "results.md").write_text(markdown(results))
    return results


def markdown(results: dict[str, Any]) -> str:
    pol = results["policy"]
    name = pol.get("name", "?") + (f" ({pol['model']})" if pol.get("model") else "")
    what = {"held_out": "held-out wordings and seeds",
            "novel": "values never in training, held-out seeds"}.get(
        results.get("split", "held_out"), "TRAINING wordings, an in-distribution check")
    lines = [f"# phone-sim ({what}) — {name}", "",
             "| task | episodes | successes | success rate |", "|---|---:|---:|---:|"]
    for task, t in results["per_task"].items():
        lines.append(f"| {task} | {t['episodes']} | {t['successes']} | "
                     f"{t['success_rate']:.1%} |")
    lines.append(f"| **all** | {results['episodes']} | {results['successes']} | "
                 f"**{results['success_rate']:.1%}** |")
    return "\n".join(lines) + "\n"


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("phone-sim")
    @policy_options
    def phone_sim_cmd(
        out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")],
        episodes: Annotated[int, typer.Option(help="How many held-out episodes.")] = 200,
        seed: Annotated[int, typer.Option(help="Seed of the episode draw.")] = 1000,
        max_steps: Annotated[int, typer.Option(help="Steps per episode.")] = 15,
        split: Annotated[str, typer.Option(help="held_out (the benchmark), novel (task values "
                                           "from pools disjoint from training's, held-out "
                                           "seeds) or train (an in-distribution check).")
                         ] = "held_out",
        no_runs: Annotated[bool, typer.Option("--no-runs", help="Do not keep the episodes' "
                                              "trajectories.")] = False,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Success rate on the simulated phone's held-out tasks (DIR/results.json, .md)."""
        policy = make_policy(policy_opts)
        try:
            if split not in ("held_out", "novel", "train"):
                raise typer.BadParameter("--split takes held_out, novel or train")
            res = evaluate(policy, episodes, out, seed, max_steps, keep_runs=not no_runs,
                           split=split)
        finally:
            policy.close()
        print(markdown(res))
        print(f"results in {out}/results.json")


__all__ = ["evaluate", "held_out_episodes", "markdown", "register"]
