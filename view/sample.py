"""Synthetic run and evaluation folders in the real shapes, written by the real trajectory writer.

For the page tests, ``perf/view_load.py`` and the docs' screenshots: every kind of mark (click,
long press, swipe, drag, scroll, typed text, key, button, a clamped point, a tool call, an error,
an AITZ-style prediction beside its ground truth) on drawn phone screens, and evaluations of any
size. Nothing here is a benchmark result.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from vagent.agent.trajectory import StepRecord, TrajectoryWriter

SCREEN = (540, 1200)  # width, height of the drawn phone


def screen(seed: int, size: tuple[int, int] = SCREEN) -> np.ndarray:
    """A plain phone-like screen: a bar, a few list rows, a button; flat grey elsewhere."""
    w, h = size
    rng = random.Random(seed)
    img = Image.new("RGB", size, (236, 238, 242))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h // 14), fill=(60, 80, 160))
    for i in range(6):
        y = h // 8 + i * h // 9
        shade = 250 - rng.randrange(12)
        d.rectangle((w // 20, y, w - w // 20, y + h // 12), fill=(shade, shade, shade))
        d.rectangle((w // 10, y + h // 40, w // 3, y + h // 24), fill=(180, 184, 192))
    d.ellipse((w - w // 5, h - h // 8, w - w // 20, h - h // 8 + w // 6), fill=(90, 120, 220))
    return np.asarray(img)


# (action in screen pixels, thought) for one step of each kind; x, y within SCREEN
STEPS: list[dict[str, Any]] = [
    {"action": {"action": "click", "x": 135, "y": 300, "button": "left", "clicks": 1},
     "thought": "Open the first result."},
    {"action": {"action": "long_press", "x": 270, "y": 520, "duration_ms": 1000},
     "thought": "Hold the row to get its menu."},
    {"action": {"action": "swipe", "x1": 270, "y1": 900, "x2": 270, "y2": 300,
                "duration_ms": 300}, "thought": "Swipe up to see more."},
    {"action": {"action": "scroll", "direction": "down", "amount": 3},
     "thought": "Scroll down the list."},
    {"action": {"action": "type", "text": "restaurants in San Diego", "submit": True},
     "thought": "Type the query."},
    {"action": {"action": "key", "keys": ["ctrl", "a"]}, "thought": "Select everything."},
    {"action": {"action": "drag", "x1": 100, "y1": 700, "x2": 420, "y2": 760},
     "thought": "Drag the item to the right."},
    {"action": {"action": "click", "x": 539, "y": 640, "button": "left", "clicks": 1},
     "thought": "Tap the edge.", "clamped": True, "frame": "rel1000",
     "calls": [{"action": "click", "x": 1180, "y": 533}]},
    {"action": None, "thought": "Check the weather first.",
     "calls": [{"action": "get_weather", "city": "San Diego"}],
     "tool_results": [{"name": "get_weather", "result": "sunny, 22 °C"}]},
    {"action": None, "raw": "click(start_box='(12,", "error": "parse error: unclosed '(' at 18",
     "attempts": 2},
    {"action": {"action": "button", "name": "back"}, "thought": "Go back."},
    {"action": {"action": "terminate", "status": "success", "answer": "Found 12 places"},
     "thought": "Done."},
]


def make_run(out: str | Path, steps: list[dict[str, Any]] | None = None, task: str =
             "find restaurants in San Diego", success: bool | None = True,
             seed: int = 0) -> Path:
    """A run folder with one step per entry of ``steps`` (default: every kind, ``STEPS``)."""
    out = Path(out)
    steps = STEPS if steps is None else steps
    writer = start_run(out, task, seed)
    for i, spec in enumerate(steps):
        append_step(writer, i, spec, seed)
    writer.finish({"reason": "terminated", "steps": len(steps), "success": success,
                   "reward": 1.0 if success else 0.0, "seconds": 1.5 * len(steps)})
    return out


def start_run(out: Path, task: str = "find restaurants in San Diego",
              seed: int = 0) -> TrajectoryWriter:
    """A run folder with its meta.json and an empty trajectory, open for ``append_step``."""
    return TrajectoryWriter(out, {
        "task": task, "env": "vagent/AndroidSim-v0", "env_name": "android-sim",
        "policy": {"name": "openai", "model": "Qwen2.5-VL-7B-Instruct", "format": "qwen25vl"},
        "max_steps": 20, "seed": seed, "started": "2026-12-06T01:00:00+00:00"})


def append_step(writer: TrajectoryWriter, i: int, spec: dict[str, Any], seed: int = 0) -> None:
    """Write step ``i``: its screenshot first, then its line (as the agent loop does)."""
    shot = writer.screenshot(i, screen(seed * 100 + i))
    action = spec.get("action")
    raw = spec.get("raw", json.dumps({"thought": spec.get("thought", ""), "action": action},
                                     ensure_ascii=False))
    rec = StepRecord(step=i, raw=raw, thought=spec.get("thought", ""),
                     calls=spec.get("calls", [action] if action else []),
                     frame=spec.get("frame", "pixels"), action=action,
                     clamped=spec.get("clamped", False),
                     tool_results=spec.get("tool_results", []), error=spec.get("error"),
                     attempts=spec.get("attempts", 1), screenshot=shot,
                     warnings=(["a point outside the screen was clamped onto it"]
                               if spec.get("clamped") else []),
                     timings={"model": 0.8 + 0.1 * i, "decide": 0.9 + 0.1 * i, "execute": 0.05},
                     info=spec.get("info", {}))
    writer.write(rec)


def make_aitz_run(out: str | Path) -> Path:
    """A run whose steps carry a prediction and the ground truth (as AITZ scores a step)."""
    pairs = [({"action": "click", "x": 130, "y": 310}, {"action": "click", "x": 150, "y": 290}),
             ({"action": "scroll", "direction": "down"}, {"action": "scroll", "direction": "up"}),
             ({"action": "type", "text": "pizza"}, {"action": "type", "text": "pizza"})]
    steps = [{"action": pred, "thought": "AITZ step",
              "info": {"prediction": pred, "ground_truth": gold,
                       "type_match": pred["action"] == gold["action"], "exact_match": pred == gold}}
             for pred, gold in pairs]
    return make_run(out, steps, task="search for pizza", success=False)


GROUPS = ("single", "install", "web_shopping", "general", "google_apps")


def make_evaluation(out: str | Path, episodes: int = 12, steps: int = 3,
                    benchmark: str = "phone-sim", seed: int = 0) -> Path:
    """An evaluation folder: settings, episodes (with run folders), summary.json/.md."""
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    settings = {"benchmark": benchmark, "policy": {"name": "tiny"}, "seed": seed,
                "episodes": episodes, "max_steps": 10}
    (out / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    rng = random.Random(seed)
    records = []
    with open(out / "episodes.jsonl", "w", encoding="utf-8") as f:
        for i in range(episodes):
            records.append(episode(out, i, steps, rng))
            f.write(json.dumps(records[-1], ensure_ascii=False) + "\n")
    write_summary(out, benchmark, settings, records)
    return out


def episode(out: Path, i: int, steps: int, rng: random.Random) -> dict[str, Any]:
    """One episode's record, its run folder written under ``out/runs``."""
    group = GROUPS[i % len(GROUPS)]
    task = f"{rng.choice(['open', 'find', 'search for', 'install'])} " \
           f"{rng.choice(['maps', 'pizza', 'the weather', 'a hotel', 'chess'])} #{i}"
    error = "the device went away" if i % 17 == 16 else None
    success = None if error else rng.random() < 0.6
    safe = f"ep{i:04d}"
    make_run(out / "runs" / safe, STEPS[:steps], task=task, success=success, seed=i)
    return {"id": f"ep-{i}", "task": task, "group": group, "success": success, "error": error,
            "steps": steps, "metrics": {"success": bool(success)}, "run": f"runs/{safe}"}


def write_summary(out: Path, benchmark: str, settings: dict[str, Any],
                  records: list[dict[str, Any]]) -> None:
    def rate(eps: list[dict[str, Any]]) -> float:
        return round(100 * sum(bool(e["success"]) for e in eps) / len(eps), 2) if eps else 0.0

    groups = {g: {"SR": rate([e for e in records if e["group"] == g]),
                  "n": sum(e["group"] == g for e in records)} for g in GROUPS}
    summary = {"benchmark": benchmark, "settings": settings, "metrics": {"SR": rate(records)},
               "groups": {g: v for g, v in groups.items() if v["n"]},
               "episodes": len(records), "errors": sum(bool(e["error"]) for e in records)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(f"# {benchmark}\n\nSR {summary['metrics']['SR']}%\n",
                                    encoding="utf-8")


def make_aitz_evaluation(out: str | Path, data: str | Path, episodes: int = 3) -> Path:
    """An AITZ-shaped evaluation: episodes scored step by step, their step records (prediction
    and ground truth in screen pixels) inside episodes.jsonl, the screenshots in ``data`` (the
    dataset's folder, outside ``out``) named by absolute path."""
    out, data = Path(out), Path(data)
    out.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    settings = {"policy": {"name": "qwen-vl", "model": "Qwen2-VL-2B-Instruct"}, "data": str(data)}
    (out / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    with open(out / "episodes.jsonl", "w", encoding="utf-8") as f:
        for e in range(episodes):
            recs = []
            for i, spec in enumerate(STEPS[:3]):
                image = data / f"ep{e}_{i}.png"
                Image.fromarray(screen(e * 10 + i)).save(image)
                gold = spec["action"]
                pred = ({**gold, "x": gold["x"] + 40 * e} if gold and "x" in gold else gold)
                recs.append({"episode_id": f"aitz-{e}", "step_id": i, "prediction": pred,
                             "ground_truth": gold, "type_match": True,
                             "exact_match": pred == gold, "error": None, "raw": "...",
                             "seconds": 0.4, "image": str(image)})
            f.write(json.dumps({"id": f"aitz-{e}", "success": all(r["exact_match"] for r in recs),
                                "error": None, "steps": len(recs), "task": f"aitz task {e}",
                                "group": "general", "metrics": {}, "step_records": recs}) + "\n")
    return out
