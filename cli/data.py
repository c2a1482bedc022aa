"""``vagent data``: training data — oracle runs (``generate``) and SFT JSONL (``export``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vagent.cli.options import (SEED_MAX, Serials, check_out_file, check_out_folder,
                                devices_and_workers)

data_app = typer.Typer(no_args_is_help=True, help="Training data from trajectories.")

#: ``--preset`` name -> the history settings of a policy the data is rendered for
PRESETS = ("tiny",)


def _repeats(items: list[str], hint: str = "--repeat", what: str = "FOLDER",
             example: str = "numberline=3") -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        folder, sep, times = item.rpartition("=")
        if not sep or not folder or not times.isdigit() or int(times) < 1:
            raise typer.BadParameter(f"takes {what}=N (N ≥ 1), e.g. {example}, not {item!r}",
                                     param_hint=hint)
        out[folder] = int(times)
    return out


@data_app.command("export")
def export_cmd(
    traj_dirs: Annotated[list[Path], typer.Argument(help="Run folders, or folders of them.")],
    out: Annotated[Path, typer.Option("--out", "-o", callback=check_out_file, help="The JSONL file to write.")],
    format: Annotated[str, typer.Option("--format", help="swift (ms-swift) or sharegpt "
                                        "(LLaMA-Factory).")] = "swift",
    prompt_format: Annotated[str, typer.Option(help="The policy's prompt format: qwen2vl, "
                                               "qwen25vl, uitars, uitars15, vagent-tiny.")] = "qwen2vl",
    preset: Annotated[str | None, typer.Option(help="Render as this policy prompts: tiny (the "
                                               "bundled model; replaces the four options "
                                               "below).")] = None,
    keep_images: Annotated[int, typer.Option(min=1, max=1000, help="Screenshots shown per step, as the "
                                             "policy's --keep-images.")] = 1,
    min_pixels: Annotated[int | None, typer.Option(min=1, help="As the policy's.")] = None,
    max_pixels: Annotated[int | None, typer.Option(min=1, help="As the policy's.")] = None,
    system: Annotated[str | None, typer.Option(help="A system prompt replacing the format's "
                                               "(as the policy's --opt system=...).")] = None,
    tokenizer: Annotated[Path | None, typer.Option(help="The checkpoint folder whose tokenizer "
                                                   "counts the history's tokens (as --policy "
                                                   "qwen-vl does).")] = None,
    context_tokens: Annotated[int, typer.Option(min=1, max=10_000_000, help="As the policy's.")] = 32768,
    max_new_tokens: Annotated[int, typer.Option(min=1, max=1_000_000, help="As the policy's.")] = 256,
    repeat: Annotated[list[str] | None, typer.Option(
        metavar="FOLDER=N", help="Write the samples of the run folder named FOLDER N times "
        "(to weight a mix).")] = None,
    repeat_action: Annotated[list[str] | None, typer.Option(
        metavar="ACTION=N", help="Write each sample whose answer is ACTION (e.g. type) N "
        "times.")] = None,
    copies: Annotated[int, typer.Option(min=0, max=100, help="After each sample that types a "
                                        "text found in the task, N more with that text's words "
                                        "remade (in the task and the answer): samples where "
                                        "only copying pays.")] = 0,
    copy_seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of the remade "
                                           "words: same seed, same rows.")] = 0,
    all_runs: Annotated[bool, typer.Option("--all", help="Failed runs too.")] = False,
) -> None:
    """Trajectories as SFT JSONL (messages + image paths), rendered as the policy prompts."""
    from vagent.training.export import export

    if preset is not None and preset not in PRESETS:
        raise typer.BadParameter(f"unknown preset {preset!r} — choose one of: "
                                 + ", ".join(PRESETS), param_hint="--preset")
    history = {"keep_images": keep_images, "min_pixels": min_pixels, "max_pixels": max_pixels,
               "system": system, "tokenizer": tokenizer, "context_tokens": context_tokens,
               "max_new_tokens": max_new_tokens}
    if preset == "tiny":
        from vagent.training.bundled import EXPORT, FORMAT

        history, prompt_format = dict(EXPORT), FORMAT
    counts = export(traj_dirs, out, format, prompt_format, only_success=not all_runs,
                    repeat=_repeats(repeat or []),
                    repeat_actions=_repeats(repeat_action or [], "--repeat-action", "ACTION",
                                            "type=3"),
                    copies=copies, copy_seed=copy_seed, **history)
    print(json.dumps({"out": str(out), **counts}))


@data_app.command("generate")
def generate_cmd(
    env: Annotated[str, typer.Argument(help="phone-sim (the simulated phone's tasks) or a "
                                       "card game (numberline, blackjack, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", callback=check_out_folder, help="Folder for the run folders.")],
    episodes: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many episodes.")] = 200,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Data seed: same seed, same episodes.")] = 0,
    max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Stop an episode after this many steps.")] = 15,
    split: Annotated[str, typer.Option(help="phone-sim: train (the training grammar, values "
                                       "composed from large pools) or train-v1 (the first, "
                                       "small lists).")] = "train",
    workers: Annotated[int | None, typer.Option(min=1, max=256, help="Episodes at once (one "
                                                "env each; default 1, or one per --serial "
                                                "device); the data is the same for any "
                                                "number.")] = None,
    serial: Serials = None,
) -> None:
    """Record oracle runs on training episodes (disjoint from the evaluations')."""
    from vagent.training.datagen import generate

    serials, workers = devices_and_workers(serial, workers)
    if serials is not None and env != "phone-sim":
        raise typer.BadParameter("devices run phone-sim episodes only", param_hint="--serial")
    print(json.dumps(generate(env, out, episodes, seed, max_steps, split=split,
                              workers=workers, serials=serials)))


def register(app: typer.Typer, eval_app: typer.Typer, sim_app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")


__all__ = ["data_app", "register"]
