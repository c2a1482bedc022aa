"""``vagent eval vln``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.benchmark_options import (Episodes, Seed, Workers, out_option, report,
                                          spread_options)
from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("vln")
    @policy_options
    @spread_options("vln")
    def vln_cmd(
        dataset: Annotated[str, typer.Option(help="r2r or reverie.")] = "r2r",
        data: Annotated[Path | None, typer.Option(help="Data folder (connectivity/, images/, R2R_/REVERIE_<split>.json, bbox/); default: generated synthetic scenes.")] = None,
        split: Annotated[str | None, typer.Option(help="Split name: DATA/R2R_<split>.json (default val_unseen; 'synthetic' without --data).")] = None,
        images: Annotated[Path | None, typer.Option(help="Views folder if not DATA/images.")] = None,
        out: Annotated[Path, out_option("vln")] = Path("runs/vln"),
        episodes: Episodes = None,
        seed: Seed = 0,
        workers: Workers = 1,
        max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Moves (and decisions) per episode.")] = 15,
        scans: Annotated[int, typer.Option(min=1, max=200, help="Synthetic: scans to generate.")] = 3,
        paths_per_scan: Annotated[int, typer.Option(min=1, max=100, help="Synthetic: reference paths per scan (3 instructions each).")] = 4,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Vision-and-language navigation (R2R: TL NE SR OSR SPL; REVERIE: + RGS RGSPL).

        Default policy: oracle (walks the shortest path). Without --data, synthetic scenes
        generated from --seed.
        """
        from vagent.actions.errors import VagentError
        from vagent.benchmarks.run import prepare_out
        from vagent.benchmarks.vln.runner import run
        from vagent.envs.vln.data import SceneData
        from vagent.envs.vln.datasets import load_split
        from vagent.envs.vln.synthetic import SPLIT, generate

        if dataset not in ("r2r", "reverie"):
            raise typer.BadParameter("choose r2r or reverie", param_hint="--dataset")
        source = str(data) if data is not None else f"synthetic({scans}x{paths_per_scan})"
        prepare_out(out)  # before anything is generated into it
        if data is None:
            # one folder per generated set, so another --seed never overwrites a run's data
            data = generate(out / "synthetic" / f"seed{seed}-{scans}x{paths_per_scan}",
                            scans=scans, paths_per_scan=paths_per_scan, seed=seed)
            split = split or SPLIT
        split = split or "val_unseen"
        if not data.is_dir():
            raise VagentError(f"no data folder {data} — see docs/vln.md")
        eps = load_split(data, dataset, split)[:episodes]
        if policy_opts.policy == "oracle" and any(e.prediction_only for e in eps):
            raise typer.BadParameter(f"{split} has no reference paths (a test split): the oracle "
                                     "cannot run on it — use a model policy",
                                     param_hint="--policy")
        scene = SceneData(data, images=images)
        policy = make_policy(policy_opts)
        try:
            summary = run(eps, scene, dataset, policy, out, max_steps=max_steps, split=split,
                          source=source, seed=seed, workers=workers)
        finally:
            policy.close()
        sub = summary.get("submission")  # a test split: the server scores the file
        report(summary, out, None if sub is None else (
            f"{dataset} {split}: {summary['episodes']} episodes run, not scored here — "
            f"submission {out}/{sub['file']} ({sub['entries']} entries)"
            + (f"; {sub['missing']} missing: {sub['note']}" if "missing" in sub else "")))
