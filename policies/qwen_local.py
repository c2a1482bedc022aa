"""``--policy qwen-vl --model HUB_ID_OR_DIR``: Qwen2-VL / Qwen2.5-VL run locally with transformers.

The model class comes from the checkpoint's ``model_type`` (``qwen2_vl`` →
Qwen2VLForConditionalGeneration, ``qwen2_5_vl`` → Qwen2_5_VLForConditionalGeneration); anything
else is refused in one line. Messages go through the checkpoint's own chat template with
screenshots as image parts, and the checkpoint's processor resizes them (min/max pixels from the
options, else from its preprocessor config) — the history builder counts image tokens with the
same numbers. Greedy decoding unless ``--opt do_sample=true``.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import threading
import time
from pathlib import Path
from typing import Any

from vagent.actions.errors import VagentError
from vagent.policies.history import ImagePart, Prompt

from . import formats
from .base import Context
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
        import torch

        o: QwenLocalOptions = self.options  # type: ignore[assignment]
        t = time.perf_counter()
        messages, images = self.chat_messages(prompt)
        text = self.processor.apply_chat_template(messages, add_generation_prompt=True,
                                                  tokenize=False)
        timings["prompt"] = timings.get("prompt", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        inputs = self.processor(text=[text], images=images or None, return_tensors="pt")
        inputs = inputs.to(self.input_device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        timings["preprocess"] = time.perf_counter() - t
        timings["prompt_len"] = float(inputs["input_ids"].shape[1])

        stops = o.stops(self.fmt) if context.protocol is None else o.stops(formats.Format())
        gen: dict[str, Any] = {"max_new_tokens": o.max_new_tokens, "do_sample": o.do_sample}
        if o.do_sample:
            gen.update(temperature=o.temperature, top_p=o.top_p)
        else:  # greedy: leave out the sampling knobs a checkpoint's generation_config may set
            gen.update(temperature=None, top_p=None, top_k=None)
        if stops:
            gen.update(stop_strings=stops, tokenizer=self.tokenizer)
        t = time.perf_counter()
        with self._lock, torch.inference_mode():
            if o.seed is not None:
                torch.manual_seed(o.seed)
            out = self.model.generate(**inputs, **gen)
        timings["generate"] = time.perf_counter() - t
        new = out[0, inputs["input_ids"].shape[1]:]
        timings["generated_len"] = float(new.shape[0])
        # Special tokens stay: Qwen2-VL writes its boxes with <|box_start|>…<|box_end|>.
        reply = self.tokenizer.decode(new, skip_special_tokens=False)
        for end in ("<|im_end|>", "<|endoftext|>"):
            reply = reply.split(end, 1)[0]
        for s in stops:  # generation stops after the stop string; the reply ends before it
            reply = reply.split(s, 1)[0]
        return reply

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "model_type": self.model_type, "device": self.device,
                "dtype": self.dtype, "attn": self.attn}

    def close(self) -> None:
        self.model = None  # type: ignore[assignment]


__all__ = ["MODEL_TYPES", "QwenLocalPolicy", "first_line", "locate_checkpoint"]
