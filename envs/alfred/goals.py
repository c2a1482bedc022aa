"""The goal conditions of ALFRED's seven task types, checked against THOR-shaped state.

Restated from ALFRED's task definitions: objects are matched as ALFRED matches them (the target
name is a substring of the objectId and the object has the property — so "Apple" also matches
"AppleSliced" pieces); a sliced target adds a condition; heated/cooled/cleaned mean "in the
backend's set", which the backend fills the way ALFRED's env does. Returns (met, total); the
goal is satisfied when met == total.
"""

from __future__ import annotations

from typing import Any

from .tasks import AlfredTask


def _with(name: str, prop: str, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if name in o["objectId"] and o.get(prop)]


def _inside(obj: dict[str, Any], rec: dict[str, Any]) -> bool:
    return obj["objectId"] in (rec.get("receptacleObjectIds") or [])


def goal_conditions(task: AlfredTask, metadata: dict[str, Any], heated: set[str] = frozenset(),
                    cooled: set[str] = frozenset(), cleaned: set[str] = frozenset()
                    ) -> tuple[int, int]:
    p = task.pddl_params
    obj_name = p.object_target + ("Sliced" if p.object_sliced else "")
    objects = metadata["objects"]
    recs = _with(p.parent_target, "receptacle", objects)
    picks = _with(obj_name, "pickupable", objects)
    met, total = 0, 0
    sliced = [o for o in picks if "Sliced" in o["objectId"]]
    kind = task.task_type

    if kind == "pick_two_obj_and_place":
        total = 2
        if p.object_sliced:
            total += 2
            met += min(len(sliced), 2)
        best = max((sum(_inside(o, r) for o in picks) for r in recs), default=0)
        return met + min(best, 2), total

    if p.object_sliced:
        total += 1
        met += 1 if sliced else 0

    if kind == "pick_and_place_simple":
        total += 1
        met += 1 if any(_inside(o, r) for o in picks for r in recs) else 0
    elif kind == "look_at_obj_in_light":
        total += 2
        lamps = _with(p.toggle_target, "toggleable", objects)
        inv = metadata.get("inventoryObjects") or []
        if inv and inv[0]["objectId"] in {o["objectId"] for o in picks}:
            met += 1
        if any(t.get("isToggled") and t.get("visible") for t in lamps):
            met += 1
    elif kind in ("pick_heat_then_place_in_recep", "pick_cool_then_place_in_recep",
                  "pick_clean_then_place_in_recep"):
        done = {"pick_heat_then_place_in_recep": heated, "pick_cool_then_place_in_recep": cooled,
                "pick_clean_then_place_in_recep": cleaned}[kind]
        total += 3
        placed = {o["objectId"] for o in picks for r in recs if _inside(o, r)}
        changed = {o["objectId"] for o in picks if o["objectId"] in done}
        met += (1 if placed else 0) + (1 if changed else 0) + (1 if placed & changed else 0)
    elif kind == "pick_and_place_with_movable_recep":
        total += 3
        movables = _with(p.mrecep_target, "pickupable", objects)
        if any(_inside(o, m) for o in picks for m in movables):
            met += 1
        if any(_inside(m, r) for m in movables for r in recs):
            met += 1
        if any(any(_inside(o, m) for o in picks)
               and any(r["objectId"] in (m.get("parentReceptacles") or []) for r in recs)
               for m in movables if m.get("parentReceptacles") is not None):
            met += 1
    return met, total


def goal_satisfied(task: AlfredTask, metadata: dict[str, Any], **sets: set[str]) -> bool:
    met, total = goal_conditions(task, metadata, **sets)
    return met == total
