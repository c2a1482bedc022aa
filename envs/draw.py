"""Drawing helpers shared by the envs that render their own screens with Pillow."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from typing import Any

import numpy as np
from PIL import Image, ImageFile, ImageFont

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


_one_pass = threading.Lock()


def rgb_rows(image: Image.Image) -> np.ndarray:
    """An RGB image's pixels as H × 3W read-only uint8 rows, converted in one pass. Pillow's
    ``tobytes`` (and ``np.asarray``, which calls it) hands the image to its encoder
    ``ImageFile.MAXBLOCK`` bytes (64 kB) at a time, and those passes cost several times more a
    row than one (0.9 ms against 0.2 for 244 rows of a phone screen here), so the block is
    raised to the image's size for the call. It is Pillow's one setting for the process: the
    lock keeps two calls from restoring each other's value, and another thread's Pillow call
    meanwhile only gets larger buffers, the same work done."""
    if image.mode != "RGB":
        raise ValueError(f"rgb_rows takes an RGB image, not {image.mode}")
    with _one_pass:
        block = ImageFile.MAXBLOCK
        ImageFile.MAXBLOCK = max(block, 3 * image.width * image.height)
        try:
            data = image.tobytes()
        finally:
            ImageFile.MAXBLOCK = block
    return np.frombuffer(data, np.uint8).reshape(image.height, 3 * image.width)


def to_array(image: Image.Image) -> np.ndarray:
    """An RGB H×W×3 uint8 array, the observation format of every env."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return rgb_rows(rgb).reshape(rgb.height, rgb.width, 3).copy()
