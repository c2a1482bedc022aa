"""``AlfredEnv``: ALFRED household tasks with high-level actions, on THOR or the symbolic world.

Actions name objects as the model sees them ("apple", "countertop 2"); the env resolves a name
to an objectId among the objects in view (and, for GotoLocation, the places and objects it
knows: every fixed piece of furniture and everything seen so far) and says so when it cannot.
A failed action is counted; the episode ends at ``max_fails`` (ALFRED: 10) or when the agent
terminates. Success and goal conditions are ALFRED's, checked on the backend's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vagent.actions import Action, Terminate

from ..base import Env, EnvError, observation_space
from .actions import AlfredSpace
from .goals import goal_conditions
from .objects import KNIVES, squash, type_label
from .oracle import next_action
from .protocol import AlfredProtocol
from .tasks import AlfredTask, parse_task


APPLIANCE = {"Heat": "Microwave", "Cool": "Fridge", "Clean": "SinkBasin"}


class AlfredEnv(Env):
    """ALFRED on a backend: ``symbolic`` (anywhere) or ``thor`` (ai2thor 5.x)."""

    def __init__(self, backend: str | Any = "symbolic",
                 tasks: list[AlfredTask] | Callable[[], list[AlfredTask]] | None = None,
                 max_fails: int | str = 10, width: int | str = 300, height: int | str = 300,
                 thor_platform: str | None = None, task_index: int | str | None = None,
                 render_mode: str | None = "rgb_array"):
        self.render_mode = render_mode
        self.max_fails = int(max_fails)
        w, h = int(width), int(height)
        self.screen_size = (w, h)
        self.observation_space = observation_space(w, h)
        self.backend = _make_backend(backend, w, h, thor_platform)
        self._tasks = tasks
        self._task_index = None if task_index is None else int(task_index)
        self.action_space = AlfredSpace(self._sample_names)
        self.protocol = AlfredProtocol()
        self.task: AlfredTask | None = None
        self.names: dict[str, str] = {}
        self.seen: set[str] = set()
        self.failures = 0
        self.steps = 0
        self.path_length = 0
        self.last_message = ""

    # -- gymnasium API ----------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        task = options.get("alfred_task")
        if isinstance(task, dict):
            task = parse_task(task)
        if task is None:
            task = self._pick_task(options.get("task"), seed)
        self.task = task
        self.backend.start(task)
        self.names, self.seen = {}, set()
        self.failures, self.steps, self.path_length = 0, 0, 0
        self._refresh()
        self.last_message = "the episode started"
        obs = self._observe()
        return obs, {"task_id": task.episode_id, "task_type": task.task_type,
                     "instruction": task.instruction, "warnings": list(self.backend.warnings)}

    def step(self, action: Action | dict[str, Any] | str):
        assert self.task is not None, "reset the env first"
        act = self.coerce(action)
        self.steps += 1
        terminated = False
        if isinstance(act, Terminate):
            ok, msg, terminated = True, f"stopped ({act.status})", True
        else:
            self.path_length += 1  # ALFRED's t: every action but the final stop
            ok, msg = self._execute(act)
        if not ok:
            self.failures += 1
        self._refresh()
        self.last_message = f"{_call_text(act)} — {'ok' if ok else 'failed: ' + msg}"
        if self.failures >= self.max_fails:
            terminated = True
        info: dict[str, Any] = {"failures": self.failures, "last_action_success": ok,
                                "message": msg, "path_length": self.path_length}
        reward = 0.0
        if not self.task.prediction_only:  # a test task: the leaderboard scores it, not us
            met, total = self.goal_conditions()
            success = met == total
            reward = 1.0 if terminated and success else 0.0
            info.update(success=success, goal_conditions=[met, total])
        obs = self._observe()
        return obs, reward, terminated, False, info

    def close(self) -> None:
        self.backend.close()

    def oracle_action(self) -> Action | None:
        """The planner's next action; None for a test task (it has no goal to plan to)."""
        if self.task is None or self.task.prediction_only:
            return None
        return next_action(self)

    # -- task state -------------------------------------------------------------------------------
    def goal_conditions(self) -> tuple[int, int]:
        assert self.task is not None, "reset the env first"
        if self.task.prediction_only:
            raise EnvError(f"task {self.task.task_id} is a test task: it has no goal conditions "
                           "here — its actions go to the leaderboard file")
        b = self.backend
        return goal_conditions(self.task, b.metadata, heated=b.heated, cooled=b.cooled,
                               cleaned=b.cleaned)

    def tasks(self) -> list[AlfredTask]:
        if callable(self._tasks):  # a loader, called at the first reset that needs a task
            self._tasks = self._tasks()
        return self._tasks or []

    def _pick_task(self, text: str | None, seed: int | None) -> AlfredTask:
        tasks = self.tasks()
        if not tasks:
            raise EnvError("no ALFRED tasks loaded — pass tasks=, or use envs.make('alfred') "
                           "for the generated set")
        for t in tasks:
            if text and squash(t.instruction) == squash(text):
                return t
        i = self._task_index if self._task_index is not None else (seed or 0)
        return tasks[i % len(tasks)]

    # -- names ------------------------------------------------------------------------------------
    def _refresh(self) -> None:
        """Name new objects (type label + number), forget removed ones, remember what is seen."""
        objs = self.backend.objects()
        for oid in [o for o in self.names if o not in objs]:
            del self.names[oid]
        used: dict[str, int] = {}
        for name in self.names.values():
            label, _, n = name.rpartition(" ")
            used[label] = max(used.get(label, 0), int(n))
        for oid in sorted(objs, key=lambda i: (objs[i]["objectType"], i)):
            if oid not in self.names:
                label = type_label(objs[oid]["objectType"])
                used[label] = used.get(label, 0) + 1
                self.names[oid] = f"{label} {used[label]}"
        held = self.backend.held()
        self.seen |= {oid for oid, o in objs.items() if o.get("visible")}
        if held:
            self.seen.add(held)

    def visible(self) -> list[str]:
        objs = self.backend.objects()
        return [oid for oid, o in sorted(objs.items(), key=lambda kv: kv[1].get("distance", 0))
                if o.get("visible")]

    def places(self) -> list[str]:
        """Fixed furniture and appliances: always known, as in ALFRED's scene-level plans."""
        objs = self.backend.objects()
        return sorted((oid for oid, o in objs.items() if _fixed(o)),
                      key=lambda i: self.names.get(i, i))

    def known(self) -> list[str]:
        objs = self.backend.objects()
        return self.places() + sorted((o for o in self.seen if o in objs and not _fixed(objs[o])),
                                      key=lambda i: self.names.get(i, i))

    def _sample_names(self) -> list[str]:
        return [self.names[o] for o in self.visible() + self.known() if o in self.names]

    def resolve(self, name: str, scope: list[str]) -> tuple[str | None, str]:
        """An objectId for ``name`` among ``scope`` (ids, nearest first), or None and why."""
        want = squash(name)
        objs = self.backend.objects()
        if name in objs and name in scope:
            return name, ""
        exact = [o for o in scope if squash(self.names.get(o, "")) == want]
        if exact:
            return exact[0], ""
        by_type = [o for o in scope if squash(self.names.get(o, "").rpartition(" ")[0]) == want
                   or squash(objs[o]["objectType"]) == want]
        if by_type:
            return by_type[0], ""
        listed = ", ".join(self.names[o] for o in scope[:15] if o in self.names) or "nothing"
        return None, listed

    # -- actions ----------------------------------------------------------------------------------
    def _execute(self, act: Action) -> tuple[bool, str]:
        b = self.backend
        verb = act.action
        arg = next(getattr(act, f) for f in type(act).model_fields if f != "action")
        held = b.held()
        if verb == "GotoLocation":
            scope = self.visible() + [o for o in self.known() if o not in self.visible()]
            oid, listed = self.resolve(arg, [o for o in scope if o != held])
            if oid is None:
                return False, f"no known place or object called {arg!r} — known: {listed}"
            r = b.goto(oid)
            return r.success, r.message if r.success else f"cannot reach {self.names[oid]}: {r.message}"
        scope = self.visible()
        if verb in APPLIANCE:
            if held is None:
                return False, f"{verb} needs the object in hand — pick it up first"
            oid, _ = self.resolve(arg, [held])
            if oid is None:
                return False, (f"{verb}({arg}): you hold {self.names.get(held, held)}, not "
                               f"{arg!r}")
            appliance = next((o for o in scope if b.objects()[o]["objectType"] == APPLIANCE[verb]), None)
            if appliance is None:
                what = type_label(APPLIANCE[verb])
                return False, f"no {what} in view — GotoLocation({what}) first"
            r = {"Heat": b.heat, "Cool": b.cool, "Clean": b.clean}[verb](oid, appliance)
            return r.success, r.message
        oid, listed = self.resolve(arg, scope)
        if oid is None:
            return False, f"no {arg!r} in view — visible: {listed}"
        if verb == "Put" and held is None:
            return False, "the hand is empty — pick something up first"
        if verb == "Slice" and (held is None or b.objects()[held]["objectType"] not in KNIVES):
            # THOR itself would slice bare-handed; ALFRED's tasks (and this env) need a knife.
            return False, "slicing needs a knife in hand — pick up a knife first"
        if verb == "Pickup" and held is not None:
            return False, f"the hand is full (holding {self.names.get(held, held)}) — put it down first"
        r = b.interact(verb, oid)
        return r.success, r.message

    # -- observation ------------------------------------------------------------------------------
    def describe(self) -> str:
        objs = self.backend.objects()

        def label(oid: str) -> str:
            o, n = objs[oid], self.names.get(oid, oid)
            if o.get("openable"):
                n += " (open)" if o.get("isOpen") else " (closed)"
            if o.get("toggleable") and o.get("isToggled"):
                n += " (on)"
            return n

        held = self.backend.held()
        vis = ", ".join(label(o) for o in self.visible()) or "nothing"
        places = ", ".join(self.names[o] for o in self.places() if o in self.names)
        return (f"You see: {vis}. You hold: {self.names.get(held, held) if held else 'nothing'}. "
                f"Places: {places}. Last action: {self.last_message}. "
                f"Failed actions: {self.failures}/{self.max_fails}.")

    def _observe(self) -> dict[str, Any]:
        ev = self.backend.event
        if hasattr(ev, "names"):
            ev.names = dict(self.names)
        frame = ev.frame
        shot = np.ascontiguousarray(frame[:, :, :3], dtype=np.uint8) if frame is not None else None
        self._last_obs = {"screenshot": shot, "text": self.describe()}
        return self._last_obs


def _fixed(o: dict[str, Any]) -> bool:
    return not o.get("pickupable") and (o.get("receptacle") or o.get("toggleable"))


def _call_text(act: Action) -> str:
    args = [str(v) for k, v in act.dump().items() if k != "action"]
    return f"{act.action}({', '.join(args)})"


def _make_backend(backend: str | Any, width: int, height: int, platform: str | None) -> Any:
    if not isinstance(backend, str):
        return backend
    if backend == "symbolic":
        from .symbolic import SymbolicBackend

        return SymbolicBackend(width=width, height=height)
    if backend == "thor":
        from .thor import ThorBackend

        return ThorBackend(width=width, height=height, platform=platform)
    raise EnvError(f"unknown ALFRED backend {backend!r} — choose thor or symbolic")
