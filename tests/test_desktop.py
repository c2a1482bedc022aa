"""The desktop env on a real X server (Xvfb) driving a real Tk application.

The agent plays actions with the replay policy; the tests read the application's own state
(its JSON file), not pixels. Every action of the desktop space has a test here, as do dry-run,
confirm, the deny list, the fail-safe and the coordinate mapping of scaled screenshots.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vagent import policies
from vagent.actions import ScreenMap
from vagent.agent import Agent, Trajectory
from vagent.envs.desktop import DesktopError, FailSafe
from apps.form_app import ITEMS, LAYOUT, ORIGIN, SCROLL_STEP, SIZE, centre, screen_point

NASTY = "a`~!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/ Z9 %s {0} \\n $HOME"
UNICODE = "Grüße, Zoë — 東京 ✓ αβγ 😀"


def run(env: Any, actions: list[dict[str, Any]], out: Path, **kw: Any) -> Trajectory:
    """The agent with the replay policy, then terminate (unless the list ends the run)."""
    if not actions or actions[-1]["action"] != "terminate":
        actions = [*actions, {"action": "terminate", "status": "success"}]
    policy = policies.make("replay", actions=actions)
    return Agent(policy, env, out=out, max_steps=len(actions) + 2, **kw).run("drive the form")


def click(name: str, **kw: Any) -> dict[str, Any]:
    x, y = centre(name)
    return {"action": "click", "x": x, "y": y, **kw}


def test_app_sits_where_the_tests_expect(form_app: Any) -> None:
    assert form_app.state()["geometry"] == [*ORIGIN, *SIZE]


def test_click_presses_the_button_at_the_exact_point(form_app: Any, desktop_env: Any,
                                                     tmp_path: Path) -> None:
    env = desktop_env()
    traj = run(env, [click("ok"), click("ok")], tmp_path)
    s = form_app.wait_for(lambda s: s["ok_clicks"] == 2)
    x, y = centre("ok")
    assert s["presses"][-1] == {"x": x, "y": y, "button": "left"}
    assert traj.steps[0].info["executed"] is True and traj.meta["result"]["reason"] == "terminated"


def test_click_selects_a_list_item(form_app: Any, desktop_env: Any, tmp_path: Path) -> None:
    x, y = screen_point("list", 60, 45)  # third row of the listbox
    run(desktop_env(), [{"action": "click", "x": x, "y": y}], tmp_path)
    s = form_app.wait_for(lambda s: s["selected"] is not None)
    assert s["selected"] == ITEMS[2]


def test_right_middle_double_and_triple_clicks(form_app: Any, desktop_env: Any,
                                               tmp_path: Path) -> None:
    env = desktop_env()
    # Each kind on its own, after a pause longer than Tk's multi-click time (0.5 s): presses
    # closer together would count as one double or triple click.
    for kw, want in (({"button": "right"}, ["right"]), ({"button": "middle"}, ["middle"]),
                     ({"clicks": 2}, ["left", "double"]),
                     ({"clicks": 3}, ["left", "double", "triple"])):
        before = len(form_app.state()["pad"])
        run(env, [{"action": "wait", "seconds": 0.6}, click("pad", **kw)],
            tmp_path / str(before))
        s = form_app.wait_for(lambda s, n=before + len(want): len(s["pad"]) >= n)
        assert s["pad"][before:] == want, kw


def test_move_puts_the_pointer_there(form_app: Any, desktop_env: Any, tmp_path: Path) -> None:
    x, y = screen_point("drag", 201, 77)
    run(desktop_env(), [{"action": "move", "x": x, "y": y}], tmp_path)
    s = form_app.wait_for(lambda s: s["pointer"] == [x, y])
    assert s["presses"] == []  # moving presses nothing


def test_drag_drops_the_token_on_the_target(form_app: Any, desktop_env: Any,
                                            tmp_path: Path) -> None:
    x1, y1 = screen_point("drag", 50, 50)  # the token's centre
    x2, y2 = screen_point("drag", 280, 180)  # the target's centre
    run(desktop_env(), [{"action": "drag", "x1": x1, "y1": y1, "x2": x2, "y2": y2}], tmp_path)
    s = form_app.wait_for(lambda s: s["dropped"])
    assert s["token"] == [280.0, 180.0] and s["drag_motions"] >= 2


def test_click_and_drag_without_a_start_act_where_the_pointer_is(form_app: Any, desktop_env: Any,
                                                                tmp_path: Path) -> None:
    """Qwen2.5-VL's computer_use: a click may leave out its point, and left_click_drag names
    only where it ends — both act at the pointer, which a mouse_move put there."""
    x, y = centre("ok")
    run(desktop_env(), [{"action": "move", "x": x, "y": y}, {"action": "click"}], tmp_path / "a")
    s = form_app.wait_for(lambda s: s["ok_clicks"] == 1)
    assert s["presses"][-1] == {"x": x, "y": y, "button": "left"}
    x1, y1 = screen_point("drag", 50, 50)
    x2, y2 = screen_point("drag", 280, 180)
    run(desktop_env(), [{"action": "move", "x": x1, "y": y1},
                        {"action": "drag", "x2": x2, "y2": y2}], tmp_path / "b")
    s = form_app.wait_for(lambda s: s["dropped"])
    assert s["token"] == [280.0, 180.0]


def test_scroll_follows_the_wheel_convention_both_axes(form_app: Any, desktop_env: Any,
                                                       tmp_path: Path) -> None:
    x, y = centre("area")
    steps = [{"action": "scroll", "direction": "down", "amount": 5, "x": x, "y": y},
             {"action": "scroll", "direction": "up", "amount": 2, "x": x, "y": y},
             {"action": "scroll", "direction": "right", "amount": 4, "x": x, "y": y},
             {"action": "scroll", "direction": "left", "amount": 1, "x": x, "y": y}]
    run(desktop_env(), steps, tmp_path)
    s = form_app.wait_for(lambda s: len(s["wheel"]) == 12)
    # down reveals what is below: the view's top moves down the canvas.
    assert s["area_y"] == 3 * SCROLL_STEP and s["area_x"] == 3 * SCROLL_STEP
    assert s["wheel"] == ["y+1"] * 5 + ["y-1"] * 2 + ["x+1"] * 4 + ["x-1"]


def test_scroll_without_amount_uses_the_default_and_scrolls_the_list(
        form_app: Any, desktop_env: Any, tmp_path: Path) -> None:
    x, y = centre("list")
    env = desktop_env(scroll_amount=2)
    run(env, [{"action": "move", "x": x, "y": y}, {"action": "scroll", "direction": "down"}],
        tmp_path)
    s = form_app.wait_for(lambda s: s["list_top"] > 0)
    assert s["list_top"] == 10  # Tk scrolls a listbox five rows per wheel click


def test_type_nasty_ascii_by_keys_and_submit(form_app: Any, desktop_env: Any,
                                             tmp_path: Path) -> None:
    env = desktop_env()
    traj = run(env, [click("entry"), {"action": "type", "text": NASTY, "submit": True}],
               tmp_path)
    s = form_app.wait_for(lambda s: s["submitted"] is not None)
    assert s["submitted"] == NASTY and s["entry"] == NASTY
    assert env.log[1]["typed_by"] == "keys"
    assert traj.steps[1].action == {"action": "type", "text": NASTY, "submit": True}


def test_type_tabs_and_newlines_into_a_text_box(form_app: Any, desktop_env: Any,
                                                tmp_path: Path) -> None:
    text = "first line\n\tindented\n  two spaces"
    run(desktop_env(), [click("notes"), {"action": "type", "text": text}], tmp_path)
    s = form_app.wait_for(lambda s: s["notes"] == text)
    assert s["focus"].endswith("text")


@pytest.mark.needs("xclip")
def test_type_unicode_through_the_clipboard(form_app: Any, desktop_env: Any,
                                            tmp_path: Path) -> None:
    env = desktop_env()
    run(env, [click("entry"), {"action": "type", "text": UNICODE, "submit": True}], tmp_path)
    s = form_app.wait_for(lambda s: s["submitted"] is not None)
    assert s["submitted"] == UNICODE
    assert env.log[1]["typed_by"] == "clipboard"


def test_unicode_without_a_clipboard_tool_is_a_clear_error(
        form_app: Any, desktop_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = desktop_env()
    env.step(click("entry"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no xclip, xsel, ... on this PATH
    with pytest.raises(DesktopError, match="clipboard tool.*xclip"):
        env.step({"action": "type", "text": "café"})
    monkeypatch.undo()
    env.step({"action": "type", "text": "ok", "submit": True})
    assert form_app.wait_for(lambda s: s["submitted"] is not None)["submitted"] == "ok"


def test_keys_and_chords_with_every_spelling(form_app: Any, desktop_env: Any,
                                             tmp_path: Path) -> None:
    env = desktop_env()
    steps = [click("entry"), {"action": "type", "text": "to be cleared"},
             {"action": "key", "keys": ["Control", "u"]},  # the app's clear chord
             {"action": "type", "text": "kept"},
             {"action": "key", "keys": ["return"]},
             {"action": "key", "keys": ["control", "shift", "k"]},
             {"action": "key", "keys": ["ctrl+alt+t"]},
             {"action": "key", "keys": ["cmd", "a"]},
             {"action": "key", "keys": ["option", "F5"]},
             {"action": "key", "keys": ["Escape"]},
             {"action": "key", "keys": ["esc"]},
             {"action": "key", "keys": ["PgDn"]}]
    run(env, steps, tmp_path)
    s = form_app.wait_for(lambda s: "Next" in s["keys"])
    assert s["submitted"] == "kept" and s["cleared"] == 1
    keys = s["keys"]
    for want in ("ctrl+shift+K", "ctrl+alt+t", "super+a", "alt+F5", "Next", "Return"):
        assert want in keys, (want, keys)
    assert s["escapes"] == 2
    # A name no keyboard has is refused with a hint, and the run goes on.
    _, _, _, _, info = env.step({"action": "key", "keys": ["ctrl", "hyperdrive"]})
    assert "unknown key 'hyperdrive'" in info["error"] and not info["executed"]


def test_wait_and_terminate_leave_the_app_alone(form_app: Any, desktop_env: Any,
                                                tmp_path: Path) -> None:
    env = desktop_env()
    before = form_app.barrier()
    traj = run(env, [{"action": "wait", "seconds": 0.2},
                     {"action": "terminate", "status": "failure", "answer": "no"}], tmp_path)
    after = form_app.barrier()
    assert traj.meta["result"]["reason"] == "terminated" and len(traj.steps) == 2
    # the wait ran (how long it took is a speed figure, not a test)
    assert traj.steps[0].info["status"] == "waited 0.2 s" and traj.steps[0].error is None
    for key in ("presses", "keys", "entry", "ok_clicks", "wheel"):
        assert after[key] == before[key]


def test_dry_run_records_and_does_nothing(form_app: Any, desktop_env: Any,
                                          tmp_path: Path) -> None:
    env = desktop_env(dry_run=True)
    x, y = centre("area")
    steps = [click("ok"), click("entry"), {"action": "type", "text": "nope", "submit": True},
             {"action": "key", "keys": ["ctrl", "u"]}, {"action": "move", "x": 5, "y": 5},
             {"action": "scroll", "direction": "down", "x": x, "y": y},
             {"action": "drag", "x1": 70, "y1": 290, "x2": 300, "y2": 420}]
    traj = run(env, steps, tmp_path)
    s = form_app.barrier()
    assert (s["ok_clicks"], s["entry"], s["submitted"], s["wheel"], s["presses"],
            s["cleared"], s["dropped"]) == (0, "", None, [], [], 0, False)
    assert [e["outcome"] for e in env.log] == ["dry_run"] * 7 + ["terminated"]
    assert env.log[0]["logical"] == list(centre("ok"))
    assert all(step.info.get("dry_run") for step in traj.steps[:7])
    assert "DRY RUN" in traj.steps[1].observation_text


def test_confirm_asks_before_each_action(form_app: Any, desktop_env: Any,
                                         tmp_path: Path) -> None:
    answers, prompts = io.StringIO("y\nn\ny\nq\n"), io.StringIO()
    env = desktop_env(confirm=True, confirm_input=answers, confirm_output=prompts)
    traj = run(env, [click("ok"), click("ok"), click("ok"), click("ok"), click("ok")], tmp_path)
    s = form_app.wait_for(lambda s: s["ok_clicks"] == 2)
    assert form_app.barrier()["ok_clicks"] == 2  # yes, no, yes, then quit: two clicks
    assert [e["outcome"] for e in env.log] == ["executed", "declined", "executed", "stopped"]
    assert traj.meta["result"]["reason"] == "truncated" and len(traj.steps) == 4
    x, y = centre("ok")
    assert prompts.getvalue().count(f"left click at ({x}, {y}) — do it?") == 4
    assert s["presses"][-1]["x"] == x


def test_deny_list_refuses_chords_and_is_editable(form_app: Any, desktop_env: Any,
                                                  tmp_path: Path) -> None:
    env = desktop_env(deny="default,ctrl+u")
    traj = run(env, [click("entry"), {"action": "type", "text": "stays"},
                     {"action": "key", "keys": ["Control", "U"]},
                     {"action": "key", "keys": ["ctrl", "alt", "Del"]},
                     {"action": "key", "keys": ["win", "l"]}], tmp_path)
    s = form_app.barrier()
    assert s["entry"] == "stays" and s["cleared"] == 0
    assert [step.info.get("denied") for step in traj.steps[2:5]] == [
        "ctrl+u", "ctrl+alt+delete", "super+l"]
    assert not [k for k in s["keys"] if k.startswith(("ctrl+", "super+"))]
    # Without that entry the same chord goes through.
    run(desktop_env(deny=""), [click("entry"), {"action": "key", "keys": ["ctrl", "u"]}],
        tmp_path / "allowed")
    assert form_app.wait_for(lambda s: s["cleared"] == 1)["entry"] == ""


def test_nothing_is_done_outside_the_screen(form_app: Any, desktop_env: Any,
                                            tmp_path: Path) -> None:
    env = desktop_env()
    for bad in ({"action": "click", "x": 1280, "y": 10}, {"action": "move", "x": -1, "y": 10},
                {"action": "drag", "x1": 60, "y1": 290, "x2": 60, "y2": 800},
                {"action": "scroll", "direction": "down", "x": 10, "y": 800}):
        obs, _, _, _, info = env.step(bad)
        assert "outside the screen 1280x800" in info["error"] and not info["executed"]
        assert "refused" in obs["text"]
    assert [e["outcome"] for e in env.log] == ["refused"] * 4
    s = form_app.barrier()
    assert s["presses"] == [] and s["wheel"] == [] and not s["dropped"]
    with pytest.raises(DesktopError, match="not inside the screen"):
        desktop_env(region="1000,600,400,300")
    with pytest.raises(DesktopError, match="no monitor 5"):
        desktop_env(monitor=5)
    # Through the agent a model's far-off point is clamped onto the screen, and flagged.
    traj = run(env, [{"action": "move", "x": 5000, "y": 400}], tmp_path)
    assert traj.steps[0].clamped and traj.steps[0].action["x"] == 1279


@pytest.mark.needs("xdotool")
def test_failsafe_stops_the_run_and_is_not_tripped_by_the_agent(
        form_app: Any, desktop_env: Any, xserver: Any, tmp_path: Path) -> None:
    env = desktop_env()
    env.step({"action": "click", "x": 0, "y": 0})  # the agent's own corner click...
    assert env.log[0]["logical"] == [1, 1]  # ...lands one pixel in,
    env.step({"action": "move", "x": 1279, "y": 799})
    assert env.log[1]["logical"] == [1278, 798]
    subprocess.run(["xdotool", "mousemove", "0", "0"], env=form_app.env, check=True)
    with pytest.raises(FailSafe, match="fail-safe"):  # ...but a user's flick into one stops it
        env.step(click("ok"))
    off = desktop_env(failsafe=False)
    off.step(click("ok"))
    assert form_app.wait_for(lambda s: s["ok_clicks"] == 1)


@pytest.mark.parametrize("resize", [(1040, 800), (260, 200)], ids=["hidpi-2x", "half"])
def test_scaled_region_maps_points_exactly(form_app: Any, desktop_env: Any, tmp_path: Path,
                                           resize: tuple[int, int]) -> None:
    """A region of the screen, seen at 2× (as on a HiDPI screen) or at half size: the agent's
    points are screenshot pixels and land where the screenshot shows them."""
    region = (ORIGIN[0], ORIGIN[1], 520, 400)  # the top-left part of the app
    env = desktop_env(region=",".join(map(str, region)), resize=f"{resize[0]}x{resize[1]}")
    obs, _ = env.reset()
    assert obs["screenshot"].shape == (resize[1], resize[0], 3)
    assert env.screen_size == resize and env.action_space.screen == resize
    m = ScreenMap(image=resize, area=region)
    ok = m.to_image(*centre("ok"))
    entry = m.to_image(*centre("entry"))
    run(env, [{"action": "click", "x": ok[0], "y": ok[1]},
              {"action": "click", "x": entry[0], "y": entry[1]},
              {"action": "type", "text": "scaled"}], tmp_path)
    s = form_app.wait_for(lambda s: s["ok_clicks"] == 1 and s["entry"] == "scaled")
    assert [s["presses"][0]["x"], s["presses"][0]["y"]] == list(m.to_logical(*ok))
    # The logical point is within one screenshot pixel's footprint of the button's centre.
    scale = region[2] / resize[0]
    assert abs(s["presses"][0]["x"] - centre("ok")[0]) <= max(1, scale)


def test_region_screenshot_is_that_part_of_the_screen(form_app: Any, desktop_env: Any) -> None:
    full = desktop_env().reset()[0]["screenshot"]
    x, y, w, h = LAYOUT["drag"]
    left, top = ORIGIN[0] + x, ORIGIN[1] + y
    part = desktop_env(region=f"{left},{top},{w},{h}").reset()[0]["screenshot"]
    assert part.shape == (h, w, 3)
    assert np.array_equal(part, full[top:top + h, left:left + w])
    # The token is drawn blue (#36c) at its place on the drag canvas.
    assert tuple(part[50, 50]) == (0x33, 0x66, 0xCC)


def test_env_started_xvfb_is_separate_and_stopped(xserver: Any) -> None:
    """An env with xvfb= gets its own server (pyautogui is rebound to it) and stops it."""
    import os

    from vagent import envs

    env = envs.make("desktop", xvfb="640x480", settle=0)
    try:
        assert env.display != xserver.display and env.screen_size == (640, 480)
        env.step({"action": "move", "x": 100, "y": 120})
        assert env.driver.position() == (100, 120) and env.driver.size() == (640, 480)
        proc = env._xvfb._proc
    finally:
        env.close()
    assert proc.poll() is not None  # the server is gone
    assert os.environ["DISPLAY"] == xserver.display  # and the caller's display is back
