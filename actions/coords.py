"""Coordinate frames — the one place where model coordinates become screen pixels.

Frames:
- ``pixels``: already screen pixels.
- ``rel1000``: integers in [0, 1000) relative to the image's width and height (Qwen2-VL boxes,
  UI-TARS v1, OS-Atlas).
- ``resized``: absolute pixels on the image after smart_resize (Qwen2.5-VL, UI-TARS-1.5); the
  frame carries the min/max pixels the processor used, because the resized size depends on them.
- ``unit``: fractions in [0, 1] (ShowUI, Aguvis).

Points outside the screen are clamped onto it and the mapping says so: nothing outside the
screen is ever executed.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from .errors import ActionError
from .models import Action

FACTOR = 28  # patch size 14 × spatial merge 2
# qwen-vl-utils' defaults (and what the released Qwen2.5-VL preprocessor configs say).
DEFAULT_MIN_PIXELS = 4 * 28 * 28
DEFAULT_MAX_PIXELS = 16384 * 28 * 28
MAX_RATIO = 200


def smart_resize(
    height: int,
    width: int,
    factor: int = FACTOR,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """(height, width) of an image after the Qwen2-VL processors' resize.

    Mirrors the processors: sides rounded to multiples of ``factor`` with Python's round (so
    halves go to even), then scaled down (floor) or up (ceil) by one common beta computed from the
    original area when the rounded area is outside [min_pixels, max_pixels].
    """
    if height <= 0 or width <= 0:
        raise ActionError(f"image size must be positive, got {width}x{height}")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ActionError(
            f"aspect ratio of {width}x{height} is over {MAX_RATIO}; crop or pad the image"
        )
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def image_tokens(height: int, width: int, min_pixels: int = DEFAULT_MIN_PIXELS,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """Visual tokens the model sees for an image (not counting vision start/end)."""
    h, w = smart_resize(height, width, min_pixels=min_pixels, max_pixels=max_pixels)
    return (h // FACTOR) * (w // FACTOR)


def round_half_away(value: float) -> int:
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


FrameKind = Literal["pixels", "rel1000", "resized", "unit"]
#: the frame kinds, as options list them
FRAME_KINDS: tuple[str, ...] = get_args(FrameKind)


class Frame(BaseModel):
    """The coordinate frame a model answers in."""

    model_config = ConfigDict(frozen=True)

    kind: FrameKind = "pixels"
    min_pixels: int = DEFAULT_MIN_PIXELS
    max_pixels: int = DEFAULT_MAX_PIXELS

    def extent(self, screen_w: int, screen_h: int) -> tuple[float, float]:
        """The (width, height) of the screen as measured in this frame."""
        if self.kind == "pixels":
            return float(screen_w), float(screen_h)
        if self.kind == "rel1000":
            return 1000.0, 1000.0
        if self.kind == "unit":
            return 1.0, 1.0
        h, w = smart_resize(screen_h, screen_w, min_pixels=self.min_pixels,
                            max_pixels=self.max_pixels)
        return float(w), float(h)

    def to_screen(self, x: float, y: float, screen_w: int, screen_h: int) -> tuple[int, int, bool]:
        """One point to screen pixels: (x, y, clamped)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ActionError(f"point ({x}, {y}) is not a finite number")
        ew, eh = self.extent(screen_w, screen_h)
        # Bounded before rounding: anything past an edge is clamped anyway, and a huge model
        # number (1e308) must not overflow into inf.
        px = round_half_away(min(max(x / ew * screen_w, -1.0), float(screen_w)))
        py = round_half_away(min(max(y / eh * screen_h, -1.0), float(screen_h)))
        cx, cy = min(max(px, 0), screen_w - 1), min(max(py, 0), screen_h - 1)
        return cx, cy, (cx, cy) != (px, py)

    def from_screen(self, x: float, y: float, screen_w: int, screen_h: int) -> tuple[float, float]:
        """Screen pixels to this frame (integers, except in the unit frame)."""
        ew, eh = self.extent(screen_w, screen_h)
        fx, fy = x / screen_w * ew, y / screen_h * eh
        if self.kind == "unit":
            return round(fx, 4), round(fy, 4)
        return round_half_away(fx), round_half_away(fy)


PIXELS = Frame(kind="pixels")


class Mapped(BaseModel):
    """An action in screen pixels, and whether any point had to be clamped onto the screen."""

    action: Action
    clamped: bool = False


def to_screen(action: Action, frame: Frame, screen_w: int, screen_h: int) -> Mapped:
    """Map every point of an action from ``frame`` to integer screen pixels, clamping."""
    updates: dict[str, int] = {}
    clamped = False
    for fx, fy in type(action).POINTS:
        x, y = getattr(action, fx), getattr(action, fy)
        if x is None or y is None:
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ActionError(f"{action.action}: point ({x}, {y}) is not a finite number")
        px, py, c = frame.to_screen(x, y, screen_w, screen_h)
        updates[fx], updates[fy] = px, py
        clamped |= c
    return Mapped(action=action.model_copy(update=updates), clamped=clamped)


def from_screen(action: Action, frame: Frame, screen_w: int, screen_h: int) -> Action:
    """The inverse of ``to_screen`` (for rendering actions in a model's format)."""
    updates: dict[str, float] = {}
    for fx, fy in type(action).POINTS:
        x, y = getattr(action, fx), getattr(action, fy)
        if x is None or y is None:
            continue
        updates[fx], updates[fy] = frame.from_screen(x, y, screen_w, screen_h)
    return action.model_copy(update=updates)


def box_center(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """The click target of a box is its centre."""
    return (x1 + x2) / 2, (y1 + y2) / 2


class ScreenMap(BaseModel):
    """Screenshot pixels ↔ the input system's logical coordinates (desktops).

    ``image`` is the (width, height) of the screenshot the agent sees; ``area`` is the
    (left, top, width, height) that screenshot covers in logical coordinates (what pyautogui
    moves the mouse in). They differ on HiDPI screens (the grab has 2× the pixels), for a
    region of the screen, and when screenshots are resized for the model.
    """

    model_config = ConfigDict(frozen=True)

    image: tuple[int, int]
    area: tuple[int, int, int, int]

    def to_logical(self, x: float, y: float) -> tuple[int, int]:
        """The logical point under the centre of screenshot pixel (x, y), kept inside the area."""
        left, top, aw, ah = self.area
        iw, ih = self.image
        lx = left + math.floor((x + 0.5) * aw / iw)
        ly = top + math.floor((y + 0.5) * ah / ih)
        return min(max(lx, left), left + aw - 1), min(max(ly, top), top + ah - 1)

    def to_image(self, x: float, y: float) -> tuple[int, int]:
        """The screenshot pixel that shows logical point (x, y) (may lie outside the image)."""
        left, top, aw, ah = self.area
        iw, ih = self.image
        return math.floor((x - left + 0.5) * iw / aw), math.floor((y - top + 0.5) * ih / ah)

    def inside(self, x: float, y: float) -> bool:
        """Whether (x, y) is a pixel of the screenshot."""
        return 0 <= x < self.image[0] and 0 <= y < self.image[1]
