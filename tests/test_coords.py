"""Coordinate frames and smart_resize, checked against transformers' own smart_resize."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagent.actions import ActionError, Click, Frame, Swipe, from_screen, smart_resize, to_screen
from vagent.actions.coords import image_tokens, round_half_away

oracle = pytest.importorskip("transformers.models.qwen2_vl.image_processing_qwen2_vl").smart_resize

SCREENS = [(1080, 2400), (720, 1280), (1920, 1080), (2560, 1440)]  # (width, height)
PIXELS = [  # (min_pixels, max_pixels)
    (4 * 28 * 28, 16384 * 28 * 28),  # qwen-vl-utils defaults, the released preprocessor configs
    (56 * 56, 28 * 28 * 1280),  # transformers' processor defaults
    (256 * 28 * 28, 1280 * 28 * 28),  # the model cards' suggestion
    (4 * 28 * 28, 512 * 28 * 28),
    (1024 * 28 * 28, 2048 * 28 * 28),
    (3000 * 28 * 28, 4096 * 28 * 28),  # forces upscaling of the small phone
]
KINDS = ["pixels", "rel1000", "resized", "unit"]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("pixels", PIXELS)
def test_smart_resize_matches_transformers(screen, pixels):
    w, h = screen
    lo, hi = pixels
    assert smart_resize(h, w, min_pixels=lo, max_pixels=hi) == oracle(h, w, 28, lo, hi)


@settings(max_examples=300, deadline=None)
# From 15 px up: below that transformers rounds a side to 0 and rescales from there, while
# qwen-vl-utils (and actions.coords) keep at least one 28-px patch — see the test after this.
@given(h=st.integers(15, 9000), w=st.integers(15, 9000),
       lo=st.sampled_from([p[0] for p in PIXELS]), hi=st.sampled_from([p[1] for p in PIXELS]))
def test_smart_resize_matches_transformers_anywhere(h, w, lo, hi):
    if max(h, w) / min(h, w) > 200:
        with pytest.raises(ActionError):
            smart_resize(h, w, min_pixels=lo, max_pixels=hi)
        with pytest.raises(ValueError):
            oracle(h, w, 28, lo, hi)
        return
    got = smart_resize(h, w, min_pixels=lo, max_pixels=hi)
    assert got == oracle(h, w, 28, lo, hi)
    assert got[0] % 28 == 0 and got[1] % 28 == 0
    if lo <= hi:
        area = got[0] * got[1]
        # shrunk into the budget, unless a side kept its one patch (a very long, thin image) or
        # the image was enlarged to the minimum (rounding up can pass a close maximum: h=15,
        # w=1501, lo=802816, hi=1003520 gives 112x8988, as transformers' does)
        assert area <= hi or min(got) == 28 or h * w < lo
        # enlarged up to the minimum when the image rounded below it
        rounded = max(28, round(h / 28) * 28) * max(28, round(w / 28) * 28)
        if rounded < lo:
            assert area >= lo
        elif rounded <= hi:
            assert area == rounded  # inside the range: only rounded to whole patches


def test_tiny_sides_keep_one_patch():
    # qwen-vl-utils' rule: a side never rounds below 28 (transformers' copy lacks the max()).
    assert smart_resize(14, 98) == (28, 112)
    assert smart_resize(5, 300) == (28, 308)


def test_documented_examples():
    # (height, width) → (height, width), visual tokens
    assert smart_resize(2400, 1080) == (2408, 1092)
    assert image_tokens(2400, 1080) == 3354
    lo, hi = 256 * 28 * 28, 1280 * 28 * 28
    assert smart_resize(2400, 1080, min_pixels=lo, max_pixels=hi) == (1484, 672)
    assert image_tokens(2400, 1080, lo, hi) == 1272
    assert smart_resize(2400, 1080, max_pixels=512 * 28 * 28) == (924, 420)
    assert image_tokens(2400, 1080, max_pixels=512 * 28 * 28) == 495
    assert smart_resize(1280, 720) == (1288, 728)


def test_bad_sizes_are_action_errors():
    with pytest.raises(ActionError):
        smart_resize(0, 100)
    with pytest.raises(ActionError, match="aspect ratio"):
        smart_resize(10, 2500)


def expected_extent(kind: str, w: int, h: int, lo: int, hi: int) -> tuple[float, float]:
    """The frame's extent computed independently (the oracle for resized)."""
    if kind == "pixels":
        return w, h
    if kind == "rel1000":
        return 1000, 1000
    if kind == "unit":
        return 1, 1
    rh, rw = oracle(h, w, 28, lo, hi)
    return rw, rh


def half_away(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("pixels", PIXELS[:4])
@pytest.mark.parametrize("kind", KINDS)
def test_every_frame_maps_like_the_formula(screen, pixels, kind):
    w, h = screen
    lo, hi = pixels
    frame = Frame(kind=kind, min_pixels=lo, max_pixels=hi)
    ew, eh = expected_extent(kind, w, h, lo, hi)
    assert frame.extent(w, h) == (ew, eh)
    # a grid of points across the frame, including its edges and centre
    for fx in (0, 0.1, 0.25, 0.5, 0.77, 0.999):
        for fy in (0, 0.3, 0.5, 0.9, 0.999):
            x, y = fx * ew, fy * eh
            px, py, clamped = frame.to_screen(x, y, w, h)
            assert (px, py) == (half_away(x / ew * w), half_away(y / eh * h))
            assert not clamped and 0 <= px < w and 0 <= py < h
    # the frame's centre is the screen's centre
    cx, cy, _ = frame.to_screen(ew / 2, eh / 2, w, h)
    assert (cx, cy) == (w // 2, h // 2)


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_screen_to_frame_and_back(screen, kind):
    w, h = screen
    frame = Frame(kind=kind, min_pixels=256 * 28 * 28, max_pixels=1280 * 28 * 28)
    ew, eh = frame.extent(w, h)
    # one frame unit is this many pixels (rounding in the frame costs up to half a unit)
    tol_x = max(1.0, w / ew / 2 + 0.5) if kind != "unit" else 1
    tol_y = max(1.0, h / eh / 2 + 0.5) if kind != "unit" else 1
    for x in range(0, w, max(1, w // 37)):
        for y in range(0, h, max(1, h // 41)):
            click = Click(x=x, y=y)
            back = to_screen(from_screen(click, frame, w, h), frame, w, h)
            assert abs(back.action.x - x) <= tol_x and abs(back.action.y - y) <= tol_y
            assert not back.clamped


@pytest.mark.parametrize("kind", KINDS)
def test_outside_points_are_clamped_and_flagged(kind):
    w, h = 1080, 2400
    frame = Frame(kind=kind)
    ew, eh = frame.extent(w, h)
    for x, y, want in [(-5 * ew, eh / 2, (0, 1200)), (ew * 1.5, eh / 2, (w - 1, 1200)),
                       (ew / 2, -eh, (540, 0)), (ew, eh, (w - 1, h - 1))]:
        mapped = to_screen(Click(x=x, y=y), frame, w, h)
        assert (mapped.action.x, mapped.action.y) == want
        assert mapped.clamped
    inside = to_screen(Swipe(x1=0, y1=0, x2=ew / 2, y2=eh / 2), frame, w, h)
    assert not inside.clamped


def test_non_finite_points_are_refused():
    with pytest.raises(ActionError):
        to_screen(Click(x=float("nan"), y=3), Frame(kind="pixels"), 100, 100)


def test_round_half_away_from_zero():
    assert [round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, -1.5, 2.4999)] == [
        1, 2, 3, -1, -2, 2]
    # rel1000 x=500 on an odd width: 540.5 → 541 (Python's round would give 540)
    assert Frame(kind="rel1000").to_screen(500, 500, 1081, 2400)[:2] == (541, 1200)


def test_box_centres_of_the_reference_examples():
    # Qwen2-VL box (100,200),(300,260) on 1080×2400 → centre (200,230) → (216, 552)
    assert Frame(kind="rel1000").to_screen(200, 230, 1080, 2400)[:2] == (216, 552)
    # UI-TARS v1 (235,512) on 1920×1080 → (451, 553)
    assert Frame(kind="rel1000").to_screen(235, 512, 1920, 1080)[:2] == (451, 553)
    # Qwen2.5-VL [935, 406] on the 1092×2408 resized phone → (925, 405)
    assert Frame(kind="resized").to_screen(935, 406, 1080, 2400)[:2] == (925, 405)


@settings(max_examples=200, deadline=None)
@given(screen=st.sampled_from(SCREENS), pixels=st.sampled_from(PIXELS),
       fx=st.floats(0, 1, exclude_max=True), fy=st.floats(0, 1, exclude_max=True))
def test_resized_frame_against_the_oracle(screen, pixels, fx, fy):
    w, h = screen
    lo, hi = pixels
    rh, rw = oracle(h, w, 28, lo, hi)
    x, y = round(fx * rw), round(fy * rh)
    px, py, clamped = Frame(kind="resized", min_pixels=lo, max_pixels=hi).to_screen(x, y, w, h)
    want_x, want_y = half_away(x * w / rw), half_away(y * h / rh)
    assert abs(px - min(want_x, w - 1)) <= 1 and abs(py - min(want_y, h - 1)) <= 1
    assert clamped == (want_x > w - 1 or want_y > h - 1)


@pytest.mark.parametrize("kind", KINDS)
def test_huge_model_numbers_clamp_instead_of_overflowing(kind):
    frame = Frame(kind=kind)
    assert frame.to_screen(1e308, -1e308, 1920, 1080) == (1919, 0, True)
    mapped = to_screen(Click(x=1e308, y=1e300), frame, 1920, 1080)
    assert (mapped.action.x, mapped.action.y, mapped.clamped) == (1919, 1079, True)
    with pytest.raises(ActionError):
        frame.to_screen(float("inf"), 0, 1920, 1080)
