"""ALFRED's task files: ``traj_data.json`` (task_type, pddl_params, scene, plan, turk_annotations).

``load_split(DIR, SPLIT)`` finds ``DIR/SPLIT/**/traj_data.json`` (ALFRED's json_2.1.0 layout)
and yields one episode per annotation, as ALFRED evaluates. Tasks the project generates carry
their symbolic scene under the extra key ``vagent_scene``; ALFRED's own tasks run on THOR.

ALFRED's test files (tests_seen, tests_unseen) hold only ``scene``, ``task_id`` and the
annotations — no ``task_type``, ``pddl_params`` or ``plan``. They load as *prediction-only*
tasks: they run, and the actions go to the leaderboard file (``benchmarks.alfred.submission``),
but there are no goal conditions to check here and no oracle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vagent.actions import files

from .objects import TYPES

TaskType = Literal[
    "pick_and_place_simple", "pick_two_obj_and_place", "look_at_obj_in_light",
    "pick_clean_then_place_in_recep", "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep", "pick_and_place_with_movable_recep",
]
TASK_TYPES: tuple[str, ...] = TaskType.__args__  # type: ignore[attr-defined]


class DataError(files.DataFileError):
    """A task file that cannot be read; the message names the file."""


class PddlParams(BaseModel):
    model_config = ConfigDict(extra="allow")
    object_target: str
    parent_target: str = ""
    toggle_target: str = ""
    mrecep_target: str = ""
    object_sliced: bool = False


class Scene(BaseModel):
    model_config = ConfigDict(extra="allow")
    floor_plan: str = ""
    scene_num: int | None = None
    object_poses: list[dict[str, Any]] = Field(default_factory=list)
    object_toggles: list[dict[str, Any]] = Field(default_factory=list)
    dirty_and_empty: bool = False
    init_action: dict[str, Any] | None = None
    random_seed: int | None = None


class Annotation(BaseModel):
    model_config = ConfigDict(extra="allow")
    task_desc: str
    high_descs: list[str] = Field(default_factory=list)
    votes: list[Any] = Field(default_factory=list)


class Point(BaseModel):
    x: float
    y: float = 0.0
    z: float


class SymbolicAgent(BaseModel):
    x: float
    z: float
    rotation: float = 0.0
    horizon: float = 30.0


class SymbolicObject(BaseModel):
    model_config = ConfigDict(extra="allow")
    objectId: str = Field(min_length=1)
    objectType: str
    position: Point
    parent: str | None = None

    @field_validator("objectType")
    @classmethod
    def _known(cls, t: str) -> str:
        if t.removesuffix("Sliced") not in TYPES:
            raise ValueError(f"unknown object type {t!r} (the symbolic world knows "
                             f"{len(TYPES)}, e.g. Apple, CounterTop, Fridge)")
        return t


class SymbolicScene(BaseModel):
    """The ``vagent_scene`` of a generated task: what the symbolic world's ``reset`` builds.
    Checked when the task loads, so a hand-edited file fails there with the field's name rather
    than mid-episode."""

    model_config = ConfigDict(extra="allow")
    floor_plan: str = "Symbolic"
    room: tuple[float, float] = Field((6.0, 5.0))
    agent: SymbolicAgent | None = None
    objects: list[SymbolicObject]

    @field_validator("room")
    @classmethod
    def _positive(cls, room: tuple[float, float]) -> tuple[float, float]:
        if min(room) <= 0:
            raise ValueError(f"a room's width and depth are positive, not {list(room)}")
        return room

    @model_validator(mode="after")
    def _ids(self) -> "SymbolicScene":
        ids = [o.objectId for o in self.objects]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"object ids appear twice: {twice[:3]}")
        known = set(ids)
        for o in self.objects:
            if o.parent is not None and o.parent not in known:
                raise ValueError(f"{o.objectId}'s parent {o.parent!r} is not an object of "
                                 "the scene")
        return self


class AlfredTask(BaseModel):
    """One ``traj_data.json``; ``repeat_idx`` picks the annotation this episode uses."""

    model_config = ConfigDict(extra="allow")
    task_id: str
    task_type: TaskType | None = None  # None: a test task (prediction-only)
    pddl_params: PddlParams | None = None
    scene: Scene
    plan: dict[str, Any] = Field(default_factory=dict)
    turk_annotations: dict[str, list[Annotation]] = Field(default_factory=dict)
    symbolic_scene: dict[str, Any] | None = Field(None, alias="vagent_scene")
    repeat_idx: int = 0

    @field_validator("symbolic_scene")
    @classmethod
    def _scene(cls, scene: dict[str, Any] | None) -> dict[str, Any] | None:
        if scene is not None:
            SymbolicScene.model_validate(scene)  # the world reads the dict as written
        return scene

    @property
    def prediction_only(self) -> bool:
        """A test task: nothing to score it against (ALFRED's leaderboard scores it)."""
        return self.task_type is None or self.pddl_params is None

    @property
    def annotations(self) -> list[Annotation]:
        return self.turk_annotations.get("anns", [])

    @property
    def instruction(self) -> str:
        anns = self.annotations
        if not anns:
            if self.task_type is None or self.pddl_params is None:
                raise DataError(f"task {self.task_id} has neither annotations nor a task type")
            return f"{self.task_type.replace('_', ' ')}: {self.pddl_params.object_target}"
        return anns[min(self.repeat_idx, len(anns) - 1)].task_desc.strip()

    @property
    def episode_id(self) -> str:
        return f"{self.task_id}:{self.repeat_idx}"

    @property
    def expert_length(self) -> int:
        """The expert's path length in high-level actions (NoOp/End not counted)."""
        steps = [h for h in self.plan.get("high_pddl", [])
                 if h.get("discrete_action", {}).get("action") not in ("NoOp", "End")]
        return max(1, len(steps))

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True, exclude={"repeat_idx"})
        if data.get("vagent_scene") is None:
            data.pop("vagent_scene", None)
        return data


def parse_task(data: dict[str, Any], where: str = "<task>") -> AlfredTask:
    try:
        return AlfredTask.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise DataError(f"{where}: {loc}: {err['msg']} — is this an ALFRED traj_data.json?") from None


def load_task(path: str | Path) -> AlfredTask:
    p = Path(path)
    with files.raising(DataError):
        data = files.read_json(p, "task file")
    if not isinstance(data, dict):
        raise DataError(f"{p}: a traj_data.json holds one JSON object")
    return parse_task(data, str(p))


def episodes(tasks: list[AlfredTask]) -> list[AlfredTask]:
    """One episode per (task, annotation), as ALFRED counts them."""
    out = []
    for t in tasks:
        for r in range(max(1, len(t.annotations))):
            out.append(t.model_copy(update={"repeat_idx": r}))
    return out


def load_split(data: str | Path, split: str) -> list[AlfredTask]:
    root = Path(data)
    folder = root / split
    if not folder.is_dir():
        have = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise DataError(f"no split {split!r} under {root}"
                        + (f" — it has: {', '.join(have)}" if have else " (no such folder)"))
    paths = sorted(folder.rglob("traj_data.json"))
    if not paths:
        raise DataError(f"{folder}: no traj_data.json files below it")
    return episodes([load_task(f) for f in paths])


def write_split(tasks: list[AlfredTask], data: str | Path, split: str) -> Path:
    """Write tasks in ALFRED's layout: DATA/SPLIT/<task_id>/trial_0/traj_data.json."""
    folder = Path(data) / split
    for t in tasks:
        d = folder / t.task_id / "trial_0"
        d.mkdir(parents=True, exist_ok=True)
        (d / "traj_data.json").write_text(json.dumps(t.to_json(), indent=1), encoding="utf-8")
    return folder
