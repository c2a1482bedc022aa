"""The project's own ALFRED-format task set on symbolic scenes (all seven task types).

``generated_tasks(per_type, seed)`` builds, deterministically, one symbolic room per task —
fifteen pieces of furniture and appliances shuffled along the walls, the task's objects and a
few distractors in random places (some behind closed doors), some dishes dirty — and writes
each as an ALFRED ``traj_data.json`` dict: task_type, pddl_params, scene, a templated
annotation, and the expert plan. The plan is recorded by running the oracle on the task; a
task the oracle cannot finish is a bug in the generator or the rules, so it raises. Plans use
ALFRED's high-level action names, with OpenObject/CloseObject listed as steps of their own
because this env makes them explicit actions.
"""

from __future__ import annotations

import functools
import random
import re
from typing import Any

from .env import AlfredEnv
from .objects import TYPES, object_id
from .tasks import TASK_TYPES, AlfredTask, parse_task

ROOM = (6.0, 5.0)
SLOTS = ([(x, 0.3) for x in (0.9, 2.1, 3.3, 4.5, 5.4)] + [(x, 4.7) for x in (0.9, 2.1, 3.3, 4.5, 5.4)]
         + [(0.3, z) for z in (1.5, 2.7, 3.9)] + [(5.7, z) for z in (1.5, 2.7, 3.9)])
FIXED = ["CounterTop", "CounterTop", "DiningTable", "Fridge", "Microwave", "SinkBasin", "Cabinet",
         "Cabinet", "Drawer", "Drawer", "Shelf", "Desk", "SideTable", "GarbageCan", "FloorLamp"]
HOLDERS = ["CounterTop", "DiningTable", "Shelf", "Cabinet", "Drawer", "Desk", "SideTable"]
SMALL = ["Book", "CellPhone", "KeyChain", "Pencil", "CreditCard", "Vase", "Spoon", "Fork",
         "DishSponge"]
FOOD = ["Apple", "Tomato", "Potato", "Bread", "Lettuce", "Egg"]
DISHES = ["Bowl", "Plate", "Mug", "Cup", "Pan"]
SLICEABLE = ["Apple", "Tomato", "Potato", "Bread", "Lettuce"]

# task type → (objects, parents)
CHOICES: dict[str, tuple[list[str], list[str]]] = {
    "pick_and_place_simple": (FOOD[:5] + SMALL + ["Mug", "Cup", "Bowl", "Plate"],
                              HOLDERS + ["GarbageCan", "Fridge"]),
    "pick_two_obj_and_place": (SMALL + ["Apple", "Tomato", "Potato", "Mug", "Cup"], HOLDERS),
    "look_at_obj_in_light": (["Book", "CellPhone", "KeyChain", "Pencil", "CreditCard", "Vase",
                              "Bowl", "Mug"], []),
    "pick_clean_then_place_in_recep": (["Mug", "Cup", "Bowl", "Plate", "Pan", "Fork", "Spoon",
                                        "Apple", "Lettuce"], HOLDERS + ["Fridge"]),
    "pick_heat_then_place_in_recep": (["Apple", "Tomato", "Potato", "Bread", "Egg", "Mug", "Cup"],
                                      HOLDERS + ["Fridge", "GarbageCan"]),
    "pick_cool_then_place_in_recep": (["Apple", "Tomato", "Lettuce", "Potato", "Bread", "Egg",
                                       "Mug", "Cup", "Bowl", "Pan"], HOLDERS + ["Microwave"]),
    "pick_and_place_with_movable_recep": (["Apple", "Tomato", "Potato", "Egg", "Fork", "Spoon",
                                           "Pencil", "KeyChain", "CellPhone", "CreditCard"],
                                          HOLDERS + ["Fridge"]),
}
APPLIANCE = {"pick_heat_then_place_in_recep": "Microwave", "pick_cool_then_place_in_recep": "Fridge",
             "pick_clean_then_place_in_recep": "SinkBasin"}
ALFRED_VERB = {"GotoLocation": "GotoLocation", "Pickup": "PickupObject", "Put": "PutObject",
               "Open": "OpenObject", "Close": "CloseObject", "ToggleOn": "ToggleObject",
               "ToggleOff": "ToggleObject", "Slice": "SliceObject", "Heat": "HeatObject",
               "Cool": "CoolObject", "Clean": "CleanObject"}


def words(object_type: str) -> str:
    """"CounterTop" → "counter top" (for the instructions people read)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", object_type).lower()


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _instruction(kind: str, p: dict[str, Any]) -> str:
    obj = words(p["object_target"])
    thing = f"slice of {obj}" if p["object_sliced"] else obj
    parent = words(p["parent_target"]) if p["parent_target"] else ""
    prep = "in" if p["parent_target"] in ("Fridge", "Microwave", "Cabinet", "Drawer",
                                          "GarbageCan", "SinkBasin") else "on"
    if kind == "pick_two_obj_and_place":
        plural = thing + ("es" if thing.endswith(("h", "o")) else "s")
        return f"Put two {plural} {prep} the {parent}."
    if kind == "look_at_obj_in_light":
        return f"Examine {_a(thing)} under the {words(p['toggle_target'])}."
    if kind == "pick_and_place_with_movable_recep":
        return f"Put {_a(words(p['mrecep_target']))} with {_a(thing)} in it {prep} the {parent}."
    adjective = {"pick_clean_then_place_in_recep": "clean", "pick_heat_then_place_in_recep": "hot",
                 "pick_cool_then_place_in_recep": "cold"}.get(kind)
    return f"Put {_a(f'{adjective} {thing}' if adjective else thing)} {prep} the {parent}."


def _build(kind: str, rng: random.Random, scene_num: int) -> tuple[dict[str, Any], dict[str, Any]]:
    objects_, parents = CHOICES[kind]
    obj = rng.choice(objects_)
    sliced = obj in SLICEABLE and kind != "pick_two_obj_and_place" and rng.random() < 0.35
    parent = rng.choice(parents) if parents else ""
    toggle = rng.choice(["DeskLamp", "FloorLamp"]) if kind == "look_at_obj_in_light" else ""
    mrecep = ""
    if kind == "pick_and_place_with_movable_recep":
        mrecep = rng.choice(["Bowl", "Plate", "Mug", "Cup"] if obj in FOOD or obj in ("Fork", "Spoon")
                            else ["Bowl", "Plate", "Cup"])
    pddl = {"object_target": obj, "parent_target": parent, "toggle_target": toggle,
            "mrecep_target": mrecep, "object_sliced": sliced}

    slots = list(SLOTS)
    rng.shuffle(slots)
    specs: list[dict[str, Any]] = []
    fixed_ids: dict[str, list[str]] = {}
    for t, (x, z) in zip(FIXED, slots):
        y = 0.9 if t not in ("Drawer", "GarbageCan", "FloorLamp") else 0.3
        oid = object_id(t, x, y, z)
        specs.append({"objectId": oid, "objectType": t, "position": {"x": x, "y": y, "z": z},
                      "isOpen": False})
        fixed_ids.setdefault(t, []).append(oid)
        if t == "SinkBasin":
            specs.append({"objectId": object_id("Faucet", x, y + 0.3, z), "objectType": "Faucet",
                          "position": {"x": x, "y": y + 0.3, "z": z}})
        if t == "Desk":
            specs.append({"objectId": object_id("DeskLamp", x, y + 0.5, z), "objectType": "DeskLamp",
                          "position": {"x": x, "y": y + 0.5, "z": z}})
    counter = [0]

    def place(t: str, avoid: set[str], dirty: bool | None = None, into: str | None = None) -> str:
        holders = [h for h in HOLDERS + (["Fridge"] if t in FOOD else []) if h not in avoid]
        parent_id = into or rng.choice(fixed_ids[rng.choice(holders)])
        counter[0] += 1
        p = next(s for s in specs if s["objectId"] == parent_id)["position"]
        oid = object_id(t, p["x"] + 0.01 * counter[0], p["y"] + 0.1, p["z"])
        spec = {"objectId": oid, "objectType": t, "position": dict(p), "parent": parent_id}
        if "dirtyable" in TYPES[t]:
            spec["isDirty"] = rng.random() < 0.5 if dirty is None else dirty
        specs.append(spec)
        return oid

    avoid = {parent, APPLIANCE.get(kind, "")}
    for _ in range(2 if kind == "pick_two_obj_and_place" else 1):
        place(obj, avoid, dirty=True if kind == "pick_clean_then_place_in_recep" else None)
    if sliced:
        place(rng.choice(["Knife", "ButterKnife"]), avoid)
    if mrecep:
        place(mrecep, avoid)
    taken = {obj, mrecep}
    pool = [t for t in SMALL + FOOD + DISHES + ["Knife"]
            if not any(name and (name in t or t in name) for name in taken)]
    for t in rng.sample(pool, rng.randint(4, 6)):
        place(t, set())
    w, d = ROOM
    agent = {"x": rng.choice([0.75 + 0.25 * i for i in range(int((w - 1.5) / 0.25) + 1)]),
             "z": rng.choice([0.75 + 0.25 * i for i in range(int((d - 1.5) / 0.25) + 1)]),
             "rotation": rng.choice([0.0, 90.0, 180.0, 270.0]), "horizon": 30.0}
    scene = {"floor_plan": f"Symbolic_{scene_num}", "room": list(ROOM), "agent": agent,
             "objects": specs}
    return pddl, scene


def _task(kind: str, index: int, seed: int) -> AlfredTask:
    rng = random.Random(f"{seed}:{kind}:{index}")
    scene_num = seed * 1000 + TASK_TYPES.index(kind) * 100 + index
    pddl, scene = _build(kind, rng, scene_num)
    data = {
        "task_id": f"trial_V{seed:02d}_{TASK_TYPES.index(kind)}{index:03d}",
        "task_type": kind, "pddl_params": pddl,
        "scene": {"floor_plan": scene["floor_plan"], "scene_num": scene_num, "object_poses": [],
                  "object_toggles": [], "dirty_and_empty": False, "random_seed": seed,
                  "init_action": {"action": "TeleportFull", "x": scene["agent"]["x"], "y": 0.9,
                                  "z": scene["agent"]["z"], "rotation": scene["agent"]["rotation"],
                                  "horizon": scene["agent"]["horizon"]}},
        "plan": {"high_pddl": [], "low_actions": []},
        "turk_annotations": {"anns": [{"task_desc": _instruction(kind, pddl), "high_descs": [],
                                       "votes": []}]},
        "vagent_scene": scene,
    }
    task = parse_task(data, data["task_id"])
    plan = expert_plan(task)
    data["plan"]["high_pddl"] = plan
    data["turk_annotations"]["anns"][0]["high_descs"] = [
        f"{h['discrete_action']['action']} {' '.join(h['discrete_action']['args'])}".strip()
        for h in plan if h["discrete_action"]["action"] != "NoOp"]
    return parse_task(data, data["task_id"])


def expert_plan(task: AlfredTask, max_steps: int = 60) -> list[dict[str, Any]]:
    """Run the oracle on the task's symbolic scene; its actions as ALFRED high_pddl entries."""
    env = AlfredEnv(backend="symbolic", tasks=[task])
    env.reset(options={"alfred_task": task})
    plan: list[dict[str, Any]] = []
    for _ in range(max_steps):
        act = env.oracle_action()
        if act is None or act.action == "terminate":
            break
        arg = next(str(v) for k, v in act.dump().items() if k != "action")
        plan.append({"high_idx": len(plan),
                     "discrete_action": {"action": ALFRED_VERB[act.action], "args": [arg]},
                     "planner_action": {"action": ALFRED_VERB[act.action], "vagent": act.dump()}})
        _, _, terminated, _, info = env.step(act)
        if terminated:
            break
    met, total = env.goal_conditions()
    if met != total:
        raise RuntimeError(f"generated task {task.task_id} ({task.task_type}) is not solved by "
                           f"the oracle ({met}/{total} goal conditions) — a rule or generator bug")
    plan.append({"high_idx": len(plan), "discrete_action": {"action": "NoOp", "args": []},
                 "planner_action": {"action": "End"}})
    return plan


@functools.lru_cache(maxsize=8)
def _cached(per_type: int, seed: int) -> tuple[AlfredTask, ...]:
    return tuple(_task(kind, i, seed) for kind in TASK_TYPES for i in range(per_type))


def generated_tasks(per_type: int = 5, seed: int = 0) -> list[AlfredTask]:
    """``per_type`` tasks of each of the seven types (deterministic for a seed)."""
    return list(_cached(per_type, seed))


def generated_env(**kwargs: Any) -> AlfredEnv:
    """``AlfredEnv`` on the generated task set (built at the first reset) unless ``tasks`` is
    given: the registry's entry point for ``vagent/Alfred-v0``."""
    kwargs.setdefault("tasks", generated_tasks)
    return AlfredEnv(**kwargs)
