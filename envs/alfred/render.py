"""The symbolic world's egocentric view: a schematic drawing, not a photograph.

What is visible is drawn where it lies in the field of view (left to right by bearing, larger
when nearer): furniture as wide boxes low in the picture, the things on or in it as smaller
boxes above, each labelled with the name the model uses and its state (open, on). The held
object sits in the lower right corner, as THOR shows it in the agent's hand.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ..draw import font, to_array
from .objects import type_label


def _colour(object_type: str) -> tuple[int, int, int]:
    h = zlib.crc32(object_type.encode())
    return 90 + h % 140, 90 + (h >> 8) % 140, 90 + (h >> 16) % 140


def render_view(metadata: dict[str, Any], size: tuple[int, int],
                names: dict[str, str] | None = None) -> np.ndarray:
    w, h = size
    img = Image.new("RGB", (w, h), (214, 220, 228))
    d = ImageDraw.Draw(img)
    d.rectangle((0, int(h * 0.55), w, h), fill=(186, 170, 148))  # floor
    agent = metadata["agent"]
    ax, az = agent["position"]["x"], agent["position"]["z"]
    yaw = agent["rotation"]["y"]
    fov = float(metadata.get("fov", 90))
    names = names or {}
    small = font(max(9, w // 30))
    objs = [o for o in metadata["objects"] if o.get("visible")]
    objs.sort(key=lambda o: -o.get("distance", 0))
    fixed = [o for o in objs if not o.get("pickupable")]
    loose = [o for o in objs if o.get("pickupable")]
    for layer, top, scale in ((fixed, 0.50, 0.34), (loose, 0.30, 0.16)):
        for i, o in enumerate(layer):
            dx, dz = o["position"]["x"] - ax, o["position"]["z"] - az
            bearing = (math.degrees(math.atan2(dx, dz)) - yaw + 180) % 360 - 180
            cx = w / 2 + bearing / (fov / 2) * (w / 2) * 0.85
            near = 1.0 / max(0.4, o.get("distance", 1.0))
            bw = min(w * 0.45, w * scale * near)
            bh = bw * (0.55 if layer is fixed else 0.7)
            cy = h * top + (i % 3) * bh * 0.35 if layer is loose else h * top
            box = (cx - bw / 2, cy, cx + bw / 2, cy + bh)
            outline = (255, 240, 80) if o.get("isToggled") else (40, 40, 40)
            d.rectangle(box, fill=_colour(o["objectType"]), outline=outline, width=2)
            label = names.get(o["objectId"], type_label(o["objectType"]))
            if o.get("openable"):
                label += " [open]" if o.get("isOpen") else " [closed]"
            d.text((cx, cy + bh / 2), label, fill="black", font=small, anchor="mm")
    inv = metadata.get("inventoryObjects") or []
    if inv:
        held = inv[0]
        box = (w * 0.62, h * 0.80, w * 0.98, h * 0.97)
        d.rounded_rectangle(box, radius=6, fill=_colour(held["objectType"]), outline="black")
        d.text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
               names.get(held["objectId"], type_label(held["objectType"])), fill="black",
               font=small, anchor="mm")
    return to_array(img)
