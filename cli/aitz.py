"""``vagent eval aitz``: run a policy on AITZ, or score predictions made elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("aitz")
    @policy_options
    def aitz_cmd(
        data: Annotated[Path, typer.Option(help="The split folder holding the subset folders, e.g. android-in-the-zoo/test.")],
        out: Annotated[Path, typer.Option(help="Results folder (a killed run resumes there).")] = Path("runs/aitz"),
        subset: Annotated[str | None, typer.Option(help="Only this subset (general, google_apps, install, web_shopping).")] = None,
        limit: Annotated[int | None, typer.Option(help="At most N episodes from each subset.")] = None,
        batch: Annotated[int, typer.Option(help="Steps asked at once (worker pool, or act_batch).")] = 8,
        parse_retries: Annotated[int, typer.Option(help="Ask again after unparsable output (papers: 0).")] = 0,
        retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Ask again the steps whose request failed without a model answer.")] = False,
        predictions: Annotated[Path | None, typer.Option(help="Score this JSONL of {episode_id, step_id, action} instead of running a policy.")] = None,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """AITZ step-level evaluation: CoAT type/exact match, success rate, goal progress, and AITW matching."""
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        from vagent.benchmarks.aitz.loader import load
        from vagent.benchmarks.aitz.runner import evaluate, score_predictions
        from vagent.benchmarks.aitz.scoring import markdown

        console = Console()
        if limit is not None and limit < 1:
            raise typer.BadParameter("--limit must be at least 1")
        episodes = load(data, subset=subset, limit=limit)
        if predictions is not None:
            summary = score_predictions(episodes, predictions, out, data=str(data))
            title = f"predictions `{predictions.name}`"
        else:
            policy = make_policy(policy_opts)
            columns = (TextColumn("aitz"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("EM {task.fields[em]:.1f}%"), TimeElapsedColumn(),
                       TimeRemainingColumn())
            try:
                with Progress(*columns, console=console, transient=True) as bar:
                    task = bar.add_task("aitz", total=None, em=0.0)
                    seen = {"n": 0, "exact": 0}

                    def start(total: int, done: int) -> None:
                        bar.update(task, total=total, completed=done)

                    def step(rec: dict[str, Any]) -> None:
                        seen["n"] += 1
                        seen["exact"] += bool(rec["exact_match"])
                        bar.update(task, advance=1, em=100 * seen["exact"] / seen["n"])

                    summary = evaluate(episodes, policy, out, batch=batch,
                                       parse_retries=parse_retries, on_start=start,
                                       on_step=step, data=str(data),
                                       retry_failed=retry_failed)
            finally:
                policy.close()
            title = f"policy `{policy_opts.policy}`"
        print(markdown(summary, title))  # plain: a table rich would wrap
        o = summary["overall"]
        if o["missing"]:
            console.print(f"{o['missing']} steps had no prediction (counted wrong; listed in "
                          f"{out}/summary.json)", markup=False)
        if predictions is None and o["no_answer"]:
            console.print(f"{o['no_answer']} steps got no answer from the policy (counted "
                          "wrong) — run the same command with --retry-failed to ask them again",
                          markup=False)
        console.print(f"results: {out}/steps.jsonl, {out}/summary.json, {out}/summary.md",
                      markup=False)
