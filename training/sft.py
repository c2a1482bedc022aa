"""``vagent train sft``: supervised fine-tuning of a Qwen2-VL-family checkpoint on exported data.

The data is ``vagent data export``'s swift JSONL. Each sample is rendered with the checkpoint's
own chat template and processor (images resized with its min/max pixels), exactly as the
``qwen-vl`` policy renders a prompt; the loss counts only the assistant turns' tokens (the answer
and its ``<|im_end|>``), everything else is masked with -100.

The model loads through the policy's ``from_pretrained`` path (the class from the config's
``model_type``). ``--lora`` trains peft LoRA adapters on the attention and MLP projections and
merges them at the end, so the output folder loads like any checkpoint. Checkpoints
(``OUT/checkpoint-STEP``: weights, optimizer, scheduler, step) are written every ``save_every``
steps; ``--resume`` continues from the newest one with the same data order.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from vagent.actions import files
from vagent.actions.errors import VagentError

IGNORE = -100
ASSISTANT_HEADER = "<|im_start|>assistant\n"


class TrainError(VagentError):
    pass


class SFTConfig(BaseModel):
    data: str
    model: str
    out: str
    epochs: float = Field(1.0, gt=0)
    lr: float = Field(1e-4, gt=0)
    batch_size: int = Field(1, ge=1)
    grad_accum: int = Field(1, ge=1)
    warmup: float = Field(0.03, ge=0, lt=1)  # fraction of the steps
    weight_decay: float = 0.0
    lora: bool = False
    lora_rank: int = 16
    seed: int = 0
    save_every: int = Field(200, ge=1)
    keep_checkpoints: int = 2
    max_len: int = Field(4096, ge=16)
    device: str | None = None
    max_steps: int | None = None  # stop after this many optimizer steps (budgeted runs)
    time_budget: float | None = None  # stop (and save) after this many seconds
    # end at this step of the schedule (which still runs to max_steps): a run cut short for
    # time, reproduced exactly
    stop_at: int | None = Field(None, ge=1)


# -- data -------------------------------------------------------------------------------------------
class SwiftMessage(BaseModel):
    role: StrictStr
    content: StrictStr


class SwiftSample(BaseModel):
    """One line of a swift JSONL (what 'vagent data export' writes)."""

    model_config = ConfigDict(extra="allow")

    messages: list[SwiftMessage] = Field(min_length=1)
    images: list[StrictStr] = Field(default_factory=list)


def load_samples(path: str | Path) -> list[dict[str, Any]]:
    """The swift JSONL's samples; image paths relative to the file are resolved against it."""
    path = Path(path)
    if not path.exists():
        raise TrainError(f"no data file {path} — write one with 'vagent data export'")
    with files.raising(TrainError):
        return _samples(path)


def _samples(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, value in files.read_jsonl(path, "data file"):
        row = files.validate(SwiftSample, value, f"{path}:{n}")
        messages = [m.model_dump() for m in row.messages]
        if not any(m["role"] == "assistant" for m in messages):
            raise TrainError(f"{path}:{n}: no assistant turn to learn from")
        images = [str(p if Path(p).is_absolute() else path.parent / p) for p in row.images]
        if sum(m["content"].count("<image>") for m in messages) != len(images):
            raise TrainError(f"{path}:{n}: the <image> markers and the images list differ")
        rows.append({"messages": messages, "images": images})
    if not rows:
        raise TrainError(f"{path} holds no samples")
    return rows


def chat_messages(messages: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Swift messages as chat-template messages: ``<image>`` markers become image parts (the
    qwen-vl policy hands its prompt to the template in this same shape)."""
    out = []
    for m in messages:
        content: list[dict[str, Any]] = []
        for i, piece in enumerate(m["content"].split("<image>")):
            if i:
                content.append({"type": "image"})
            if piece:
                content.append({"type": "text", "text": piece})
        out.append({"role": m["role"], "content": content})
    return out


def assistant_labels(input_ids: list[int], header: list[int], end_id: int) -> list[int]:
    """Labels that keep the tokens of every assistant turn (after its header, up to and including
    its ``<|im_end|>``) and mask the rest."""
    labels = [IGNORE] * len(input_ids)
    i, n, h = 0, len(input_ids), len(header)
    while i < n:
        if input_ids[i:i + h] == header:
            j = i + h
            while j < n and input_ids[j] != end_id:
                labels[j] = input_ids[j]
                j += 1
            if j < n:
                labels[j] = input_ids[j]  # the end of turn: the model must learn to stop
            i = j + 1
        else:
            i += 1
    return labels


class Collator:
    """Samples → a padded batch for the model (input ids, labels, pixel values, grids)."""

    def __init__(self, processor: Any, max_len: int):
        self.processor = processor
        self.tok = processor.tokenizer
        self.header = self.tok(ASSISTANT_HEADER, add_special_tokens=False)["input_ids"]
        self.end_id = self.tok.convert_tokens_to_ids("<|im_end|>")
        self.pad_id = self.tok.pad_token_id if self.tok.pad_token_id is not None else 0
        self.max_len = max_len
        self._images: dict[str, Any] = {}

    def image(self, path: str) -> Any:
        if path not in self._images:
            # full-size screenshots are large (a phone's is 7.7 MB decoded): keep only a few
            if len(self._images) >= 16:
                self._images.clear()
            self._images[path] = files.open_image(path)
        return self._images[path]

    def encode(self, sample: dict[str, Any]) -> dict[str, Any]:
        text = self.processor.apply_chat_template(chat_messages(sample["messages"]),
                                                  tokenize=False, add_generation_prompt=False)
        images = [self.image(p) for p in sample["images"]]
        enc = self.processor(text=[text], images=images or None, return_tensors="pt")
        ids = enc["input_ids"][0].tolist()
        if len(ids) > self.max_len:
            raise TrainError(f"a sample has {len(ids)} tokens, over --max-len {self.max_len} — "
                             "lower the image size or raise --max-len")
        item = {"input_ids": ids, "labels": assistant_labels(ids, self.header, self.end_id)}
        if "mm_token_type_ids" in enc:
            item["mm_token_type_ids"] = enc["mm_token_type_ids"][0].tolist()
        if "pixel_values" in enc:
            item["pixel_values"] = enc["pixel_values"]
            item["image_grid_thw"] = enc["image_grid_thw"]
        return item

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        items = [self.encode(s) for s in samples]
        width = max(len(it["input_ids"]) for it in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for r, it in enumerate(items):  # right padding, as in training everywhere
            n = len(it["input_ids"])
            ids[r, :n] = torch.tensor(it["input_ids"])
            labels[r, :n] = torch.tensor(it["labels"])
            mask[r, :n] = 1
        batch: dict[str, Any] = {"input_ids": ids, "labels": labels, "attention_mask": mask}
        if all("mm_token_type_ids" in it for it in items):
            types = torch.zeros((len(items), width), dtype=torch.long)
            for r, it in enumerate(items):
                types[r, :len(it["mm_token_type_ids"])] = torch.tensor(it["mm_token_type_ids"])
            batch["mm_token_type_ids"] = types
        pix = [it["pixel_values"] for it in items if "pixel_values" in it]
        if pix:
            batch["pixel_values"] = torch.cat(pix)
            batch["image_grid_thw"] = torch.cat([it["image_grid_thw"] for it in items
                                                 if "image_grid_thw" in it])
        return batch


# -- model ------------------------------------------------------------------------------------------
def load_model(source: str, device: str, dtype: Any) -> tuple[Any, Any]:
    """Model and processor through the qwen-vl policy's from_pretrained path."""
    import transformers
    from transformers import AutoConfig, AutoProcessor

    from vagent.policies.qwen_local import MODEL_TYPES, first_line, loading, locate_checkpoint

    path = locate_checkpoint(source)
    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise TrainError(f"cannot read the config of {source}: {first_line(e)}") from None
    if config.model_type not in MODEL_TYPES:
        raise TrainError(f"{source} is a {config.model_type} checkpoint — sft trains Qwen2-VL "
                         "and Qwen2.5-VL checkpoints")
    cls = getattr(transformers, MODEL_TYPES[config.model_type])
    try:
        with loading(f"{Path(path).name} ({config.model_type}, {device}, "
                     f"{str(dtype).removeprefix('torch.')})"):
            model = cls.from_pretrained(path, dtype=dtype, attn_implementation="sdpa")
            processor = AutoProcessor.from_pretrained(path)
    except (OSError, ValueError, ImportError) as e:
        raise TrainError(f"cannot load {source}: {first_line(e)}") from None
    return model.to(device), processor


def checkpoints(out: Path) -> list[Path]:
    """The complete checkpoints in a training output folder, oldest first."""
    found = [p for p in out.glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def _save_checkpoint(out: Path, step: int, model: Any, processor: Any, opt: Any, sched: Any,
                     state: dict, keep: int) -> None:
    import torch

    from vagent.policies.qwen_local import no_progress_bars

    tmp = out / f".checkpoint-{step}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with no_progress_bars():  # the training's own bar is the progress shown
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
    # dropout draws from the device's generator: on a GPU that is the CUDA one, saved too
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "torch_rng": torch.get_rng_state(), "cuda_rng": cuda_rng}, tmp / "optimizer.pt")
    (tmp / "trainer_state.json").write_text(json.dumps({**state, "step": step}, indent=1))
    final = out / f"checkpoint-{step}"
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in checkpoints(out)[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)


def train(cfg: SFTConfig, progress: bool = True) -> dict[str, Any]:
    """Run SFT; return a summary (also written to OUT/train_summary.json)."""
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    from vagent.policies.qwen_local import no_progress_bars

    out = Path(cfg.out)
    samples = load_samples(cfg.data)
    device = cfg.device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    resume_from = checkpoints(out)[-1] if out.exists() and checkpoints(out) else None
    torch.manual_seed(cfg.seed)
    # A full fine-tune resumes from the checkpoint's weights, loaded like any checkpoint.
    start_from = str(resume_from) if resume_from is not None and not cfg.lora else cfg.model
    model, processor = load_model(start_from, device, dtype)
    if cfg.lora:
        from peft import LoraConfig, get_peft_model

        targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        model = get_peft_model(model, LoraConfig(r=cfg.lora_rank, lora_alpha=2 * cfg.lora_rank,
                                                 target_modules=targets, lora_dropout=0.0))
    collate = Collator(processor, cfg.max_len)

    per_epoch = math.ceil(len(samples) / cfg.batch_size)
    total_micro = math.ceil(per_epoch * cfg.epochs)
    total = math.ceil(total_micro / cfg.grad_accum)
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    warm = max(1, int(cfg.warmup * total))

    def lr_at(step: int) -> float:  # linear warm-up, cosine decay to a tenth
        if step < warm:
            return (step + 1) / warm
        t = (step - warm) / max(1, total - warm)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    step, losses = 0, []
    if resume_from is not None:
        state = json.loads((resume_from / "trainer_state.json").read_text())
        if state.get("data") != str(cfg.data) or state.get("samples") != len(samples):
            raise TrainError(f"{resume_from} was trained on other data — use another --out")
        if cfg.lora:
            from peft import set_peft_model_state_dict
            from safetensors.torch import load_file

            set_peft_model_state_dict(model, load_file(resume_from / "adapter_model.safetensors"))
        extra = torch.load(resume_from / "optimizer.pt", weights_only=False)
        opt.load_state_dict(extra["optimizer"])
        sched.load_state_dict(extra["scheduler"])
        torch.set_rng_state(extra["torch_rng"])
        if extra.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(extra["cuda_rng"])
        step, losses = state["step"], state.get("losses", [])

    # The data order is a function of the seed and the epoch alone, so a resumed run sees the
    # same batches it would have seen.
    def batches_from(micro: int):
        epoch = micro // per_epoch
        while True:
            order = list(range(len(samples)))
            random.Random(cfg.seed * 1000003 + epoch).shuffle(order)
            for b in range(micro % per_epoch if epoch == micro // per_epoch else 0, per_epoch):
                yield [samples[i] for i in order[b * cfg.batch_size:(b + 1) * cfg.batch_size]]
            epoch += 1

    model.train()
    start = time.monotonic()
    stream = batches_from(step * cfg.grad_accum)
    state = {"data": str(cfg.data), "samples": len(samples), "config": cfg.model_dump()}
    cols = [TextColumn("sft"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TimeRemainingColumn()]
    stopped = "done"
    out.mkdir(parents=True, exist_ok=True)
    with Progress(*cols, disable=not progress) as bar:
        job = bar.add_task("sft", total=total, completed=step, loss="-")
        end = min(total, cfg.stop_at or total)
        while step < end:
            opt.zero_grad(set_to_none=True)
            acc = 0.0
            for _ in range(cfg.grad_accum):
                batch = {k: v.to(device) for k, v in collate(next(stream)).items()}
                if "pixel_values" in batch:
                    batch["pixel_values"] = batch["pixel_values"].to(dtype)
                loss = model(**batch).loss / cfg.grad_accum
                loss.backward()
                acc += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(round(acc, 5))
            recent = losses[-20:]
            bar.update(job, completed=step, loss=f"{sum(recent) / len(recent):.4f}")
            (out / "progress.json").write_text(json.dumps({
                "step": step, "total": total, "loss": round(sum(recent) / len(recent), 5),
                "seconds": round(time.monotonic() - start, 1)}))
            over = cfg.time_budget is not None and time.monotonic() - start > cfg.time_budget
            if step % cfg.save_every == 0 or over:
                _save_checkpoint(out, step, model, processor, opt, sched, {**state, "losses": losses},
                                 cfg.keep_checkpoints)
            if over:
                stopped = "time_budget"
                break
    if stopped == "done" and step < total:
        stopped = "stop_at"
    final = model.merge_and_unload() if cfg.lora else model
    with no_progress_bars():
        final.save_pretrained(out)
        processor.save_pretrained(out)
    summary = {"steps": step, "total_steps": total, "samples": len(samples),
               "seconds": round(time.monotonic() - start, 1), "stopped": stopped,
               "final_loss": (round(sum(losses[-20:]) / len(losses[-20:]), 5)
                              if losses else None),
               "first_loss": losses[0] if losses else None, "device": device,
               "config": cfg.model_dump()}
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1))
    (out / "losses.json").write_text(json.dumps(losses))
    return summary


__all__ = ["Collator", "SFTConfig", "assistant_labels", "chat_messages", "checkpoints",
           "load_samples", "train"]
