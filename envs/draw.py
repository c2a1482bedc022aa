"""Drawing helpers shared by the envs that render their own screens with Pillow."""

from __future__ import annotations

import functools
from pathlib import Path

from typing import Any

import numpy as np
from PIL import Image, ImageFont

from vagent.actions.cache import LRU

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


class StampFont(ImageFont.FreeTypeFont):
    """A FreeType font that keeps the text it rasterised. ``ImageDraw.text`` asks ``getmask2``
    for every label of every frame, and rasterising is most of a frame's drawing; the screens
    draw the same labels again and again (the status bar, the keys, the icons), and a mask
    depends only on these arguments. Colour masks (``RGBA``) are the caller's to change: not
    kept."""

    def __init__(self, path: str, size: int):
        super().__init__(path, size)
        self._masks: LRU[tuple[Any, tuple[int, int]]] = LRU(kept=128)

    def getmask2(self, text: Any, mode: str = "", *args: Any, **kwargs: Any) -> Any:
        def make() -> Any:
            return ImageFont.FreeTypeFont.getmask2(self, text, mode, *args, **kwargs)

        key = (text, mode, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # a list of features: not ours, rendered each time
            return make()
        return make() if mode == "RGBA" else self._masks.get(key, make)


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (from Debian's fonts-dejavu-core) when present, else Pillow's own font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = _DEJAVU / name
    if path.exists():
        return StampFont(str(path), size)
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def to_array(image: Image.Image) -> np.ndarray:
    """An RGB H×W×3 uint8 array, the observation format of every env."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
