"""The CoAT evaluator's metrics (how AITZ numbers are reported), restated.

Step metrics, over the kinds click, scroll, type, press, stop:

- **type match**: the predicted kind equals the ground truth's.
- **exact match**: type match and
  - click: the ground-truth point lies in the predicted box enlarged 1.2× about its centre; or
    the ground-truth point lies in some ground-truth UI box enlarged 1.2× about its centre and
    the prediction falls on one of those enlarged boxes (see below);
  - scroll: the same direction (AITZ's names: the finger's direction);
  - type: one text contains the other, or their Levenshtein (InDel) ratio is above 0.8;
  - press: the same button (home, back, enter);
  - stop: always (complete and impossible alike).

Episode metrics: **success rate** (every step of the episode exact) and **goal progress** (exact
steps before the first miss, divided by the episode's steps), averaged over episodes.

Where the released ``coat/evaluate.py`` differs, the project follows the intended rule:

1. It leaves the ground-truth click point at [0, 0] (only scrolls get theirs filled in), so a
   click is judged against the screen's top-left corner. Here it is the real touch point.
2. An empty predicted text is "contained" in every ground truth (``"" in s`` is true), and an
   empty ground truth in every prediction. Here containment counts only between non-empty
   texts; two empty texts match.
3. Predictions here are project actions, whose clicks are points, not boxes. A point is a
   zero-size box: enlarged it is still the point, and its IoU with any box is 0, so the literal
   rule would accept a point only when it hits the ground-truth pixel exactly. The rule's intent
   — the prediction lands on the element the ground truth touched — is applied instead: the
   point must lie in one of the enlarged UI boxes that contain the ground-truth point (or be
   the ground-truth point itself).

Texts are compared after Unicode NFC normalisation, so the same letters typed as composed or
decomposed characters are the same text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .actions import Gesture

BOX_SCALE = 1.2
TEXT_RATIO = 0.8

#: A UI box in pixels of the screenshot: (x1, y1, x2, y2).
PixelBox = tuple[float, float, float, float]


def enlarge(box: PixelBox, scale: float = BOX_SCALE) -> PixelBox:
    """The box scaled about its centre (not clipped, as the evaluator does)."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    hw, hh = (x2 - x1) * scale / 2, (y2 - y1) * scale / 2
    return (cx - hw, cy - hh, cx + hw, cy + hh)


def inside(point: tuple[float, float], box: PixelBox) -> bool:
    x, y = point
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def click_match(pred: tuple[float, float], gt: tuple[float, float],
                boxes: Sequence[PixelBox]) -> bool:
    """A predicted point against the ground-truth point and the screen's UI boxes (pixels)."""
    if tuple(pred) == tuple(gt):
        return True
    around_gt = [e for e in map(enlarge, boxes) if inside(gt, e)]
    return any(inside(pred, e) for e in around_gt)


def indel_ratio(a: str, b: str) -> float:
    """Levenshtein ratio as python-Levenshtein defines it: 1 − InDel distance / (|a| + |b|),
    i.e. 2·LCS / (|a| + |b|); 1.0 for two empty strings."""
    if not a and not b:
        return 1.0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return 2 * prev[-1] / (len(a) + len(b))


def text_match(pred: str, gt: str) -> bool:
    pred, gt = unicodedata.normalize("NFC", pred), unicodedata.normalize("NFC", gt)
    if not pred or not gt:
        return pred == gt
    return pred in gt or gt in pred or indel_ratio(pred, gt) > TEXT_RATIO


def type_match(pred: Gesture | None, gt: Gesture) -> bool:
    return pred is not None and pred.kind == gt.kind and gt.kind != "other"


def exact_match(pred: Gesture | None, gt: Gesture, boxes: Sequence[PixelBox]) -> bool:
    if pred is None or not type_match(pred, gt):
        return False
    if gt.kind == "click":
        assert pred.point is not None and gt.point is not None
        return click_match(pred.point, gt.point, boxes)
    if gt.kind == "scroll":
        return pred.direction == gt.direction
    if gt.kind == "type":
        return text_match(pred.text, gt.text)
    if gt.kind == "press":
        return pred.button == gt.button
    return True  # stop


def episode_metrics(episodes: Sequence[Sequence[bool]]) -> dict[str, float]:
    """Success rate and goal progress (fractions) from each episode's exact flags in step
    order."""
    if not episodes:
        return {"success_rate": 0.0, "goal_progress": 0.0}
    success, progress = 0, 0.0
    for flags in episodes:
        n = 0
        while n < len(flags) and flags[n]:
            n += 1
        success += n == len(flags)
        progress += n / len(flags) if flags else 0.0
    return {"success_rate": success / len(episodes), "goal_progress": progress / len(episodes)}
