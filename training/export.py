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

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from vagent.actions.errors import VagentError

if TYPE_CHECKING:
    import numpy as np

IMAGE = "<image>"
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
        return env.unwrapped.action_space, getattr(env.unwrapped, "protocol", None)
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
                       system: str | None = None) -> Iterator[dict[str, Any]]:
    """The SFT samples of one run folder (one per step that did something), swift style."""
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
        if rec.error or not rec.calls:
            break  # a failed step: what follows was not the oracle's clean path
        current = shot(i)
        obs = {"screenshot": current, "text": rec.observation_text}
        ctx = Context(task=task, space=space, observation=obs, steps=list(views), step=rec.step,
                      screen=screen, protocol=protocol)
        if protocol is not None:
            prompt = protocol_prompt(ctx, cfg)
            answer = rec.raw or json.dumps(rec.calls[0], ensure_ascii=False)
            calls = rec.calls
        elif rec.raw and rec.frame == frame.kind and same_format:
            # written by a model policy of this frame: its own text is the answer
            prompt = build(ctx, fmt, cfg)
            answer, calls = rec.raw, rec.calls
        else:
            prompt = build(ctx, fmt, cfg)
            rendered = [target_text(c, space, fmt, frame, screen, rec.frame)
                        for c in rec.calls]
            answer = "\n".join(text for text, _ in rendered)
            calls = [call for _, call in rendered]
        messages, images = _sample_messages(prompt, answer, paths)
        yield {"messages": messages, "images": images}
        views.append(StepView(step=rec.step, raw=answer, calls=calls, action=rec.action,
                              tool_results=rec.tool_results, screenshot=current))
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


def export(paths: Iterable[str | Path], out: str | Path, style: Style = "swift",
           fmt_name: str = "qwen2vl", only_success: bool = True, progress: bool = True,
           **history: Any) -> dict[str, int]:
    """Write the samples of every run under ``paths`` to ``out``; return counts."""
    from rich.progress import Progress

    if style not in ("swift", "sharegpt"):
        raise ExportError(f"unknown export format {style!r} — use swift or sharegpt")
    dirs = run_dirs(paths)
    if not dirs:
        raise ExportError("no trajectory.jsonl under the given folders — record runs with "
                          "'vagent run' or 'vagent data generate' first")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = {"runs": len(dirs), "runs_used": 0, "samples": 0, "images": 0}
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f, Progress(disable=not progress) as bar:
        job = bar.add_task("export", total=len(dirs))
        for d in dirs:
            used = False
            for sample in trajectory_samples(d, fmt_name, only_success=only_success, **history):
                row = sample if style == "swift" else to_sharegpt(sample)
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts["samples"] += 1
                counts["images"] += len(sample["images"])
                used = True
            counts["runs_used"] += used
            bar.advance(job)
    tmp.replace(out)
    return counts


def register(app: Any, eval_app: Any, sim_app: Any) -> None:
    data_app = typer.Typer(no_args_is_help=True, help="Training data from trajectories.")
    app.add_typer(data_app, name="data")

    @data_app.command("export")
    def export_cmd(
        traj_dirs: Annotated[list[Path], typer.Argument(help="Run folders, or folders of them.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="The JSONL file to write.")],
        format: Annotated[str, typer.Option("--format", help="swift (ms-swift) or sharegpt "
                                            "(LLaMA-Factory).")] = "swift",
        prompt_format: Annotated[str, typer.Option(help="The policy's prompt format: qwen2vl, "
                                                   "qwen25vl, uitars.")] = "qwen2vl",
        keep_images: Annotated[int, typer.Option(help="Screenshots shown per step, as the "
                                                 "policy's --keep-images.")] = 1,
        min_pixels: Annotated[int | None, typer.Option(help="As the policy's.")] = None,
        max_pixels: Annotated[int | None, typer.Option(help="As the policy's.")] = None,
        system: Annotated[str | None, typer.Option(help="A system prompt replacing the format's "
                                                   "(as the policy's --opt system=...).")] = None,
        all_runs: Annotated[bool, typer.Option("--all", help="Failed runs too.")] = False,
    ) -> None:
        """Trajectories as SFT JSONL (messages + image paths), rendered as the policy prompts."""
        counts = export(traj_dirs, out, format, prompt_format, only_success=not all_runs,
                        keep_images=keep_images, min_pixels=min_pixels, max_pixels=max_pixels,
                        system=system)
        print(json.dumps({"out": str(out), **counts}))

    from vagent.training.datagen import register_generate

    register_generate(data_app)


__all__ = ["export", "register", "run_dirs", "target_text", "to_sharegpt", "trajectory_samples"]
