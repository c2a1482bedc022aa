"""Loaders of R2R and REVERIE annotation files into episodes, one per instruction.

R2R (``R2R_<split>.json``): a JSON array of ``{distance, scan, path_id, path, heading,
instructions}``; episode ids are ``<path_id>_<n>`` as R2R's evaluator names them. REVERIE
(``REVERIE_<split>.json``): the same fields plus ``id`` and ``objId``; ids are ``<id>_<n>``.

Which episodes, counted as the reference evaluators count them:

* R2R's ``tasks/R2R/eval.py`` scores instructions 0, 1 and 2 of every path (``range(3)`` is
  written into it). val_seen has one path with four instructions: the fourth is not an episode
  here either (val_seen: 1,020 episodes, as eval.py counts).
* REVERIE's ``eval_release.py`` scores every instruction of an item (1 to 3 in val and test).

Test splits hold no reference path (R2R_test: the start viewpoint only, no ``distance``;
REVERIE_test: no ``path_id`` and no ``objId``). Their episodes load as *prediction-only*: they
run and are written to the submission file the benchmark's server scores, but nothing is
scored here and there is no oracle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from vagent.actions import files

from vagent.envs.vln.data import Episode
from vagent.envs.vln.graph import VLNDataError

DATASETS = {"r2r": "R2R", "reverie": "REVERIE"}
R2R_SCORED_INSTRUCTIONS = 3  # eval.py: range(3) instr_ids per path


class _R2RItem(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    scan: str
    path_id: int | str
    path: list[str]
    heading: float = 0.0
    instructions: list[str]
    distance: float | None = None

    @property
    def prediction_only(self) -> bool:
        return len(self.path) < 2 and self.distance is None


class _ReverieItem(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    scan: str
    id: str
    path: list[str]
    heading: float = 0.0
    instructions: list[str]
    distance: float | None = None
    objId: int | str | None = None  # noqa: N815 — the file's own key; absent in test files

    @property
    def prediction_only(self) -> bool:
        return self.objId is None


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise VLNDataError(f"no annotation file {path}")
    with files.raising(VLNDataError):
        data = files.read_json(path, "annotation file")
    if not isinstance(data, list):
        raise VLNDataError(f"{path}: expected a JSON array of items")
    return data


def _items(path: Path, model: type[BaseModel]) -> list[Any]:
    out = []
    for i, raw in enumerate(_read(path)):
        try:
            item = model.model_validate(raw)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise VLNDataError(f"{path}: item {i}: {where}: {err['msg']}") from None
        if not item.path:
            raise VLNDataError(f"{path}: item {i} has an empty path")
        out.append(item)
    return out


def load_r2r(path: str | Path) -> list[Episode]:
    return [Episode(id=f"{it.path_id}_{n}", dataset="r2r", scan=it.scan, path=it.path,
                    heading=it.heading, instruction=text, distance=it.distance,
                    prediction_only=it.prediction_only)
            for it in _items(Path(path), _R2RItem)
            for n, text in enumerate(it.instructions[:R2R_SCORED_INSTRUCTIONS])]


def load_reverie(path: str | Path) -> list[Episode]:
    return [Episode(id=f"{it.id}_{n}", dataset="reverie", scan=it.scan, path=it.path,
                    heading=it.heading, instruction=text, distance=it.distance,
                    object_id=None if it.objId is None else str(it.objId),
                    prediction_only=it.prediction_only)
            for it in _items(Path(path), _ReverieItem) for n, text in enumerate(it.instructions)]


def split_file(root: str | Path, dataset: str, split: str) -> Path:
    if dataset not in DATASETS:
        raise VLNDataError(f"unknown dataset {dataset!r} — choose r2r or reverie")
    return Path(root) / f"{DATASETS[dataset]}_{split}.json"


def load_split(root: str | Path, dataset: str, split: str) -> list[Episode]:
    """Episodes of ``DATA/R2R_<split>.json`` or ``DATA/REVERIE_<split>.json``."""
    path = split_file(root, dataset, split)
    if not path.exists():
        have = sorted(p.name for p in Path(root).glob(f"{DATASETS[dataset]}_*.json"))
        raise VLNDataError(f"no {path.name} in {root}" + (
            f" — it has {', '.join(have)}" if have else
            f" — put the {DATASETS[dataset]} annotations there"))
    return load_r2r(path) if dataset == "r2r" else load_reverie(path)
