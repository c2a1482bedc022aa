"""``--policy qwen-vl --model HUB_ID_OR_DIR``: Qwen2-VL / Qwen2.5-VL run locally with transformers.

The model class comes from the checkpoint's ``model_type`` (``qwen2_vl`` →
Qwen2VLForConditionalGeneration, ``qwen2_5_vl`` → Qwen2_5_VLForConditionalGeneration); anything
else is refused in one line. Messages go through the checkpoint's own chat template with
screenshots as image parts, and the checkpoint's processor resizes them (min/max pixels from the
options, else from its preprocessor config) — the history builder counts image tokens with the
same numbers. Greedy decoding unless ``--opt do_sample=true``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from vagent.actions.errors import VagentError
from vagent.policies.history import ImagePart, Prompt

from . import formats
from .base import Context, Decision
from .batching import Batcher
from .kvcache import Entry, PrefixCache, image_digests, image_runs
from .model import ModelOptions, ModelPolicy, parse_options

MODEL_TYPES = {
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
}
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


class QwenLocalOptions(ModelOptions):
    device: str | None = None  # cpu, cuda, cuda:1, auto (device_map="auto")
    dtype: str | None = None  # float32, bfloat16, float16 (default bf16 on GPU, fp32 on CPU)
    attn: str | None = None  # sdpa, flash_attention_2, eager
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    # Concurrent act calls (evaluation workers sharing this policy) meet in one generate:
    # at most `batch` rows, the first waiting up to `batch_wait_ms` for the others.
    batch: int = Field(8, ge=1)
    batch_wait_ms: float = Field(50.0, ge=0)
    # Keep the KV cache of the last `kv_entries` prompts and prefill only what a new prompt
    # adds to the one it shares most with (policies/kvcache.py).
    kv_reuse: bool = False
    kv_entries: int = Field(8, ge=1)
    # Decode within the format's call grammar over the env's actions (policies/constrain.py).
    constrain: bool = False
    # With constrain: a `type` action writes a run of the task's own words (constrain.task_spans),
    # for a model too small to have learned to copy them (the bundled one).
    type_from_task: bool = False


@dataclass
class _Row:
    """One act call waiting for its batch: its prompt already through the processor."""

    inputs: dict[str, Any]  # the processor's tensors for this row alone (batch dimension 1)
    stops: tuple[str, ...]
    grammar: Any
    timings: dict[str, float] = field(default_factory=dict)


#: Per-token tensors of the processor's output, and what a row is padded with on the left (None:
#: the tokenizer's pad token). Anything else is per image and is concatenated.
_PADDED = {"input_ids": None, "attention_mask": 0, "mm_token_type_ids": 0}
_PER_IMAGE = ("pixel_values", "image_grid_thw")


def collate(rows: Sequence[dict[str, Any]], pad_id: int) -> dict[str, Any]:
    """One batch from rows the processor prepared one by one: the per-token tensors padded on
    the left to the longest row, the images' patches and grids concatenated in row order —
    what the processor gives for all the rows at once with ``padding=True`` and left padding
    (tests/test_local_speed.py checks it)."""
    import torch

    if len(rows) == 1:
        return dict(rows[0])
    width = max(r["input_ids"].shape[1] for r in rows)
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for r in rows for k in r):  # every key, in the processor's order
        if key in _PER_IMAGE:  # rows without images have none
            out[key] = torch.cat([r[key] for r in rows if key in r], dim=0)
        elif key in _PADDED:
            fill = pad_id if _PADDED[key] is None else _PADDED[key]
            out[key] = torch.cat([torch.nn.functional.pad(r[key], (width - r[key].shape[1], 0),
                                                          value=fill) for r in rows], dim=0)
        else:
            raise ValueError(f"cannot batch the processor's {key!r}")
    return out


def locate_checkpoint(model: str) -> str:
    """The checkpoint folder or hub id, or a one-line error for a path that is not there
    (the policy and `vagent train sft` load checkpoints the same way)."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise VagentError(f"{path} has no config.json — give a transformers checkpoint "
                              "folder (save_pretrained output) or a hub id")
        return str(path)
    if path.exists():
        raise VagentError(f"{path} is a file — give the checkpoint's folder")
    if _HUB_ID.fullmatch(model) and not model.startswith((".", "/", "~")):
        return model  # a hub id: transformers finds it in the local cache (or downloads it)
    raise VagentError(f"no checkpoint at {model} — give a local folder or a hub id such as "
                      "Qwen/Qwen2-VL-7B-Instruct")


@contextlib.contextmanager
def no_progress_bars() -> Iterator[None]:
    """transformers' own progress bars ("Loading weights", "Writing model shards") off: they
    write carriage-return soup into piped output and logs. vagent shows its own progress (one
    line per load, the training's bar)."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def loading(what: str) -> Iterator[None]:
    """One line on stderr while a checkpoint loads ("loading X … done in 1.2 s"), instead of
    transformers' progress bars. Every path that loads a checkpoint goes through here (the
    qwen-vl and tiny policies, ``train sft``)."""
    sys.stderr.write(f"loading {what} …")
    sys.stderr.flush()
    t = time.perf_counter()
    try:
        with no_progress_bars():
            yield
    except BaseException:
        sys.stderr.write(" failed\n")
        raise
    sys.stderr.write(f" done in {time.perf_counter() - t:.1f} s\n")
    sys.stderr.flush()


def first_line(e: BaseException) -> str:
    """An exception's first line, short enough for a one-line error message."""
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__


class QwenLocalPolicy(ModelPolicy):
    """A Qwen2-VL-family checkpoint run with transformers."""

    name = "qwen-vl"

    def __init__(self, **options: Any):
        if not options.get("model"):
            raise VagentError("the qwen-vl policy needs --model DIR_OR_HUB_ID "
                              "(e.g. Qwen/Qwen2-VL-7B-Instruct)")
        self.options = parse_options(QwenLocalOptions, "qwen-vl", options)
        o: QwenLocalOptions = self.options
        source = locate_checkpoint(o.model)  # type: ignore[arg-type]

        import torch
        import transformers
        from transformers import AutoConfig, AutoProcessor

        try:
            config = AutoConfig.from_pretrained(source)
        except (OSError, ValueError) as e:
            raise VagentError(f"cannot read the config of {o.model}: {first_line(e)} — download "
                              "the checkpoint and pass its folder") from None
        self.model_type = getattr(config, "model_type", None)
        if self.model_type not in MODEL_TYPES:
            raise VagentError(f"{o.model} is a {self.model_type or 'unknown'} checkpoint — the "
                              "qwen-vl policy runs Qwen2-VL and Qwen2.5-VL checkpoints only")
        self.fmt = formats.get(o.format or formats.for_model(self.model_type, o.model or ""))

        cuda = torch.cuda.is_available()
        device = o.device or ("cuda" if cuda else "cpu")
        if device.startswith("cuda") and not cuda:
            raise VagentError(f"--device {device}: no CUDA device here — use --device cpu")
        dtype_name = o.dtype or ("bfloat16" if device != "cpu" and cuda else "float32")
        dtype = getattr(torch, dtype_name, None)
        if not isinstance(dtype, torch.dtype):
            raise VagentError(f"--dtype {dtype_name}: use float32, bfloat16 or float16")
        attn = o.attn or ("flash_attention_2" if device != "cpu" and cuda
                          and importlib.util.find_spec("flash_attn") else "sdpa")
        self.device, self.dtype, self.attn = device, dtype_name, attn

        cls = getattr(transformers, MODEL_TYPES[self.model_type])
        kwargs: dict[str, Any] = {"dtype": dtype, "attn_implementation": attn}
        if device == "auto":
            kwargs["device_map"] = "auto"
        try:
            with loading(f"{Path(source).name} ({self.model_type}, {device}, {dtype_name})"):
                self.model = cls.from_pretrained(source, **kwargs).eval()
                self.processor = AutoProcessor.from_pretrained(source)
        except (OSError, ValueError, ImportError) as e:
            raise VagentError(f"cannot load {o.model}: {first_line(e)}") from None
        if not getattr(self.processor, "chat_template", None):
            raise VagentError(f"{o.model} has no chat template — use an instruct checkpoint "
                              "(e.g. Qwen/Qwen2-VL-7B-Instruct), not a base model")
        if device != "auto":
            self.model.to(device)
        self.input_device = self.model.device

        ip = self.processor.image_processor
        size = dict(getattr(ip, "size", None) or {})
        lo = o.min_pixels or size.get("shortest_edge") or getattr(ip, "min_pixels", None)
        hi = o.max_pixels or size.get("longest_edge") or getattr(ip, "max_pixels", None)
        if lo is None or hi is None:
            raise VagentError(f"{o.model}: its image processor does not say min/max pixels — "
                              "give --min-pixels and --max-pixels")
        if lo > hi and not (o.min_pixels and o.max_pixels):
            # one bound given: it wins over the checkpoint's other bound
            lo, hi = (hi, hi) if o.max_pixels else (lo, lo)
        if lo > hi:
            raise VagentError(f"--min-pixels {lo} is above --max-pixels {hi}")
        # The processor resizes with exactly these numbers; the history counts with them too.
        ip.size = {"shortest_edge": int(lo), "longest_edge": int(hi)}
        self._min, self._max = int(lo), int(hi)
        self.tokenizer = self.processor.tokenizer
        self._lock = threading.Lock()
        self._count = functools.lru_cache(maxsize=8192)(self._count_uncached)
        # Batches are padded on the left, so every row's answer starts at the same column.
        self.tokenizer.padding_side = "left"
        self._image_token = int(self.model.config.image_token_id)
        self._prefix = PrefixCache(o.kv_entries) if o.kv_reuse else None
        self._batcher = Batcher(self._run_batch, max_batch=o.batch,
                                wait=o.batch_wait_ms / 1000)
        self._constrainer_obj = None
        if o.constrain:  # built here, not by the first of several concurrent steps
            self._constrainer()

    # -- sizes ---------------------------------------------------------------------------------
    def _count_uncached(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_text(self, text: str) -> int:
        return self._count(text)

    # -- one step ------------------------------------------------------------------------------
    def chat_messages(self, prompt: Prompt) -> tuple[list[dict[str, Any]], list[Any]]:
        """The prompt as chat-template messages (images as image parts) and the images."""
        from PIL import Image

        messages, images = [], []
        for m in prompt.messages:
            content = []
            for part in m.parts:
                if isinstance(part, ImagePart):
                    content.append({"type": "image"})
                    images.append(Image.fromarray(part.array))
                elif part:
                    content.append({"type": "text", "text": part})
            messages.append({"role": m.role, "content": content})
        return messages, images

    def generate(self, prompt: Prompt, context: Context, timings: dict[str, float]) -> str:
        with self._batcher.preparing():  # a batch forming meanwhile waits for this row
            return self._generate(prompt, context, timings)

    def _generate(self, prompt: Prompt, context: Context, timings: dict[str, float]) -> str:
        o: QwenLocalOptions = self.options  # type: ignore[assignment]
        t = time.perf_counter()
        messages, images = self.chat_messages(prompt)
        text = self.processor.apply_chat_template(messages, add_generation_prompt=True,
                                                  tokenize=False)
        stops = o.stops(self.fmt) if context.protocol is None else o.stops(formats.Format())
        grammar = self._grammar(context) if o.constrain else None
        timings["prompt"] = timings.get("prompt", 0.0) + time.perf_counter() - t
        # The processor's work on this row (resizing, patches, tokens) happens here, in the
        # caller's thread, before the row joins a batch: concurrent callers do it side by side
        # (PIL and torch release the GIL) and the batch only pads and concatenates.
        t = time.perf_counter()
        inputs = dict(self.processor(text=[text], images=images or None, return_tensors="pt"))
        timings["preprocess"] = time.perf_counter() - t
        row = _Row(inputs=inputs, stops=tuple(stops), grammar=grammar, timings=timings)
        return self._batcher(row)

    def act_batch(self, contexts: Sequence[Context]) -> list[Decision]:
        """Decide several steps at once: each ``act`` runs in its own thread and the batcher
        gathers them into batches of at most ``batch`` rows."""
        from concurrent.futures import ThreadPoolExecutor

        if not contexts:
            return []
        workers = min(len(contexts), self.options.batch)  # type: ignore[attr-defined]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="act") as pool:
            return list(pool.map(self.act, contexts))

    # -- batches -------------------------------------------------------------------------------
    def _run_batch(self, rows: Sequence[_Row]) -> list[str]:
        """Rows that stop on the same strings (and are all constrained, or none) share one
        ``generate``; a lone row reuses the cache of an earlier prompt when ``kv_reuse`` is on."""
        groups: dict[tuple[tuple[str, ...], bool], list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault((row.stops, row.grammar is None), []).append(i)
        out = [""] * len(rows)
        for (stops, _), idx in groups.items():
            group = [rows[i] for i in idx]
            for i, reply in zip(idx, self._generate_rows(group, list(stops))):
                out[i] = reply
        return out

    def _generate_rows(self, rows: list[_Row], stops: list[str]) -> list[str]:
        import torch

        o: QwenLocalOptions = self.options  # type: ignore[assignment]
        t = time.perf_counter()
        inputs = collate([r.inputs for r in rows], self.tokenizer.pad_token_id)
        inputs = {k: v.to(self.input_device) for k, v in inputs.items()}
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        collated = time.perf_counter() - t
        width = inputs["input_ids"].shape[1]

        gen: dict[str, Any] = {"max_new_tokens": o.max_new_tokens, "do_sample": o.do_sample}
        if o.do_sample:
            gen.update(temperature=o.temperature, top_p=o.top_p)
        else:  # greedy: leave out the sampling knobs a checkpoint's generation_config may set
            gen.update(temperature=None, top_p=None, top_k=None)
        if stops:
            gen.update(stop_strings=stops, tokenizer=self.tokenizer)
        if rows[0].grammar is not None:
            gen["logits_processor"] = [self._constrainer().processor([r.grammar for r in rows])]
        reuse = self._prefix if (len(rows) == 1 and self._prefix is not None) else None
        t = time.perf_counter()
        with self._lock, torch.inference_mode():
            if o.seed is not None:
                torch.manual_seed(o.seed)
            if reuse is not None:
                out, prefilled = self._generate_reusing(inputs, gen)
            else:
                out = self.model.generate(**inputs, **gen)
                prefilled = int(inputs["attention_mask"].sum())
        elapsed = time.perf_counter() - t
        replies = []
        for i, row in enumerate(rows):
            new = out[i, width:]
            row.timings.update(collate=collated, generate=elapsed, batch=float(len(rows)),
                               prompt_len=float(inputs["attention_mask"][i].sum()),
                               generated_len=float(new.shape[0]))
            if len(rows) == 1:
                row.timings["prefill_len"] = float(prefilled)
            replies.append(self._reply(new, stops))
        return replies

    def _reply(self, new: Any, stops: list[str]) -> str:
        # Special tokens stay: Qwen2-VL writes its boxes with <|box_start|>…<|box_end|>.
        reply = self.tokenizer.decode(new, skip_special_tokens=False)
        for end in ("<|im_end|>", "<|endoftext|>"):
            reply = reply.split(end, 1)[0]
        for s in stops:  # generation stops after the stop string; the reply ends before it
            reply = reply.split(s, 1)[0]
        return reply

    # -- cache reuse ---------------------------------------------------------------------------
    def _generate_reusing(self, inputs: Any, gen: dict[str, Any]) -> tuple[Any, int]:
        """``generate`` prefilling only what the kept cache of an earlier prompt lacks.

        The M-RoPE positions of the whole prompt are computed as a full prefill would
        (``get_rope_index`` over all tokens and images) and handed to ``generate``, which
        slices off the cached part and continues them for the new tokens; only the images
        after the shared prefix are encoded.
        """
        import torch
        from transformers import DynamicCache

        ids = inputs["input_ids"][0].tolist()
        grid = inputs.get("image_grid_thw")
        digests = image_digests(inputs.get("pixel_values"), grid)
        entry, shared = self._prefix.take(ids, digests, self._image_token)  # type: ignore[union-attr]
        cache = entry.cache if entry is not None else DynamicCache(config=self.model.config)
        if entry is not None:
            cache.crop(shared - cache.get_seq_length())  # (a negative count: tokens dropped)
        rope_kwargs = {k: inputs[k] for k in ("mm_token_type_ids", "image_grid_thw",
                                              "attention_mask") if k in inputs}
        if grid is not None:
            positions, _ = self.model.model.get_rope_index(inputs["input_ids"], **rope_kwargs)
        else:
            positions = torch.arange(len(ids), device=self.input_device).view(1, 1, -1)
            positions = positions.expand(3, 1, -1)
        text_positions = torch.arange(len(ids), device=positions.device).view(1, 1, -1)
        args = dict(inputs)
        args["position_ids"] = torch.cat([text_positions, positions], dim=0)
        if grid is not None:  # only the images past the shared prefix are encoded
            runs = image_runs(ids, self._image_token)
            first = sum(1 for start, _ in runs if start < shared)
            sizes = [int(t * h * w) for t, h, w in grid.tolist()]
            skip = sum(sizes[:first])
            if first == len(sizes):
                del args["pixel_values"], args["image_grid_thw"]
            else:
                args["pixel_values"] = inputs["pixel_values"][skip:]
                args["image_grid_thw"] = grid[first:]
        out = self.model.generate(**args, **gen, cache=cache)
        held = cache.get_seq_length()
        self._prefix.put(Entry(ids=out[0, :held].tolist(), images=digests, cache=cache))  # type: ignore[union-attr]
        return out, len(ids) - shared

    # -- constraints ---------------------------------------------------------------------------
    def _constrainer(self) -> Any:
        if self._constrainer_obj is None:
            from .constrain import Constrainer

            vocab = self.model.config.get_text_config().vocab_size
            stop = [self.tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>",
                                                                      "<|endoftext|>")]
            self._constrainer_obj = Constrainer(self.tokenizer, vocab, stop)
        return self._constrainer_obj

    def _grammar(self, context: Context) -> Any:
        """The compiled grammar of this step's answer, or None (unconstrained)."""
        from .constrain import format_grammar, task_spans

        constrainer = self._constrainer()
        if context.protocol is not None:
            grammar = context.protocol.answer_grammar()
            return constrainer.compile(grammar) if grammar else None
        # The grammar depends on the space's members, the screen and the frame only; building
        # it (a JSON schema per action) every step would cost more than compiling it once.
        frame = self.frame()
        typed = task_spans(context.task) or None if self.options.type_from_task else None
        key = (tuple((n, id(m)) for n, m in context.space.models.items()), context.screen,
               frame.model_dump_json(), tuple(typed or ()))
        grammars = self.__dict__.setdefault("_grammars", {})
        if key not in grammars:
            if len(grammars) > 64:
                grammars.clear()
            grammars[key] = constrainer.compile(
                format_grammar(self.fmt, context.space, context.screen, frame, typed))
        return grammars[key]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "model_type": self.model_type, "device": self.device,
                "dtype": self.dtype, "attn": self.attn}

    def close(self) -> None:
        self.model = None  # type: ignore[assignment]


__all__ = ["MODEL_TYPES", "QwenLocalPolicy", "first_line", "loading", "locate_checkpoint",
           "no_progress_bars"]
