"""ALFRED against its own code: the scene restore's THOR calls, test tasks, the leaderboard file.

The restore is checked on ``RecordingThorController`` (a fake that records calls; ai2thor cannot
start here); runs use the project's THOR-shaped stand-in. Task files are written here in
json_2.1.0's format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vagent.benchmarks.alfred import submission
from vagent.envs.alfred import AlfredEnv
from vagent.envs.alfred.symbolic import ThorStandIn
from vagent.envs.alfred.tasks import load_split, parse_task
from vagent.envs.alfred.thor import ThorBackend
from vagent.envs.base import EnvError
from fixtures.alfred import kitchen
from fixtures.thor_recorder import RecordingThorController

TOGGLES = [{"isOn": False, "objectType": "Faucet"}, {"isOn": True, "objectType": "DeskLamp"}]
POSES = [{"objectName": "Potato_b0b3d5a3",
          "position": {"x": -1.6604, "y": 0.9398, "z": 0.2372},
          "rotation": {"x": 0.0, "y": 270.0, "z": 0.0}},
         {"objectName": "Mug_a12c171b", "position": {"x": -1.3392, "y": 1.7214, "z": 0.4894},
          "rotation": {"x": 0.0, "y": 0.0, "z": 0.0}}]
INIT = {"action": "TeleportFull", "horizon": 30, "rotateOnTeleport": True, "rotation": 270,
        "x": -1.0, "y": 0.9009992, "z": 1.5}
SCENE = {"dirty_and_empty": True, "floor_plan": "FloorPlan28", "init_action": INIT,
         "object_poses": POSES, "object_toggles": TOGGLES, "random_seed": 1234, "scene_num": 28}

# ALFRED's Eval.setup_scene on this scene, restated from env/thor_env.py (reset, restore_scene)
# and models/eval/eval.py: the THOR actions in order, with their arguments.
ALFRED_SEQUENCE = [
    ("Initialize", {}),  # reset(scene): Controller.reset, then Initialize
    ("Initialize", {}),  # restore_scene begins by initializing again
    ("SetObjectToggles", {"objectToggles": TOGGLES}),
    ("SetStateOfAllObjects", {"StateChange": "CanBeDirty", "forceAction": True}),
    ("SetStateOfAllObjects", {"StateChange": "CanBeFilled", "forceAction": False}),
    ("SetObjectPoses", {"objectPoses": POSES}),
    ("TeleportFull", {k: v for k, v in INIT.items() if k != "action"}),
]


def test_the_restore_issues_alfreds_sequence() -> None:
    c = RecordingThorController()
    task = parse_task({"task_id": "trial_T1", "scene": SCENE,
                       "turk_annotations": {"anns": [{"task_desc": "x", "high_descs": []}]}})
    backend = ThorBackend(controller=c)
    backend.start(task)
    assert c.calls[0] == {"action": "reset", "scene": "FloorPlan28"}  # both Initializes (5.x)
    expected = [(a, kw) for a, kw in ALFRED_SEQUENCE[2:-1]]
    assert [(x["action"], {k: v for k, v in x.items() if k != "action"})
            for x in c.calls[1:-1]] == expected
    tp = c.calls[-1]  # the start pose, in 5.x's TeleportFull arguments
    assert tp == {"action": "TeleportFull", "position": {"x": -1.0, "y": 0.9009992, "z": 1.5},
                  "rotation": {"x": 0.0, "y": 270.0, "z": 0.0}, "horizon": 30,
                  "standing": True}
    assert backend.warnings == [] and backend.actions == []  # the restore is not the agent's


def test_without_toggles_or_dirt_only_the_poses_are_set() -> None:
    c = RecordingThorController()
    scene = {**SCENE, "dirty_and_empty": False, "object_toggles": [], "object_poses": []}
    ThorBackend(controller=c).start(parse_task({"task_id": "t", "scene": scene}))
    assert [x["action"] for x in c.calls] == ["reset", "SetObjectPoses", "TeleportFull"]


def test_a_5x_controller_without_set_state_gets_the_states_object_by_object() -> None:
    objs = [{"objectId": "Mug|1", "objectType": "Mug", "dirtyable": True, "isDirty": False,
             "canFillWithLiquid": True, "isFilledWithLiquid": True},
            {"objectId": "Bowl|1", "objectType": "Bowl", "dirtyable": True, "isDirty": True,
             "canFillWithLiquid": True, "isFilledWithLiquid": False},
            {"objectId": "Apple|1", "objectType": "Apple"}]
    c = RecordingThorController(objs, refuse=("SetStateOfAllObjects",))
    backend = ThorBackend(controller=c)
    backend.start(parse_task({"task_id": "t", "scene": {**SCENE, "object_toggles": []}}))
    assert [(x["action"], x.get("objectId")) for x in c.calls[1:-2]] == [
        ("SetStateOfAllObjects", None), ("DirtyObject", "Mug|1"),
        ("SetStateOfAllObjects", None), ("EmptyLiquidFromObject", "Mug|1")]
    assert c.calls[-2]["action"] == "SetObjectPoses" and backend.warnings == []


# -- test splits -----------------------------------------------------------------------------------
def write_test_split(root: Path, split: str = "tests_seen") -> Path:
    """Two trials as ALFRED's test files hold them: scene, task_id and annotations only."""
    for i, descs in enumerate([["Put an apple on the table.", "Move the apple to the table."],
                               ["Put the apple on the dining table."]]):
        d = root / split / f"trial_T2019060{i}_000000_00000{i}"
        d.mkdir(parents=True)
        (d / "traj_data.json").write_text(json.dumps({
            "scene": {**SCENE, "floor_plan": "FloorPlanTest", "object_poses": [],
                      "object_toggles": [], "dirty_and_empty": False, "init_action": None},
            "task_id": d.name,
            "turk_annotations": {"anns": [{"task_desc": t, "high_descs": ["go", "put"]}
                                          for t in descs]}}), encoding="utf-8")
    return root


def stand_in_env(tasks) -> AlfredEnv:
    return AlfredEnv(backend=ThorBackend(controller=ThorStandIn(scenes={"FloorPlanTest":
                                                                        kitchen()})), tasks=tasks)


def test_test_tasks_load_as_prediction_only(tmp_path: Path) -> None:
    eps = load_split(write_test_split(tmp_path), "tests_seen")
    assert [e.episode_id for e in eps] == [
        "trial_T20190600_000000_000000:0", "trial_T20190600_000000_000000:1",
        "trial_T20190601_000000_000001:0"]
    assert all(e.prediction_only and e.task_type is None for e in eps)
    env = stand_in_env(eps)
    _, info = env.reset(options={"alfred_task": eps[1]})
    assert info["instruction"] == "Move the apple to the table."
    assert env.oracle_action() is None
    _, reward, _, _, info = env.step({"action": "GotoLocation", "target": "apple"})
    assert "success" not in info and "goal_conditions" not in info and reward == 0
    with pytest.raises(EnvError, match="test task"):
        env.goal_conditions()


def test_the_leaderboard_file_holds_alfreds_api_dicts(tmp_path: Path) -> None:
    eps = load_split(write_test_split(tmp_path), "tests_seen")
    env = stand_in_env(eps)
    env.reset(options={"alfred_task": eps[0]})
    for call in [{"action": "GotoLocation", "target": "countertop"},
                 {"action": "Pickup", "object": "apple"},
                 {"action": "Pickup", "object": "nothing like it"},  # refused before THOR
                 {"action": "GotoLocation", "target": "fridge"},
                 {"action": "Open", "object": "fridge"},
                 {"action": "Close", "object": "fridge"},
                 {"action": "GotoLocation", "target": "dining table"},
                 {"action": "Put", "receptacle": "dining table"}]:
        env.step(call)
    rec = {"task_id": eps[0].task_id, "thor_actions": env.backend.actions}
    sub = submission.submission({"tests_seen": [rec, {"task_id": "trial_X", "thor_actions": []}]})
    assert set(sub) == {"tests_seen", "tests_unseen"} and sub["tests_unseen"] == []
    assert [list(e) for e in sub["tests_seen"]] == [[eps[0].task_id], ["trial_X"]]
    acts = sub["tests_seen"][0][eps[0].task_id]
    assert [a["action"] for a in acts] == ["TeleportFull", "PickupObject", "TeleportFull",
                                           "OpenObject", "CloseObject", "TeleportFull",
                                           "PutObject"]
    assert acts[1] == {"action": "PickupObject", "objectId": "Apple|1"}
    assert acts[3] == {"action": "OpenObject", "objectId": "Fridge|1", "moveMagnitude": 1.0}
    assert acts[4] == {"action": "CloseObject", "objectId": "Fridge|1", "forceAction": True}
    assert acts[6] == {"action": "PutObject", "objectId": "Apple|1",
                       "receptacleObjectId": "DiningTable|1", "forceAction": True,
                       "placeStationary": True}
    assert set(acts[0]) == {"action", "x", "y", "z", "rotation", "horizon", "rotateOnTeleport"}
    assert submission.teleports(sub) == 3
    note = submission.write(tmp_path, [rec], "tests_seen")
    written = json.loads((tmp_path / submission.FILE).read_text())
    assert written == submission.submission({"tests_seen": [rec]})
    assert note["teleports"] == 3 and "not a valid leaderboard entry" in note["note"]
    assert (tmp_path / submission.FILE).read_text().startswith('{\n    "tests_seen"')


def test_failed_thor_actions_are_in_the_file_and_the_splits_merge(tmp_path: Path) -> None:
    eps = load_split(write_test_split(tmp_path), "tests_seen")
    env = stand_in_env(eps)
    env.reset(options={"alfred_task": eps[2]})
    env.step({"action": "GotoLocation", "target": "fridge"})
    env.step({"action": "Close", "object": "fridge"})  # closed already: THOR refuses it
    assert env.backend.actions[-1]["success"] is False
    rec = {"task_id": eps[2].task_id, "thor_actions": env.backend.actions}
    (tmp_path / "seen").mkdir()
    (tmp_path / "unseen").mkdir()
    submission.write(tmp_path / "seen", [rec], "tests_seen")
    submission.write(tmp_path / "unseen", [{**rec, "task_id": "trial_U"}], "tests_unseen")
    both = submission.merge(tmp_path / "seen" / submission.FILE,
                            tmp_path / "unseen" / submission.FILE)
    assert [list(e) for e in both["tests_seen"]] == [[eps[2].task_id]]
    assert [list(e) for e in both["tests_unseen"]] == [["trial_U"]]
    assert both["tests_seen"][0][eps[2].task_id][-1]["action"] == "CloseObject"
    with pytest.raises(submission.SubmissionError, match="tests_seen and tests_unseen"):
        submission.submission({"valid_unseen": [rec]})
    with pytest.raises(submission.SubmissionError, match="GetReachablePositions"):
        submission.api_action({"action": "GetReachablePositions"})


def test_test_episodes_are_counted_not_scored() -> None:
    from vagent.benchmarks.alfred.metrics import summarise

    scored = {"success": True, "gc_met": 2, "gc_total": 2, "expert_length": 4, "path_length": 4,
              "failures": 0, "task_type": "pick_and_place_simple"}
    test = {"success": None, "path_length": 8, "failures": 2, "task_type": None}
    s = summarise([scored, test])
    assert s["episodes"] == 1 and s["prediction_only"] == 1 and s["SR"] == 100.0
    assert list(s["per_type"]) == ["pick_and_place_simple"] and s["mean_steps"] == 6.0
    only = summarise([test])
    assert only["episodes"] == 0 and only["prediction_only"] == 1 and only["per_type"] == {}


def test_a_test_split_run_writes_the_leaderboard_file(tmp_path: Path, monkeypatch) -> None:
    from vagent import policies
    from vagent.benchmarks.alfred.runner import run
    from vagent.envs.alfred import thor

    eps = load_split(write_test_split(tmp_path / "data"), "tests_seen")
    # --backend thor, its controller the stand-in (ai2thor's build cannot start here)
    monkeypatch.setattr(thor, "make_controller",
                        lambda *a, **k: ThorStandIn(scenes={"FloorPlanTest": kitchen()}))
    backend = "thor"
    replay = policies.make("replay", actions=[
        {"action": "GotoLocation", "target": "countertop"},
        {"action": "Pickup", "object": "apple"}])
    summary = run(eps, replay, tmp_path / "out", backend=backend, max_steps=5,
                  meta={"data": "d", "split": "tests_seen"})
    assert summary["prediction_only"] == 3 and summary["episodes"] == 3  # run, not scored
    assert summary["metrics"] == {} and summary["groups"] == {}
    dump = json.loads((tmp_path / "out" / submission.FILE).read_text())
    assert [list(e)[0] for e in dump["tests_seen"]] == [e.task_id for e in eps]
    assert dump["tests_unseen"] == []
    assert all([a["action"] for a in next(iter(e.values()))] == ["TeleportFull", "PickupObject"]
               for e in dump["tests_seen"])
    assert summary["submission"]["teleports"] == 3
    assert "tests_actseqs_dump.json" in (tmp_path / "out" / "summary.md").read_text()
