"""The symbolic household's rules, action by action, through AlfredEnv's high-level actions."""

from __future__ import annotations

import pytest

from vagent.actions import ActionError


def act(env, text: str):
    """Step with a call written as the model writes it, e.g. 'Pickup(apple)'."""
    call = env.protocol.parse(text).calls[0]
    obs, reward, terminated, truncated, info = env.step(call)
    return info, obs, terminated


def obj(env, oid: str) -> dict:
    return env.backend.objects()[oid]


def test_pickup_needs_the_object_in_view_and_an_empty_hand(alfred_env) -> None:
    env = alfred_env()
    info, obs, _ = act(env, "Pickup(apple)")
    assert not info["last_action_success"] and "no 'apple' in view" in info["message"]
    assert info["failures"] == 1
    info, obs, _ = act(env, "GotoLocation(countertop)")
    assert info["last_action_success"]
    assert "apple 1" in obs["text"] and "knife 1" in obs["text"]
    info, obs, _ = act(env, "Pickup(apple)")
    assert info["last_action_success"], info["message"]
    assert obj(env, "Apple|1")["isPickedUp"] and env.backend.held() == "Apple|1"
    assert "You hold: apple 1" in obs["text"]
    info, _, _ = act(env, "Pickup(knife)")
    assert not info["last_action_success"] and "hand is full" in info["message"]
    info, _, _ = act(env, "Pickup(countertop 1)")  # furniture is not pickupable
    assert not info["last_action_success"]
    assert env.failures == 3


def test_put_needs_an_open_receptacle_in_view(alfred_env) -> None:
    env = alfred_env()
    info, _, _ = act(env, "Put(countertop)")
    assert not info["last_action_success"]  # not in view, nothing held
    act(env, "GotoLocation(countertop 1)")
    act(env, "Pickup(apple 1)")
    act(env, "GotoLocation(fridge)")
    info, _, _ = act(env, "Put(fridge)")
    assert not info["last_action_success"] and "closed" in info["message"]
    assert act(env, "Open(fridge)")[0]["last_action_success"]
    info, _, _ = act(env, "Open(fridge)")
    assert not info["last_action_success"] and "already open" in info["message"]
    info, obs, _ = act(env, "Put(fridge 1)")
    assert info["last_action_success"], info["message"]
    assert "Apple|1" in obj(env, "Fridge|1")["receptacleObjectIds"]
    assert obj(env, "Apple|1")["parentReceptacles"] == ["Fridge|1"]
    assert act(env, "Close(fridge)")[0]["last_action_success"]
    assert obj(env, "Apple|1")["temperature"] == "Cold"
    assert "Apple|1" in env.backend.cooled  # ALFRED's bookkeeping: a fridge closed on it


def test_a_dish_does_not_go_into_a_dish(alfred_env) -> None:
    env = alfred_env()
    act(env, "GotoLocation(diningtable)")
    act(env, "Pickup(mug)")
    act(env, "GotoLocation(countertop)")
    info, _, _ = act(env, "Put(bowl)")
    assert not info["last_action_success"] and "does not fit" in info["message"]
    assert act(env, "Put(countertop)")[0]["last_action_success"]


def test_hidden_objects_appear_when_their_receptacle_opens(alfred_env) -> None:
    env = alfred_env()
    info, obs, _ = act(env, "GotoLocation(cabinet)")
    assert "cellphone" not in obs["text"] and "cabinet 1 (closed)" in obs["text"]
    info, _, _ = act(env, "Pickup(cellphone)")
    assert not info["last_action_success"]
    act(env, "Open(cabinet 1)")
    info, obs, _ = act(env, "Pickup(cellphone)")
    assert info["last_action_success"], info["message"]


def test_slice_needs_a_knife_and_replaces_the_object_by_slices(alfred_env) -> None:
    env = alfred_env()
    act(env, "GotoLocation(countertop)")
    info, _, _ = act(env, "Slice(apple)")
    assert not info["last_action_success"] and "knife" in info["message"]
    act(env, "Pickup(knife)")
    info, obs, _ = act(env, "Slice(apple)")
    assert info["last_action_success"], info["message"]
    objs = env.backend.objects()
    assert "Apple|1" not in objs
    slices = [o for o in objs.values() if o["objectType"] == "AppleSliced"]
    assert len(slices) == 3 and all(s["parentReceptacles"] == ["CounterTop|1"] for s in slices)
    assert "apple slice 1" in obs["text"]
    info, _, _ = act(env, "Slice(bowl)")
    assert not info["last_action_success"] and "cannot be sliced" in info["message"]


def test_heat_runs_the_microwave_sequence(alfred_env) -> None:
    env = alfred_env()
    info, _, _ = act(env, "Heat(apple)")
    assert not info["last_action_success"] and "in hand" in info["message"]
    act(env, "GotoLocation(countertop)")
    act(env, "Pickup(apple)")
    info, _, _ = act(env, "Heat(apple)")
    assert not info["last_action_success"] and "no microwave in view" in info["message"]
    act(env, "GotoLocation(microwave)")
    info, _, _ = act(env, "Heat(knife)")
    assert not info["last_action_success"] and "you hold apple 1" in info["message"]
    calls_before = len(env.backend.controller.calls)
    info, _, _ = act(env, "Heat(apple 1)")
    assert info["last_action_success"], info["message"]
    seq = [c["action"] for c in env.backend.controller.calls[calls_before:]]
    assert seq == ["OpenObject", "PutObject", "CloseObject", "ToggleObjectOn", "ToggleObjectOff",
                   "OpenObject", "PickupObject", "CloseObject"]
    a = obj(env, "Apple|1")
    assert a["isCooked"] and a["temperature"] == "Hot" and env.backend.held() == "Apple|1"
    assert env.backend.heated == {"Apple|1"}
    m = obj(env, "Microwave|1")
    assert not m["isOpen"] and not m["isToggled"]


def test_microwave_turns_on_only_when_closed(alfred_env) -> None:
    env = alfred_env()
    act(env, "GotoLocation(microwave)")
    act(env, "Open(microwave)")
    info, _, _ = act(env, "ToggleOn(microwave)")
    assert not info["last_action_success"] and "close it" in info["message"]
    act(env, "Close(microwave)")
    assert act(env, "ToggleOn(microwave)")[0]["last_action_success"]
    info, _, _ = act(env, "ToggleOn(microwave)")
    assert "already on" in info["message"]
    assert act(env, "ToggleOff(microwave)")[0]["last_action_success"]
    info, _, _ = act(env, "ToggleOff(microwave)")
    assert not info["last_action_success"]


def test_clean_runs_the_sink_sequence_and_cool_the_fridge_sequence(alfred_env) -> None:
    env = alfred_env()
    act(env, "GotoLocation(diningtable)")
    act(env, "Pickup(mug)")
    assert obj(env, "Mug|1")["isDirty"]
    info, _, _ = act(env, "Clean(mug)")
    assert not info["last_action_success"] and "sinkbasin" in info["message"]
    act(env, "GotoLocation(sinkbasin)")
    info, _, _ = act(env, "Clean(mug)")
    assert info["last_action_success"], info["message"]
    assert not obj(env, "Mug|1")["isDirty"] and env.backend.cleaned == {"Mug|1"}
    assert not obj(env, "Faucet|1")["isToggled"] and env.backend.held() == "Mug|1"
    act(env, "GotoLocation(fridge)")
    assert act(env, "Cool(mug)")[0]["last_action_success"]
    assert obj(env, "Mug|1")["temperature"] == "Cold" and "Mug|1" in env.backend.cooled
    assert not obj(env, "Fridge|1")["isOpen"]


def test_lamp_toggles_and_names_resolve_loosely(alfred_env) -> None:
    env = alfred_env("look_at_obj_in_light", object_target="CellPhone", toggle_target="DeskLamp",
                     parent_target="")
    info, _, _ = act(env, 'GotoLocation("Desk Lamp 1")')
    assert info["last_action_success"], info["message"]
    assert act(env, "ToggleOn(desklamp)")[0]["last_action_success"]
    assert obj(env, "DeskLamp|1")["isToggled"]
    info, _, _ = act(env, "GotoLocation(teleporter)")
    assert not info["last_action_success"]
    assert "no known place or object called 'teleporter'" in info["message"]
    assert "countertop 1" in info["message"]


def test_ten_failed_actions_end_the_episode(alfred_env) -> None:
    env = alfred_env()
    for i in range(9):
        info, _, terminated = act(env, "Pickup(unicorn)")
        assert not terminated and info["failures"] == i + 1
    info, _, terminated = act(env, "Pickup(unicorn)")
    assert terminated and info["failures"] == 10 and not info["success"]


def test_malformed_actions_are_refused_by_the_space(alfred_env) -> None:
    env = alfred_env()
    with pytest.raises(ActionError):
        env.step({"action": "Pickup"})
    with pytest.raises(ActionError):
        env.step({"action": "Pickup", "object": ""})
    with pytest.raises(ActionError):
        env.step({"action": "Fly", "object": "apple"})
    info = env.step({"action": "Pickup", "object": "apple\u200b\n; DROP TABLE"})[4]
    assert not info["last_action_success"] and env.failures == 1


def test_random_samples_name_objects_the_agent_knows(alfred_env) -> None:
    env = alfred_env()
    space = env.action_space.with_screen(300, 300)
    space.seed(3)
    names = set(env._sample_names())
    for _ in range(30):
        a = space.sample()
        assert env.action_space.contains(a)
        arg = next(v for k, v in a.dump().items() if k != "action")
        assert arg in names
