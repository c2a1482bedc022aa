"""Trajectories → supervised fine-tuning data (JSONL), rendered exactly as the policy prompts.

Each step of a trajectory becomes one sample: the conversation ``agent.history.build`` gives the
model at that step (system prompt with the tools, the task, older steps as lines, the recent
screenshots, the instruction) followed by one assistant turn — the step's action written in the
prompt format (``actions.parsing.render`` in the format's coordinate frame). Past steps in the
history carry those same rendered answers, as a model that had written them would see them. So a
model trained on the export sees at training time the very text the policy sends at inference.

Two JSONL conventions (one object per line, images as file paths, ``<image>`` marking where each
image sits in the text):

- ``swift`` (ms-swift): ``{"messages": [{"role", "content"}...], "images": [paths]}``.
- ``sharegpt`` (LLaMA-Factory): ``{"conversations": [{"from": "human"|"gpt", "value"}...],
  "system": str, "images": [paths]}``. LLaMA-Factory wants human and gpt turns to alternate, so
  consecutive user messages are joined with a newline (the only difference from ``swift``).

``vagent train sft`` reads the ``swift`` form.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from vagent.actions.errors import VagentError

if TYPE_CHECKING:
    import numpy as np

IMAGE = "<image>"
#: The action name in an answer's JSON arguments.
_ACTION = re.compile(r'"action": "(\w+)"')
Style = Literal["swift", "sharegpt"]
#: Envs whose action space is a built-in one (making them would need a device).
SPACE_OF = {"android": "mobile", "android-sim": "mobile", "desktop": "desktop"}


class ExportError(VagentError):
    pass


def _shape_only(width: int, height: int) -> np.ndarray:
    """An array with a screenshot's shape and no memory: the history builder reads only sizes."""
    import numpy as np  # here, not at the top: the CLI registers this module at every start

    return np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (height, width, 3))


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def _env_parts(env_name: str, screen: tuple[int, int] | None) -> tuple[Any, Any]:
    """(action space, protocol) of the env a trajectory was recorded in."""
    from vagent.actions.space import get_space

    if env_name in SPACE_OF:
        space = get_space(SPACE_OF[env_name])
        return (space.with_screen(*screen) if screen else space), None
    from vagent import envs

    try:
        env = envs.make(env_name)
    except Exception as e:  # noqa: BLE001 — any failure to build the env is the user's to fix
        raise ExportError(f"cannot rebuild env {env_name!r} to read its action space: {e}"
                          ) from None
    try:
        return env.action_space, env.protocol
    finally:
        env.close()


def target_text(call: dict[str, Any], space: Any, fmt: Any, frame: Any,
                screen: tuple[int, int] | None, call_frame: str = "pixels"
                ) -> tuple[str, dict[str, Any]]:
    """What a model of ``fmt`` writes for one recorded call (recorded in ``call_frame``), and
    the call in the model's frame (what the parser would hand back)."""
    from vagent.actions import Frame
    from vagent.actions.coords import from_screen, to_screen
    from vagent.actions.parsing import render

    action = space.validate(call)
    if screen and type(action).POINTS:
        if call_frame != "pixels":  # the model's own frame: back to pixels first
            action = to_screen(action, Frame(kind=call_frame), *screen).action
        action = from_screen(action, frame, *screen)
    return render(action, fmt.parser, frame=frame), action.dump()


@functools.lru_cache(maxsize=4)
def text_counter(tokenizer: str | Path | None = None) -> Callable[[str], int]:
    """How the history builder counts text tokens: with the checkpoint's tokenizer (as
    ``policies.qwen_local`` does), or the tokenizer-free estimate the other policies use."""
    from vagent.policies.history import approx_tokens

    if tokenizer is None:
        return approx_tokens
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(tokenizer))
    except (OSError, ValueError) as e:
        raise ExportError(f"cannot load a tokenizer from {tokenizer}: {str(e).splitlines()[0]}"
                          " — pass the checkpoint folder the policy runs") from None
    return functools.lru_cache(maxsize=8192)(
        lambda text: len(tok(text, add_special_tokens=False)["input_ids"]))


def _sample_messages(prompt: Any, answer: str, paths: dict[int, str]) -> tuple[list[dict], list]:
    from vagent.policies.history import ImagePart

    messages, images = [], []
    for m in prompt.messages:
        text = []
        for part in m.parts:
            if isinstance(part, ImagePart):
                text.append(IMAGE)
                images.append(paths[id(part.array)])
            else:
                text.append(part)
        messages.append({"role": m.role, "content": "".join(text)})
    messages.append({"role": "assistant", "content": answer})
    return messages, images


def trajectory_samples(run_dir: str | Path, fmt_name: str = "qwen2vl", *,
                       keep_images: int = 1, min_pixels: int | None = None,
                       max_pixels: int | None = None, context_tokens: int = 32768,
                       max_new_tokens: int = 256, only_success: bool = True,
                       system: str | None = None, tokenizer: str | Path | None = None
                       ) -> Iterator[dict[str, Any]]:
    """The SFT samples of one run folder (one per step that did something), swift style.

    ``tokenizer`` (a checkpoint folder): count the history's tokens with it, as the local policy
    counts with its own, so a history over the budget is cut where inference cut it."""
    from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
    from vagent.policies.history import HistoryConfig, build, protocol_prompt
    from vagent.agent.trajectory import Trajectory
    from vagent.policies import formats
    from vagent.actions.context import Context, StepView

    run = Path(run_dir)
    traj = Trajectory.load(run)
    if only_success and traj.success is not True:
        return
    task = traj.meta.get("task")
    if not task:
        raise ExportError(f"{run}: meta.json names no task — export runs written by 'vagent run'")
    shots = [run / r.screenshot if r.screenshot else None for r in traj.steps]
    screen = _image_size(shots[0]) if shots and shots[0] else None
    space, protocol = _env_parts(str(traj.meta.get("env_name", "")), screen)
    fmt = formats.get(fmt_name)
    cfg = HistoryConfig(max_tokens=context_tokens, keep_images=keep_images,
                        reserve=max_new_tokens, min_pixels=min_pixels or DEFAULT_MIN_PIXELS,
                        max_pixels=max_pixels or DEFAULT_MAX_PIXELS, system=system)
    frame = fmt.frame(cfg.min_pixels, cfg.max_pixels)
    count = text_counter(tokenizer)
    views: list[StepView] = []
    paths: dict[int, str] = {}
    same_format = (traj.meta.get("policy") or {}).get("format") == fmt_name

    def shot(i: int) -> np.ndarray | None:
        if shots[i] is None:
            return None
        w, h = _image_size(shots[i]) if screen is None else screen
        arr = _shape_only(w, h)
        paths[id(arr)] = str(shots[i].resolve())
        return arr

    for i, rec in enumerate(traj.steps):
        model_text = bool(rec.raw) and rec.frame == frame.kind and same_format
        if rec.error or not rec.calls:
            if not (same_format and protocol is None):
                break  # an oracle's failed step: what follows was not its clean path
            # A model's failed step is no target, but the model saw it in later prompts.
            current = shot(i)
            views.append(StepView(step=rec.step, thought=rec.thought, raw=rec.raw,
                                  calls=rec.calls, action=rec.action,
                                  tool_results=rec.tool_results, error=rec.error,
                                  screenshot=current))
            if len(views) > keep_images:
                views[-keep_images - 1].screenshot = None
            continue
        current = shot(i)
        obs = {"screenshot": current, "text": rec.observation_text}
        ctx = Context(task=task, space=space, observation=obs, steps=list(views), step=rec.step,
                      screen=screen, protocol=protocol)
        thought = ""
        if protocol is not None:
            prompt = protocol_prompt(ctx, cfg)
            answer = rec.raw or json.dumps(rec.calls[0], ensure_ascii=False)
            calls = rec.calls
        elif model_text:
            # written by a model policy of this format: its own text (thought included) is the
            # answer, and later prompts show the step as the loop showed it
            prompt = build(ctx, fmt, cfg, count)
            answer, calls, thought = rec.raw, rec.calls, rec.thought
        else:
            prompt = build(ctx, fmt, cfg, count)
            rendered = [target_text(c, space, fmt, frame, screen, rec.frame)
                        for c in rec.calls]
            answer = "\n".join(text for text, _ in rendered)
            calls = [call for _, call in rendered]
        messages, images = _sample_messages(prompt, answer, paths)
        yield {"messages": messages, "images": images}
        views.append(StepView(step=rec.step, thought=thought, raw=answer, calls=calls,
                              action=rec.action, tool_results=rec.tool_results,
                              screenshot=current))
        if len(views) > keep_images:  # as the agent does: only recent screenshots stay
            views[-keep_images - 1].screenshot = None


def to_sharegpt(sample: dict[str, Any]) -> dict[str, Any]:
    """A swift-style sample in LLaMA-Factory's sharegpt convention."""
    system = ""
    turns: list[dict[str, str]] = []
    for m in sample["messages"]:
        if m["role"] == "system":
            system = m["content"]
            continue
        who = "gpt" if m["role"] == "assistant" else "human"
        if turns and turns[-1]["from"] == who:
            turns[-1]["value"] += "\n" + m["content"]
        else:
            turns.append({"from": who, "value": m["content"]})
    return {"conversations": turns, "system": system, "images": sample["images"]}


def run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """Run folders under each path (a run folder itself, or a folder of them), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if (p / "trajectory.jsonl").exists():
            found.append(p)
        elif p.is_dir():
            found += sorted(d.parent for d in p.rglob("trajectory.jsonl"))
        else:
            raise ExportError(f"{p}: no such run folder")
    return found


def _action_of(sample: dict[str, Any]) -> str | None:
    """The action name in a sample's answer (``"action": "type"``), if it has one."""
    m = _ACTION.search(sample["messages"][-1]["content"])
    return m.group(1) if m else None


_TYPED = re.compile(r'"action": "type", "text": ("(?:[^"\\]|\\.)*")')


def copy_variants(sample: dict[str, Any], n: int, rng: Any) -> list[dict[str, Any]]:
    """``n`` copies of a ``type`` sample whose text stands in the task, that text remade with
    new words of the same shape (``envs.android.pools.same_shape``) in the prompt and the answer
    alike: samples where only copying the task's words gives the answer (a remembered value
    never does). Other samples, and texts of fewer than 3 characters, give none."""
    from vagent.envs.android.pools import same_shape

    m = _TYPED.search(sample["messages"][-1]["content"])
    if not m or n <= 0:
        return []
    value = json.loads(m.group(1)).rstrip("\n")
    users = [msg for msg in sample["messages"] if msg["role"] == "user"]
    if len(value) < 3 or not any(value in msg["content"] for msg in users):
        return []
    escaped = json.dumps(value, ensure_ascii=False)[1:-1]
    out = []
    for _ in range(n):
        new = same_shape(rng, value)
        new_escaped = json.dumps(new, ensure_ascii=False)[1:-1]
        messages = [{**msg, "content": msg["content"].replace(escaped, new_escaped)
                     if msg["role"] == "assistant" else msg["content"].replace(value, new)}
                    for msg in sample["messages"]]
        out.append({**sample, "messages": messages})
    return out


def export(paths: Iterable[str | Path], out: str | Path, style: Style = "swift",
           fmt_name: str = "qwen2vl", only_success: bool = True, progress: bool = True,
           repeat: dict[str, int] | None = None, repeat_actions: dict[str, int] | None = None,
           copies: int = 0, copy_seed: int = 0, **history: Any) -> dict[str, int]:
    """Write the samples of every run under ``paths`` to ``out``, path by path; return counts.

    A path whose folder name is in ``repeat`` has its samples written that many times in a row
    (to weight a mix: ``{"numberline": 3}``); a sample whose answer is an action named in
    ``repeat_actions`` is written that many times (``{"type": 3}``: the samples that copy
    the task's words weigh three times); each ``type`` sample is followed by ``copies`` variants
    with its text remade (``copy_variants``; drawn from ``copy_seed``: same seed, same rows);
    ``rows`` counts the lines written.
    """
    import random

    rng = random.Random(copy_seed)
    from rich.progress import Progress

    if style not in ("swift", "sharegpt"):
        raise ExportError(f"unknown export format {style!r} — use swift or sharegpt")
    groups = [(run_dirs([p]), (repeat or {}).get(Path(p).name, 1)) for p in paths]
    total = sum(len(dirs) for dirs, _ in groups)
    if not total:
        raise ExportError("no trajectory.jsonl under the given folders — record runs with "
                          "'vagent run' or 'vagent data generate' first")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = {"runs": total, "runs_used": 0, "samples": 0, "images": 0, "rows": 0, "copies": 0}
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f, Progress(disable=not progress) as bar:
        job = bar.add_task("export", total=total)
        for dirs, times in groups:
            lines: list[str] = []
            samples = 0
            for d in dirs:
                used = False
                for sample in trajectory_samples(d, fmt_name, only_success=only_success,
                                                 **history):
                    row = sample if style == "swift" else to_sharegpt(sample)
                    line = json.dumps(row, ensure_ascii=False) + "\n"
                    lines.extend([line] * (repeat_actions or {}).get(_action_of(sample), 1))
                    for variant in copy_variants(sample, copies, rng):
                        row = variant if style == "swift" else to_sharegpt(variant)
                        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
                        counts["copies"] += 1
                    samples += 1
                    counts["images"] += len(sample["images"])
                    used = True
                counts["runs_used"] += used
                bar.advance(job)
            f.write("".join(lines) * times)
            counts["samples"] += samples
            counts["rows"] += len(lines) * times
    tmp.replace(out)
    return counts


__all__ = ["copy_variants", "export", "run_dirs", "target_text", "to_sharegpt", "trajectory_samples"]
