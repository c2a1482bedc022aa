"""The oracle: a planner from the task's pddl params, re-planning from the state at every step.

It reads the backend's state (THOR-shaped metadata plus the heated/cooled/cleaned sets), picks
the object instances the goal conditions count, and returns the next high-level action, named
as the model would name it. It is an upper bound for policies and a check of the world's rules:
on the generated symbolic tasks it must reach every goal.
"""

from __future__ import annotations

from typing import Any, Protocol

from vagent.actions import Action, Terminate

from .actions import Clean, Cool, GotoLocation, Heat, Open, Pickup, Put, Slice, ToggleOn
from .goals import _inside, _with
from .objects import KNIVES
from .tasks import AlfredTask


class Scene(Protocol):
    """What the oracle reads of an ``AlfredEnv`` (which calls it, hence no import of it here)."""

    task: AlfredTask | None
    backend: Any
    names: dict[str, str]

    def visible(self) -> list[str]: ...

    def places(self) -> list[str]: ...

    def goal_conditions(self) -> tuple[int, int]: ...

_ACT = {"Heat": Heat, "Cool": Cool, "Clean": Clean}
_APPLIANCE = {"pick_heat_then_place_in_recep": ("Heat", "Microwave"),
              "pick_cool_then_place_in_recep": ("Cool", "Fridge"),
              "pick_clean_then_place_in_recep": ("Clean", "SinkBasin")}
_NOT_A_SHELF = ("Microwave", "Fridge", "SinkBasin", "GarbageCan")


class _Plan:
    def __init__(self, env: Scene):
        self.env = env
        self.b = env.backend
        self.objs = self.b.objects()
        self.held = self.b.held()
        self.vis = set(env.visible())

    def name(self, oid: str) -> str:
        return self.env.names[oid]

    def approach(self, oid: str) -> Action | None:
        """What to do before ``oid`` can be acted on, or None when it is in view."""
        if oid in self.vis:
            return None
        chain = list(self.objs[oid].get("parentReceptacles") or [])
        for anc in reversed(chain):  # outermost first
            a = self.objs[anc]
            if a.get("openable") and not a.get("isOpen"):
                if anc in self.vis:
                    return Open(object=self.name(anc))
                return GotoLocation(target=self.name(anc))
        place = chain[-1] if chain else oid
        return GotoLocation(target=self.name(place))

    def take(self, oid: str) -> Action:
        if self.held and self.held != oid:
            return self.put_down()
        return self.approach(oid) or Pickup(object=self.name(oid))

    def put_into(self, rec: str) -> Action:
        step = self.approach(rec)
        if step:
            return step
        if self.objs[rec].get("openable") and not self.objs[rec].get("isOpen"):
            return Open(object=self.name(rec))
        return Put(receptacle=self.name(rec))

    def put_down(self) -> Action:
        def shelf(o: dict[str, Any]) -> bool:
            return (o.get("receptacle") and not o.get("pickupable") and not o.get("openable")
                    and o["objectType"] not in _NOT_A_SHELF)

        here = [o for o in self.env.visible() if shelf(self.objs[o])]
        if here:
            return Put(receptacle=self.name(here[0]))
        places = [o for o in self.env.places() if shelf(self.objs[o])]
        return GotoLocation(target=self.name(places[0]))


def next_action(env: Scene) -> Action:
    task = env.task
    assert task is not None, "reset the env first"
    met, total = env.goal_conditions()
    if met == total:
        return Terminate(status="success")
    plan = _Plan(env)
    p, objs, held = task.pddl_params, plan.objs, plan.held
    objects = list(objs.values())
    kind = task.task_type

    # A sliced target: slice one first, with a knife.
    if p.object_sliced and not [o for o in _with(p.object_target + "Sliced", "pickupable", objects)]:
        whole = [o["objectId"] for o in _with(p.object_target, "sliceable", objects)]
        if not whole:
            return Terminate(status="failure", answer=f"no {p.object_target} to slice")
        if held and objs[held]["objectType"] in KNIVES:
            return plan.approach(whole[0]) or Slice(object=plan.name(whole[0]))
        knives = [o["objectId"] for o in objects if o["objectType"] in KNIVES]
        if not knives:
            return Terminate(status="failure", answer="no knife in the scene")
        return plan.take(knives[0])

    obj_name = p.object_target + ("Sliced" if p.object_sliced else "")
    cands = [o["objectId"] for o in _with(obj_name, "pickupable", objects)
             if not p.object_sliced or "Sliced" in o["objectId"]]
    recs = [o["objectId"] for o in _with(p.parent_target, "receptacle", objects)]
    if not cands:
        return Terminate(status="failure", answer=f"no {obj_name} in the scene")

    if kind == "look_at_obj_in_light":
        lamps = [o["objectId"] for o in _with(p.toggle_target, "toggleable", objects)]
        if held not in cands:
            return plan.take(cands[0])
        if not objs[lamps[0]].get("isToggled"):
            return plan.approach(lamps[0]) or ToggleOn(object=plan.name(lamps[0]))
        return GotoLocation(target=plan.name(lamps[0]))

    if not recs:
        return Terminate(status="failure", answer=f"no {p.parent_target} in the scene")

    if kind == "pick_two_obj_and_place":
        rec = max(recs, key=lambda r: sum(_inside(objs[c], objs[r]) for c in cands))
        if held in cands:
            return plan.put_into(rec)
        rest = [c for c in cands if not _inside(objs[c], objs[rec])]
        return plan.take(rest[0])

    if kind == "pick_and_place_with_movable_recep":
        movables = [o["objectId"] for o in _with(p.mrecep_target, "pickupable", objects)]
        full = [m for m in movables if any(_inside(objs[c], objs[m]) for c in cands)]
        m = full[0] if full else movables[0]
        if not full:
            return plan.put_into(m) if held in cands else plan.take(cands[0])
        return plan.put_into(recs[0]) if held == m else plan.take(m)

    if kind in _APPLIANCE:
        verb, appliance_type = _APPLIANCE[kind]
        done = {"Heat": plan.b.heated, "Cool": plan.b.cooled, "Clean": plan.b.cleaned}[verb]
        ready = [c for c in cands if c in done]
        chosen = held if held in cands else (ready or cands)[0]
        if held != chosen:
            return plan.take(chosen)
        if chosen not in done:
            appliance = next(o["objectId"] for o in objects if o["objectType"] == appliance_type)
            return plan.approach(appliance) or _ACT[verb](object=plan.name(chosen))
        return plan.put_into(recs[0])

    # pick_and_place_simple
    chosen = held if held in cands else cands[0]
    return plan.put_into(recs[0]) if held == chosen else plan.take(chosen)
