"""The symbolic household: a pure-Python room that answers THOR's controller API.

``SymbolicWorld`` holds objects with the same state fields as AI2-THOR's ``event.metadata``
(visible, isPickedUp, isOpen, isToggled, isSliced, isCooked, isDirty, temperature,
parentReceptacles, receptacleObjectIds, ...) and applies the physical rules of the actions
ALFRED uses, through a THOR-shaped ``step(action=..., objectId=...)`` that returns an event with
``metadata`` and ``frame``. It is two things, named for both:

* the ``symbolic`` backend's world — run anywhere, no Unity build, no GPU;
* ``ThorStandIn`` — the stand-in controller that lets the ``thor`` backend's translation of
  high-level actions into THOR calls be tested on a machine where ai2thor cannot start.

It is a simulator of THOR's *rules*, not of its physics: positions are points on the floor
plan, visibility is distance (≤ visibilityDistance) plus a horizontal field of view, and an
object inside a closed receptacle is hidden. The rules, each a one-line error on failure:
pick up only a visible pickupable object with an empty hand; put only into a visible
receptacle that is open (if openable), never a dish into a dish; open/close/toggle only what
can be and is not already so; a microwave turns on only when closed and heats what is inside;
closing a fridge cools what is inside; a faucet turned on cleans what is in the sink basin next
to it; slicing needs a knife in hand and replaces the object by its slices.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from ..base import EnvError
from .objects import KNIVES, SLICES_PER_OBJECT, flags
from .thor import ThorBackend

GRID = 0.25
MARGIN = 0.75  # reachable floor starts this far from the walls (fixed furniture stands there)
AGENT_Y = 0.9


class SymbolicEvent:
    """THOR's Event shape: ``metadata`` (a dict) and ``frame`` (H×W×3 uint8, drawn on demand)."""

    def __init__(self, metadata: dict[str, Any], size: tuple[int, int], names: Any = None):
        self.metadata = metadata
        self._size = size
        self._frame: np.ndarray | None = None
        self.names = names  # objectId → model-facing name, for labels (set by the backend)

    @property
    def frame(self) -> np.ndarray:
        if self._frame is None:
            from .render import render_view

            self._frame = render_view(self.metadata, self._size, self.names)
        return self._frame


class SymbolicWorld:
    """A household scene from a symbolic scene dict (see ``envs.alfred.generate``)."""

    def __init__(self, scene: dict[str, Any] | None = None, *, width: int = 300,
                 height: int = 300, visibilityDistance: float = 1.5, fieldOfView: float = 90,
                 scenes: dict[str, dict[str, Any]] | None = None, **_: Any):
        self.size = (width, height)
        self.visibility = float(visibilityDistance)
        self.fov = float(fieldOfView)
        self.calls: list[dict[str, Any]] = []  # every step() call, for tests of the thor backend
        self.last_event: SymbolicEvent | None = None
        self.scenes = dict(scenes or {})  # floor-plan name → scene, for reset(scene="FloorPlan1")
        if scene is not None:
            self.reset(scene=scene)

    # -- THOR's controller API -------------------------------------------------------------------
    def reset(self, scene: dict[str, Any] | str | None = None, **_: Any) -> SymbolicEvent:
        if isinstance(scene, str) and scene in self.scenes:
            scene = self.scenes[scene]
        if not isinstance(scene, dict):
            raise ValueError("the symbolic world loads a symbolic scene dict, not a THOR floor "
                             f"plan name ({scene!r}) — use --backend thor for real scenes")
        self.calls.append({"action": "reset", "scene": scene.get("floor_plan")})
        self.scene = scene
        self.scene_name = scene.get("floor_plan", "Symbolic")
        self.room = tuple(scene.get("room", (6.0, 5.0)))
        self.objects: dict[str, dict[str, Any]] = {}
        for spec in scene["objects"]:
            self.objects[spec["objectId"]] = self._make_object(spec)
        for spec in scene["objects"]:
            if spec.get("parent"):
                self._attach(spec["objectId"], spec["parent"])
        a = scene.get("agent", {})
        self.agent = {"x": float(a.get("x", MARGIN)), "z": float(a.get("z", MARGIN)),
                      "rotation": float(a.get("rotation", 0.0)),
                      "horizon": float(a.get("horizon", 30.0))}
        self.held: str | None = None
        return self._event("Initialize", True)

    def step(self, action: str | dict[str, Any] | None = None, **kwargs: Any) -> SymbolicEvent:
        if isinstance(action, dict):  # the ai2thor 2.x form step(dict(action=..., ...))
            kwargs = {**action, **kwargs}
            action = kwargs.pop("action")
        self.calls.append({"action": action, **kwargs})
        handler = getattr(self, f"_do_{action}", None)
        if handler is None:
            return self._event(str(action), False, f"unknown action {action!r}")
        try:
            result = handler(**kwargs)
        except _Fail as e:
            return self._event(str(action), False, str(e))
        return self._event(str(action), True, action_return=result)

    def stop(self) -> None:
        pass

    # -- actions ----------------------------------------------------------------------------------
    def _do_Pass(self, **_: Any) -> None:
        return None

    def _do_Done(self, **_: Any) -> None:
        return None

    def _do_GetReachablePositions(self, **_: Any) -> list[dict[str, float]]:
        return [{"x": x, "y": AGENT_Y, "z": z} for x, z in self._grid()]

    def _do_Teleport(self, position: dict[str, float] | None = None, x: float | None = None,
                     z: float | None = None, rotation: Any = None, horizon: float | None = None,
                     **_: Any) -> None:
        px = position["x"] if position else x
        pz = position["z"] if position else z
        if px is None or pz is None:
            raise _Fail("Teleport needs a position")
        if not any(abs(px - gx) < 1e-3 and abs(pz - gz) < 1e-3 for gx, gz in self._grid()):
            raise _Fail(f"({px:.2f}, {pz:.2f}) is not a reachable position")
        self.agent["x"], self.agent["z"] = float(px), float(pz)
        if rotation is not None:
            rot = rotation["y"] if isinstance(rotation, dict) else rotation
            self.agent["rotation"] = float(rot) % 360
        if horizon is not None:
            self.agent["horizon"] = float(horizon)

    _do_TeleportFull = _do_Teleport

    def _do_PickupObject(self, objectId: str, **_: Any) -> None:
        o = self._visible_object(objectId)
        if "pickupable" not in o["_flags"]:
            raise _Fail(f"{objectId} is not pickupable")
        if self.held is not None:
            raise _Fail(f"the hand is not empty: holding {self.held}")
        self._detach(objectId)
        self.held = objectId
        o["isPickedUp"] = True

    def _do_PutObject(self, objectId: str, **_: Any) -> None:
        if self.held is None:
            raise _Fail("nothing is held to put")
        r = self._visible_object(objectId)
        held = self.objects[self.held]
        if "receptacle" not in r["_flags"]:
            raise _Fail(f"{objectId} is not a receptacle")
        if "openable" in r["_flags"] and not r["isOpen"]:
            raise _Fail(f"{objectId} is closed")
        if "pickupable" in r["_flags"] and "receptacle" in held["_flags"]:
            raise _Fail(f"{held['objectType']} does not fit into {r['objectType']}")
        o = self.held
        self.held = None
        held["isPickedUp"] = False
        self._attach(o, objectId)

    def _do_OpenObject(self, objectId: str, **_: Any) -> None:
        self._set_state(objectId, "openable", "isOpen", True, "open")

    def _do_CloseObject(self, objectId: str, **_: Any) -> None:
        self._set_state(objectId, "openable", "isOpen", False, "closed")
        o = self.objects[objectId]
        if o["objectType"] == "Fridge":
            for c in self._contents(objectId):
                self.objects[c]["temperature"] = "Cold"

    def _do_ToggleObjectOn(self, objectId: str, **_: Any) -> None:
        o = self._visible_object(objectId)
        if o["objectType"] == "Microwave" and o["isOpen"]:
            raise _Fail(f"{objectId} is open — close it before turning it on")
        self._set_state(objectId, "toggleable", "isToggled", True, "on")
        if o["objectType"] == "Microwave":
            for c in self._contents(objectId):
                obj = self.objects[c]
                obj["temperature"] = "Hot"
                if "cookable" in obj["_flags"]:
                    obj["isCooked"] = True
        if o["objectType"] == "Faucet":
            basin = self._nearest("SinkBasin", o)
            for c in self._contents(basin) if basin else []:
                obj = self.objects[c]
                if "dirtyable" in obj["_flags"]:
                    obj["isDirty"] = False

    def _do_ToggleObjectOff(self, objectId: str, **_: Any) -> None:
        self._set_state(objectId, "toggleable", "isToggled", False, "off")

    def _do_DirtyObject(self, objectId: str, forceAction: bool = False, **_: Any) -> None:
        o = self.objects.get(objectId) if forceAction else self._visible_object(objectId)
        if o is None or "dirtyable" not in o["_flags"]:
            raise _Fail(f"{objectId} cannot be dirty")
        o["isDirty"] = True

    def _do_SliceObject(self, objectId: str, **_: Any) -> None:
        o = self._visible_object(objectId)
        if "sliceable" not in o["_flags"] or o["isSliced"]:
            raise _Fail(f"{objectId} cannot be sliced")
        if self.held is None or self.objects[self.held]["objectType"] not in KNIVES:
            raise _Fail("slicing needs a knife in hand")
        parent = o["_parent"]
        self._detach(objectId)
        del self.objects[objectId]  # THOR replaces the whole object by its slices
        for i in range(SLICES_PER_OBJECT):
            sid = f"{objectId}|{o['objectType']}Sliced_{i}"
            p = o["position"]
            spec = {"objectId": sid, "objectType": f"{o['objectType']}Sliced",
                    "position": {"x": p["x"] + 0.04 * (i - 1), "y": p["y"], "z": p["z"]}}
            self.objects[sid] = self._make_object(spec)
            self.objects[sid]["isCooked"] = o["isCooked"]
            self.objects[sid]["temperature"] = o["temperature"]
            if parent:
                self._attach(sid, parent)

    def _do_SetObjectPoses(self, objectPoses: list[dict[str, Any]], **_: Any) -> None:
        """Move the named pickupable objects (THOR's objectName) to the given positions; each
        lands in the fixed receptacle nearest its new position."""
        by_name = {o["name"]: oid for oid, o in self.objects.items()}
        for pose in objectPoses:
            oid = by_name.get(pose.get("objectName"))
            if oid is None:
                raise _Fail(f"no object named {pose.get('objectName')!r}")
            o = self.objects[oid]
            self._detach(oid)
            o["position"] = {k: float(pose["position"][k]) for k in ("x", "y", "z")}
            fixed = [r for r in self.objects.values() if "receptacle" in r["_flags"]
                     and "pickupable" not in r["_flags"]]
            if fixed:
                best = min(fixed, key=lambda r: _dist(r["position"], o["position"]))
                self._attach(oid, best["objectId"], keep_position=True)

    # -- state helpers ------------------------------------------------------------------------
    def _make_object(self, spec: dict[str, Any]) -> dict[str, Any]:
        t = spec["objectType"]
        f = flags(t)
        pos = {k: float(v) for k, v in spec["position"].items()}
        return {
            "objectId": spec["objectId"], "objectType": t,
            "name": spec.get("name") or f"{t}_{zlib.crc32(spec['objectId'].encode()):08x}",
            "position": pos, "rotation": {"x": 0.0, "y": 0.0, "z": 0.0},
            "_flags": f, "_parent": None, "_children": [],
            **{flag: flag in f for flag in ("pickupable", "receptacle", "openable", "toggleable",
                                            "sliceable", "cookable", "dirtyable")},
            "isOpen": bool(spec.get("isOpen", False)), "isToggled": bool(spec.get("isToggled", False)),
            "isSliced": False, "isCooked": False,
            "isDirty": bool(spec.get("isDirty", False)) and "dirtyable" in f,
            "isPickedUp": False, "temperature": "RoomTemp",
        }

    def _attach(self, child: str, parent: str, keep_position: bool = False) -> None:
        c, p = self.objects[child], self.objects[parent]
        c["_parent"] = parent
        p["_children"].append(child)
        if not keep_position:
            # Stack contents on their receptacle's spot; spread them a little so labels differ.
            n = len(p["_children"]) - 1
            c["position"] = {"x": p["position"]["x"] + 0.12 * ((n % 5) - 2),
                             "y": p["position"]["y"] + 0.1, "z": p["position"]["z"]}
        self._move_contents(child)

    def _move_contents(self, oid: str) -> None:
        o = self.objects[oid]
        for c in o["_children"]:
            self.objects[c]["position"] = dict(o["position"], y=o["position"]["y"] + 0.05)
            self._move_contents(c)

    def _detach(self, oid: str) -> None:
        o = self.objects[oid]
        if o["_parent"]:
            self.objects[o["_parent"]]["_children"].remove(oid)
        o["_parent"] = None

    def _contents(self, oid: str) -> list[str]:
        out = []
        for c in self.objects[oid]["_children"]:
            out.append(c)
            out.extend(self._contents(c))
        return out

    def _ancestors(self, oid: str) -> list[str]:
        out, p = [], self.objects[oid]["_parent"]
        while p:
            out.append(p)
            p = self.objects[p]["_parent"]
        return out

    def _hidden(self, oid: str) -> bool:
        return any("openable" in self.objects[a]["_flags"] and not self.objects[a]["isOpen"]
                   for a in self._ancestors(oid))

    def _nearest(self, object_type: str, near: dict[str, Any]) -> str | None:
        cands = [o for o in self.objects.values() if o["objectType"] == object_type]
        if not cands:
            return None
        return min(cands, key=lambda o: _dist(o["position"], near["position"]))["objectId"]

    def _is_visible(self, oid: str) -> bool:
        o = self.objects[oid]
        if oid == self.held or self._hidden(oid):
            return False
        if self.held and oid in self._contents(self.held):
            return False
        dx = o["position"]["x"] - self.agent["x"]
        dz = o["position"]["z"] - self.agent["z"]
        if math.hypot(dx, dz) > self.visibility + 1e-6:
            return False
        # rotation 0 faces +z, 90 faces +x (THOR's convention)
        bearing = math.degrees(math.atan2(dx, dz))
        diff = (bearing - self.agent["rotation"] + 180) % 360 - 180
        return abs(diff) <= self.fov / 2 + 1e-6

    def _visible_object(self, oid: str) -> dict[str, Any]:
        if oid not in self.objects:
            raise _Fail(f"no object {oid} in the scene")
        if not self._is_visible(oid):
            raise _Fail(f"{oid} is not visible from here")
        return self.objects[oid]

    def _set_state(self, oid: str, capability: str, field: str, value: bool, word: str) -> None:
        o = self._visible_object(oid)
        if capability not in o["_flags"]:
            raise _Fail(f"{oid} is not {capability}")
        if o[field] == value:
            raise _Fail(f"{oid} is already {word}")
        o[field] = value

    def _grid(self) -> list[tuple[float, float]]:
        w, d = self.room
        xs = np.arange(MARGIN, w - MARGIN + 1e-6, GRID)
        zs = np.arange(MARGIN, d - MARGIN + 1e-6, GRID)
        return [(round(float(x), 2), round(float(z), 2)) for x in xs for z in zs]

    # -- events -------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        objs = []
        for oid, o in self.objects.items():
            out = {k: _copy(v) for k, v in o.items() if not k.startswith("_")}
            out["visible"] = self._is_visible(oid)
            out["distance"] = round(math.hypot(o["position"]["x"] - self.agent["x"],
                                               o["position"]["z"] - self.agent["z"]), 3)
            anc = self._ancestors(oid)
            out["parentReceptacles"] = anc or None
            out["receptacleObjectIds"] = list(o["_children"]) if "receptacle" in o["_flags"] else None
            objs.append(out)
        inv = ([{"objectId": self.held, "objectType": self.objects[self.held]["objectType"]}]
               if self.held else [])
        return {
            "sceneName": self.scene_name, "objects": objs, "inventoryObjects": inv,
            "agent": {"position": {"x": self.agent["x"], "y": AGENT_Y, "z": self.agent["z"]},
                      "rotation": {"x": 0.0, "y": self.agent["rotation"], "z": 0.0},
                      "cameraHorizon": self.agent["horizon"]},
            "fov": self.fov, "screenWidth": self.size[0], "screenHeight": self.size[1],
        }

    def _event(self, action: str, ok: bool, error: str = "", action_return: Any = None
               ) -> SymbolicEvent:
        md = self.metadata()
        md.update(lastAction=action, lastActionSuccess=ok, errorMessage=error,
                  actionReturn=action_return)
        self.last_event = SymbolicEvent(md, self.size)
        return self.last_event


def _copy(value: Any) -> Any:
    """A copy of JSON-shaped state (dicts, lists, scalars): what ``copy.deepcopy`` gives for it,
    at a fraction of the cost (deepcopy's memo and dispatch were a third of a step)."""
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


#: The same class under the name of its second role: the THOR-shaped controller the ``thor``
#: backend is tested against where ai2thor cannot start.
ThorStandIn = SymbolicWorld


class _Fail(Exception):
    """An action THOR would refuse; the message becomes ``errorMessage``."""


def _dist(a: dict[str, float], b: dict[str, float]) -> float:
    return math.hypot(a["x"] - b["x"], a["z"] - b["z"])


class SymbolicBackend(ThorBackend):
    """The ``symbolic`` backend: the thor backend's translation driving a ``SymbolicWorld``."""

    name = "symbolic"

    def __init__(self, width: int = 300, height: int = 300, **_: Any):
        super().__init__(SymbolicWorld(width=width, height=height), width=width, height=height)

    def _load(self, task: Any) -> None:
        if task.symbolic_scene is None:
            raise EnvError(f"task {task.task_id} has no symbolic scene — the symbolic backend "
                           "runs the project's generated tasks; use --backend thor for ALFRED's")
        self.event = self.controller.reset(scene=task.symbolic_scene)
