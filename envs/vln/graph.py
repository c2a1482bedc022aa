"""Navigation graphs: Matterport-style connectivity JSON loaded into networkx.

A scan's connectivity file (``<scan>_connectivity.json``) is a JSON array with one object per
viewpoint: ``image_id``, ``pose`` (a row-major 4×4 matrix whose translation sits at indices 3, 7
and 11), ``included``, ``unobstructed`` (one flag per entry of the array) and ``height``. Two
included viewpoints are joined when either marks the other unobstructed; the edge's weight is
their Euclidean distance in metres, so shortest paths are shortest by length, as in R2R's
evaluator. Viewpoints not included, and included ones without an edge, are left out, as R2R's
``load_nav_graphs`` leaves them out.

Headings follow the Matterport3D simulator: 0 faces +y and angles grow clockwise (towards +x);
elevation is positive upwards.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import networkx as nx

from vagent.actions import files


class VLNDataError(files.DataFileError):
    """VLN data (connectivity, images, annotations) that is missing or malformed."""


def _position(entry: dict[str, Any], where: str) -> tuple[float, float, float]:
    pose = entry.get("pose")
    if (not isinstance(pose, list) or len(pose) != 16
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v) for v in pose)):
        raise VLNDataError(f"{where}: 'pose' must be a 4×4 matrix as 16 finite numbers")
    return float(pose[3]), float(pose[7]), float(pose[11])


def load_connectivity(path: str | Path) -> nx.Graph:
    """A scan's graph: nodes carry ``position`` (x, y, z); edges carry ``weight`` in metres."""
    p = Path(path)
    with files.raising(VLNDataError):
        data = files.read_json(p, "connectivity file")
    if not isinstance(data, list):
        raise VLNDataError(f"{p}: a connectivity file is a JSON array of viewpoints")
    graph = nx.Graph()
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("image_id"), str):
            raise VLNDataError(f"{p}: entry {i} has no 'image_id' string")
        if entry.get("included", True):
            graph.add_node(entry["image_id"], position=_position(entry, f"{p} entry {i}"),
                           height=entry.get("height"))
    for i, entry in enumerate(data):
        if not entry.get("included", True):
            continue
        flags = entry.get("unobstructed") or []
        if not isinstance(flags, list) or len(flags) != len(data):
            raise VLNDataError(f"{p}: entry {i} has {len(flags)} 'unobstructed' flags for "
                               f"{len(data)} viewpoints")
        for j, open_ in enumerate(flags):
            other = data[j]
            if open_ and j != i and other.get("included", True):
                a, b = entry["image_id"], other["image_id"]
                graph.add_edge(a, b, weight=math.dist(graph.nodes[a]["position"],
                                                      graph.nodes[b]["position"]))
    # R2R's evaluator builds its graph from edges alone: a viewpoint with none is not in it
    # (no episode can reach it), so it is no node here either and no views are asked for it.
    graph.remove_nodes_from([n for n, degree in graph.degree if degree == 0])
    return graph


class NavGraph:
    """One scan's navigation graph with shortest paths by edge length (cached per source)."""

    def __init__(self, scan: str, graph: nx.Graph):
        self.scan = scan
        self.graph = graph

    @classmethod
    def load(cls, path: str | Path, scan: str | None = None) -> NavGraph:
        p = Path(path)
        return cls(scan or p.name.removesuffix("_connectivity.json"), load_connectivity(p))

    def __contains__(self, viewpoint: str) -> bool:
        return viewpoint in self.graph

    def require(self, viewpoint: str) -> None:
        if viewpoint not in self.graph:
            raise VLNDataError(f"viewpoint {viewpoint} is not in scan {self.scan}'s "
                               "connectivity graph — is the connectivity file the right one?")

    def position(self, viewpoint: str) -> tuple[float, float, float]:
        return self.graph.nodes[viewpoint]["position"]

    def neighbours(self, viewpoint: str) -> list[str]:
        return sorted(self.graph.neighbors(viewpoint))

    def edge_length(self, a: str, b: str) -> float:
        return float(self.graph.edges[a, b]["weight"])

    @functools.lru_cache(maxsize=256)  # noqa: B019 — one graph per scan, few sources
    def _from(self, source: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        self.require(source)
        return nx.single_source_dijkstra(self.graph, source, weight="weight")

    def distance(self, a: str, b: str) -> float:
        """Shortest-path length in metres (inf when b cannot be reached from a)."""
        return float(self._from(a)[0].get(b, math.inf))

    def shortest_path(self, a: str, b: str) -> list[str]:
        path = self._from(a)[1].get(b)
        if path is None:
            raise VLNDataError(f"scan {self.scan}: no path from {a} to {b}")
        return list(path)

    def path_length(self, path: list[str]) -> float:
        """Length of a walk along graph edges (a repeated viewpoint adds nothing)."""
        return sum(self.edge_length(a, b) for a, b in zip(path, path[1:]) if a != b)

    def direction(self, a: str, b: str) -> tuple[float, float]:
        """(heading, elevation) in radians from a to b: heading clockwise from +y."""
        (x0, y0, z0), (x1, y1, z1) = self.position(a), self.position(b)
        dx, dy, dz = x1 - x0, y1 - y0, z1 - z0
        heading = math.atan2(dx, dy) % (2 * math.pi)
        return heading, math.atan2(dz, math.hypot(dx, dy))


def relative_direction(rel_heading: float, elevation: float) -> str:
    """The words for a candidate, as MapGPT poses them.

    ``rel_heading`` is the candidate's heading minus the agent's, in radians; ``elevation`` is
    the candidate's elevation. A candidate in the upper or lower row of the simulator's views
    (more than 15° up or down: nearer +30° or −30° than the horizon) is "go up"/"go down".
    Within the view the agent faces (±15°) it is "go forward"; up to 90° aside it is "turn
    left"/"turn right"; beyond that "turn around".
    """
    if elevation > math.radians(15):
        return "go up"
    if elevation < -math.radians(15):
        return "go down"
    rel = math.remainder(rel_heading, 2 * math.pi)  # (−π, π]
    if abs(rel) <= math.radians(15):
        return "go forward"
    if abs(rel) > math.pi / 2:
        return "turn around"
    return "turn right" if rel > 0 else "turn left"
