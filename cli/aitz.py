"""``vagent eval aitz``: run a policy on AITZ, or score predictions made elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.benchmark_options import out_option, report, spread_options
from vagent.cli.options import SEED_MAX, PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("aitz")
    @policy_options
    @spread_options("aitz")
    def aitz_cmd(
        data: Annotated[Path, typer.Option(help="The split folder holding the subset folders, e.g. android-in-the-zoo/test.")],
        out: Annotated[Path, out_option("aitz")] = Path("runs/aitz"),
        subset: Annotated[str | None, typer.Option(help="Only this subset (general, google_apps, install, web_shopping).")] = None,
        episodes: Annotated[int | None, typer.Option("--episodes", "--limit", min=1, help="At most N episodes from each subset (default: all).")] = None,
        seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Recorded in settings.json only: AITZ's steps are fixed, nothing is drawn.")] = 0,
        workers: Annotated[int, typer.Option(min=1, max=256, help="Steps asked at once (worker threads, or one act_batch call).")] = 8,
        parse_retries: Annotated[int, typer.Option(min=0, max=10, help="Ask again after unparsable output (papers: 0).")] = 0,
        retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Run again the episodes with a step whose request failed without a model answer.")] = False,
        predictions: Annotated[Path | None, typer.Option(help="Score this JSONL of {episode_id, step_id, action} instead of running a policy.")] = None,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """AITZ step-level evaluation: CoAT type/exact match, success rate, goal progress, and AITW matching.

        Default policy: oracle (replays the ground truth).
        """
        from rich.console import Console

        from vagent.benchmarks.aitz.loader import load
        from vagent.benchmarks.aitz.runner import evaluate, score_predictions

        console = Console(stderr=True)
        eps = load(data, subset=subset, limit=episodes)
        if predictions is not None:
            summary = score_predictions(eps, predictions, out, data=str(data))
        else:
            policy = make_policy(policy_opts)
            try:
                summary = evaluate(eps, policy, out, workers=workers,
                                   parse_retries=parse_retries, data=str(data), seed=seed,
                                   retry_failed=retry_failed)
            finally:
                policy.close()
        o = summary["overall"]
        if o["missing"]:
            console.print(f"{o['missing']} steps had no prediction (counted wrong; listed in "
                          f"{out}/summary.json)", markup=False)
        if predictions is None and o["no_answer"]:
            console.print(f"{o['no_answer']} steps got no answer from the policy (counted "
                          "wrong) — run the same command with --retry-failed to ask them again",
                          markup=False)
        report(summary, out)
