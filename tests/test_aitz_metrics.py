"""AITZ: action conversion, the AITW matching rule and the CoAT evaluator, edge by edge; the
loader on good and broken folders."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest

from vagent.actions import Button, Click, Key, LongPress, OpenApp, Scroll, Swipe, Terminate, Type
from vagent.benchmarks.aitz import loader
from vagent.benchmarks.aitz.actions import (
    Code, Gesture, finger_direction, gesture_of, ground_truth_action, ground_truth_gesture,
)
from vagent.benchmarks.aitz.metrics_aitw import aitw_match, enlarge, main_axis
from vagent.benchmarks.aitz.metrics_coat import (
    click_match, episode_metrics, exact_match, indel_ratio, text_match, type_match,
)

W, H = 1000, 2000  # a screen where normalized and pixel values are easy to read
NONE = (-1.0, -1.0)


def tap(y: float, x: float) -> Gesture:
    return ground_truth_gesture(Code.DUAL_POINT, "", (y, x), (y, x), W, H)


def swipe(touch: tuple[float, float], lift: tuple[float, float]) -> Gesture:
    return ground_truth_gesture(Code.DUAL_POINT, "", touch, lift, W, H)


def code(c: int, text: str = "") -> Gesture:
    return ground_truth_gesture(c, text, NONE, NONE, W, H)


# -- conversion: AITZ's finger direction vs the project's wheel direction ------------------------
def test_aitz_scroll_up_is_a_finger_moving_up_and_a_project_scroll_down():
    g = swipe((0.8, 0.5), (0.2, 0.5))  # the finger moves up the screen
    assert g.kind == "scroll" and g.direction == "up"
    action = ground_truth_action(g, W, H)
    assert isinstance(action, Scroll) and action.direction == "down"
    assert (action.x, action.y) == (500, 1600)  # where the finger touched, in pixels
    # and back: a project scroll down is a finger moving up, in AITZ's words "scroll up"
    assert gesture_of(Scroll(direction="down"), W, H).direction == "up"
    for finger, wheel in [("up", "down"), ("down", "up"), ("left", "right"), ("right", "left")]:
        assert gesture_of(Scroll(direction=wheel), W, H).direction == finger


def test_swipe_naming_uses_aitz_vertical_rule():
    assert finger_direction((0.45, 0.0), (0.0, 0.5)) == "up"  # |dy| = 0.9 |dx|: vertical
    assert finger_direction((0.44, 0.0), (0.0, 0.5)) == "right"
    assert finger_direction((0.5, 0.5), (0.5, 0.3)) == "left"
    assert finger_direction((0.2, 0.5), (0.9, 0.5)) == "down"


def test_tap_or_swipe_at_0_04():
    assert swipe((0.0, 0.5), (0.04, 0.5)).kind == "click"  # exactly 0.04: a tap
    assert swipe((0.0, 0.5), (0.0401, 0.5)).kind == "scroll"


def test_ground_truth_actions_in_pixels_of_the_screenshot():
    assert ground_truth_action(tap(0.25, 0.5), 270, 600).dump() == Click(x=135, y=150).dump()
    assert ground_truth_action(code(3, "héllo"), W, H) == Type(text="héllo")
    assert ground_truth_action(code(5), W, H) == Button(name="back")
    assert ground_truth_action(code(6), W, H) == Button(name="home")
    assert ground_truth_action(code(7), W, H) == Button(name="enter")
    assert ground_truth_action(code(10), W, H) == Terminate(status="success")
    assert ground_truth_action(code(11), W, H) == Terminate(status="failure")
    with pytest.raises(Exception, match="unknown AITZ action type 2"):
        code(2)


def test_project_actions_as_gestures():
    assert gesture_of(LongPress(x=10, y=20), W, H).kind == "click"
    assert gesture_of(Swipe(x1=500, y1=1000, x2=500, y2=1050), W, H).kind == "click"  # 0.025
    assert gesture_of(Swipe(x1=500, y1=1000, x2=500, y2=400), W, H).direction == "up"
    assert gesture_of(Key(keys=["Enter"]), W, H).button == "enter"
    assert gesture_of(Key(keys=["ctrl", "c"]), W, H).kind == "other"
    assert gesture_of(OpenApp(name="Clock"), W, H).code == -1
    assert gesture_of({"action": "button", "name": "menu"}, W, H).kind == "press"


# -- AITW ------------------------------------------------------------------------------------------
def test_aitw_tap_distance_exactly_0_14_matches():
    gt = tap(0.0, 0.5)
    assert aitw_match(gesture_of(Click(x=500, y=280), W, H), gt, [])  # 280/2000 = 0.14
    assert not aitw_match(gesture_of(Click(x=500, y=281), W, H), gt, [])  # 0.1405
    assert aitw_match(gesture_of(Click(x=640, y=0), W, H), gt, [])  # 0.14 along x


def test_aitw_enlarged_box_edges_are_inclusive():
    box = (0.4, 0.4, 0.1, 0.1)  # top, left, height, width → enlarged 0.33..0.57
    top, left, bottom, right = enlarge(box)
    assert (top, left) == pytest.approx((0.33, 0.33)) and bottom == pytest.approx(0.57)
    gt = tap(0.45, 0.45)
    inside_edge = Gesture(kind="click", code=4, touch=(bottom, 0.45), lift=(bottom, 0.45))
    assert aitw_match(inside_edge, gt, [box])  # 0.12 away but also on the edge: in
    far = tap(bottom, left)  # corner of the enlarged box, 0.17 from the gt point
    assert aitw_match(far, gt, [box])
    assert not aitw_match(tap(bottom + 1e-9, left), gt, [box])  # just past it, and > 0.14
    assert not aitw_match(far, gt, [])  # without the box: distance only


def test_aitw_enlarged_box_is_clipped_at_the_screen_border():
    # A box touching the top: the enlargement above the screen is cut off, the box does not
    # slide down (the released code's top-clip keeps the full height: bottom would be 0.24).
    box = (0.02, 0.0, 0.1, 0.2)
    top, left, bottom, right = enlarge(box)
    assert (top, left, bottom, right) == pytest.approx((0.0, 0.0, 0.19, 0.34))
    gt = tap(0.0, 0.0)
    assert aitw_match(tap(bottom, right), gt, [box])
    assert not aitw_match(tap(bottom + 1e-9, right), gt, [box])
    assert not aitw_match(tap(0.2, right), gt, [box])  # inside the released code's box
    # right and bottom edges stop at 1
    corner = (0.95, 0.9, 0.05, 0.1)
    assert enlarge(corner)[2:] == (1.0, 1.0)
    assert aitw_match(tap(1.0, 1.0), tap(0.96, 0.5), [corner]) is False  # 0.5 apart, not both in
    assert aitw_match(tap(1.0, 1.0), tap(0.96, 0.91), [corner])


def test_aitw_taps_in_different_boxes_do_not_match():
    boxes = [(0.1, 0.1, 0.05, 0.1), (0.1, 0.5, 0.05, 0.1)]
    assert not aitw_match(tap(0.12, 0.15), tap(0.12, 0.55), boxes)


def test_aitw_swipe_axis_rule_and_ties():
    gt_up = swipe((0.8, 0.5), (0.2, 0.5))
    gt_right = swipe((0.5, 0.1), (0.5, 0.9))
    # |dy| == |dx| exactly (0.5 - 0.3 and 0.7 - 0.5 differ as floats): argmax picks y, vertical
    tie = swipe((0.5, 0.5), (0.25, 0.75))
    assert main_axis(tie.touch, tie.lift) == 0
    assert aitw_match(tie, gt_up, []) and not aitw_match(tie, gt_right, [])
    down = swipe((0.2, 0.5), (0.8, 0.5))
    assert aitw_match(down, gt_up, [])  # the original ignores direction
    assert not aitw_match(down, gt_up, [], compare_direction=True)
    assert aitw_match(gesture_of(Scroll(direction="down"), W, H), gt_up, [], True)
    assert not aitw_match(gesture_of(Scroll(direction="up"), W, H), gt_up, [], True)


def test_aitw_tap_and_swipe_never_match():
    assert not aitw_match(tap(0.5, 0.5), swipe((0.5, 0.5), (0.9, 0.5)), [(0, 0, 1, 1)])


def test_aitw_non_dual_point_types_compare_codes_only():
    assert aitw_match(gesture_of(Type(text="anything"), W, H), code(3, "else"), [])
    for c, button in [(5, "back"), (6, "home"), (7, "enter")]:
        for other in ("back", "home", "enter"):
            got = aitw_match(gesture_of(Button(name=other), W, H), code(c), [])
            assert got == (other == button)
    assert aitw_match(gesture_of(Terminate(status="success"), W, H), code(10), [])
    assert not aitw_match(gesture_of(Terminate(status="failure"), W, H), code(10), [])
    assert not aitw_match(gesture_of(OpenApp(name="x"), W, H), tap(0.5, 0.5), [])
    assert not aitw_match(gesture_of(Button(name="home"), W, H), tap(0.5, 0.5), [])


# -- CoAT ------------------------------------------------------------------------------------------
BOXES = [(100.0, 100.0, 200.0, 150.0)]  # x1, y1, x2, y2; enlarged 1.2×: 90..210, 95..155


def test_coat_click_in_the_enlarged_box_of_the_ground_truth_point():
    gt = (150, 125)
    assert click_match((90, 95), gt, BOXES)  # the enlarged box's corner: edges inclusive
    assert click_match((210, 155), gt, BOXES)
    assert not click_match((89.9, 125), gt, BOXES)
    assert not click_match((150, 155.1), gt, BOXES)


def test_coat_click_outside_every_box_needs_the_exact_point():
    gt = (500, 900)
    assert click_match((500, 900), gt, BOXES)
    assert not click_match((501, 900), gt, BOXES)


def test_coat_click_uses_the_real_ground_truth_point_not_0_0():
    # The released evaluator leaves gt clicks at [0, 0]: a box at the top-left corner would
    # make a click there "exact" whatever the ground truth.
    corner = [(0.0, 0.0, 50.0, 50.0)]
    assert not click_match((10, 10), (400, 400), corner)
    gt = Gesture(kind="click", code=4, touch=(0.2, 0.4), lift=(0.2, 0.4), point=(400, 400))
    assert not exact_match(gesture_of(Click(x=10, y=10), W, H), gt, corner)
    assert exact_match(gesture_of(Click(x=400, y=400), W, H), gt, corner)


def test_coat_type_match_and_kinds():
    assert type_match(gesture_of(LongPress(x=1, y=1), W, H), tap(0.5, 0.5))
    assert not type_match(gesture_of(Scroll(direction="up"), W, H), tap(0.5, 0.5))
    assert not type_match(None, tap(0.5, 0.5))
    assert not type_match(gesture_of(OpenApp(name="x"), W, H), Gesture(kind="other", code=-1))


def test_coat_scroll_compares_aitz_direction():
    gt = swipe((0.8, 0.5), (0.2, 0.5))  # "scroll up"
    assert exact_match(gesture_of(Scroll(direction="down"), W, H), gt, [])
    assert not exact_match(gesture_of(Scroll(direction="up"), W, H), gt, [])
    assert type_match(gesture_of(Scroll(direction="up"), W, H), gt)


def test_coat_each_press_matches_only_itself():
    for c, name in [(5, "back"), (6, "home"), (7, "enter")]:
        for other in ("back", "home", "enter", "menu"):
            pred = gesture_of(Button(name=other), W, H)  # type: ignore[arg-type]
            assert type_match(pred, code(c))
            assert exact_match(pred, code(c), []) == (other == name)


def test_coat_stop_is_exact_whatever_the_status():
    for c in (10, 11):
        for status in ("success", "failure"):
            assert exact_match(gesture_of(Terminate(status=status), W, H), code(c), [])


def test_coat_text_rules():
    assert text_match("San Diego", "restaurants in San Diego")  # contained
    assert text_match("restaurants in San Diego!", "restaurants in San Diego")
    assert not text_match("abcdx", "abcde")  # ratio 0.8 exactly: not above
    assert indel_ratio("abcdx", "abcde") == pytest.approx(0.8)
    assert text_match("abcdeX", "abcdef")  # 10/12 > 0.8
    assert not text_match("Paris", "London")
    assert text_match("", "")
    # the released evaluator's empty-string containment: not a match here
    assert not text_match("", "hello")
    assert not text_match("hello", "")


def test_coat_text_unicode():
    composed = "café près de moi"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed and text_match(decomposed, composed)
    assert text_match("2 🍎", "2 🍎")
    assert text_match("🍎", "2 🍎")
    assert not text_match("東京", "大阪")
    assert indel_ratio("東京タワー", "東京タワ") == pytest.approx(8 / 9)


def test_episode_metrics_by_hand():
    m = episode_metrics([[True, True], [True, False, True], [False, True]])
    assert m["success_rate"] == pytest.approx(1 / 3)
    assert m["goal_progress"] == pytest.approx((1 + 1 / 3 + 0) / 3)


# -- loader ----------------------------------------------------------------------------------------
def test_loader_parses_the_json_string_fields(aitz_data: Path):
    assert loader.subsets(aitz_data) == ["general", "install", "web_shopping"]
    eps = loader.load(aitz_data)
    assert [len(e.steps) for e in eps] == [4, 4, 4, 3, 6]
    step = eps[0].steps[1]
    assert (step.width, step.height) == (270, 600)
    assert step.ui_positions[0] == (4.0, 10.0, 12.0, 30.0)
    assert step.ui_text[0] == "9:35" and step.action_desc == "scroll up"
    assert step.action == {"action": "scroll", "direction": "down", "x": 135, "y": 480}
    assert eps[1].steps[1].action == {"action": "type", "text": "café près de moi",
                                      "submit": False}
    assert len(loader.load(aitz_data, subset="install", limit=1)) == 1
    assert len(loader.load(aitz_data, limit=1)) == 3  # one per subset


def test_loader_errors_say_what_to_do(tmp_path: Path, aitz_data: Path):
    with pytest.raises(loader.DataError, match="no AITZ folder"):
        loader.load(tmp_path / "nope")
    (tmp_path / "test").mkdir()
    with pytest.raises(loader.DataError, match="give that"):
        loader.load(tmp_path)
    with pytest.raises(loader.DataError, match="no subset 'single'"):
        loader.load(aitz_data, subset="single")
    root = tmp_path / "copy"
    shutil.copytree(aitz_data / "install", root / "install")
    ep = root / "install" / "INSTALL-2000000002"
    (ep / "INSTALL-2000000002_1.png").unlink()
    with pytest.raises(loader.DataError, match="no screenshot"):
        loader.load(root)
    steps = json.loads((ep / "INSTALL-2000000002.json").read_text(encoding="utf-8"))
    steps[0]["result_touch_yx"] = "[0.5, "
    (ep / "INSTALL-2000000002.json").write_text(json.dumps(steps), encoding="utf-8")
    with pytest.raises(loader.DataError, match="result_touch_yx"):
        loader.load(root)
    (ep / "INSTALL-2000000002.json").write_text("[{", encoding="utf-8")
    with pytest.raises(loader.DataError, match="not JSON"):
        loader.load(root)
