"""``vagent train``: supervised fine-tuning, and the bundled tiny model's recipe steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vagent.cli.options import (SEED_MAX, check_device, check_out_folder,
                                 check_positive)

train_app = typer.Typer(no_args_is_help=True, help="Train Qwen2-VL-family checkpoints.")


@train_app.command("sft")
def sft_cmd(
    data: Annotated[Path, typer.Option(help="Swift JSONL from 'vagent data export'.")],
    model: Annotated[str, typer.Option(help="Checkpoint folder or hub id to start from.")],
    out: Annotated[Path, typer.Option(callback=check_out_folder, help="Output folder (checkpoints, final model).")],
    lora: Annotated[bool, typer.Option("--lora", help="Train LoRA adapters (peft).")] = False,
    epochs: Annotated[float, typer.Option(callback=check_positive, max=10000, help="Passes over the data.")] = 1.0,
    lr: Annotated[float, typer.Option(callback=check_positive, max=10, help="Peak learning rate.")] = 1e-4,
    batch_size: Annotated[int, typer.Option(min=1, max=4096, help="Samples per step.")] = 1,
    grad_accum: Annotated[int, typer.Option(min=1, max=4096, help="Batches per optimizer step.")] = 1,
    save_every: Annotated[int, typer.Option(min=1, help="Checkpoint every N steps.")] = 200,
    max_steps: Annotated[int | None, typer.Option(min=1, help="Stop after N steps.")] = None,
    time_budget: Annotated[float | None, typer.Option(callback=check_positive, help="Stop after N seconds.")] = None,
    stop_at: Annotated[int | None, typer.Option(min=1, help="End at step N of the schedule, "
                                                "which still runs to --max-steps.")] = None,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of the data order and init.")] = 0,
    device: Annotated[str | None, typer.Option(callback=check_device, help="cpu or cuda (default: cuda if any).")
                      ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from OUT's newest "
                                         "checkpoint.")] = False,
) -> None:
    """Supervised fine-tuning, loss on the assistant tokens only."""
    from vagent.training.sft import SFTConfig, TrainError, checkpoints, train

    if out.exists() and checkpoints(out) and not resume:
        raise TrainError(f"{out} already holds checkpoints — pass --resume to continue "
                         "or choose another --out")
    cfg = SFTConfig(data=str(data), model=model, out=str(out), epochs=epochs, lr=lr,
                    batch_size=batch_size, grad_accum=grad_accum, lora=lora, seed=seed,
                    save_every=save_every, max_steps=max_steps, time_budget=time_budget,
                    stop_at=stop_at, device=device)
    print(json.dumps(train(cfg), indent=1))


@train_app.command("tiny-base")
def tiny_base_cmd(
    data: Annotated[Path, typer.Option(help="JSONL from 'vagent data export --preset tiny'.")],
    out: Annotated[Path, typer.Option(callback=check_out_folder, help="Folder for the untrained checkpoint.")],
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed of the initial weights.")] = 0,
) -> None:
    """The bundled model's untrained start: its sizes, a tokenizer trained on DATA's text."""
    from vagent.training.bundled import build_base

    if not data.is_file():
        raise FileNotFoundError(f"{data}: no such file — write it with 'vagent data export "
                                "--preset tiny'")
    print(build_base(data, out, seed))


@train_app.command("words-apart")
def words_apart_cmd(
    src: Annotated[Path, typer.Argument(help="A checkpoint folder (sft's --out).")],
    out: Annotated[Path, typer.Option(callback=check_out_folder, help="Folder for the copy.")],
) -> None:
    """Copy a checkpoint with a tokenizer that cuts a word the same way after a space as
    anywhere else (the start of the bundled model's round 5: copying a task's words token for
    token; see its model card)."""
    from vagent.training.bundled import words_apart

    print(json.dumps(words_apart(src, out)))


@train_app.command("tiny-install")
def tiny_install_cmd(
    src: Annotated[Path, typer.Argument(help="The trained checkpoint folder (sft's --out).")],
) -> None:
    """Copy a trained checkpoint into the package as the bundled model (--policy tiny)."""
    from vagent.policies.bundled import BUNDLED
    from vagent.training.bundled import install

    print(f"installed {install(src)} files into {BUNDLED}")


def register(app: typer.Typer, eval_app: typer.Typer, sim_app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


__all__ = ["register", "train_app"]
