"""``vagent eval fncall``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("fncall")
    @policy_options
    def fncall_cmd(
        data: Annotated[Path | None, typer.Option(help="Dataset JSONL (default: the example set).")] = None,
        out: Annotated[Path, typer.Option(help="Results folder.")] = Path("runs/fncall"),
        limit: Annotated[int | None, typer.Option(help="Score only the first N items.")] = None,
        max_steps: Annotated[int, typer.Option(help="Steps per item (1 scores the first call only; 3 lets the model read the tool result and answer).")] = 1,
        example_size: Annotated[int, typer.Option(help="Items in the generated example set.")] = 60,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Function calling from images: type match and exact match of the first tool call."""
        from rich.console import Console
        from rich.progress import Progress

        from vagent.benchmarks.fncall.example import build_example
        from vagent.benchmarks.fncall.runner import load_items, run

        if data is None:
            data = build_example(out / "example", n=example_size)
        items = load_items(data)[:limit]
        policy = make_policy(policy_opts)
        try:
            with Progress(transient=True) as bar:
                task = bar.add_task("fncall", total=len(items))
                summary = run(items, data.parent, policy, out, max_steps=max_steps,
                              progress=lambda: bar.advance(task))
        finally:
            policy.close()
        Console().print(f"type match {summary['type_match']:.1f}%  exact match "
                        f"{summary['exact_match']:.1f}%  over {summary['items']} items — "
                        f"{out}/summary.json, {out}/summary.md")
