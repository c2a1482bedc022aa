"""``vagent eval alfred``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.benchmark_options import (Episodes, Seed, Workers, out_option, report,
                                          spread_options)
from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("alfred")
    @policy_options
    @spread_options("alfred")
    def alfred_cmd(
        data: Annotated[Path | None, typer.Option(help="ALFRED json folder holding SPLIT/**/traj_data.json (default: the project's generated symbolic set).")] = None,
        split: Annotated[str, typer.Option(help="Split folder under --data.")] = "valid_unseen",
        backend: Annotated[str, typer.Option(help="thor (ai2thor 5.x) or symbolic.")] = "symbolic",
        out: Annotated[Path, out_option("alfred")] = Path("runs/alfred"),
        episodes: Episodes = None,
        seed: Seed = 0,
        workers: Workers = 1,
        max_steps: Annotated[int, typer.Option(min=1, max=100000, help="High-level actions per episode.")] = 50,
        max_fails: Annotated[int, typer.Option(min=1, max=100000, help="Failed actions that end an episode (ALFRED: 10).")] = 10,
        per_type: Annotated[int, typer.Option(min=1, max=1000, help="Generated set: tasks per task type.")] = 5,
        thor_platform: Annotated[str | None, typer.Option(help="thor: an ai2thor.platform name, e.g. CloudRendering.")] = None,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """ALFRED: success rate, goal conditions and their path-length-weighted forms.

        Default policy: oracle (the expert plan). Without --data, a generated symbolic set
        drawn from --seed.
        """
        from vagent.actions.errors import VagentError
        from vagent.envs.alfred.tasks import episodes as all_episodes
        from vagent.envs.alfred.tasks import load_split

        from vagent.benchmarks.alfred.runner import run

        if backend not in ("thor", "symbolic"):
            raise typer.BadParameter("choose thor or symbolic", param_hint="--backend")
        if data is None:
            from vagent.envs.alfred.generate import generated_tasks

            if backend == "thor":
                raise VagentError("the generated set lives in symbolic rooms — use --backend "
                                  "symbolic, or give ALFRED's data with --data DIR --split NAME")

            eps = all_episodes(generated_tasks(per_type=per_type, seed=seed))
            source = {"data": "generated", "tasks_per_type": per_type, "seed": seed}
        else:
            eps = load_split(data, split)
            source = {"data": str(data), "split": split, "seed": seed}
            if backend == "symbolic" and any(t.symbolic_scene is None for t in eps):
                raise VagentError(f"{data}/{split} holds tasks without a symbolic scene (ALFRED's "
                                  "own) — run them with --backend thor")
        eps = eps[:episodes]
        if policy_opts.policy == "oracle" and any(t.prediction_only for t in eps):
            raise typer.BadParameter(f"{split} holds test tasks (no task type or plan): the "
                                     "oracle cannot run on them — use a model policy",
                                     param_hint="--policy")
        policy = make_policy(policy_opts)
        try:
            summary = run(eps, policy, out, backend=backend, max_steps=max_steps,
                          max_fails=max_fails, thor_platform=thor_platform, meta=source,
                          workers=workers)
        finally:
            policy.close()
        sub = summary.get("submission")  # a test split: ALFRED's leaderboard scores the file
        report(summary, out, None if sub is None else (
            f"{sub['episodes']} test episodes run, not scored here — {out}/{sub['file']}"
            + (f"; {sub['note']}" if "note" in sub else "")))
