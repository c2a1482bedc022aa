"""Load AITZ from its on-disk layout.

``DIR/{subset}/{PREFIX}-{episode_id}/{PREFIX}-{episode_id}.json`` is a list of steps;
``{PREFIX}-{episode_id}_{step}.png`` lie beside it. ``DIR`` is a split folder such as
``android-in-the-zoo/test`` (subsets: general, google_apps, install, web_shopping; single in
train). Several step fields are JSON *strings* (``ui_positions``, ``ui_text``, ``ui_types``,
``result_touch_yx``, ``result_lift_yx``); they are parsed here. UI boxes are pixel
``[top, left, height, width]`` of the stored screenshot; touch/lift points normalized (y, x).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from vagent.actions import files
from vagent.actions.errors import VagentError

from .actions import Gesture, ground_truth_action, ground_truth_gesture


class DataError(files.DataFileError):
    """The AITZ folder is missing or not in the expected layout."""


class Step(BaseModel):
    """One screen of an episode and its ground-truth action."""

    model_config = ConfigDict(frozen=True)

    subset: str
    episode_id: str
    step_id: int
    instruction: str
    image: Path
    width: int
    height: int
    gesture: Gesture  # the ground truth as the metrics see it
    action: dict[str, Any]  # the ground truth as a project action, pixels of the screenshot
    ui_positions: list[tuple[float, float, float, float]]  # pixels: top, left, height, width
    ui_text: list[str] = []
    ui_types: list[str] = []
    action_desc: str = ""  # coat_action_desc, e.g. "scroll up"

    @property
    def key(self) -> tuple[str, int]:
        return (self.episode_id, self.step_id)

    def aitw_boxes(self) -> list[tuple[float, float, float, float]]:
        """UI boxes normalized as AITW keeps them: (top, left, height, width) in [0, 1]."""
        w, h = self.width, self.height
        return [(t / h, l / w, bh / h, bw / w) for t, l, bh, bw in self.ui_positions]

    def pixel_boxes(self) -> list[tuple[float, float, float, float]]:
        """UI boxes as CoAT compares them: (x1, y1, x2, y2) in pixels."""
        return [(l, t, l + bw, t + bh) for t, l, bh, bw in self.ui_positions]


class Episode(BaseModel):
    subset: str
    episode_id: str
    instruction: str
    steps: list[Step]


def _json_text(value: Any) -> Any:
    """AITZ keeps several list fields as JSON text; a list given as a list is taken as is."""
    if isinstance(value, str):
        return files.loads(value, "the field's text") if value.strip() else None
    return value


class RawStep(BaseModel):
    """One step as AITZ's JSON holds it (the boundary: every field checked here)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    episode_id: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)]
    step_id: int = Field(ge=0, le=100_000)
    instruction: str
    result_action_type: int
    result_action_text: str | None = None
    image_path: str | None = None
    coat_action_desc: str | None = None
    ui_positions: Annotated[list[tuple[float, float, float, float]] | None,
                            BeforeValidator(_json_text)] = None
    ui_text: Annotated[list[str | int | float] | None, BeforeValidator(_json_text)] = None
    ui_types: Annotated[list[str | int | float] | None, BeforeValidator(_json_text)] = None
    result_touch_yx: Annotated[tuple[float, float] | None, BeforeValidator(_json_text)] = None
    result_lift_yx: Annotated[tuple[float, float] | None, BeforeValidator(_json_text)] = None


def _step(value: Any, subset: str, folder: Path, where: str) -> Step:
    if not isinstance(value, dict):
        raise DataError(f"{where}: a step is a JSON object — is this AITZ data?")
    missing = {"episode_id", "step_id", "instruction", "result_action_type"} - set(value)
    if missing:
        raise DataError(f"{where}: missing {', '.join(sorted(missing))} — is this AITZ data?")
    try:
        raw = files.validate(RawStep, value, where)
    except files.DataFileError as e:
        raise DataError(str(e)) from None
    # The screenshot lies beside the JSON; image_path names it relative to the split folder.
    name = Path(raw.image_path or f"{folder.name}_{raw.step_id}.png").name
    image = folder / name
    if not image.exists():
        raise DataError(f"{where}: no screenshot {image} — the PNGs must lie beside the JSON")
    width, height = files.image_size(image)
    touch = raw.result_touch_yx or (-1.0, -1.0)
    lift = raw.result_lift_yx or (-1.0, -1.0)
    gesture = ground_truth_gesture(raw.result_action_type, raw.result_action_text or "", touch,
                                   lift, width, height)
    action = ground_truth_action(gesture, width, height).dump()
    return Step(subset=subset, episode_id=raw.episode_id, step_id=raw.step_id,
                instruction=raw.instruction, image=image, width=width, height=height,
                gesture=gesture, action=action, ui_positions=raw.ui_positions or [],
                ui_text=[str(t) for t in raw.ui_text or []],
                ui_types=[str(t) for t in raw.ui_types or []],
                action_desc=raw.coat_action_desc or "")


def load_episode(path: Path, subset: str) -> Episode:
    """One episode from its JSON file (a list of steps)."""
    with files.raising(DataError):
        raw = files.read_json(path, "AITZ episode file")
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{path}: an episode file holds a non-empty list of steps")
    steps = sorted((_step(r, subset, path.parent, f"{path}[{i}]") for i, r in enumerate(raw)),
                   key=lambda s: s.step_id)
    ids = {s.episode_id for s in steps}
    if len(ids) > 1:
        raise DataError(f"{path}: steps of several episodes ({', '.join(sorted(ids)[:3])}) — "
                        "one episode per file")
    if len({s.step_id for s in steps}) < len(steps):
        raise DataError(f"{path}: a step_id appears twice — one step per id")
    return Episode(subset=subset, episode_id=steps[0].episode_id,
                   instruction=steps[0].instruction, steps=steps)


def _episode_files(subset_dir: Path) -> Iterator[Path]:
    for d in sorted(p for p in subset_dir.iterdir() if p.is_dir()):
        f = d / f"{d.name}.json"
        if f.exists():
            yield f


def subsets(root: str | Path) -> list[str]:
    """The subset folders of a split folder (those holding episode folders)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"no AITZ folder at {root} — give the split folder, e.g. "
                        "android-in-the-zoo/test")
    found = [d.name for d in sorted(root.iterdir())
             if d.is_dir() and next(_episode_files(d), None) is not None]
    if not found:
        hint = " (it has a 'test' folder: give that)" if (root / "test").is_dir() else ""
        raise DataError(f"{root} holds no subset folders of AITZ episodes{hint}")
    return found


def load(root: str | Path, subset: str | None = None, limit: int | None = None) -> list[Episode]:
    """Episodes of every subset (or one), at most ``limit`` per subset, in folder order."""
    root = Path(root)
    names = subsets(root)
    if subset is not None:
        if subset not in names:
            raise DataError(f"no subset {subset!r} in {root} — it has: {', '.join(names)}")
        names = [subset]
    episodes = []
    for name in names:
        files = list(_episode_files(root / name))
        for f in files[:limit] if limit is not None else files:
            episodes.append(load_episode(f, name))
    return episodes
