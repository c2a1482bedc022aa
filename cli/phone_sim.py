"""``vagent eval phone-sim``: the simulated phone's held-out tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.benchmark_options import Seed, out_option, report, spread_options
from vagent.cli.options import (PolicyOptions, Serials, devices_and_workers, make_policy,
                                policy_options)


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("phone-sim")
    @policy_options
    @spread_options("phone-sim")
    def phone_sim_cmd(
        out: Annotated[Path, out_option("phone-sim")] = Path("runs/phone-sim"),
        episodes: Annotated[int, typer.Option("--episodes", "--limit", min=1, max=100000, help="How many tasks to draw (episode i is the i-th draw of --seed).")] = 200,
        seed: Seed = 1000,
        workers: Annotated[int | None, typer.Option(min=1, max=256, help="Episodes at once, one simulated phone each (default 1, or one per --serial device).")] = None,
        serial: Serials = None,
        max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Steps per episode.")] = 15,
        split: Annotated[str, typer.Option(help="held_out (the benchmark), novel (task values from pools disjoint from training's, held-out seeds) or train (an in-distribution check).")] = "held_out",
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Success rate on the simulated phone's held-out tasks.

        Default policy: oracle (each task's closed-loop planner); the bundled model is
        --policy tiny.
        """
        from vagent.benchmarks.phone_sim import SPLITS, evaluate

        if split not in SPLITS:
            raise typer.BadParameter("choose held_out, novel or train", param_hint="--split")
        serials, workers = devices_and_workers(serial, workers)
        policy = make_policy(policy_opts)
        try:
            summary = evaluate(policy, episodes, out, seed, max_steps, split=split,
                               workers=workers, serials=serials)
        finally:
            policy.close()
        report(summary, out)
