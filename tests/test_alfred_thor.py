"""The thor backend's translation of high-level actions into THOR 5 calls, tested against the
THOR-shaped stand-in (ai2thor's Unity build cannot start here)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from vagent.envs.alfred import AlfredEnv
from vagent.envs.alfred.symbolic import ThorStandIn
from vagent.envs.alfred.thor import ThorBackend
from vagent.envs.base import EnvError
from fixtures.alfred import kitchen, make_task


def thor_env(task=None, **scene_kw):
    task = task or make_task()
    task.scene.floor_plan = "FloorPlanTest"
    for k, v in scene_kw.items():
        setattr(task.scene, k, v)
    stand_in = ThorStandIn(scenes={"FloorPlanTest": kitchen()})
    env = AlfredEnv(backend=ThorBackend(controller=stand_in), tasks=[task])
    env.reset(options={"alfred_task": task})
    return env, stand_in


def test_reset_loads_the_floor_plan_and_restores_alfreds_initial_state() -> None:
    poses = [{"objectName": "Apple_1", "position": {"x": 3.3, "y": 0.9, "z": 4.7},
              "rotation": {"x": 0, "y": 0, "z": 0}}]
    env, c = thor_env(object_poses=poses, init_action={
        "action": "TeleportFull", "x": 1.5, "y": 0.9, "z": 2.0, "rotation": 90, "horizon": 30})
    assert c.calls[0] == {"action": "reset", "scene": "FloorPlanTest"}
    assert c.calls[1] == {"action": "SetObjectPoses", "objectPoses": poses}
    tp = c.calls[2]
    assert tp["action"] == "TeleportFull" and tp["position"] == {"x": 1.5, "y": 0.9, "z": 2.0}
    assert tp["rotation"] == {"x": 0.0, "y": 90.0, "z": 0.0} and tp["standing"] is True
    objs = env.backend.objects()
    assert objs["Apple|1"]["parentReceptacles"] == ["DiningTable|1"]  # moved by the pose
    assert env.backend.warnings == []


def test_a_restore_thor_refuses_is_a_warning() -> None:
    env, c = thor_env(object_toggles=[{"objectType": "DeskLamp", "isOn": True}])
    assert any("SetObjectToggles" in w for w in env.backend.warnings)


def test_dirty_and_empty_falls_back_to_per_object_dirt_and_teleport_drops_2x_keys() -> None:
    env, c = thor_env(dirty_and_empty=True, init_action={
        "action": "TeleportFull", "x": 1.5, "y": 0.9, "z": 2.0, "rotation": 90, "horizon": 30,
        "rotateOnTeleport": False})
    acts = [x["action"] for x in c.calls]
    assert acts[:2] == ["reset", "SetStateOfAllObjects"]  # refused by a 5.x-shaped controller
    dirtied = [x["objectId"] for x in c.calls if x["action"] == "DirtyObject"]
    assert dirtied == ["Bowl|1"]  # the mug is dirty already
    assert env.backend.objects()["Bowl|1"]["isDirty"] and env.backend.warnings == []
    assert "rotateOnTeleport" not in c.calls[-1] and c.calls[-1]["action"] == "TeleportFull"


def test_goto_teleports_to_the_nearest_reachable_pose_that_sees_the_target() -> None:
    env, c = thor_env()
    n = len(c.calls)
    env.step({"action": "GotoLocation", "target": "microwave"})
    calls = c.calls[n:]
    assert calls[0] == {"action": "GetReachablePositions"}
    tp = calls[-1]
    assert tp["action"] == "Teleport" and set(tp) == {"action", "position", "rotation",
                                                       "horizon", "standing"}
    p = tp["position"]
    # the nearest grid point to the microwave at (3.3, 0.3), facing it
    assert (p["x"], p["z"]) == (3.25, 0.75)
    yaw = math.degrees(math.atan2(3.3 - 3.25, 0.3 - 0.75)) % 360
    assert tp["rotation"]["y"] == pytest.approx(yaw, abs=0.1) and tp["horizon"] == 30.0
    assert env.backend.objects()["Microwave|1"]["visible"]
    # reachable positions are asked once per scene
    env.step({"action": "GotoLocation", "target": "fridge"})
    assert sum(1 for x in c.calls if x["action"] == "GetReachablePositions") == 1


def test_interactions_go_by_object_id_with_alfreds_put_flags() -> None:
    env, c = thor_env()
    env.step({"action": "GotoLocation", "target": "countertop"})
    n = len(c.calls)
    env.step({"action": "Pickup", "object": "apple"})
    env.step({"action": "GotoLocation", "target": "diningtable"})
    env.step({"action": "Put", "receptacle": "diningtable 1"})
    env.step({"action": "GotoLocation", "target": "desklamp"})
    env.step({"action": "ToggleOn", "object": "desklamp"})
    acts = [x for x in c.calls[n:] if x["action"] not in ("Teleport", "GetReachablePositions")]
    assert acts == [
        {"action": "PickupObject", "objectId": "Apple|1"},
        {"action": "PutObject", "objectId": "DiningTable|1", "forceAction": True,
         "placeStationary": True},
        {"action": "ToggleObjectOn", "objectId": "DeskLamp|1"},
    ]
    assert env.goal_conditions() == (1, 1)


def test_clean_turns_a_running_faucet_off_first_and_failures_stop_the_sequence() -> None:
    env, c = thor_env()
    env.step({"action": "GotoLocation", "target": "sinkbasin"})
    env.step({"action": "ToggleOn", "object": "faucet"})
    env.step({"action": "GotoLocation", "target": "diningtable"})
    env.step({"action": "Pickup", "object": "mug"})
    env.step({"action": "GotoLocation", "target": "sinkbasin"})
    n = len(c.calls)
    info = env.step({"action": "Clean", "object": "mug"})[4]
    assert info["last_action_success"], info["message"]
    assert [x["action"] for x in c.calls[n:]] == ["PutObject", "ToggleObjectOff", "ToggleObjectOn",
                                                  "ToggleObjectOff", "PickupObject"]
    # A sequence step THOR refuses ends the macro with its message.
    env.step({"action": "GotoLocation", "target": "microwave"})
    env.step({"action": "Open", "object": "microwave"})
    env.step({"action": "Put", "receptacle": "microwave"})  # the mug now sits in the microwave
    env.step({"action": "GotoLocation", "target": "countertop"})
    env.step({"action": "Pickup", "object": "bowl"})
    env.step({"action": "GotoLocation", "target": "microwave"})
    info = env.step({"action": "Heat", "object": "bowl"})[4]
    assert info["last_action_success"]  # the bowl is heated along with the mug
    assert env.backend.heated == {"Mug|1", "Bowl|1"}


def test_the_real_controller_is_made_only_when_needed_and_fails_clearly(monkeypatch) -> None:
    code = ("import sys, envs, envs.alfred; e = envs.make('alfred', backend='thor'); "
            "print('ai2thor' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

    import ai2thor.controller

    def refuse(**kw):
        raise ValueError("Invalid commit_id: no build exists for this platform")

    monkeypatch.setattr(ai2thor.controller, "Controller", refuse)
    env = AlfredEnv(backend="thor", tasks=[make_task()])
    with pytest.raises(EnvError, match="ai2thor could not start .*Invalid commit_id.*README"):
        env.reset(options={"alfred_task": make_task()})


def test_symbolic_backend_refuses_alfreds_own_tasks() -> None:
    task = make_task()
    task.symbolic_scene = None
    env = AlfredEnv(backend="symbolic", tasks=[task])
    with pytest.raises(EnvError, match="use --backend thor"):
        env.reset(options={"alfred_task": task})


def test_slice_without_a_knife_never_reaches_thor() -> None:
    env, c = thor_env()
    env.step({"action": "GotoLocation", "target": "countertop"})
    info = env.step({"action": "Slice", "object": "apple"})[4]
    assert not info["last_action_success"] and "knife" in info["message"]
    assert not any(x["action"] == "SliceObject" for x in c.calls)
    env.step({"action": "Pickup", "object": "knife"})
    assert env.step({"action": "Slice", "object": "apple"})[4]["last_action_success"]
    assert c.calls[-1] == {"action": "SliceObject", "objectId": "Apple|1"}
