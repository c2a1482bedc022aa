"""A VLN data folder: connectivity graphs, views, REVERIE object boxes, and episodes.

Layout of ``DATA`` (what ``--data DIR`` points at; the synthetic generator writes the same)::

    connectivity/<scan>_connectivity.json     Matterport-style navigation graphs
    images/<scan>/<viewpoint>/<view>.jpg       views, see envs.vln.images
    R2R_<split>.json                           R2R annotations
    REVERIE_<split>.json                       REVERIE annotations
    bbox/<scan>_<viewpoint>.json               REVERIE's object boxes (its ``BBox/`` folder;
                                               either name is read)

A REVERIE box file is ``{viewpoint: {objId: {name, visible_pos, bbox2d}}}``: the objects within
3 m of the viewpoint, each with the views (0–35) it shows in and a box per view. Some entries
have an empty ``visible_pos`` (``{"name": "rope", "visible_pos": [], "bbox2d": []}``): REVERIE's
evaluator (``eval_release.py``, ``loadObjProposals``) skips those, so an object counts as seen
from a viewpoint only where its ``visible_pos`` is non-empty. The same rule decides here what
the agent is shown, which viewpoints are goals (SR, OSR, SPL) and where the oracle stops.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from vagent.actions import files

from .graph import NavGraph, VLNDataError
from .images import ImageStore

BOX_FOLDERS = ("bbox", "BBox")  # vagent's name, REVERIE's release name


class Episode(BaseModel):
    """One instruction to follow: the unit that is run and scored."""

    id: str  # R2R: "<path_id>_<n>"; REVERIE: "<id>_<n>" (the papers' instr_id)
    dataset: Literal["r2r", "reverie"] = "r2r"
    scan: str
    path: list[str]  # the reference path; its last viewpoint is the goal
    heading: float = 0.0  # initial heading (radians)
    instruction: str
    distance: float | None = None
    object_id: str | None = None  # REVERIE: the target object's id in the scan
    # A test split: no reference path beyond the start and no target, so nothing can be scored
    # here (the benchmark's server scores the submission file) and there is no oracle.
    prediction_only: bool = False

    @property
    def start(self) -> str:
        return self.path[0]

    @property
    def goal(self) -> str:
        return self.path[-1]


class SceneData:
    """Loads graphs, views and object boxes from a data folder, each scan once."""

    def __init__(self, root: str | Path, images: str | Path | None = None):
        self.root = Path(root)
        self.images = ImageStore(images or self.root / "images")
        self._graphs: dict[str, NavGraph] = {}
        self._objects: dict[str, dict[str, dict[str, str]]] = {}  # scan → vp → {obj id: name}

    def graph(self, scan: str) -> NavGraph:
        if scan not in self._graphs:
            path = self.root / "connectivity" / f"{scan}_connectivity.json"
            if not path.exists():
                raise VLNDataError(
                    f"no connectivity file for scan {scan} at {path} — copy "
                    "Matterport3DSimulator's connectivity/ folder into the data folder")
            self._graphs[scan] = NavGraph.load(path, scan)
        return self._graphs[scan]

    def objects(self, scan: str) -> dict[str, dict[str, str]]:
        """Objects seen in a scan: viewpoint → {object id: name} (empty without box files).

        Only entries with a non-empty ``visible_pos`` count, as in REVERIE's evaluator.
        """
        if scan not in self._objects:
            table: dict[str, dict[str, str]] = {}
            for path in sorted(p for folder in BOX_FOLDERS
                               for p in (self.root / folder).glob(f"{scan}_*.json")):
                with files.raising(VLNDataError):
                    data = files.read_json(path, "bbox file")
                if not isinstance(data, dict) or not all(
                        isinstance(objs, dict) and all(isinstance(o, dict) for o in objs.values())
                        for objs in data.values()):
                    raise VLNDataError(f"{path}: a bbox file maps viewpoints to {{object id: "
                                       "object}} objects")
                for vp, objs in data.items():
                    table.setdefault(vp, {}).update(
                        {str(oid): str(o.get("name", "object")).replace("#", " ")
                         for oid, o in objs.items() if o.get("visible_pos")})
            self._objects[scan] = table
        return self._objects[scan]

    def objects_at(self, scan: str, viewpoint: str) -> dict[str, str]:
        return self.objects(scan).get(viewpoint, {})

    def viewpoints_seeing(self, scan: str, object_id: str) -> set[str]:
        """REVERIE's goal viewpoints: those the object is seen from (non-empty visible_pos)."""
        return {vp for vp, objs in self.objects(scan).items() if str(object_id) in objs}

    def check(self, episodes: list[Episode], views: bool = True) -> None:
        """Fail before a run with everything missing: graphs, viewpoints and (if the run shows
        them to a model) views."""
        scans: dict[str, list[str]] = {}
        for scan in sorted({e.scan for e in episodes}):
            graph = self.graph(scan)
            scans[scan] = sorted(graph.graph.nodes)
        for e in episodes:
            for vp in e.path:
                self.graph(e.scan).require(vp)
        if views:
            self.images.require(scans)
