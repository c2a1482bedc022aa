"""The project's own tiny Qwen2-VL model, shipped in the package: the default policy.

``--policy tiny`` is the ``qwen-vl`` policy with the bundled checkpoint
(``policies/bundled/tiny-qwen2vl``) and the settings it was trained with (one screenshot, the
current one; its processor's min/max pixels; short answers). Everything else — the model class,
chat template, prompt format, parser — is the ``qwen-vl`` path, unchanged.

``python -m policies.bundled base --data FILE --out DIR`` writes the untrained starting point:
``policies.tiny.build_tiny_checkpoint`` with a tokenizer trained on the data's own text and the
sizes below (``make train-tiny`` runs the whole recipe).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from actions.errors import VagentError

from .qwen_local import QwenLocalPolicy

BUNDLED = Path(__file__).parent / "bundled" / "tiny-qwen2vl"

#: The screenshot's area in pixels: a 1080×2400 phone screen becomes 224×476 (136 image tokens).
IMAGE_PIXELS = 224 * 476
#: Sizes of the bundled model (see policies.tiny.tiny_settings for their meaning).
SIZES: dict[str, Any] = {
    "vocab_size": 2048, "hidden_size": 192, "intermediate_size": 512, "num_layers": 4,
    "num_heads": 6, "num_kv_heads": 2, "vision_depth": 3, "vision_embed_dim": 96,
    "vision_heads": 4, "max_position_embeddings": 8192,
    "min_pixels": 28 * 28 * 4, "max_pixels": IMAGE_PIXELS,
}
#: What the policy uses with the bundled model (the export used the same).
DEFAULTS: dict[str, Any] = {"keep_images": 1, "max_new_tokens": 64, "context_tokens": 4096}


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

    ap = argparse.ArgumentParser(prog="python -m policies.bundled")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("base", help="write the untrained starting checkpoint")
    b.add_argument("--data", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--seed", type=int, default=0)
    i = sub.add_parser("install", help="copy a trained checkpoint into the package")
    i.add_argument("src")
    args = ap.parse_args(argv)
    if args.cmd == "base":
        print(build_base(args.data, args.out, args.seed))
    else:
        install(args.src)


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
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    print(f"installed {len(keep)} files into {dest}")


if __name__ == "__main__":
    _main(sys.argv[1:])
