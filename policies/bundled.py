"""The project's own tiny Qwen2-VL model, shipped in the package: the default policy.

``--policy tiny`` is the ``qwen-vl`` policy with the bundled checkpoint
(``policies/bundled/tiny-qwen2vl``) and the settings it was trained with (one screenshot, the
current one; its processor's min/max pixels; its own short system prompt; short answers).
Everything else — the model class, chat template, prompt format, parser — is the ``qwen-vl``
path, unchanged. Under a card game's protocol (``vagent eval cards``) the protocol's prompt is
used, as for any model.

The recipe (``make train-tiny`` runs it whole) keeps its settings here, in one place:

- ``python -m vagent.policies.bundled export RUN_DIRS... --out FILE [--repeat FOLDER=N]``: ``vagent data
  export`` with the bundled settings (image size, one screenshot, the system prompt below);
- ``python -m vagent.policies.bundled base --data FILE --out DIR``: the untrained starting point,
  ``policies.tiny.build_tiny_checkpoint`` with a tokenizer trained on the data's own text and
  the sizes below;
- ``python -m vagent.policies.bundled install DIR``: copy the trained checkpoint into the package.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError

from .qwen_local import QwenLocalPolicy

BUNDLED = Path(__file__).parent / "bundled" / "tiny-qwen2vl"

#: The screenshot's area in pixels: a 1080×2400 phone screen becomes 224×476 (136 image tokens).
IMAGE_PIXELS = 224 * 476
#: Sizes of the bundled model (see policies.tiny.tiny_settings for their meaning).
SIZES: dict[str, Any] = {
    "vocab_size": 2048, "hidden_size": 256, "intermediate_size": 768, "num_layers": 4,
    "num_heads": 8, "num_kv_heads": 2, "vision_depth": 3, "vision_embed_dim": 128,
    "vision_heads": 4, "max_position_embeddings": 8192,
    "min_pixels": 28 * 28 * 4, "max_pixels": IMAGE_PIXELS,
}
#: The bundled model's own system prompt. A model trained from scratch learns the call format
#: from its examples, not from a description; the qwen2vl prompt's tool schema (about a thousand
#: tokens, the same in every sample) would only make each step four times as long to train.
SYSTEM = ("You operate an Android phone for the user, one action per turn. Answer with\n"
          "✿FUNCTION✿: mobile_use\n✿ARGS✿: a JSON object with the action\n"
          "Points are box tokens (x,y) in [0,1000) of the screenshot.")
#: The prompt layout it was trained on: the project's own (not Qwen-Agent's), frozen.
FORMAT = "vagent-tiny"
#: What the policy uses with the bundled model (the export used the same).
DEFAULTS: dict[str, Any] = {"keep_images": 1, "max_new_tokens": 96, "context_tokens": 4096,
                            "system": SYSTEM, "format": FORMAT}


class BundledPolicy(QwenLocalPolicy):
    """``qwen-vl`` with the bundled checkpoint and its training settings as defaults."""

    name = "tiny"

    def __init__(self, **options: Any):
        model = options.get("model") or str(BUNDLED)
        if not options.get("model") and not (BUNDLED / "config.json").exists():
            raise VagentError(f"the bundled model is missing from {BUNDLED} — reinstall vagent "
                              "or run 'make train-tiny'")
        super().__init__(**{**DEFAULTS, **options, "model": model})
        self.name = "tiny"


def build_base(data: str | Path, out: str | Path, seed: int = 0) -> Path:
    """The untrained checkpoint: tiny sizes, a tokenizer trained on the data's text."""
    from .tiny import build_tiny_checkpoint, default_corpus

    corpus: list[str] = []
    seen: set[str] = set()
    for line in Path(data).read_text(encoding="utf-8").splitlines():
        for m in json.loads(line)["messages"]:
            for piece in m["content"].split("<image>"):
                if piece and piece not in seen:
                    seen.add(piece)
                    corpus.append(piece)
    return build_tiny_checkpoint(out, "qwen2vl", seed, corpus=default_corpus() + corpus,
                                 **SIZES)


def _main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m vagent.policies.bundled")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("base", help="write the untrained starting checkpoint")
    b.add_argument("--data", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("export", help="run folders → SFT JSONL with the bundled settings")
    e.add_argument("runs", nargs="+")
    e.add_argument("--out", required=True)
    e.add_argument("--repeat", action="append", default=[], metavar="FOLDER=N",
                   help="write the samples of the run folder named FOLDER N times")
    i = sub.add_parser("install", help="copy a trained checkpoint into the package")
    i.add_argument("src")
    args = ap.parse_args(argv)
    if args.cmd == "base":
        print(build_base(args.data, args.out, args.seed))
    elif args.cmd == "export":
        try:
            repeat = {k: int(v) for k, v in (r.split("=", 1) for r in args.repeat)}
        except ValueError:
            ap.error("--repeat takes FOLDER=N, e.g. numberline=3")
        print(json.dumps(export(args.runs, args.out, repeat)))
    else:
        install(args.src)


def export(runs: list[str], out: str | Path, repeat: dict[str, int] | None = None,
           progress: bool = True) -> dict[str, int]:
    """Training data rendered exactly as ``--policy tiny`` prompts: each folder of runs in turn,
    a folder whose name is in ``repeat`` written that many times (to weight a mix)."""
    import tempfile

    from vagent.training.export import export as export_runs

    out = Path(out)
    totals: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp, open(out, "w", encoding="utf-8") as f:
        for folder in runs:
            part = Path(tmp) / "part.jsonl"
            counts = export_runs([folder], part, progress=progress, fmt_name=FORMAT,
                                 keep_images=DEFAULTS["keep_images"],
                                 min_pixels=SIZES["min_pixels"], max_pixels=SIZES["max_pixels"],
                                 context_tokens=DEFAULTS["context_tokens"],
                                 max_new_tokens=DEFAULTS["max_new_tokens"], system=SYSTEM)
            # (no tokenizer: the model's own is trained from this data afterwards; with one
            # screenshot in 4096 tokens no history reaches the budget, so no cut differs)
            times = (repeat or {}).get(Path(folder).name, 1)
            f.write(part.read_text(encoding="utf-8") * times)
            counts["rows"] = counts["samples"] * times
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
    return totals


def install(src: str | Path, dest: Path = BUNDLED) -> None:
    """Copy what loading needs (weights, configs, tokenizer, processor) into the package."""
    import shutil

    src = Path(src)
    keep = [p for p in src.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors",
                                                                       ".jinja", ".txt")
            and p.name not in ("losses.json", "trainer_state.json", "progress.json")]
    if not any(p.suffix == ".safetensors" for p in keep):
        raise VagentError(f"{src} holds no safetensors weights")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for p in keep:
        shutil.copy2(p, tmp / p.name)
    card = dest / "README.md"  # the model card is written by hand: it stays
    if card.exists() and not (tmp / card.name).exists():
        shutil.copy2(card, tmp / card.name)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    print(f"installed {len(keep)} files into {dest}")


if __name__ == "__main__":
    _main(sys.argv[1:])
