"""The options every ``vagent eval BENCHMARK`` command shares, named once.

Each benchmark runs on ``benchmarks.run.BenchmarkRun``: ``--out`` (default ``runs/<benchmark>``)
resumes a killed run and refuses one with other settings; ``--episodes`` (alias ``--limit``)
takes the first N episodes; ``--seed`` seeds whatever the benchmark draws; ``--workers`` runs
episodes at once (``agent.pool``: one environment per worker, the policy shared).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import SEED_MAX, check_out_folder

Episodes = Annotated[int | None, typer.Option(
    "--episodes", "--limit", min=1, help="Run only the first N episodes (default: all).")]
Seed = Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of what the benchmark draws or "
                                   "generates (recorded in settings.json).")]
Workers = Annotated[int, typer.Option(min=1, max=256, help="Episodes at once: one environment "
                                      "each, the policy shared (for a served model).")]


def out_option(benchmark: str) -> Any:
    return typer.Option("--out", "-o", callback=check_out_folder, help=f"Results folder (default runs/{benchmark}); a "
                        "rerun resumes it, a rerun with other settings is refused.")


def report(summary: dict[str, Any], out: Path, last: str | None = None) -> None:
    """The end of every eval command: the summary table on stdout, where the files are (or
    ``last`` instead, e.g. a test split's submission file), and (last) the page ``vagent view``
    writes."""
    import sys

    sys.stdout.write((out / "summary.md").read_text(encoding="utf-8"))
    resumed = summary["episodes"] - summary["ran"]
    note = f" ({resumed} from an earlier run)" if resumed else ""
    print(last if last is not None else
          f"{summary['episodes']} episodes{note} — results in {out}/summary.json, "
          f"{out}/summary.md, {out}/episodes.jsonl")
    from vagent.cli.view import print_page

    print_page(out)  # the last line: the evaluation's page


#: eval command name -> its function (``vagent eval merge`` calls it again over merged shards)
COMMANDS: dict[str, Callable[..., Any]] = {}

_SPREAD_OPTIONS: list[tuple[str, Any, Any, Any]] = [
    ("shard", str | None, None, typer.Option(
        "--shard", metavar="I/N", help="Run only shard I of N (0 ≤ I < N; episode k is in shard "
        "k % N), e.g. a Slurm array task; combine the folders with 'vagent eval merge'.")),
    ("ray", str | None, None, typer.Option(
        "--ray", metavar="ADDRESS", help="Run the episodes on a Ray cluster (pip install "
        "'vagent[ray]'): auto, ray://HEAD:10001, or local; --workers actors, each with its own "
        "env and policy.")),
]


def spread_options(name: str) -> Callable[[Callable[..., Any]], Any]:
    """Decorator (under ``@policy_options``): the command also takes ``--shard I/N`` and
    ``--ray ADDRESS``, and its runs are opened under ``benchmarks.run.spread`` with them and
    with the command's own options (written to ``OUT/command.json`` for ``eval merge``)."""

    def wrap(fn: Callable[..., Any]) -> Any:
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn, include_extras=True)
        params = [p.replace(annotation=hints.get(p.name, p.annotation))
                  for p in sig.parameters.values()]
        for key, annotation, value, option in _SPREAD_OPTIONS:
            params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=value,
                                            annotation=Annotated[annotation, option]))
        COMMANDS[name] = fn

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from vagent.benchmarks.run import RunError, parse_shard, spread
            from vagent.cli.options import make_policy

            shard_text, address = kwargs.pop("shard"), kwargs.pop("ray")
            try:
                shard = None if shard_text is None else parse_shard(shard_text)
            except RunError as e:
                raise typer.BadParameter(str(e), param_hint="--shard") from None
            opts = kwargs.get("policy_opts")
            command = {"command": name, "params": {
                k: (v.model_dump() if hasattr(v, "model_dump") else v)
                for k, v in kwargs.items()}}
            with spread(shard=shard, ray=address, command=command,
                        make_policy=None if opts is None else functools.partial(make_policy,
                                                                                opts)):
                return fn(*args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__  # typer must read the new signature
        return wrapper

    return wrap
