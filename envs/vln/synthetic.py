"""SYNTHETIC VLN scenes — drawn with Pillow, not Matterport3D — in the real data formats.

For tests and demos where the Matterport3D-derived data is not at hand. Each synthetic scan is a
hallway with rooms of distinct colours on both sides (and, in every other scan, a staircase to
an upper floor); rooms hold labelled objects. ``generate(DIR)`` writes a data folder laid out as
``envs.vln.data`` describes: Matterport-style connectivity JSON, the twelve horizon views of every
viewpoint, ``R2R_synthetic.json`` with R2R-style instructions built from the reference paths,
``REVERIE_synthetic.json`` with REVERIE-style object goals, and REVERIE ``bbox/`` files listing
the objects within 3 m of each viewpoint. Scan ids start with ``synthetic-``.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from PIL import Image, ImageDraw

from ..draw import font
from .graph import relative_direction

VERSION = 1
SPLIT = "synthetic"
HFOV = 2 * math.atan(math.tan(math.radians(30)) * 4 / 3)  # a 60° vertical FOV at 4:3

ROOMS: dict[str, tuple[tuple[int, int, int], list[str]]] = {
    "kitchen": ((236, 200, 90), ["fridge", "stove", "fruit bowl"]),
    "bedroom": ((110, 150, 220), ["bed", "lamp", "wardrobe"]),
    "bathroom": ((90, 200, 190), ["sink", "bathtub", "towel"]),
    "living room": ((120, 190, 110), ["sofa", "television", "plant"]),
    "dining room": ((230, 140, 80), ["dining table", "chair", "vase"]),
    "office": ((170, 120, 200), ["desk", "bookshelf", "computer"]),
    "laundry room": ((200, 200, 200), ["washing machine", "basket", "ironing board"]),
    "nursery": ((240, 160, 190), ["crib", "teddy bear", "rocking chair"]),
}
HALLWAY = ((150, 150, 150), [])
COLOURS = {"red": (200, 40, 40), "blue": (40, 70, 200), "green": (40, 150, 60),
           "yellow": (230, 200, 30), "black": (30, 30, 30), "white": (245, 245, 245),
           "brown": (130, 80, 40)}


@dataclass
class Place:
    id: str
    room: str
    pos: tuple[float, float, float]


@dataclass
class Obj:
    id: int
    name: str
    room: str
    pos: tuple[float, float, float]
    colour: tuple[int, int, int]


@dataclass
class Scene:
    scan: str
    places: list[Place] = field(default_factory=list)
    objects: list[Obj] = field(default_factory=list)
    graph: nx.Graph = field(default_factory=nx.Graph)

    def place(self, vp: str) -> Place:
        return next(p for p in self.places if p.id == vp)


def _vp(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _scene(index: int, rng: random.Random) -> Scene:
    s = Scene(scan=f"synthetic-{index:02d}")
    kinds = rng.sample(sorted(ROOMS), 5)
    n_hall = 4

    def add(room: str, x: float, y: float, z: float) -> Place:
        p = Place(_vp(rng), room, (round(x + rng.uniform(-0.3, 0.3), 3),
                                   round(y + rng.uniform(-0.3, 0.3), 3), z))
        s.places.append(p)
        s.graph.add_node(p.id)
        return p

    def link(a: Place, b: Place) -> None:
        s.graph.add_edge(a.id, b.id, weight=math.dist(a.pos, b.pos))

    def room(kind: str, x: float, side: float, z: float, entrances: list[Place]) -> None:
        door = add(kind, x, side * 2.6, z)
        inner = add(kind, x + rng.uniform(-0.4, 0.4), side * 4.8, z)
        for e in entrances:
            link(e, door)
        link(door, inner)
        names = rng.sample(ROOMS[kind][1], 2)
        for dx, name in zip((-1.3, 1.3), names):
            colour = rng.choice(sorted(COLOURS))
            s.objects.append(Obj(len(s.objects) + 1, f"{colour} {name}", kind,
                                 (inner.pos[0] + dx, inner.pos[1] + side * 0.9, z - 0.8),
                                 COLOURS[colour]))

    hall = [add("hallway", 3.0 * i, 0.0, 1.5) for i in range(n_hall)]
    for a, b in zip(hall, hall[1:]):
        link(a, b)
    for i, kind in enumerate(kinds[:n_hall]):
        side = 1.0 if i % 2 == 0 else -1.0
        # A door reachable from two hallway spots gives the graph a second, longer way round.
        entrances = [hall[i]] + ([hall[i + 1]] if i + 1 < n_hall and i % 2 == 1 else [])
        room(kind, 3.0 * i, side, 1.5, entrances)
    if index % 2 == 1:  # a staircase to an upper floor with one more room
        foot = add("hallway", 3.0 * n_hall, 0.0, 1.5)
        link(hall[-1], foot)
        landing = add("landing", 3.0 * n_hall + 2.2, 0.0, 4.5)
        link(foot, landing)
        room(kinds[n_hall], 3.0 * n_hall + 2.2, 1.0, 4.5, [landing])
    return s


# -- drawing ----------------------------------------------------------------------------------
def _colour_of(room: str) -> tuple[int, int, int]:
    return ROOMS.get(room, HALLWAY)[0]


def _shade(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(v * f))) for v in c)  # type: ignore[return-value]


Point = tuple[float, float, float]


def _bearing(a: Point, b: Point) -> Point:
    """(heading, elevation, distance) from a to b."""
    dx, dy, dz = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    flat = math.hypot(dx, dy)
    return math.atan2(dx, dy), math.atan2(dz, flat), math.dist(a, b)


def _screen_x(rel: float, width: int) -> float | None:
    rel = math.remainder(rel, 2 * math.pi)
    if abs(rel) >= HFOV / 2:
        return None
    return width / 2 + width / 2 * math.tan(rel) / math.tan(HFOV / 2)


def draw_view(scene: Scene, vp: str, k: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """The horizon view at heading k·30° from a viewpoint."""
    w, h = size
    here = scene.place(vp)
    heading = math.radians(30 * k)
    wall = _colour_of(here.room)
    img = Image.new("RGB", size, wall)
    d = ImageDraw.Draw(img)
    horizon = int(h * 0.58)
    d.rectangle((0, horizon, w, h), fill=_shade(wall, 0.55))
    d.text((6, 4), f"{here.room}", fill=_shade(wall, 0.35), font=font(max(10, h // 18)))
    # Doorways to neighbouring viewpoints, tinted with the room behind them; far ones first.
    items: list[tuple[float, str, Any]] = []
    for n in scene.graph.neighbors(vp):
        other = scene.place(n)
        bearing, elev, dist = _bearing(here.pos, other.pos)
        items.append((dist, "door", (other, bearing, elev)))
    for o in scene.objects:
        if o.room == here.room:
            bearing, elev, dist = _bearing(here.pos, o.pos)
            if dist < 7:
                items.append((dist, "obj", (o, bearing, elev)))
    for dist, kind, (thing, bearing, elev) in sorted(items, key=lambda t: -t[0]):
        x = _screen_x(bearing - heading, w)
        if x is None:
            continue
        scale = min(1.6, 2.2 / max(dist, 0.5))
        if kind == "door":
            dw, dh = 70 * scale * w / 320, 120 * scale * h / 240
            top = horizon - dh * 0.75 - (dh * 0.5 if elev > math.radians(15) else 0)
            colour = _colour_of(thing.room)
            d.rectangle((x - dw / 2, top, x + dw / 2, top + dh), fill=colour,
                        outline=(40, 40, 40), width=2)
            if abs(elev) > math.radians(15):
                for i in range(1, 5):
                    yy = top + dh * i / 5
                    d.line((x - dw / 2, yy, x + dw / 2, yy), fill=(60, 60, 60), width=2)
            if abs(elev) > math.radians(15):
                label = "stairs up" if elev > 0 else "stairs down"
            else:
                label = thing.room if thing.room != here.room else ""
            if label:
                d.text((x, top - 2), label, fill=(20, 20, 20), anchor="md",
                       font=font(max(9, int(13 * scale)), bold=True))
        else:
            bw = 46 * scale * w / 320
            bh = 36 * scale * h / 240
            y0 = horizon + 4 * scale
            d.rectangle((x - bw / 2, y0 - bh, x + bw / 2, y0), fill=thing.colour,
                        outline=(0, 0, 0), width=2)
            d.text((x, y0 + 2), thing.name, fill=(0, 0, 0), anchor="ma",
                   font=font(max(9, int(12 * scale))))
    return img


# -- annotations -------------------------------------------------------------------------------
def _visible_objects(scene: Scene, vp: str) -> list[tuple[Obj, list[int]]]:
    """Objects within 3 m of a viewpoint (REVERIE's bbox rule) and the views that hold them."""
    here = scene.place(vp)
    out = []
    for o in scene.objects:
        bearing, _, dist = _bearing(here.pos, o.pos)
        if dist <= 3.0:
            views = [12 + k for k in range(12)
                     if abs(math.remainder(bearing - math.radians(30 * k), 2 * math.pi)) < HFOV / 2]
            out.append((o, views))
    return out


def _rooms_along(scene: Scene, path: list[str]) -> list[str]:
    rooms: list[str] = [scene.place(path[0]).room]
    for vp in path[1:]:
        r = scene.place(vp).room
        if not rooms or rooms[-1] != r:
            rooms.append(r)
    return rooms[1:]  # the rooms entered after leaving the start


def _instructions(scene: Scene, path: list[str], heading: float, target: Obj) -> list[str]:
    first = scene.place(path[0]), scene.place(path[1])
    bearing, elev, _ = _bearing(first[0].pos, first[1].pos)
    move = relative_direction(bearing - heading, elev)
    rooms = _rooms_along(scene, path)
    goal = rooms[-1]
    middle = rooms[:-1]
    start_room = scene.place(path[0]).room
    via = f" through the {' and the '.join(middle)}" if middle else ""
    stairs = any(scene.place(v).room == "landing" for v in path) and \
        scene.place(path[0]).pos[2] != scene.place(path[-1]).pos[2]
    up = " and take the stairs" if stairs else ""
    return [
        f"{move.capitalize()}{up}, walk{via} into the {goal} and stop next to the {target.name}.",
        f"Leave the {start_room}{via.replace(' through', ', passing through')}{up}. Enter the "
        f"{goal} and wait by the {target.name}.",
        f"Head for the {goal}{up} and stop in front of the {target.name}.",
    ]


def _reverie_instructions(scene: Scene, target: Obj) -> list[str]:
    floor = " upstairs" if target.pos[2] > 2 else ""
    return [f"Go to the {target.room}{floor} and clean the {target.name}",
            f"Bring me the {target.name} from the {target.room}{floor}",
            f"In the {target.room}{floor}, check the {target.name}"]


def _connectivity(scene: Scene) -> list[dict[str, Any]]:
    ids = [p.id for p in scene.places]
    out = []
    for p in scene.places:
        x, y, z = p.pos
        flags = [scene.graph.has_edge(p.id, q) for q in ids]
        out.append({"image_id": p.id, "pose": [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1],
                    "included": True, "visible": flags, "unobstructed": flags, "height": 1.5})
    return out


def generate(out: str | Path, scans: int = 3, paths_per_scan: int = 4, seed: int = 0,
             image_size: tuple[int, int] = (320, 240)) -> Path:
    """Write a synthetic data folder (skipped when one with the same parameters is there)."""
    out = Path(out)
    manifest = {"synthetic": True, "version": VERSION, "scans": scans,
                "paths_per_scan": paths_per_scan, "seed": seed, "image_size": list(image_size)}
    stamp = out / "synthetic.json"
    if stamp.exists():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")) == manifest:
                return out
        except json.JSONDecodeError:
            pass
    rng = random.Random(seed)
    r2r: list[dict[str, Any]] = []
    reverie: list[dict[str, Any]] = []
    for i in range(scans):
        scene = _scene(i, rng)
        (out / "connectivity").mkdir(parents=True, exist_ok=True)
        (out / "connectivity" / f"{scene.scan}_connectivity.json").write_text(
            json.dumps(_connectivity(scene)), encoding="utf-8")
        (out / "bbox").mkdir(exist_ok=True)
        seen_from: dict[int, set[str]] = {}
        for p in scene.places:
            folder = out / "images" / scene.scan / p.id
            folder.mkdir(parents=True, exist_ok=True)
            for k in range(12):
                draw_view(scene, p.id, k, image_size).save(folder / f"{12 + k}.png",
                                                           compress_level=1)
            visible = _visible_objects(scene, p.id)
            for o, _ in visible:
                seen_from.setdefault(o.id, set()).add(p.id)
            boxes = {str(o.id): {"name": o.name.replace(" ", "#"), "visible_pos": views,
                                 "bbox2d": [[0, 0, 1, 1] for _ in views]} for o, views in visible}
            (out / "bbox" / f"{scene.scan}_{p.id}.json").write_text(
                json.dumps({p.id: boxes}), encoding="utf-8")
        # Reference paths: shortest by length, from anywhere to a room where an object is seen.
        targets = [o for o in scene.objects if o.id in seen_from]
        made = 0
        attempts = 0
        while made < paths_per_scan and attempts < 500:
            attempts += 1
            target = rng.choice(targets)
            goal = rng.choice(sorted(seen_from[target.id]))
            start = rng.choice([p.id for p in scene.places])
            path = nx.shortest_path(scene.graph, start, goal, weight="weight")
            if len(path) < 3 or scene.place(start).room == target.room:
                continue
            made += 1
            heading = round(rng.uniform(0, 2 * math.pi), 4)
            length = round(nx.path_weight(scene.graph, path, "weight"), 3)
            path_id = 1000 * (i + 1) + made
            r2r.append({"distance": length, "scan": scene.scan, "path_id": path_id,
                        "path": path, "heading": heading,
                        "instructions": _instructions(scene, path, heading, target)})
            reverie.append({"distance": length, "ix": made, "scan": scene.scan,
                            "heading": heading, "path_id": path_id, "objId": target.id,
                            "id": f"{path_id}_{target.id}", "path": path,
                            "instructions": _reverie_instructions(scene, target)})
    (out / f"R2R_{SPLIT}.json").write_text(json.dumps(r2r, indent=1), encoding="utf-8")
    (out / f"REVERIE_{SPLIT}.json").write_text(json.dumps(reverie, indent=1), encoding="utf-8")
    stamp.write_text(json.dumps(manifest), encoding="utf-8")
    return out
