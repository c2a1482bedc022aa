"""Tiny Qwen2-VL / Qwen2.5-VL checkpoints built offline: random weights, a local tokenizer.

``build_tiny_checkpoint(out_dir, family)`` writes a folder that loads through exactly the same
``from_pretrained`` path as ``Qwen/Qwen2-VL-7B-Instruct``: transformers' real model classes
(``Qwen2VLForConditionalGeneration`` / ``Qwen2_5_VLForConditionalGeneration``), the real
``Qwen2Tokenizer`` (byte-level BPE, trained here with ``tokenizers``, carrying the Qwen2-VL special
tokens) and the real ``Qwen2VLProcessor`` / ``Qwen2_5_VLProcessor`` with its image processor and
a Qwen2-VL chat template. Tests use it to exercise the local policy; the project's bundled model
is trained from it.

The config facts that make a tiny model valid (see DESIGN.md): the text config's
``mrope_section`` sums to head_dim / 2, the image/video/vision start/end token ids on the config
are the small tokenizer's, and the vision tower's output size equals the text hidden size.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

Family = Literal["qwen2vl", "qwen25vl"]

#: Bump when the builder changes what it writes, so cached checkpoints are rebuilt.
BUILDER_VERSION = 1

# The special tokens of the Qwen2-VL tokenizer, in their released order (ids follow the BPE vocab
# here; only the strings matter to the processor and chat template).
QWEN2VL_SPECIAL = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>",
    "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>",
    "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
]
# Qwen2.5-VL's tokenizer adds the tool-call tags (as ordinary added tokens, not special ones).
QWEN25VL_ADDED = ["<tool_call>", "</tool_call>"]

# The Qwen2-VL chat template's behaviour, written as a Jinja template: a default system turn when
# the first message is not one, ChatML turns, each image part as vision_start + image_pad +
# vision_end (the processor expands the pad to the image's token count), an optional
# "Picture N: " prefix, and the assistant header when a generation prompt is asked for.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}"
    "{% else %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or 'image' in part or 'image_url' in part %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'video' or 'video' in part %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in part %}"
    "{{ part['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# The Qwen2 pre-tokenizer split (contractions, letters, single digits, punctuation runs, newlines,
# spaces) — the same rule the released tokenizer.json uses, so digits tokenize one by one.
_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def default_corpus() -> list[str]:
    """Text the tiny tokenizer is trained on: agent prompts, actions, JSON, coordinates, words."""
    words = (
        "click tap long_press swipe drag move scroll type key button open_app wait terminate "
        "mobile_use computer_use left_click right_click middle_click double_click mouse_move "
        "left_click_drag system_button coordinate coordinate2 text time status success failure "
        "action arguments name description parameters properties required object string integer "
        "number boolean array enum home back enter menu app_switch up down left right amount "
        "submit keys seconds answer thought Thought Action Reflection finished call_user hotkey "
        "start_box end_box content direction point press_home press_back left_double "
        "right_single You are a helpful assistant. The screen's resolution is Use the tool to "
        "the user task history step previous screenshot current image function tools Tools "
        "Step OK Cancel Submit item field hello world find restaurants in San Diego open the "
        "settings app search weather flight city temperature answer question phone desktop "
        "browser window file edit view help select copy paste save close search bar icon list "
        "menu page next previous cards game number line card value goal move forward turn left "
        "right navigate room kitchen door table chair"
    ).split()
    lines = [" ".join(words), " ".join(w.capitalize() for w in words)]
    lines += [f"({x},{y}),({x + 7},{y + 13})" for x, y in zip(range(0, 1000, 7), range(999, 0, -7))]
    lines += [json.dumps({"name": "mobile_use",
                          "arguments": {"action": a, "coordinate": [i, 2 * i]}})
              for i, a in zip(range(0, 1500, 37), words)]
    lines += [f"✿FUNCTION✿: {w}\n✿ARGS✿: {{\"x\": {i}, \"y\": {i * 3 % 1000}}}\n"
              "✿RESULT✿: ok\n✿RETURN✿: done"
              for i, w in enumerate(words)]
    lines += ["<tool_call>\n{\"name\": \"computer_use\", \"arguments\": {}}\n</tool_call>",
              "<tool_response>\nok\n</tool_response>", "<tools>\n</tools>", "# Tools\n\n## ",
              "Thought: I should click it.\nAction: click(start_box='(100,200)')",
              "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 "
              "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n"]
    return lines


def _train_tokenizer(corpus: Iterable[str], vocab_size: int, family: Family) -> Any:
    """A byte-level BPE trained on ``corpus``, wrapped in transformers' own Qwen2Tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    bpe = Tokenizer(models.BPE())
    bpe.normalizer = normalizers.NFC()
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=["<|endoftext|>"],
    )
    bpe.train_from_iterator(list(corpus), trainer=trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in state["merges"]]
    specials = list(QWEN2VL_SPECIAL[1:])
    tok = Qwen2Tokenizer(
        vocab=state["vocab"], merges=merges, unk_token=None, bos_token=None,
        eos_token="<|im_end|>", pad_token="<|endoftext|>",
        extra_special_tokens=specials, model_max_length=32768, errors="replace",
    )
    from tokenizers import AddedToken

    tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in specials],
                   special_tokens=True)
    if family == "qwen25vl":
        tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in QWEN25VL_ADDED])
    tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_settings(family: Family = "qwen2vl", seed: int = 0, **overrides: Any) -> dict[str, Any]:
    """Every setting that determines the checkpoint (hashed into the cache key)."""
    if family not in ("qwen2vl", "qwen25vl"):
        raise ValueError(f"family must be 'qwen2vl' or 'qwen25vl', not {family!r}")
    settings: dict[str, Any] = {
        "builder_version": BUILDER_VERSION, "family": family, "seed": seed,
        "vocab_size": 1024, "hidden_size": 64, "intermediate_size": 128, "num_layers": 2,
        "num_heads": 4, "num_kv_heads": 2, "vision_depth": 2, "vision_embed_dim": 32,
        "vision_heads": 2, "max_position_embeddings": 32768,
        # The processor's defaults, saved in preprocessor_config.json: the model cards' range.
        "min_pixels": 256 * 28 * 28, "max_pixels": 1280 * 28 * 28,
    }
    unknown = set(overrides) - set(settings) - {"corpus"}
    if unknown:
        raise ValueError(f"unknown tiny checkpoint settings: {', '.join(sorted(unknown))}")
    settings.update({k: v for k, v in overrides.items() if k != "corpus"})
    if overrides.get("corpus") is not None:
        settings["corpus_sha"] = hashlib.sha256(
            "\n\x00".join(overrides["corpus"]).encode()).hexdigest()[:16]
    return settings


def settings_key(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _config(family: Family, s: dict[str, Any], ids: dict[str, int], vocab: int) -> Any:
    from transformers import Qwen2_5_VLConfig, Qwen2VLConfig

    head_dim = s["hidden_size"] // s["num_heads"]
    half = head_dim // 2
    # Qwen's split of the rotary half-dimension into (temporal, height, width) sections,
    # scaled down: 16/24/24 of 64 in the released models.
    t = half // 4
    mrope = [t, (half - t) // 2, half - t - (half - t) // 2]
    assert sum(mrope) == half
    text = {
        "vocab_size": vocab, "hidden_size": s["hidden_size"],
        "intermediate_size": s["intermediate_size"], "num_hidden_layers": s["num_layers"],
        "num_attention_heads": s["num_heads"], "num_key_value_heads": s["num_kv_heads"],
        "max_position_embeddings": s["max_position_embeddings"],
        "max_window_layers": s["num_layers"],
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0,
                            "mrope_section": mrope},
        "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"], "tie_word_embeddings": True,
    }
    token_ids = {
        "image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }
    if family == "qwen2vl":
        vision = {"depth": s["vision_depth"], "embed_dim": s["vision_embed_dim"],
                  "hidden_size": s["hidden_size"], "num_heads": s["vision_heads"], "mlp_ratio": 2}
        cls = Qwen2VLConfig
    else:
        vision = {"depth": s["vision_depth"], "hidden_size": s["vision_embed_dim"],
                  "intermediate_size": 2 * s["vision_embed_dim"], "num_heads": s["vision_heads"],
                  "out_hidden_size": s["hidden_size"],
                  "fullatt_block_indexes": [s["vision_depth"] - 1], "window_size": 112}
        cls = Qwen2_5_VLConfig
    return cls(text_config=text, vision_config=vision, tie_word_embeddings=True, **token_ids)


def build_tiny_checkpoint(out_dir: str | Path, family: Family = "qwen2vl", seed: int = 0, *,
                          corpus: list[str] | None = None, **overrides: Any) -> Path:
    """Write a tiny random-weight checkpoint of ``family`` to ``out_dir`` and return its path.

    ``corpus`` replaces the tokenizer's training text (the bundled model trains its tokenizer on
    its own prompts); ``overrides`` change sizes (see ``tiny_settings``). The folder is written
    next to ``out_dir`` and renamed into place, so a killed build never leaves half a checkpoint.
    """
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    from .qwen_local import no_progress_bars

    s = tiny_settings(family, seed, corpus=corpus, **overrides)
    out = Path(out_dir)
    tok = _train_tokenizer(corpus or default_corpus(), s["vocab_size"], family)
    ids = {t: tok.convert_tokens_to_ids(t) for t in QWEN2VL_SPECIAL}
    config = _config(family, s, ids, len(tok))

    torch.manual_seed(seed)
    model_cls = Qwen2VLForConditionalGeneration if family == "qwen2vl" else \
        Qwen2_5_VLForConditionalGeneration
    model = model_cls(config).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]], do_sample=False,
    )
    image_processor = Qwen2VLImageProcessor(min_pixels=s["min_pixels"], max_pixels=s["max_pixels"])
    video_processor = Qwen2VLVideoProcessor()
    proc_cls = Qwen2VLProcessor if family == "qwen2vl" else Qwen2_5_VLProcessor
    processor = proc_cls(image_processor=image_processor, tokenizer=tok,
                         video_processor=video_processor, chat_template=CHAT_TEMPLATE)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        with no_progress_bars():
            model.save_pretrained(tmp)
            processor.save_pretrained(tmp)
            tok.save_pretrained(tmp)
        (tmp / "vagent_tiny.json").write_text(json.dumps(s, indent=2, sort_keys=True) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def cached_tiny_checkpoint(cache_dir: str | Path, family: Family = "qwen2vl", seed: int = 0,
                           **overrides: Any) -> Path:
    """The checkpoint for these settings under ``cache_dir``, built the first time it is asked.

    Safe when several processes ask at once: each builds into its own folder and only the first
    rename wins (renaming onto an existing folder fails, and the loser's copy is discarded).
    """
    s = tiny_settings(family, seed, **overrides)
    out = Path(cache_dir) / f"{family}-{settings_key(s)}"
    if (out / "vagent_tiny.json").exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    mine = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    try:
        build_tiny_checkpoint(mine / "ckpt", family, seed, **overrides)
        try:
            os.rename(mine / "ckpt", out)
        except OSError:
            if not (out / "vagent_tiny.json").exists():
                raise
    finally:
        shutil.rmtree(mine, ignore_errors=True)
    return out


__all__ = ["CHAT_TEMPLATE", "build_tiny_checkpoint", "cached_tiny_checkpoint", "default_corpus",
           "tiny_settings"]
