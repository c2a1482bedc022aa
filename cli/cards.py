"""``vagent eval cards``: a policy on the RL4VLM card games, scored as RL4VLM scores them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import PolicyOptions, make_policy, policy_options

CHOICES = ("numberline", "blackjack", "ezpoints", "points24", "all")


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("cards")
    @policy_options
    def cards_cmd(
        game: Annotated[str, typer.Option(help="numberline, blackjack, ezpoints, points24 or all.")] = "all",
        episodes: Annotated[int, typer.Option(help="Episodes per game.")] = 100,
        seed: Annotated[int, typer.Option(help="Seed of the deals (episode i always gets the same one).")] = 0,
        out: Annotated[Path, typer.Option(help="Results folder.")] = Path("runs/cards"),
        thoughts: Annotated[bool, typer.Option("--thoughts/--no-thoughts", help="RL4VLM's prompt with or without the thought fields.")] = True,
        strict: Annotated[bool, typer.Option("--strict", help="Count an ambiguous or empty answer as a failed episode instead of playing a random action.")] = False,
        workers: Annotated[int, typer.Option(help="Episodes at once (threads; for policies that wait on a server).")] = 1,
        max_steps: Annotated[int, typer.Option(help="Steps per episode (gym_cards caps episodes at 300).")] = 300,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """RL4VLM card games: success rate (summed reward > 0) per game, with a 95% CI."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from rich.progress import TimeElapsedColumn

        from vagent.benchmarks.cards.runner import GAMES, evaluate

        if game not in CHOICES:
            raise typer.BadParameter(f"choose one of {', '.join(CHOICES)}", param_hint="--game")
        games = list(GAMES) if game == "all" else [game]
        console = Console(highlight=False, soft_wrap=True)
        with Progress(TextColumn("{task.description:12}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            tasks = {g: bar.add_task(g, total=episodes) for g in games}
            results = evaluate(games, episodes, seed, lambda: make_policy(policy_opts), out,
                               thoughts=thoughts, strict=strict, workers=workers,
                               max_steps=max_steps, progress=lambda g: bar.advance(tasks[g]))
        for name, g in results["games"].items():
            console.print(f"{name:11} success {g['success_rate']:5.1f}%  "
                          f"(95% CI {g['ci95'][0]:.1f}–{g['ci95'][1]:.1f}, n={g['episodes']}, "
                          f"rule: {g['projection']['rule']})")
        console.print(f"results in {out}/results.json, {out}/results.md, {out}/episodes.jsonl")
