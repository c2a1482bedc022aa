"""The bundled tiny model's recipe (``make train-tiny`` runs it whole), its settings in one place.

- ``vagent data export RUNS... --out FILE --preset tiny [--repeat FOLDER=N]``: training data
  rendered exactly as ``--policy tiny`` prompts (``EXPORT``: one screenshot, its image size, its
  own system prompt);
- ``vagent train tiny-base --data FILE --out DIR``: the untrained starting point,
  ``policies.tiny.build_tiny_checkpoint`` with ``SIZES`` and a tokenizer trained on the data's
  own text;
- ``vagent train sft ...``: the training itself (``training.sft``);
- ``vagent train tiny-install DIR``: copy the trained checkpoint into the package, where
  ``policies.bundled.BundledPolicy`` loads it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError
from vagent.policies.bundled import BUNDLED, DEFAULTS, FORMAT, SYSTEM

#: The screenshot's area in pixels: a 1080×2400 phone screen becomes 224×476 (136 image tokens).
IMAGE_PIXELS = 224 * 476
#: Sizes of the bundled model (see policies.tiny.tiny_settings for their meaning).
SIZES: dict[str, Any] = {
    "vocab_size": 2048, "hidden_size": 256, "intermediate_size": 768, "num_layers": 4,
    "num_heads": 8, "num_kv_heads": 2, "vision_depth": 3, "vision_embed_dim": 128,
    "vision_heads": 4, "max_position_embeddings": 8192,
    "min_pixels": 28 * 28 * 4, "max_pixels": IMAGE_PIXELS,
}
#: ``training.export.export``'s history settings for the bundled model: what the policy shows it.
EXPORT: dict[str, Any] = {
    "keep_images": DEFAULTS["keep_images"], "min_pixels": SIZES["min_pixels"],
    "max_pixels": SIZES["max_pixels"], "context_tokens": DEFAULTS["context_tokens"],
    "max_new_tokens": DEFAULTS["max_new_tokens"], "system": SYSTEM,
}
#: Files of a training output that loading does not need.
_NOT_SHIPPED = ("losses.json", "trainer_state.json", "progress.json")


def export(runs: list[str], out: str | Path, repeat: dict[str, int] | None = None,
           progress: bool = True) -> dict[str, int]:
    """``training.export.export`` with the bundled model's settings."""
    from vagent.training.export import export as export_runs

    # (no tokenizer: the model's own is trained from this data afterwards; with one screenshot
    # in 4096 tokens no history reaches the budget, so no cut differs)
    return export_runs(runs, out, fmt_name=FORMAT, progress=progress, repeat=repeat, **EXPORT)


def build_base(data: str | Path, out: str | Path, seed: int = 0) -> Path:
    """The untrained checkpoint: tiny sizes, a tokenizer trained on the data's text."""
    from vagent.policies.tiny import build_tiny_checkpoint, default_corpus

    corpus: list[str] = []
    seen: set[str] = set()
    from vagent.training.sft import load_samples

    for sample in load_samples(data):
        for m in sample["messages"]:
            for piece in m["content"].split("<image>"):
                if piece and piece not in seen:
                    seen.add(piece)
                    corpus.append(piece)
    return build_tiny_checkpoint(out, "qwen2vl", seed, corpus=default_corpus() + corpus,
                                 **SIZES)


def _byte_chars() -> dict[str, int]:
    """Byte-level BPE's alphabet: the printable character that stands for each byte."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    chars = {b: b for b in printable}
    for n, b in enumerate(b for b in range(256) if b not in chars):
        chars[b] = 256 + n
    return {chr(c): b for b, c in chars.items()}


def words_apart(src: str | Path, out: str | Path) -> dict[str, int]:
    """Copy checkpoint ``src`` to ``out`` with a tokenizer that never joins a space to a word.

    The tokenizer of rounds 1-3 learned pieces such as " hotels": a value's words are one set
    of tokens in the task (after a space) and, for the first word, another in the ``type``
    answer (after the JSON quote), so writing a word the model never wrote in training meant
    mapping " f" to "f" — it did not learn to. Dropping every merge whose piece holds a space
    and a letter makes byte-level BPE (which applies the remaining merges in the same order)
    cut a word into the same pieces wherever it stands: copying becomes token for token. The
    vocabulary and its ids stay, so the weights load unchanged; the dropped pieces are simply
    never produced again (what the next round of training adapts to).
    """
    src, out = Path(src), Path(out)
    if not (src / "tokenizer.json").is_file():
        raise VagentError(f"{src} holds no tokenizer.json — pass a checkpoint folder")
    byte = _byte_chars()

    def joins_space_and_word(piece: str) -> bool:
        codes = [byte[c] for c in piece if c in byte]
        return 0x20 in codes and any(chr(b).isalpha() or b >= 0x80 for b in codes)

    spec = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    merges = spec["model"]["merges"]
    pairs = [m if isinstance(m, list) else m.split(" ", 1) for m in merges]
    kept = [m for m, (a, b) in zip(merges, pairs) if not joins_space_and_word(a + b)]
    spec["model"]["merges"] = kept
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("checkpoint-*", *_NOT_SHIPPED))
    (tmp / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return {"merges": len(merges), "kept": len(kept), "dropped": len(merges) - len(kept)}


def install(src: str | Path, dest: Path = BUNDLED) -> int:
    """Copy what loading needs (weights, configs, tokenizer, processor) into the package;
    return how many files. The hand-written model card in ``dest`` stays."""
    src = Path(src)
    if not src.is_dir():
        raise VagentError(f"{src}: no such checkpoint folder")
    keep = [p for p in src.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors",
                                                                       ".jinja", ".txt")
            and p.name not in _NOT_SHIPPED]
    if not any(p.suffix == ".safetensors" for p in keep):
        raise VagentError(f"{src} holds no safetensors weights — pass the training's output "
                          "folder")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for p in keep:
        shutil.copy2(p, tmp / p.name)
    card = dest / "README.md"
    if card.exists() and not (tmp / card.name).exists():
        shutil.copy2(card, tmp / card.name)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return len(keep)


__all__ = ["EXPORT", "IMAGE_PIXELS", "SIZES", "build_base", "export", "install", "words_apart"]
