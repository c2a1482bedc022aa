"""``vagent eval merge DIR... --out D``: the results folders of ``--shard i/n`` runs as one run.

The shards' records and trajectories are combined into D (``benchmarks.run.merge_shards``,
which refuses shards of other settings), then the eval command the shards ran (their
``command.json``) opens D without running anything: the summary is computed by the benchmark's
own code from all the records, exactly as an unsharded run's.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("merge")
    def merge_cmd(
        folders: Annotated[list[Path], typer.Argument(help="The --out folders of the shards.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="The merged results folder.")],
    ) -> None:
        """Combine the results folders of --shard i/n runs into one summary."""
        from rich.console import Console

        from vagent.benchmarks.run import merge_shards, spread
        from vagent.cli.app import LAZY, load_command
        from vagent.cli.benchmark_options import COMMANDS
        from vagent.cli.options import PolicyOptions

        command = merge_shards(folders, out)
        name = command.get("command", "")
        if name in LAZY["eval"] and name != "merge":
            load_command("eval", name)  # the command modules load lazily; this fills COMMANDS
        fn = COMMANDS.get(name)
        if fn is None:
            raise typer.BadParameter(f"{folders[0]} was run by an eval command this vagent does "
                                     "not have", param_hint="FOLDERS")
        hints = typing.get_type_hints(fn)
        params = dict(command["params"])
        for name, value in params.items():  # JSON back to the command's types
            hint = str(hints.get(name, ""))
            if value is not None and "Path" in hint:
                params[name] = Path(value)
            elif name == "policy_opts":
                params[name] = PolicyOptions(**value)
        missing = command["shards"]["missing"]
        if missing:
            Console(stderr=True).print(f"shards {missing} of /{command['shards']['of']} are not "
                                       "merged: their episodes count as unfinished", markup=False)
        with spread(finish_only=True):
            fn(**params)
