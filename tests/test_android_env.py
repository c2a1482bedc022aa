"""AndroidEnv driving the simulated phone over TCP with adb-shell: every task solved by its
oracle, every action checked against the simulator's command log and state, and the failures a
user meets (no device, a device that drops, an off-screen point, a missing keyboard IME)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vagent import envs
from vagent import policies
from vagent.actions import (Button, Click, Key, LongPress, OpenApp, Scroll, Swipe, Terminate, Type,
                     Wait)
from vagent.actions.errors import ActionError, VagentError
from vagent.agent import Agent, Trajectory
from vagent.envs.android import tasks as T
from vagent.envs.android.adb import AdbError
from vagent.envs.android.text import KeyboardMissing


def _solve(env, task: str, seed: int | None, max_steps: int = 25) -> tuple[bool, list]:
    obs, info = env.reset(seed=seed, options={"task": task})
    assert info["task_known"], task
    actions = []
    for _ in range(max_steps):
        act = env.oracle_action()
        actions.append(act.dump())
        obs, reward, terminated, truncated, info = env.step(act)
        if terminated:
            return bool(info["success"]) and reward == 1.0, actions
    return False, actions


def test_every_task_solved_by_its_oracle_over_tcp(android_env, sim_phone) -> None:
    assert android_env.simulated and android_env.screen_size == (1080, 2400)
    assert len(T.TASKS) >= 10 and "find restaurants in San Diego" in T.TASKS
    for i, task in enumerate(T.TASKS):
        for seed in (None, 1000 + i):
            ok, actions = _solve(android_env, task, seed)
            assert ok, (task, seed, actions)
            assert android_env.task.check(sim_phone.state())  # the state file agrees
    # the oracle's actions really went over the wire
    argvs = [r["argv"][:2] for r in sim_phone.records()]
    assert ["input", "tap"] in argvs and ["input", "text"] in argvs
    assert ["screencap", "-p"] in argvs and ["vagent-sim", "reset"] in argvs


def test_success_is_checked_not_claimed(android_env) -> None:
    android_env.reset(options={"task": "find restaurants in San Diego"})
    obs, reward, terminated, _, info = android_env.step(Terminate(status="success"))
    assert terminated and info["success"] is False and reward == 0.0


def test_observation_is_the_screen(android_env) -> None:
    obs, _ = android_env.reset(options={"task": "go to the home screen"})
    shot = obs["screenshot"]
    assert shot.shape == (2400, 1080, 3) and shot.dtype == np.uint8
    assert obs["text"] == "foreground app: com.google.android.gm"  # starts in an email
    android_env.reset(options={"task": "no such task"})
    assert android_env._last_obs["text"] == "foreground app: com.google.android.gm"
    raw = android_env._grab("raw")
    assert np.array_equal(raw, shot)  # PNG and raw screencap show the same pixels
    assert android_env._fastest_screencap() in ("png", "raw")


def _last(sim_phone, n: int = 1) -> list[list[str]]:
    return [r["argv"] for r in sim_phone.records() if r["argv"][:1] != ["screencap"]
            and r["argv"][:1] != ["vagent-sim"]][-n:]


def test_every_action_type_reaches_the_device(android_env, sim_phone) -> None:
    env = android_env
    env.reset(options={"task": "go to the home screen"})  # starts in an email
    env.step(Button(name="home"))
    assert _last(sim_phone) == [["input", "keyevent", "3"]]
    assert sim_phone.state()["screen"] == "home"

    chrome = env.sim_state()["home_apps"].index("Chrome")
    x, y = 40 + (chrome % 4) * 250 + 125, 420 + (chrome // 4) * 300 + 140
    env.step(Click(x=x, y=y))
    assert _last(sim_phone) == [["input", "tap", str(x), str(y)]]
    assert sim_phone.state()["app"] == "com.android.chrome"

    env.step(Click(x=540, y=170, clicks=2))
    assert _last(sim_phone, 2) == [["input", "tap", "540", "170"]] * 2
    assert sim_phone.state()["focus"] == "chrome.url"

    env.step(Type(text="restaurants in San Diego", submit=True))
    assert _last(sim_phone, 2) == [["input", "text", "restaurants%sin%sSan%sDiego"],
                                   ["input", "keyevent", "66"]]
    state = sim_phone.state()
    assert state["typed"][-1] == "restaurants in San Diego"
    assert state["screen"] == "chrome.results"

    env.step(Scroll(direction="down"))
    (argv,) = _last(sim_phone)
    assert argv[:2] == ["input", "swipe"] and int(argv[3]) > int(argv[5])  # the finger moves up
    assert sim_phone.state()["scroll"] > 0
    env.step(Scroll(direction="up", amount=8))
    (argv,) = _last(sim_phone)
    assert int(argv[3]) < int(argv[5]) and sim_phone.state()["scroll"] == 0

    env.step(Swipe(x1=500, y1=1500, x2=500, y2=900, duration_ms=200))
    assert _last(sim_phone) == [["input", "swipe", "500", "1500", "500", "900", "200"]]
    assert sim_phone.state()["events"][-1] == "swipe 500 1500 500 900 200"

    env.step(LongPress(x=300, y=700, duration_ms=1200))
    assert _last(sim_phone) == [["input", "swipe", "300", "700", "300", "700", "1200"]]
    assert sim_phone.state()["events"][-1].startswith("long_press 300 700")

    env.step(Click(x=540, y=170))
    env.step(Key(keys=["backspace"]))
    assert _last(sim_phone) == [["input", "keyevent", "67"]]
    assert sim_phone.state()["fields"]["chrome.url"] == "restaurants in San Dieg"
    _, _, _, _, info = env.step(Key(keys=["ctrl", "a"]))
    assert "in sequence" in info["note"]

    env.step(Button(name="back"))  # closes the keyboard first, as on Android
    assert sim_phone.state()["focus"] is None
    env.step(Button(name="enter"))
    assert _last(sim_phone) == [["input", "keyevent", "66"]]
    env.step(Button(name="menu"))
    assert _last(sim_phone) == [["input", "keyevent", "82"]]
    assert sim_phone.state()["toast"] == "Menu"
    env.step(Button(name="app_switch"))
    assert _last(sim_phone) == [["input", "keyevent", "187"]]
    assert sim_phone.state()["screen"] == "recents"

    env.step(OpenApp(name="Maps"))
    assert _last(sim_phone) == [["monkey", "-p", "com.google.android.apps.maps", "-c",
                                 "android.intent.category.LAUNCHER", "1"]]
    assert sim_phone.state()["app"] == "com.google.android.apps.maps"
    env.step(OpenApp(name="com.android.settings"))
    assert sim_phone.state()["app"] == "com.android.settings"
    with pytest.raises(ActionError, match="no app called 'Nope'"):
        env.step(OpenApp(name="Nope"))

    before = len(sim_phone.records())
    env.step(Wait(seconds=0.01))
    assert [r["argv"][0] for r in sim_phone.records()[before:]] in (
        ["screencap", "vagent-sim"], ["screencap"])
    _, _, terminated, _, info = env.step(Terminate(status="failure"))
    assert terminated and info["success"] is False


def test_off_screen_point_is_refused(android_env, sim_phone) -> None:
    android_env.reset(options={"task": "go home"})
    n = len(sim_phone.records())
    with pytest.raises(ActionError, match="off the 1080x2400 screen"):
        android_env.step(Click(x=1080, y=5))
    with pytest.raises(ActionError, match="off the"):
        android_env.step(Swipe(x1=5, y1=5, x2=5, y2=-1))
    assert not any(r["argv"][:1] == ["input"] for r in sim_phone.records()[n:])


def test_non_ascii_goes_through_adb_keyboard_or_names_it(android_env, sim_phone) -> None:
    env = android_env
    env.reset(options={"task": "go home"})
    env.type_text("café ☕ 東京")
    assert "".join(sim_phone.state()["typed"]) == "café ☕ 東京"
    argvs = [r["argv"] for r in sim_phone.records()]
    assert ["ime", "set", "com.android.adbkeyboard/.AdbIME"] in argvs
    assert any(a[:4] == ["am", "broadcast", "-a", "ADB_INPUT_B64"] for a in argvs)

    state = env.sim_state()
    state.update(adb_keyboard=False, typed=[])
    env.device.shell("vagent-sim reset " + T.encode_state(state))
    env._ime_ready = False
    with pytest.raises(KeyboardMissing, match=r"ADB Keyboard IME \(com\.android\.adbkeyboard"):
        env.step(Type(text="naïve"))
    env.type_text("plain ascii still works")
    assert sim_phone.state()["typed"] == ["plain ascii still works"]


def test_no_device_is_a_clear_error(android_home) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(AdbError, match=rf"no device at 127\.0\.0\.1:{port} — start an emulator"):
        envs.make("android", serial=f"127.0.0.1:{port}")


def test_bad_options_are_clear(sim_phone) -> None:
    with pytest.raises(VagentError, match="screencap must be"):
        envs.make("android", serial=sim_phone.serial, screencap="jpeg")
    with pytest.raises(VagentError, match="settle must be a number"):
        envs.make("android", serial=sim_phone.serial, settle="soon")
    with pytest.raises(VagentError, match="unknown option"):
        envs.make("android", serial=sim_phone.serial, colour="red")


def test_dropped_connection_is_reconnected_once(android_env, sim_phone) -> None:
    env = android_env
    env.reset(options={"task": "open the Clock app"})
    env.step(env.oracle_action())
    sim_phone.server.drop_connections()  # a cable pulled; the device is still there
    ok = False
    for _ in range(10):
        _, _, terminated, _, info = env.step(env.oracle_action())
        if terminated:
            ok = info["success"]
            break
    assert ok


def test_device_lost_mid_episode_keeps_the_trajectory(sim_phone, tmp_path: Path) -> None:
    env = envs.make("android", serial=sim_phone.serial, settle="0", screencap="png")

    class StopAfterTwo:
        name = "oracle-then-unplug"

        def __init__(self) -> None:
            self.inner = policies.make("oracle")
            self.n = 0

        def reset(self, task: str) -> None:
            pass

        def act(self, context):  # noqa: ANN001
            self.n += 1
            if self.n == 3:
                sim_phone.server.stop()  # the device goes away for good
            return self.inner.act(context)

        def describe(self) -> dict:
            return {"name": self.name}

        def close(self) -> None:
            pass

    with pytest.raises(AdbError, match="lost the device at 127.0.0.1"):
        Agent(StopAfterTwo(), env, out=tmp_path / "run", max_steps=10).run(
            "find restaurants in San Diego")
    env.close()
    traj = Trajectory.load(tmp_path / "run")
    # the canonical start is Alice's email: the oracle's first move opens Chrome
    assert len(traj.steps) == 2 and traj.steps[0].action == {"action": "open_app", "name": "Chrome"}
    assert traj.meta["result"]["steps"] == 2
    assert (tmp_path / "run" / "step_001.png").exists()


def test_cli_run_find_restaurants(tmp_path: Path, vagent_cmd, subprocess_env,
                                  android_home) -> None:
    env = {**subprocess_env, "HOME": str(android_home),
           "XDG_CONFIG_HOME": str(android_home / ".config")}
    out = tmp_path / "run"
    proc = subprocess.run(vagent_cmd + ["run", "find restaurants in San Diego", "--env",
                                        "android-sim", "--policy", "oracle", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "success after" in proc.stdout
    traj = Trajectory.load(out)
    assert traj.success and traj.steps[-1].action == {"action": "terminate", "status": "success"}
    typed = [s.action for s in traj.steps if s.action["action"] == "type"]
    assert typed == [{"action": "type", "text": "restaurants in San Diego", "submit": True}]
    assert not (android_home / ".config" / "vagent" / "adbkey").exists()  # no auth, no key


def test_cli_no_device_exits_1(vagent_cmd, subprocess_env, android_home) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**subprocess_env, "HOME": str(android_home)}
    proc = subprocess.run(vagent_cmd + ["run", "go home", "--env", "android", "--serial",
                                        f"127.0.0.1:{port}"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(f"vagent: no device at 127.0.0.1:{port}")
    assert "Traceback" not in proc.stderr


def test_in_process_state_is_what_the_wire_says() -> None:
    """``android-sim`` reads its phone's state in process; it must be what ``vagent-sim
    state`` prints over ADB, before and after the phone changes."""
    import json

    env = envs.make("android-sim")
    try:
        _, info = env.reset(seed=3, options={"task": "Turn on airplane mode"})
        assert info["task_known"]
        for _ in range(2):
            wire = json.loads(env.device.shell("vagent-sim state"))
            assert env.sim_state() == wire
            env.step(env.oracle_action())
        assert env.sim_state() == json.loads(env.device.shell("vagent-sim state"))
        assert env.sim_state() != wire  # the steps changed the state: the test compared something
    finally:
        env.close()


def test_the_numpy_data_check_is_adb_shells_sum() -> None:
    """``adb._fast_data_check`` hands adb-shell numpy's byte sum: the same number as its own
    for any bytes it may receive (bytearrays, empty, sums past 32 bits)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from adb_shell.adb_message import checksum as adb_shells
    from vagent.envs.android.sim.protocol import checksum

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=2000))
    def same(data: bytes) -> None:
        assert checksum(data) == adb_shells(data) == checksum(bytearray(data))

    same()
    past_32_bits = b"\xff" * (17 << 20)  # 17 MiB of 255: the sum wraps past 2**32
    assert checksum(past_32_bits) == adb_shells(past_32_bits) == (255 * (17 << 20)) % 2**32


def test_a_packet_whose_data_check_is_wrong_is_still_refused(android_env, monkeypatch) -> None:
    """With numpy's sum in its place, adb-shell still refuses a packet whose data check is
    wrong: the simulated phone lies about the sums it sends (and only those)."""
    import struct

    from adb_shell import adb_device
    from adb_shell.exceptions import InvalidChecksumError

    from vagent.envs.android.sim import protocol

    android_env.device.shell("echo connected")
    assert adb_device.checksum is protocol.checksum  # connecting handed it over
    honest = protocol.Message.pack

    def lying(self) -> bytes:  # noqa: ANN001
        packed = honest(self)
        if not self.data:
            return packed
        check = (struct.unpack_from("<I", packed, 16)[0] + 1) & 0xFFFFFFFF
        return packed[:16] + struct.pack("<I", check) + packed[20:]

    monkeypatch.setattr(protocol.Message, "pack", lying)
    with pytest.raises(InvalidChecksumError):
        android_env.device._dev.exec_out("screencap -p")
