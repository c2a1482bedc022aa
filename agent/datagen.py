"""Recorded runs of the oracle policy on the simulated phone: the raw material of training data.

``vagent data generate phone-sim --episodes N --seed S --out DIR`` draws N (task wording, start
seed) pairs from ``envs.android.tasks.sample(rng, "train")`` — the same seed gives the same pairs,
and every simulated start screen is a function of its seed — and runs the agent loop with the
``oracle`` policy on each, writing one run folder per episode (``DIR/ep_00000`` …). The
``held_out`` wordings and seeds are left for evaluation (``vagent eval phone-sim``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Annotated, Any

import typer


def phone_episodes(n: int, seed: int, split: str = "train") -> list[tuple[str, int]]:
    """``n`` (task text, episode seed) pairs of ``split``, a function of ``seed`` alone."""
    from envs.android.tasks import sample

    rng = random.Random(seed)
    return [sample(rng, split) for _ in range(n)]


def generate_phone(out: str | Path, episodes: int, seed: int = 0, max_steps: int = 15,
                   progress: bool = True) -> dict[str, Any]:
    """Run the oracle on ``episodes`` training tasks; return counts."""
    from rich.progress import Progress

    import envs
    import policies
    from agent.loop import Agent

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pairs = phone_episodes(episodes, seed)
    (out / "episodes.json").write_text(json.dumps(
        {"seed": seed, "split": "train", "episodes": [[t, s] for t, s in pairs]}, indent=1))
    env = envs.make("android-sim")
    policy = policies.make("oracle")
    ok = steps = 0
    try:
        with Progress(disable=not progress) as bar:
            job = bar.add_task("oracle episodes", total=len(pairs))
            for i, (task, ep_seed) in enumerate(pairs):
                agent = Agent(policy, env, out=out / f"ep_{i:05d}", max_steps=max_steps,
                              meta={"env_name": "android-sim", "split": "train"})
                traj = agent.run(task, seed=ep_seed)
                ok += traj.success is True
                steps += len(traj.steps)
                bar.advance(job)
    finally:
        env.close()
        policy.close()
    return {"episodes": len(pairs), "successes": ok, "steps": steps}


def register_generate(data_app: Any) -> None:


    @data_app.command("generate")
    def generate_cmd(
        env: Annotated[str, typer.Argument(help="phone-sim (the simulated phone's tasks).")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the run folders.")],
        episodes: Annotated[int, typer.Option(help="How many episodes.")] = 200,
        seed: Annotated[int, typer.Option(help="Data seed: same seed, same episodes.")] = 0,
        max_steps: Annotated[int, typer.Option(help="Stop an episode after this many steps.")] = 15,
    ) -> None:
        """Record oracle runs on training tasks (wordings and seeds disjoint from evaluation)."""
        from actions.errors import VagentError

        if env != "phone-sim":
            raise VagentError(f"no data generator for {env!r} — use phone-sim")
        print(json.dumps(generate_phone(out, episodes, seed, max_steps)))


__all__ = ["generate_phone", "phone_episodes", "register_generate"]
