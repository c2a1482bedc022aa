"""Reading the folders a page is made of: a run folder or an evaluation folder.

Both are read while they may still be written: a last line cut short is the line being written
now (it is left for the next read), a malformed line elsewhere is skipped and counted, a missing
``meta.json`` or ``summary.json`` means "not written yet". Records stay plain dicts, so fields a
benchmark adds (AITZ's prediction and ground truth, a task's own flags) reach the page untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from vagent.actions import files
from vagent.actions.errors import VagentError


class ViewError(VagentError):
    """A folder that holds neither a run nor an evaluation."""


@dataclass
class Lines:
    records: list[dict[str, Any]] = field(default_factory=list)
    bad: int = 0  # whole lines that were not a JSON object


def read_lines(path: Path) -> Lines:
    """The JSON objects of a .jsonl file, up to its last complete line."""
    out = Lines()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return out
    end = data.rfind(b"\n") + 1
    for line in data[:end].decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            rec = files.loads(line, path.name)  # (a 100k-deep line is refused, not recursed)
        except ValueError:
            out.bad += 1
            continue
        if isinstance(rec, dict):
            out.records.append(rec)
        else:
            out.bad += 1
    return out


def read_json(path: Path) -> tuple[dict[str, Any], str | None]:
    """A JSON object file, and a note when it exists but cannot be read."""
    try:
        value = files.loads(path.read_text(encoding="utf-8"), path.name)
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as e:
        return {}, f"{path.name} is unreadable ({type(e).__name__}) — it is being written or damaged"
    if not isinstance(value, dict):
        return {}, f"{path.name} holds no JSON object"
    return value, None


def _quote(name: str) -> str:
    return quote(name)


@dataclass
class Run:
    folder: Path  # a step's screenshot name is relative to it (or absolute)
    meta: dict[str, Any]
    steps: list[dict[str, Any]]
    notes: list[str]
    src: Callable[[str], str] = _quote  # a screenshot name -> its URL on the page
    back: str | None = None  # the evaluation page's URL when the run is one of its episodes


@dataclass
class Evaluation:
    folder: Path
    settings: dict[str, Any]
    summary: dict[str, Any]
    episodes: list[dict[str, Any]]
    notes: list[str]


RUN_FILES = ("trajectory.jsonl", "meta.json")
EVAL_FILES = ("episodes.jsonl", "summary.json", "settings.json")


def kind(folder: Path) -> str:
    """'run' or 'evaluation'; ViewError for anything else."""
    if not folder.is_dir():
        raise ViewError(f"no folder {folder} — give a run folder or a benchmark's results folder")
    if any((folder / f).exists() for f in RUN_FILES):
        return "run"
    if any((folder / f).exists() for f in EVAL_FILES):
        return "evaluation"
    raise ViewError(f"{folder} holds no run (trajectory.jsonl) and no evaluation "
                    "(episodes.jsonl, summary.json) — give the folder a run or an eval wrote")


def _notes(bad: int, name: str) -> list[str]:
    return [f"{bad} malformed line(s) in {name} skipped"] if bad else []


def read_run(folder: Path) -> Run:
    meta, note = read_json(folder / "meta.json")
    lines = read_lines(folder / "trajectory.jsonl")
    notes = ([note] if note else []) + _notes(lines.bad, "trajectory.jsonl")
    steps = [r for r in lines.records if isinstance(r.get("step"), int)]
    back = "../../index.html" if (folder.parent.parent / "episodes.jsonl").exists() else None
    return Run(folder, meta, steps, notes, back=back)


def read_evaluation(folder: Path) -> Evaluation:
    settings, n1 = read_json(folder / "settings.json")
    summary, n2 = read_json(folder / "summary.json")
    lines = read_lines(folder / "episodes.jsonl")
    notes = [n for n in (n1, n2) if n] + _notes(lines.bad, "episodes.jsonl")
    return Evaluation(folder, settings, summary, lines.records, notes)


def run_folder(evaluation: Evaluation, episode: dict[str, Any]) -> Path | None:
    """The episode's run folder when it names one that lies inside the evaluation's folder."""
    rel = episode.get("run")
    if not isinstance(rel, str) or not rel:
        return None
    root = evaluation.folder.resolve()
    path = (root / rel).resolve()
    return path if path.is_relative_to(root) and path != root else None


# -- episodes scored step by step (AITZ): their steps live in the episode record itself --------
EPISODE_PAGES = "view"  # OUT/view/episode-N.html, N the record's line in episodes.jsonl
IMAGE_KEYS = ("image", "screenshot", "image_path")


def episode_page(index: int) -> str:
    return f"{EPISODE_PAGES}/episode-{index}.html"


def step_records(episode: dict[str, Any]) -> list[dict[str, Any]] | None:
    recs = episode.get("step_records")
    return [r for r in recs if isinstance(r, dict)] if isinstance(recs, list) else None


def _image(rec: dict[str, Any]) -> str | None:
    for key in IMAGE_KEYS:
        if isinstance(rec.get(key), str) and rec[key]:
            return rec[key]
    return None


def images(evaluation: Evaluation) -> set[Path]:
    """Every screenshot the evaluation's step records name (what a server may hand out)."""
    out = set()
    for ep in evaluation.episodes:
        for rec in step_records(ep) or []:
            name = _image(rec)
            if name:
                out.add((evaluation.folder / name).resolve())
    return out


def episode_run(evaluation: Evaluation, index: int, served: bool = False) -> Run:
    """Episode ``index`` as a run: its step records as steps (prediction beside ground truth),
    screenshots where the records name them (a path absolute or relative to the evaluation)."""
    ep = evaluation.episodes[index]
    steps = []
    for i, rec in enumerate(step_records(ep) or []):
        step = {**rec, "step": rec.get("step_id", i), "screenshot": _image(rec)}
        if "seconds" in rec:
            step["timings"] = {"decide": rec["seconds"]}
        steps.append(step)
    policy = evaluation.settings.get("policy") or (evaluation.summary.get("settings") or {}
                                                   ).get("policy")
    meta = {"task": ep.get("task") or ep.get("id"), "policy": policy,
            "env": evaluation.summary.get("benchmark") or evaluation.folder.name,
            "result": {"success": ep.get("success"), "steps": ep.get("steps"),
                       "reason": ep.get("error") or "scored"}}
    page_dir = evaluation.folder / EPISODE_PAGES

    def src(name: str) -> str:
        path = (evaluation.folder / name).resolve()
        if served:  # a served page cannot climb out of the folder: the server maps these
            return "/_image?path=" + quote(str(path))
        return quote(Path(os.path.relpath(path, page_dir)).as_posix())

    notes = [] if any(s["screenshot"] for s in steps) or not steps else [
        "the step records name no screenshot (an 'image' path per step would show them)"]
    return Run(evaluation.folder, meta, steps, notes, src=src, back="../index.html")
