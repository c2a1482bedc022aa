"""Trajectories on disk: ``OUT/meta.json``, ``OUT/trajectory.jsonl`` and ``OUT/step_NNN.png``.

Each step is written and flushed as it finishes, screenshot first, so a killed run keeps every
finished step; ``Trajectory.load`` reads them back (ignoring a line cut short by the kill).
Nothing that looks like a secret (a key, a token, a password) is ever written.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from vagent.actions import files, png
from vagent.actions.secrets import redact_url
from vagent.actions.context import png_bytes

from .render import notebook

# A key names a secret when its last word is one: api_key, access_token, Authorization,
# client_secret. Counts such as max_new_tokens or prompt_tokens are not secrets.
_SECRET = re.compile(r"(^|[_\-.])(api[_-]?key|key|token|secret|password|passwd|authorization|"
                     r"auth|cookie|credentials?)$", re.I)


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with every secret-looking key's value replaced, and the
    credentials of every URL in its text."""
    if isinstance(value, dict):
        return {k: ("<redacted>" if _SECRET.search(str(k)) and v else redact(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_url(value)  # http://user:KEY@host: a key written into a URL
    return value


class StepRecord(BaseModel):
    """One line of trajectory.jsonl."""

    step: int
    raw: str = ""
    thought: str = ""
    calls: list[dict[str, Any]] = Field(default_factory=list)  # parsed, in the model's frame
    frame: str = "pixels"
    action: dict[str, Any] | None = None  # executed, in screen pixels
    clamped: bool = False
    tool_results: list[dict[str, Any]] = Field(default_factory=list)
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    attempts: int = 1
    timings: dict[str, float] = Field(default_factory=dict)
    screenshot: str | None = None  # file name beside trajectory.jsonl
    observation_text: str = ""
    info: dict[str, Any] = Field(default_factory=dict)


class TrajectoryWriter:
    """Appends steps to a run folder as they happen."""

    def __init__(self, out: str | Path, meta: dict[str, Any]):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.meta = redact(meta)
        self._write_meta()
        self._file = open(self.out / "trajectory.jsonl", "w", encoding="utf-8")  # noqa: SIM115

    def _write_meta(self) -> None:
        tmp = self.out / "meta.json.tmp"
        tmp.write_text(json.dumps(self.meta, indent=2, ensure_ascii=False, default=str),
                       encoding="utf-8")
        os.replace(tmp, self.out / "meta.json")

    def screenshot(self, step: int, image: np.ndarray | None) -> str | None:
        if image is None:
            return None
        name = f"step_{step:03d}.png"
        kept = png_bytes(image)
        if kept is not None:  # the device's own PNG: written as it came, never encoded again
            (self.out / name).write_bytes(kept)
            return name
        try:
            data = png.encode(image)  # rows unfiltered, deflate level 1: half Pillow's time
        except ValueError:  # not H×W(×3|×4) uint8: Pillow takes what it can
            buf = io.BytesIO()
            Image.fromarray(np.asarray(image)).save(buf, format="PNG", compress_level=1)
            data = buf.getvalue()
        (self.out / name).write_bytes(data)
        return name

    def write(self, record: StepRecord) -> None:
        line = json.dumps(redact(record.model_dump(mode="json")), ensure_ascii=False,
                          default=str)
        self._file.write(line + "\n")
        self._file.flush()

    def finish(self, result: dict[str, Any]) -> None:
        self.meta["result"] = redact(result)
        self._write_meta()
        self._file.close()


class Trajectory(BaseModel):
    """A finished (or killed) run read back: its meta and its steps."""

    out: Path | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    steps: list[StepRecord] = Field(default_factory=list)

    @property
    def result(self) -> dict[str, Any]:
        return self.meta.get("result", {})

    @property
    def success(self) -> bool | None:
        return self.result.get("success")

    @classmethod
    def load(cls, out: str | Path) -> Trajectory:
        out = Path(out)
        if not (out / "trajectory.jsonl").exists():
            raise FileNotFoundError(f"no trajectory.jsonl in {out}")
        meta_path = out / "meta.json"
        meta = files.read_json(meta_path, "run's meta.json") if meta_path.exists() else {}
        if not isinstance(meta, dict):
            raise files.DataFileError(f"{meta_path}: not a run's meta.json (not an object)")
        steps = []
        text = files.decode(files.read_bytes(out / "trajectory.jsonl"), out / "trajectory.jsonl")
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                steps.append(StepRecord.model_validate_json(line))
            except (ValueError, RecursionError):
                break  # a line cut short by a kill: everything before it is whole
        return cls(out=out, meta=meta, steps=steps)

    def _repr_html_(self) -> str:
        """A notebook shows the run inline: its steps, each screenshot with its action drawn."""
        return notebook(self.out, self.meta, [s.model_dump(mode="json") for s in self.steps])

    def image(self, step: int) -> np.ndarray | None:
        rec = self.steps[step]
        if self.out is None or rec.screenshot is None:
            return None
        return np.asarray(files.open_image(self.out / rec.screenshot))
