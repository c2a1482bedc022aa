"""Recorded runs of the oracle policy: the raw material of training data.

``vagent data generate ENV --episodes N --seed S --out DIR`` runs the agent loop with the
``oracle`` policy on N episodes and writes one run folder per episode (``DIR/ep_00000`` …); the
same seed gives the same episodes. ENV is

- ``phone-sim``: (task wording, start seed) pairs from ``envs.android.tasks.sample(rng,
  SPLIT)``; every simulated start screen is a function of its seed. SPLIT is ``train`` (the
  training grammar's wordings, values composed from the ``train`` pools) or ``train-v1`` (the
  first, small wording and value lists: the data of the bundled model's first rounds). The
  ``held_out`` wordings and seeds and the ``novel`` values are left for evaluation
  (``vagent eval phone-sim``). Each worker runs its own in-process simulated phone, or (with
  ``--serial a,b,c``) one served elsewhere by ``vagent sim phone``: the data is the same.
- a card game (``numberline``, ``blackjack``, ``ezpoints``, ``points24``): deals from seeds
  drawn apart from ``vagent eval cards``' own, answered under the game's RL4VLM protocol (the
  oracle writes its move as the protocol's JSON answer, which the export keeps as the target).
"""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path
from typing import Any


#: Keeps training deals apart from ``vagent eval cards``' (which mixes in the game's index 0..3).
CARD_TRAIN_STREAM = 1000


def phone_episodes(n: int, seed: int, split: str = "train") -> list[tuple[str, int]]:
    """``n`` (task text, episode seed) pairs of ``split``, a function of ``seed`` alone."""
    from vagent.envs.android.tasks import sample

    rng = random.Random(seed)
    return [sample(rng, split) for _ in range(n)]


def card_episodes(game: str, n: int, seed: int) -> list[tuple[str, int]]:
    """``n`` (task text, deal seed) pairs of a card game for training."""
    import numpy as np

    from vagent.envs.cards import GAMES, TASKS

    stream = CARD_TRAIN_STREAM + list(GAMES).index(game)
    return [(TASKS[game], int(np.random.SeedSequence([seed, stream, i]).generate_state(1)[0]))
            for i in range(n)]


#: The phone splits training data may be drawn from (the others are evaluation's).
TRAIN_SPLITS = ("train", "train-v1")


def episodes_for(env_name: str, n: int, seed: int, split: str = "train") -> list[tuple[str, int]]:
    from vagent.actions.errors import VagentError
    from vagent.envs.cards import GAMES

    if env_name == "phone-sim":
        if split not in TRAIN_SPLITS:
            raise VagentError(f"--split {split!r} is not a training split — use "
                              f"{' or '.join(TRAIN_SPLITS)}")
        return phone_episodes(n, seed, split)
    if env_name in GAMES:
        return card_episodes(env_name, n, seed)
    raise VagentError(f"no data generator for {env_name!r} — use phone-sim or a card game "
                      f"({', '.join(GAMES)})")


def generate(env_name: str, out: str | Path, episodes: int, seed: int = 0, max_steps: int = 15,
             progress: bool = True, split: str = "train", workers: int = 1,
             serials: list[str] | None = None) -> dict[str, Any]:
    """Run the oracle on ``episodes`` training episodes of ``env_name``, ``workers`` at once
    (one env each, ``agent.pool``; phone-sim worker k on the phone served at ``serials[k]``
    when given); return counts (the same for any ``workers``)."""
    from rich.progress import Progress

    from vagent import envs
    from vagent import policies
    from vagent.actions.errors import VagentError
    from vagent.agent.loop import Agent
    from vagent.agent.pool import EnvFactory, run_episodes
    from vagent.envs.android.simenv import ServedPhone

    pairs = episodes_for(env_name, episodes, seed, split)
    split = split if env_name == "phone-sim" else "train"
    make_name = "android-sim" if env_name == "phone-sim" else env_name
    if serials is not None and env_name != "phone-sim":
        raise VagentError(f"devices (--serial) run phone-sim episodes, not {env_name}")
    make_env: EnvFactory = (functools.partial(envs.make, make_name) if serials is None
                            else [ServedPhone(s) for s in serials])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "episodes.json").write_text(json.dumps(
        {"env": env_name, "seed": seed, "split": split,
         "episodes": [[t, s] for t, s in pairs]}, indent=1))
    policy = policies.make("oracle")
    counts = {"ok": 0, "steps": 0}

    def one(env: Any, policy: Any, job: tuple[int, tuple[str, int]]) -> Any:
        i, (task, ep_seed) = job
        agent = Agent(policy, env, out=out / f"ep_{i:05d}", max_steps=max_steps,
                      meta={"env_name": make_name, "split": split})
        return agent.run(task, seed=ep_seed)

    try:
        with Progress(disable=not progress) as bar:
            task_bar = bar.add_task(f"oracle on {env_name}", total=len(pairs))

            def done(_job: Any, traj: Any) -> None:
                counts["ok"] += traj.success is True
                counts["steps"] += len(traj.steps)
                bar.advance(task_bar)

            run_episodes(list(enumerate(pairs)), one, make_env=make_env, policy=policy,
                         workers=workers, on_done=done)
    finally:
        policy.close()
    return {"episodes": len(pairs), "successes": counts["ok"], "steps": counts["steps"]}


__all__ = ["card_episodes", "generate", "phone_episodes"]
