"""``vagent eval fncall``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.benchmark_options import (Episodes, Seed, Workers, out_option, report,
                                          spread_options)
from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("fncall")
    @policy_options
    @spread_options("fncall")
    def fncall_cmd(
        data: Annotated[Path | None, typer.Option(help="Dataset JSONL (default: the generated example set).")] = None,
        out: Annotated[Path, out_option("fncall")] = Path("runs/fncall"),
        episodes: Episodes = None,
        seed: Seed = 0,
        workers: Workers = 1,
        max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Steps per item (1 scores the first call only; 3 lets the model read the tool result and answer).")] = 1,
        example_size: Annotated[int, typer.Option(min=1, max=100000, help="Items in the generated example set.")] = 60,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Function calling from images: type match and exact match of the first tool call.

        Default policy: oracle (the expected call). Without --data, an example set generated
        from --seed.
        """
        from vagent.benchmarks.run import prepare_out
        from vagent.benchmarks.fncall.example import build_example
        from vagent.benchmarks.fncall.runner import load_items, run

        source = str(data) if data is not None else f"example({example_size})"
        prepare_out(out)  # before anything is generated into it
        if data is None:
            # one folder per generated set, so another --seed never overwrites a run's data
            data = build_example(out / "example" / f"seed{seed}-{example_size}",
                                 n=example_size, seed=seed)
        items = load_items(data)[:episodes]
        policy = make_policy(policy_opts)
        try:
            summary = run(items, data.parent, policy, out, max_steps=max_steps, data=source,
                          seed=seed, workers=workers)
        finally:
            policy.close()
        report(summary, out)
