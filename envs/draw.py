"""Drawing helpers shared by the envs that render their own screens with Pillow."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageFont

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@functools.lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (from Debian's fonts-dejavu-core) when present, else Pillow's own font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = _DEJAVU / name
    if path.exists():
        return ImageFont.truetype(str(path), size)
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def to_array(image: Image.Image) -> np.ndarray:
    """An RGB H×W×3 uint8 array, the observation format of every env."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
