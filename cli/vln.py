"""``vagent eval vln``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import PolicyOptions, make_policy, policy_options


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    @eval_app.command("vln")
    @policy_options
    def vln_cmd(
        dataset: Annotated[str, typer.Option(help="r2r or reverie.")] = "r2r",
        data: Annotated[Path | None, typer.Option(help="Data folder (connectivity/, images/, R2R_/REVERIE_<split>.json, bbox/); default: generated synthetic scenes.")] = None,
        split: Annotated[str | None, typer.Option(help="Split name: DATA/R2R_<split>.json (default val_unseen; 'synthetic' without --data).")] = None,
        images: Annotated[Path | None, typer.Option(help="Views folder if not DATA/images.")] = None,
        out: Annotated[Path, typer.Option(help="Results folder (rerun to resume).")] = Path("runs/vln"),
        limit: Annotated[int | None, typer.Option(help="Run only the first N episodes.")] = None,
        max_steps: Annotated[int, typer.Option(help="Moves (and decisions) per episode.")] = 15,
        scans: Annotated[int, typer.Option(help="Synthetic: scans to generate.")] = 3,
        paths_per_scan: Annotated[int, typer.Option(help="Synthetic: reference paths per scan (3 instructions each).")] = 4,
        policy_opts: PolicyOptions = PolicyOptions(),
    ) -> None:
        """Vision-and-language navigation (R2R: TL NE SR OSR SPL; REVERIE: + RGS RGSPL)."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
        from rich.progress import TimeElapsedColumn

        from vagent.actions.errors import VagentError
        from vagent.envs.vln.data import SceneData
        from vagent.envs.vln.synthetic import SPLIT, generate

        from vagent.envs.vln.datasets import load_split
        from vagent.benchmarks.vln.runner import run

        if dataset not in ("r2r", "reverie"):
            raise typer.BadParameter("choose r2r or reverie", param_hint="--dataset")
        if data is None:
            data = generate(out / "synthetic", scans=scans, paths_per_scan=paths_per_scan)
            split = split or SPLIT
        split = split or "val_unseen"
        if not data.is_dir():
            raise VagentError(f"no data folder {data} — see README, Vision-and-language navigation")
        episodes = load_split(data, dataset, split)[:limit]
        if policy_opts.policy == "oracle" and any(e.prediction_only for e in episodes):
            raise typer.BadParameter(f"{split} has no reference paths (a test split): the oracle "
                                     "cannot run on it — use a model policy", param_hint="--policy")
        scene = SceneData(data, images=images)
        policy = make_policy(policy_opts)
        try:
            with Progress(TextColumn("vln {task.description}"), BarColumn(),
                          MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bar:
                task = bar.add_task(f"{dataset} {split}", total=len(episodes))
                summary = run(episodes, scene, dataset, policy, out, max_steps=max_steps,
                              split=split, progress=lambda: bar.advance(task))
        finally:
            policy.close()
        if "submission" in summary:  # a test split: the server scores the file
            sub = summary["submission"]
            Console(highlight=False, soft_wrap=True).print(
                f"{dataset} {split}: {summary['episodes']} episodes run, not scored here — "
                f"submission {out}/{sub['file']} ({sub['entries']} entries)"
                + (f"; {sub['missing']} missing: {sub['note']}" if "missing" in sub else ""))
            return
        extra = (f"  RGS {summary['RGS']:.1f}%  RGSPL {summary['RGSPL']:.1f}%"
                 if dataset == "reverie" else "")
        Console(highlight=False, soft_wrap=True).print(
            f"{dataset} {split}: SR {summary['SR']:.1f}%  OSR {summary['OSR']:.1f}%  "
            f"SPL {summary['SPL']:.1f}%  NE {summary['NE']:.2f} m  TL {summary['TL']:.2f} m"
            f"{extra}  over {summary['episodes']} episodes — {out}/summary.json, {out}/summary.md")
