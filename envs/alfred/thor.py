"""The ``thor`` backend: ALFRED's high-level actions translated into AI2-THOR 5.x controller calls.

* GotoLocation teleports to the reachable position nearest the target, facing it, trying the
  camera horizons ALFRED's agent uses, until THOR reports the target ``visible`` (an object in a
  closed receptacle is reached through that receptacle).
* Interactions go to THOR by ``objectId`` (``PickupObject``, ``PutObject`` with the receptacle's
  id, ``OpenObject``, ``ToggleObjectOn``, ``SliceObject``, ...).
* Heat, Cool and Clean run the sequences ALFRED's planner expands HeatObject / CoolObject /
  CleanObject into (microwave: open, put, close, on, off, open, pick up, close; fridge: open,
  put, close, open, pick up, close; sink: put in the basin, faucet on, faucet off, pick up).
* Like ALFRED's env wrapper, the backend keeps the sets of heated, cooled and cleaned objects:
  a microwave turned on heats what is in it, a fridge closed cools what is in it, a faucet
  turned on cleans what is in the nearest sink basin — whatever action sequence did it.

Starting an episode restores the task's recorded scene in the order and with the states of
ALFRED's own ``ThorEnv.restore_scene`` (``env/thor_env.py``), then its ``init_action``:

1. ``reset(scene)`` — 5.x's reset runs ``Initialize`` with the controller's settings (ALFRED's
   ``reset`` and ``restore_scene`` each issue ``Initialize``; on 5.x the one reset stands for
   both);
2. ``SetObjectToggles`` with the recorded toggles, when there are any;
3. when ``dirty_and_empty``: ``SetStateOfAllObjects`` ``CanBeDirty`` (forceAction True), then
   ``SetStateOfAllObjects`` ``CanBeFilled`` (forceAction False);
4. ``SetObjectPoses`` with the recorded poses (always, as ALFRED does);
5. ``TeleportFull`` to the recorded start.

Scenes and actions changed between ai2thor 2.1 (what ALFRED recorded) and 5.x: a restore step
THOR refuses is kept as a warning, and where 5.x dropped ``SetStateOfAllObjects`` the same
states are set object by object (``DirtyObject``; ``EmptyLiquidFromObject`` — the key's name,
"dirty and empty", is what the ``CanBeFilled``/False call means).

Every THOR action taken on the agent's behalf — interactions, the steps of Heat/Cool/Clean, the
teleport GotoLocation ends with — is logged in ``actions`` (action, arguments, the object held
before it, whether THOR accepted it), failed ones included, as ALFRED's leaderboard records
them; ``benchmarks.alfred.submission`` turns the log into the leaderboard's API dicts.

ai2thor is imported only when a real controller is made. Any object with THOR's controller
API (``reset(scene=...)``, ``step(action=..., **kw) -> event``) can be passed instead; the
project's ``ThorStandIn`` (``envs.alfred.symbolic``) is how this translation is tested here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..base import EnvError

#: high-level verb → THOR action
THOR_ACTIONS = {
    "Pickup": "PickupObject", "Put": "PutObject", "Open": "OpenObject", "Close": "CloseObject",
    "ToggleOn": "ToggleObjectOn", "ToggleOff": "ToggleObjectOff", "Slice": "SliceObject",
}
HORIZONS = (30.0, 0.0, 60.0)  # ALFRED's agent starts looking 30° down
#: restore_scene's whole-scene states: (StateChange, forceAction, 5.x per-object fallback as
#: (capability flag, state field, wanted state, action)).
ALL_OBJECT_STATES = (
    ("CanBeDirty", True, ("dirtyable", "isDirty", True, "DirtyObject")),
    ("CanBeFilled", False, ("canFillWithLiquid", "isFilledWithLiquid", False,
                            "EmptyLiquidFromObject")),
)


@dataclass
class Result:
    success: bool
    message: str


def make_controller(width: int = 300, height: int = 300, platform: str | None = None,
                    **kwargs: Any) -> Any:
    """A real ai2thor Controller (downloads its Unity build on first use)."""
    try:
        from ai2thor.controller import Controller
    except ImportError:
        raise EnvError("the thor backend needs ai2thor — pip install 'vagent[alfred]'") from None
    opts: dict[str, Any] = dict(gridSize=0.25, width=width, height=height,
                                visibilityDistance=1.5, renderInstanceSegmentation=False,
                                snapToGrid=False, fieldOfView=90, **kwargs)
    if platform:
        import ai2thor.platform

        if not hasattr(ai2thor.platform, platform):
            raise EnvError(f"ai2thor has no platform {platform!r} — try CloudRendering or Linux64")
        opts["platform"] = getattr(ai2thor.platform, platform)
    try:
        return Controller(**opts)
    except Exception as e:  # noqa: BLE001 — ai2thor raises many kinds; all mean "cannot start"
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise EnvError(f"ai2thor could not start ({first}) — it needs its Unity build and a "
                       "display (or --thor-platform CloudRendering); see README 'ALFRED'") from None


class ThorBackend:
    """Drives a THOR controller with high-level actions; reads state from ``event.metadata``."""

    name = "thor"

    def __init__(self, controller: Any = None, *, width: int = 300, height: int = 300,
                 platform: str | None = None, nav_candidates: int = 16):
        self.controller = controller
        self.size = (width, height)
        self.platform = platform
        self.nav_candidates = nav_candidates
        self.event: Any = None
        self.heated: set[str] = set()
        self.cooled: set[str] = set()
        self.cleaned: set[str] = set()
        self.warnings: list[str] = []
        self.actions: list[dict[str, Any]] = []  # THOR actions taken for the agent (see above)
        self._reachable: list[dict[str, float]] | None = None

    # -- episode --------------------------------------------------------------------------------
    def start(self, task: Any) -> None:
        """Load the task's scene and restore its initial state."""
        if self.controller is None:
            self.controller = make_controller(*self.size, platform=self.platform)
        self.heated, self.cooled, self.cleaned = set(), set(), set()
        self.warnings = []
        self.actions = []
        self._reachable = None
        self._load(task)

    def _load(self, task: Any) -> None:
        """ALFRED's restore_scene order (see the module's docstring), then the start pose."""
        scene = task.scene
        self.event = self.controller.reset(scene=scene.floor_plan or _floor_plan(scene))
        if scene.object_toggles:
            self._restore("SetObjectToggles", objectToggles=scene.object_toggles)
        if scene.dirty_and_empty:
            for state, value, fallback in ALL_OBJECT_STATES:
                ev = self.step("SetStateOfAllObjects", StateChange=state, forceAction=value)
                if not ev.metadata.get("lastActionSuccess"):
                    self._each_object(*fallback)
        self._restore("SetObjectPoses", objectPoses=scene.object_poses)
        if scene.init_action:
            # 5.x's TeleportFull takes position, rotation {x,y,z}, horizon and standing (no
            # rotateOnTeleport, which ALFRED's 2.1 files carry).
            init = {k: v for k, v in scene.init_action.items()
                    if k in ("x", "y", "z", "rotation", "horizon")}
            pos = {k: init.pop(k) for k in ("x", "y", "z") if k in init}
            if "rotation" in init and not isinstance(init["rotation"], dict):
                init["rotation"] = {"x": 0.0, "y": float(init["rotation"]), "z": 0.0}
            self._restore("TeleportFull", position=pos, standing=True, **init)

    def _each_object(self, flag: str, state: str, want: bool, action: str) -> None:
        """5.x: set a state on each object that has it, where SetStateOfAllObjects is gone."""
        for o in self.metadata["objects"]:
            if o.get(flag) and bool(o.get(state)) != want:
                self._restore(action, objectId=o["objectId"], forceAction=True)

    def _restore(self, action: str, **kw: Any) -> None:
        ev = self.step(action, **kw)
        if not ev.metadata.get("lastActionSuccess", True):
            self.warnings.append(f"{action}: {ev.metadata.get('errorMessage', '')}"[:200])

    def close(self) -> None:
        if self.controller is not None and hasattr(self.controller, "stop"):
            self.controller.stop()

    # -- state ----------------------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, Any]:
        return self.event.metadata

    @property
    def frame(self) -> Any:
        return self.event.frame

    def objects(self) -> dict[str, dict[str, Any]]:
        return {o["objectId"]: o for o in self.metadata["objects"]}

    def held(self) -> str | None:
        inv = self.metadata.get("inventoryObjects") or []
        return inv[0]["objectId"] if inv else None

    # -- the THOR call and ALFRED's bookkeeping ---------------------------------------------------
    def step(self, action: str, **kw: Any) -> Any:
        self.event = self.controller.step(action=action, **kw)
        md = self.event.metadata
        oid = kw.get("objectId", "")
        if md.get("lastActionSuccess") and oid:
            objs = self.objects()
            if action == "ToggleObjectOn" and "Microwave" in oid:
                self.heated |= set(objs.get(oid, {}).get("receptacleObjectIds") or [])
            elif action == "CloseObject" and "Fridge" in oid:
                self.cooled |= set(objs.get(oid, {}).get("receptacleObjectIds") or [])
            elif action == "ToggleObjectOn" and "Faucet" in oid:
                basin = _nearest(objs, "SinkBasin", objs.get(oid))
                if basin:
                    self.cleaned |= set(basin.get("receptacleObjectIds") or [])
        return self.event

    def act(self, action: str, **kw: Any) -> Any:
        """A THOR action taken for the agent: stepped and logged in ``actions``."""
        held = self.held() if self.event is not None else None
        ev = self.step(action, **kw)
        self.actions.append({"action": action, **kw, "held": held,
                             "success": bool(ev.metadata.get("lastActionSuccess"))})
        return ev

    def _ok(self, action: str, what: str, **kw: Any) -> Result:
        ev = self.act(action, **kw)
        if ev.metadata.get("lastActionSuccess"):
            return Result(True, what)
        return Result(False, f"{action} failed: {ev.metadata.get('errorMessage') or 'refused'}")

    # -- high-level actions (object ids resolved by the env) -------------------------------------
    def interact(self, verb: str, oid: str) -> Result:
        kw: dict[str, Any] = {"objectId": oid}
        if verb == "Put":
            kw.update(forceAction=True, placeStationary=True)  # as ALFRED's PutObject
        return self._ok(THOR_ACTIONS[verb], f"{verb} done", **kw)

    def goto(self, oid: str) -> Result:
        objs = self.objects()
        target = objs[oid]
        # An object inside a closed receptacle cannot be seen: go where the receptacle is seen.
        for anc in target.get("parentReceptacles") or []:
            a = objs.get(anc)
            if a and a.get("openable") and not a.get("isOpen"):
                target = a
        if self._reachable is None:
            ev = self.step("GetReachablePositions")
            self._reachable = list(ev.metadata.get("actionReturn") or [])
        if not self._reachable:
            return Result(False, "THOR returned no reachable positions")
        tp = target["position"]
        start = self.metadata["agent"]
        ranked = sorted(self._reachable,
                        key=lambda p: math.hypot(p["x"] - tp["x"], p["z"] - tp["z"]))
        for pos in ranked[:self.nav_candidates]:
            yaw = round(math.degrees(math.atan2(tp["x"] - pos["x"], tp["z"] - pos["z"])) % 360, 1)
            for horizon in HORIZONS:
                ev = self.step("Teleport", position=dict(pos), rotation={"x": 0.0, "y": yaw, "z": 0.0},
                               horizon=horizon, standing=True)
                if not ev.metadata.get("lastActionSuccess"):
                    break
                seen = {o["objectId"]: o for o in ev.metadata["objects"]}.get(target["objectId"])
                if seen and seen.get("visible"):
                    # the probes before it are the backend's search: only the arrival is logged
                    self.actions.append({"action": "Teleport", "position": dict(pos),
                                         "rotation": {"x": 0.0, "y": yaw, "z": 0.0},
                                         "horizon": horizon, "standing": True,
                                         "held": self.held(), "success": True})
                    return Result(True, "arrived")
        self.step("Teleport", position=dict(start["position"]), rotation=dict(start["rotation"]),
                  horizon=start.get("cameraHorizon", 30.0), standing=True)
        return Result(False, "no reachable place from which it is visible")

    def heat(self, oid: str, microwave: str) -> Result:
        return self._sequence("Heat", oid, microwave, [
            ("OpenObject", microwave), ("PutObject", microwave), ("CloseObject", microwave),
            ("ToggleObjectOn", microwave), ("ToggleObjectOff", microwave),
            ("OpenObject", microwave), ("PickupObject", oid), ("CloseObject", microwave)])

    def cool(self, oid: str, fridge: str) -> Result:
        return self._sequence("Cool", oid, fridge, [
            ("OpenObject", fridge), ("PutObject", fridge), ("CloseObject", fridge),
            ("OpenObject", fridge), ("PickupObject", oid), ("CloseObject", fridge)])

    def clean(self, oid: str, basin: str) -> Result:
        objs = self.objects()
        faucet = _nearest(objs, "Faucet", objs[basin])
        if faucet is None:
            return Result(False, "Clean failed: there is no faucet at this sink")
        f = faucet["objectId"]
        steps = [("PutObject", basin), ("ToggleObjectOn", f), ("ToggleObjectOff", f),
                 ("PickupObject", oid)]
        if faucet.get("isToggled"):
            steps.insert(1, ("ToggleObjectOff", f))
        return self._sequence("Clean", oid, basin, steps)

    def _sequence(self, verb: str, oid: str, appliance: str,
                  steps: list[tuple[str, str]]) -> Result:
        app = self.objects()[appliance]
        if steps[0][0] == "OpenObject" and app.get("isOpen"):
            steps = steps[1:]  # already open: the planner skips opening
        if verb == "Heat" and app.get("isToggled"):
            steps = [("ToggleObjectOff", appliance)] + steps
        for action, target in steps:
            kw: dict[str, Any] = {"objectId": target}
            if action == "PutObject":
                kw.update(forceAction=True, placeStationary=True)
            ev = self.act(action, **kw)
            if not ev.metadata.get("lastActionSuccess"):
                return Result(False, f"{verb} failed at {action}: "
                                     f"{ev.metadata.get('errorMessage') or 'refused'}")
        return Result(True, f"{verb} done")


def _floor_plan(scene: Any) -> str:
    """ALFRED's files name the scene by number (scene.scene_num) as FloorPlan<N>."""
    if scene.scene_num is None:
        raise EnvError("the task's scene has neither floor_plan nor scene_num")
    return f"FloorPlan{scene.scene_num}"


def _nearest(objs: dict[str, dict[str, Any]], object_type: str,
             near: dict[str, Any] | None) -> dict[str, Any] | None:
    cands = [o for o in objs.values() if o["objectType"] == object_type]
    if not cands or near is None:
        return None
    p = near["position"]
    return min(cands, key=lambda o: math.hypot(o["position"]["x"] - p["x"],
                                               o["position"]["z"] - p["z"]))
