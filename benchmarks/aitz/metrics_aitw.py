"""AITW action matching — the original metric of Android in the Wild (google-research
``android_in_the_wild/action_matching.py``), restated.

- If either action is not a DUAL_POINT, they match iff their type codes are equal (so TYPE
  matches TYPE whatever the text; a project action with no AITW code matches nothing).
- A tap and a swipe never match.
- Two taps match when both points lie in the same UI box enlarged by 1.4× its height and width
  (0.7·h above and below, 0.7·w left and right; edges inclusive), or when they are at most 0.14
  apart (normalized (y, x) distance; exactly 0.14 matches).
- Two swipes match when their main axis (the larger of |Δy| and |Δx|; a tie counts as vertical,
  as argmax picks the first) is the same. The original ignores the direction.

``aitw_match`` is that rule. ``aitw_match_dir`` is the project's stricter variant, reported
under its own name: swipes must also move the same way along that axis (up ≠ down).

One difference from the released code, on purpose: it clips an enlarged box's *top/left* to the
screen but keeps the full enlarged height/width, so a box near the top or left edge slides down
or right (its bottom/right edge lies up to 0.7·h / 0.7·w further than the enlargement gives).
Here the enlarged box is the enlargement intersected with the screen, which is what its comment
("limit bounding box positions to the screen") intends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .actions import Code, Gesture, is_tap

TAP_MATCH_DISTANCE = 0.14
BOX_ENLARGE = 1.4

#: A UI box as AITW stores it: normalized (top, left, height, width).
Box = tuple[float, float, float, float]


def enlarge(box: Box, fraction: float = BOX_ENLARGE) -> tuple[float, float, float, float]:
    """The box grown by ``fraction`` of its height and width, clipped to the screen:
    (top, left, bottom, right), all in [0, 1]."""
    top, left, h, w = box
    return (max(0.0, top - fraction * h / 2), max(0.0, left - fraction * w / 2),
            min(1.0, top + h + fraction * h / 2), min(1.0, left + w + fraction * w / 2))


def inside(yx: tuple[float, float], edges: tuple[float, float, float, float]) -> bool:
    """Is the (y, x) point in the (top, left, bottom, right) box, edges included?"""
    top, left, bottom, right = edges
    return top <= yx[0] <= bottom and left <= yx[1] <= right


def taps_match(a: tuple[float, float], b: tuple[float, float], boxes: Sequence[Box]) -> bool:
    if math.dist(a, b) <= TAP_MATCH_DISTANCE:
        return True
    return any(inside(a, e) and inside(b, e) for e in map(enlarge, boxes))


def main_axis(touch: tuple[float, float], lift: tuple[float, float]) -> int:
    """0 for vertical (y), 1 for horizontal (x); a tie is vertical."""
    return 0 if abs(lift[0] - touch[0]) >= abs(lift[1] - touch[1]) else 1


def aitw_match(pred: Gesture, gt: Gesture, boxes: Sequence[Box],
               compare_direction: bool = False) -> bool:
    """The AITW rule (``compare_direction`` also requires swipes to move the same way)."""
    if pred.code != Code.DUAL_POINT or gt.code != Code.DUAL_POINT:
        return pred.code == gt.code
    assert pred.touch and pred.lift and gt.touch and gt.lift
    pred_tap, gt_tap = is_tap(pred.touch, pred.lift), is_tap(gt.touch, gt.lift)
    if pred_tap != gt_tap:
        return False
    if pred_tap:
        return taps_match(pred.touch, gt.touch, boxes)
    axis = main_axis(pred.touch, pred.lift)
    if axis != main_axis(gt.touch, gt.lift):
        return False
    if not compare_direction:
        return True
    pred_delta = pred.lift[axis] - pred.touch[axis]
    gt_delta = gt.lift[axis] - gt.touch[axis]
    return (pred_delta > 0) == (gt_delta > 0)
