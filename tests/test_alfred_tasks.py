"""ALFRED tasks: goal conditions, the traj_data loader, metrics, the protocol, the oracle."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from vagent.actions import ParseError
from vagent.benchmarks.alfred.metrics import aggregate, episode_scores
from vagent.envs.alfred import TASK_TYPES, AlfredEnv
from vagent.envs.alfred.generate import generated_tasks
from vagent.envs.alfred.goals import goal_conditions
from vagent.envs.alfred.tasks import DataError, load_split, load_task, write_split
from fixtures.alfred import make_task


def O(oid, t=None, **kw):  # noqa: N802 — an object of THOR metadata
    base = {"objectId": oid, "objectType": t or oid.split("|")[0], "pickupable": False,
            "receptacle": False, "toggleable": False, "visible": False, "isToggled": False,
            "receptacleObjectIds": None, "parentReceptacles": None}
    return {**base, **kw}


def md(*objs, held=None):
    return {"objects": list(objs), "inventoryObjects": [{"objectId": held}] if held else []}


def test_goal_conditions_of_each_task_type_by_hand() -> None:
    table = O("DiningTable|1", receptacle=True, receptacleObjectIds=["Apple|1|AppleSliced_0"])
    piece = O("Apple|1|AppleSliced_0", "AppleSliced", pickupable=True)
    sliced = make_task("pick_and_place_simple", object_sliced=True)
    assert goal_conditions(sliced, md(table, piece)) == (2, 2)
    assert goal_conditions(sliced, md(O("DiningTable|1", receptacle=True, receptacleObjectIds=[]),
                                      piece)) == (1, 2)
    # "Apple" matches slices too, as in ALFRED (substring of the objectId)
    assert goal_conditions(make_task(), md(table, piece)) == (1, 1)

    heat = make_task("pick_heat_then_place_in_recep")
    apple = O("Apple|1", pickupable=True)
    on = O("DiningTable|1", receptacle=True, receptacleObjectIds=["Apple|1"])
    off = O("DiningTable|1", receptacle=True, receptacleObjectIds=[])
    assert goal_conditions(heat, md(on, apple)) == (1, 3)
    assert goal_conditions(heat, md(off, apple), heated={"Apple|1"}) == (1, 3)
    assert goal_conditions(heat, md(on, apple), heated={"Apple|1"}) == (3, 3)
    assert goal_conditions(heat, md(on, apple), cooled={"Apple|1"}) == (1, 3)  # wrong set
    cool = make_task("pick_cool_then_place_in_recep")
    assert goal_conditions(cool, md(on, apple), cooled={"Apple|1"}) == (3, 3)
    clean = make_task("pick_clean_then_place_in_recep")
    assert goal_conditions(clean, md(on, apple), cleaned={"Apple|1"}) == (3, 3)

    two = make_task("pick_two_obj_and_place")
    a2 = O("Apple|2", pickupable=True)
    t1 = O("DiningTable|1", receptacle=True, receptacleObjectIds=["Apple|1"])
    t2 = O("DiningTable|2", receptacle=True, receptacleObjectIds=["Apple|2"])
    assert goal_conditions(two, md(t1, t2, apple, a2)) == (1, 2)  # not in the same one
    both = O("DiningTable|1", receptacle=True, receptacleObjectIds=["Apple|1", "Apple|2"])
    assert goal_conditions(two, md(both, apple, a2)) == (2, 2)

    look = make_task("look_at_obj_in_light", toggle_target="DeskLamp", parent_target="")
    lamp_on_hidden = O("DeskLamp|1", toggleable=True, isToggled=True, visible=False)
    lamp_on = O("DeskLamp|1", toggleable=True, isToggled=True, visible=True)
    assert goal_conditions(look, md(lamp_on_hidden, apple, held="Apple|1")) == (1, 2)
    assert goal_conditions(look, md(lamp_on, apple)) == (1, 2)
    assert goal_conditions(look, md(lamp_on, apple, held="Apple|1")) == (2, 2)

    mrec = make_task("pick_and_place_with_movable_recep", mrecep_target="Bowl")
    bowl_in = O("Bowl|1", pickupable=True, receptacle=True, receptacleObjectIds=["Apple|1"],
                parentReceptacles=["DiningTable|1"])
    table_b = O("DiningTable|1", receptacle=True, receptacleObjectIds=["Bowl|1"])
    assert goal_conditions(mrec, md(table_b, bowl_in, apple)) == (3, 3)
    bowl_empty = O("Bowl|1", pickupable=True, receptacle=True, receptacleObjectIds=[],
                   parentReceptacles=["DiningTable|1"])
    assert goal_conditions(mrec, md(table_b, bowl_empty, apple)) == (1, 3)


def test_metrics_match_hand_computed_values() -> None:
    recs = [
        {"success": True, "gc_met": 2, "gc_total": 2, "expert_length": 5, "path_length": 10},
        {"success": False, "gc_met": 1, "gc_total": 3, "expert_length": 4, "path_length": 4},
        {"success": True, "gc_met": 1, "gc_total": 1, "expert_length": 6, "path_length": 3},
    ]
    s = aggregate(recs)
    assert s["SR"] == pytest.approx(66.67) and s["GC"] == pytest.approx(66.67)
    assert s["PLW_SR"] == pytest.approx(100 * (2.5 + 0 + 6) / 15, abs=0.01)  # 56.67
    assert s["PLW_GC"] == pytest.approx(100 * (2.5 + 4 / 3 + 6) / 15, abs=0.01)  # 65.56
    assert episode_scores(True, 1, 1, 5, 0)["s_spl"] == 1.0  # no steps: weight capped at 1
    assert aggregate([])["episodes"] == 0


def test_the_oracle_solves_every_generated_task_of_all_seven_types() -> None:
    tasks = generated_tasks()
    assert Counter(t.task_type for t in tasks) == {k: 5 for k in TASK_TYPES}
    assert sum(t.pddl_params.object_sliced for t in tasks) >= 2
    env = AlfredEnv(backend="symbolic", tasks=tasks)
    solved = 0
    for task in tasks:
        env.reset(options={"alfred_task": task})
        assert env.goal_conditions()[0] < env.goal_conditions()[1], "already solved at start"
        for _ in range(60):
            obs, reward, terminated, _, info = env.step(env.oracle_action())
            if terminated:
                break
        assert terminated and reward == 1.0 and info["failures"] == 0, task.task_id
        assert env.path_length == task.expert_length
        solved += 1
    assert solved == 35


def test_generation_is_deterministic_and_seeded() -> None:
    from vagent.envs.alfred.generate import _cached

    a = [t.to_json() for t in generated_tasks(per_type=1, seed=7)]
    b = [t.to_json() for t in _cached.__wrapped__(1, 7)]  # built again, not the cached copy
    assert a == b
    c = [t.to_json() for t in generated_tasks(per_type=1, seed=8)]
    assert [t["vagent_scene"] for t in a] != [t["vagent_scene"] for t in c]


def test_loader_reads_alfred_layout_one_episode_per_annotation(tmp_path: Path) -> None:
    tasks = generated_tasks(per_type=1, seed=3)
    write_split(tasks, tmp_path, "valid_seen")
    # a second annotation on one task: ALFRED evaluates each annotation as an episode
    f = next((tmp_path / "valid_seen").rglob("traj_data.json"))
    data = json.loads(f.read_text())
    data["turk_annotations"]["anns"].append({"task_desc": "Another wording.", "high_descs": []})
    f.write_text(json.dumps(data))
    eps = load_split(tmp_path, "valid_seen")
    assert len(eps) == 8
    twice = [e for e in eps if e.task_id == data["task_id"]]
    assert [e.repeat_idx for e in twice] == [0, 1]
    assert twice[1].instruction == "Another wording."
    assert twice[0].episode_id != twice[1].episode_id
    with pytest.raises(DataError, match="no split 'test' .* valid_seen"):
        load_split(tmp_path, "test")


def test_loader_rejects_malformed_files_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "traj_data.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="traj_data.json: not JSON"):
        load_task(bad)
    bad.write_text(json.dumps({"task_id": "x", "task_type": "fly_to_the_moon",
                               "pddl_params": {"object_target": "Apple"}, "scene": {}}))
    with pytest.raises(DataError, match="task_type"):
        load_task(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(DataError, match="one JSON object"):
        load_task(bad)


@pytest.mark.parametrize(("break_it", "message"), [
    (lambda sc: sc["objects"][0].update(objectType="Spaceship"),
     r"objects\.0\.objectType: .*unknown object type 'Spaceship'"),
    (lambda sc: sc["objects"][-1].update(parent="Nope|1|2|3"),
     r"parent 'Nope\|1\|2\|3' is not an object"),
    (lambda sc: sc["objects"].append(dict(sc["objects"][0])), "object ids appear twice"),
    (lambda sc: sc.update(room=[0, 3]), r"vagent_scene\.room: .*positive"),
    (lambda sc: sc["objects"][0].pop("position"), r"objects\.0\.position: Field required"),
    (lambda sc: sc.pop("objects"), r"vagent_scene\.objects: Field required"),
])
def test_a_generated_tasks_scene_is_checked_when_it_loads(tmp_path: Path, break_it,
                                                          message) -> None:
    # a hand-edited vagent_scene fails at load, naming the field, not mid-episode in the world
    data = generated_tasks(1, seed=0)[0].to_json()
    (tmp_path / "ok.json").write_text(json.dumps(data))
    assert load_task(tmp_path / "ok.json").symbolic_scene == data["vagent_scene"]
    break_it(data["vagent_scene"])
    (tmp_path / "traj_data.json").write_text(json.dumps(data))
    with pytest.raises(DataError, match=message):
        load_task(tmp_path / "traj_data.json")


def test_alfred_style_traj_data_loads() -> None:
    # the shape of a real ALFRED file (fields it has that the env does not use are kept)
    t = make_task().to_json()
    t.pop("vagent_scene")
    t["scene"] = {"floor_plan": "FloorPlan10", "scene_num": 10, "dirty_and_empty": True,
                  "init_action": {"action": "TeleportFull", "horizon": 30, "rotateOnTeleport":
                                  False, "rotation": 90, "x": -1.0, "y": 0.9, "z": 1.5},
                  "object_poses": [{"objectName": "Apple_9", "position": {}, "rotation": {}}],
                  "object_toggles": [], "random_seed": 3}
    t["images"] = []
    t["pddl_params"]["mrecep_target"] = ""
    from vagent.envs.alfred.tasks import parse_task

    task = parse_task(t)
    assert task.symbolic_scene is None and task.scene.floor_plan == "FloorPlan10"
    assert task.expert_length == 4  # the NoOp does not count


def test_protocol_reads_calls_as_models_write_them() -> None:
    env = AlfredEnv(backend="symbolic", tasks=[make_task()])
    p = env.protocol
    assert p.parse("Pickup(apple)").calls == [{"action": "Pickup", "object": "apple"}]
    r = p.parse("I see the counter.\nAction: goToLocation(\"countertop 2\")")
    assert r.calls == [{"action": "GotoLocation", "target": "countertop 2"}]
    assert r.thought == "I see the counter."
    assert p.parse('{"action": "Put", "receptacle": "fridge 1"}').calls == [
        {"action": "Put", "receptacle": "fridge 1"}]
    assert p.parse('{"thought": "t", "action": "Heat(apple 1)"}').calls == [
        {"action": "Heat", "object": "apple 1"}]
    assert p.parse("Open(object='fridge')").calls == [{"action": "Open", "object": "fridge"}]
    assert p.parse("Done, Stop()").calls == [{"action": "terminate", "status": "success"}]
    # the last call counts
    assert p.parse("Open(fridge) then Close(fridge)").calls[0]["action"] == "Close"
    for bad in ("", "I will pick up the apple", "Pickup()", "Fly(apple)", '{"action": "Pickup"}'):
        with pytest.raises(ParseError):
            p.parse(bad)


def test_protocol_prompt_has_image_task_state_and_history() -> None:
    from vagent.actions.context import Context, StepView

    env = AlfredEnv(backend="symbolic", tasks=[make_task()])
    obs, _ = env.reset(options={"alfred_task": make_task()})
    ctx = Context(task="Put an apple on the table.", space=env.action_space, observation=obs,
                  steps=[StepView(step=0, action={"action": "GotoLocation", "target": "fridge"}),
                         StepView(step=1, error="no action found")],
                  feedback="no action found")
    parts = env.protocol.prompt(ctx)
    assert isinstance(parts[0], np.ndarray) and parts[0].shape == (300, 300, 3)
    text = parts[-1]
    for needle in ("Put an apple on the table.", "0: GotoLocation(fridge)", "You see:",
                   "Places:", "could not be read"):
        assert needle in text
    assert "Stop()" in env.protocol.system
