"""``vagent eval alfred``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("alfred")
    @policy_options
    def alfred_cmd(
        data: Annotated[Path | None, typer.Option(help="ALFRED json folder holding SPLIT/**/traj_data.json (default: the project's generated symbolic set).")] = None,
        split: Annotated[str, typer.Option(help="Split folder under --data.")] = "valid_unseen",
        backend: Annotated[str, typer.Option(help="thor (ai2thor 5.x) or symbolic.")] = "symbolic",
        out: Annotated[Path, typer.Option(help="Results folder (a rerun resumes it).")] = Path("runs/alfred"),
        limit: Annotated[int | None, typer.Option(help="Run only the first N episodes.")] = None,
        max_steps: Annotated[int, typer.Option(help="High-level actions per episode.")] = 50,
        max_fails: Annotated[int, typer.Option(help="Failed actions that end an episode (ALFRED: 10).")] = 10,
        per_type: Annotated[int, typer.Option(help="Generated set: tasks per task type.")] = 5,
        set_seed: Annotated[int, typer.Option("--set-seed", help="Generated set: its seed.")] = 0,
        thor_platform: Annotated[str | None, typer.Option(help="thor: an ai2thor.platform name, e.g. CloudRendering.")] = None,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """ALFRED: success rate, goal conditions and their path-length-weighted forms."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from rich.progress import TimeElapsedColumn

        from vagent.actions.errors import VagentError
        from vagent.envs.alfred.tasks import episodes, load_split

        from vagent.benchmarks.alfred.runner import run

        if backend not in ("thor", "symbolic"):
            raise typer.BadParameter("choose thor or symbolic", param_hint="--backend")
        if data is None:
            from vagent.envs.alfred.generate import generated_tasks

            if backend == "thor":
                raise VagentError("the generated set lives in symbolic rooms — use --backend "
                                  "symbolic, or give ALFRED's data with --data DIR --split NAME")

            eps = episodes(generated_tasks(per_type=per_type, seed=set_seed))
            source = {"data": "generated", "tasks_per_type": per_type, "set_seed": set_seed}
        else:
            eps = load_split(data, split)
            source = {"data": str(data), "split": split}
            if backend == "symbolic" and any(t.symbolic_scene is None for t in eps):
                raise VagentError(f"{data}/{split} holds tasks without a symbolic scene (ALFRED's "
                                  "own) — run them with --backend thor")
        eps = eps[:limit] if limit else eps
        if policy_opts.policy == "oracle" and any(t.prediction_only for t in eps):
            raise typer.BadParameter(f"{split} holds test tasks (no task type or plan): the "
                                     "oracle cannot run on them — use a model policy",
                                     param_hint="--policy")
        policy = make_policy(policy_opts)
        wins = [0]
        try:
            with Progress(TextColumn("alfred"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[sr]}"), TimeElapsedColumn()) as bar:
                job = bar.add_task("alfred", total=len(eps), sr="")

                def tick(rec: dict[str, Any] | None) -> None:
                    if rec is not None:
                        wins[0] += bool(rec["success"])
                    bar.update(job, advance=1, sr=f"{wins[0]} solved this run")

                summary = run(eps, policy, out, backend=backend, max_steps=max_steps,
                              max_fails=max_fails, thor_platform=thor_platform,
                              progress=tick, meta=source)
        finally:
            policy.close()
        if "submission" in summary:  # a test split: ALFRED's leaderboard scores the file
            sub = summary["submission"]
            Console().print(f"{sub['episodes']} test episodes run, not scored here — "
                            f"{out}/{sub['file']}" + (f"; {sub['note']}" if "note" in sub else ""))
            return
        Console().print(f"SR {summary['SR']:.1f}  GC {summary['GC']:.1f}  PLW-SR "
                        f"{summary['PLW_SR']:.1f}  PLW-GC {summary['PLW_GC']:.1f}  over "
                        f"{summary['episodes']} episodes — {out}/summary.json, {out}/summary.md")
