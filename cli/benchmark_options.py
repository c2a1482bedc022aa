"""The options every ``vagent eval BENCHMARK`` command shares, named once.

Each benchmark runs on ``benchmarks.run.BenchmarkRun``: ``--out`` (default ``runs/<benchmark>``)
resumes a killed run and refuses one with other settings; ``--episodes`` (alias ``--limit``)
takes the first N episodes; ``--seed`` seeds whatever the benchmark draws; ``--workers`` runs
episodes (or steps) at once where the benchmark can.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import SEED_MAX, check_out_folder

Episodes = Annotated[int | None, typer.Option(
    "--episodes", "--limit", min=1, help="Run only the first N episodes (default: all).")]
Seed = Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of what the benchmark draws or "
                                   "generates (recorded in settings.json).")]
Workers = Annotated[int, typer.Option(min=1, max=256, help="Episodes at once (accepted; this "
                                      "benchmark still runs them one at a time).")]


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
