"""Per-viewpoint, per-heading images on disk — the views the agent sees.

Layout (under the images root, by default ``DATA/images``)::

    <scan>/<viewpoint>/<view>.jpg        (or .png)

``view`` is the Matterport3D simulator's discretized view index, the same index R2R's
``viewIndex`` and REVERIE's ``visible_pos`` use: ``view = 12 * row + k`` where ``k`` is the
heading step (heading ``k × 30°``, clockwise from the scan's +y axis) and ``row`` 0, 1, 2 is the
elevation −30°, 0°, +30°. The twelve horizon views (12–23) are required for every viewpoint of a
scan that is used; the upper and lower rows (0–11, 24–35) are optional and, when present, are
shown for candidates up or down a staircase.

How to render them from your own copy of Matterport3D: build peteanderson80/Matterport3DSimulator,
then for each viewpoint of ``connectivity/<scan>_connectivity.json`` start an episode with
``setDiscretizedViewingAngles(True)``, ``setCameraVFOV(math.radians(60))`` and a 640×480 camera at
heading 0, elevation −30°, and step through the 36 views (``makeAction`` with heading +1, and
elevation +1 after every twelfth view) — the sweep the simulator's
``scripts/precompute_img_features.py`` makes — saving ``state.rgb`` of view ``i`` as
``<scan>/<viewpoint>/<i>.jpg``. The Matterport3D download's ``matterport_skybox_images`` are the
source those renders come from.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from vagent.actions import files

from .graph import VLNDataError

HORIZON = tuple(range(12, 24))
EXTENSIONS = (".jpg", ".png", ".jpeg")
LAYOUT = "<scan>/<viewpoint>/<view>.jpg|png, views 12–23 (the horizon, heading k·30°) required"


def view_index(heading: float, elevation: float = 0.0) -> int:
    """The discretized view that holds a direction (heading/elevation in radians)."""
    k = round(math.degrees(heading % (2 * math.pi)) / 30) % 12
    row = 1
    if elevation > math.radians(15):
        row = 2
    elif elevation < -math.radians(15):
        row = 0
    return 12 * row + k


class ImagesMissing(VLNDataError):
    """Views that the layout requires and the images root does not have."""


class ImageStore:
    """Reads views from the layout; ``require`` lists everything missing before a run starts."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _files(self, scan: str, viewpoint: str) -> dict[int, Path]:
        folder = self.root / scan / viewpoint
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return {}
        out: dict[int, Path] = {}
        for name in names:
            stem, ext = os.path.splitext(name)
            if ext.lower() in EXTENSIONS and stem.isdigit():
                out.setdefault(int(stem), folder / name)
        return out

    def missing(self, scan: str, viewpoints: list[str]) -> list[tuple[str, int]]:
        """What is missing: (path relative to the root, images) — a whole folder is one entry."""
        out = []
        for vp in viewpoints:
            have = self._files(scan, vp)
            if not have:
                out.append((f"{scan}/{vp}/ (all 12 horizon views)", len(HORIZON)))
                continue
            out += [(f"{scan}/{vp}/{i}.jpg", 1) for i in HORIZON if i not in have]
        return out

    def require(self, scans: dict[str, list[str]]) -> None:
        """Raise ImagesMissing naming what is missing over the given scans' viewpoints."""
        if not self.root.is_dir():
            raise ImagesMissing(
                f"no images folder {self.root} — render the per-viewpoint views from your "
                f"Matterport3D copy into it ({LAYOUT}; see README, Vision-and-language navigation)")
        missing: list[tuple[str, int]] = []
        for scan, vps in scans.items():
            missing += self.missing(scan, vps)
        if missing:
            shown = ", ".join(m for m, _ in missing[:5]) + (
                f", … ({len(missing) - 5} more)" if len(missing) > 5 else "")
            count = sum(n for _, n in missing)
            raise ImagesMissing(
                f"{count} image(s) missing under {self.root}: {shown} — render them from "
                f"your Matterport3D copy ({LAYOUT}; see README, Vision-and-language navigation)")

    def load(self, scan: str, viewpoint: str, view: int) -> np.ndarray:
        """A view as H×W×3 uint8; an absent upper/lower view falls back to the horizon view."""
        return _read(self.root, scan, viewpoint, view)


@functools.lru_cache(maxsize=512)
def _read(root: Path, scan: str, viewpoint: str, view: int) -> np.ndarray:
    folder = root / scan / viewpoint
    for index in (view, 12 + view % 12):
        for ext in EXTENSIONS:
            path = folder / f"{index}{ext}"
            if path.exists():
                return files.open_screenshot(path)  # read-only; a PNG keeps its bytes
    raise ImagesMissing(f"no image for view {view} at {folder} — expected {LAYOUT}")
