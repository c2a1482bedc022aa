"""``vagent eval cards``: a policy on the RL4VLM card games, scored as RL4VLM scores them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.benchmark_options import out_option, report, spread_options
from vagent.cli.options import SEED_MAX, PolicyOptions, make_policy, policy_options

CHOICES = ("numberline", "blackjack", "ezpoints", "points24", "all")


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("cards")
    @policy_options
    @spread_options("cards")
    def cards_cmd(
        game: Annotated[str, typer.Option(help="numberline, blackjack, ezpoints, points24 or all.")] = "all",
        episodes: Annotated[int, typer.Option("--episodes", "--limit", min=1, max=100000, help="Episodes per game.")] = 100,
        seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of the deals (episode i of a game always gets the same one).")] = 0,
        out: Annotated[Path, out_option("cards")] = Path("runs/cards"),
        workers: Annotated[int, typer.Option(min=1, max=256, help="Episodes at once (threads; for policies that wait on a server).")] = 1,
        thoughts: Annotated[bool, typer.Option("--thoughts/--no-thoughts", help="RL4VLM's prompt with or without the thought fields.")] = True,
        strict: Annotated[bool, typer.Option("--strict", help="Count an ambiguous or empty answer as a failed episode instead of playing a random action.")] = False,
        max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Steps per episode (gym_cards caps episodes at 300).")] = 300,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """RL4VLM card games: success rate (summed reward > 0) per game, with a 95% CI.

        Default policy: oracle (each game's planner).
        """
        from vagent.benchmarks.cards.runner import GAMES, evaluate

        if game not in CHOICES:
            raise typer.BadParameter(f"choose one of {', '.join(CHOICES)}", param_hint="--game")
        games = list(GAMES) if game == "all" else [game]
        summary = evaluate(games, episodes, seed, lambda: make_policy(policy_opts), out,
                           thoughts=thoughts, strict=strict, workers=workers,
                           max_steps=max_steps)
        report(summary, out)
