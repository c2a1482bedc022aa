"""PNG encoding and decoding at the speed a step needs.

``encode(pixels)`` writes every row unfiltered and deflates at level 1. Pillow's encoder tries
the five PNG filters on every row and keeps the best (adaptive filtering): a few per cent
smaller files, but about twice the time — 55 ms against 26 ms for a 1080×2400 phone frame
here. Screens are mostly flat colour, which deflate compresses well without a filter (the
unfiltered file was the smaller one on the simulated phone's screens).

``decode(data)`` reads such a file (8-bit RGB, not interlaced, every row unfiltered) with
``zlib`` and numpy alone — one inflate and one copy, where Pillow's decode and its conversion
to an array copy the pixels twice more — and hands any other PNG to Pillow. Both give the same
pixels; the tests check them against Pillow's.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: channels -> PNG colour type (grey, RGB, RGBA)
COLOUR_TYPES = {1: 0, 3: 2, 4: 6}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def encode(pixels: np.ndarray, level: int = 1) -> bytes:
    """A PNG of H×W×3 (RGB), H×W×4 (RGBA) or H×W (grey) uint8 pixels, rows unfiltered."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"encode takes H×W, H×W×3 or H×W×4 uint8 pixels, not {a.shape} "
                         f"{a.dtype}")
    h, w = a.shape[:2]
    channels = 1 if a.ndim == 2 else a.shape[2]
    rows = np.empty((h, w * channels + 1), np.uint8)
    rows[:, 0] = 0  # filter type None on every row
    rows[:, 1:] = a.reshape(h, w * channels)
    header = struct.pack(">IIBBBBB", w, h, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, level))
            + _chunk(b"IEND", b""))


def _unfiltered_rgb(data: bytes) -> np.ndarray | None:
    """The pixels of an 8-bit RGB, non-interlaced PNG whose rows are all unfiltered; None for
    any other PNG (or anything this reader does not follow, left to Pillow)."""
    if not data.startswith(SIGNATURE):
        return None
    pos, idat, size = len(SIGNATURE), [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            return None
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if (depth, colour, interlace) != (8, 2, 0) or not w or not h:
                return None
            size = (h, w)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if size is None or not idat:
        return None
    h, w = size
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        return None
    if len(raw) != h * (w * 3 + 1):
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(h, w * 3 + 1)
    if rows[:, 0].any():  # a row with a filter: Pillow undoes it
        return None
    return rows[:, 1:].reshape(h, w, 3).copy()


def decode(data: bytes) -> tuple[np.ndarray, bool]:
    """``(pixels, rgb)``: the PNG's pixels as H×W×3 uint8 RGB, and whether the file itself was
    8-bit RGB (so its bytes stand for exactly these pixels). Raises what Pillow raises for data
    that is not an image."""
    pixels = _unfiltered_rgb(data)
    if pixels is not None:
        return pixels, True
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        rgb = image.format == "PNG" and image.mode == "RGB"
        return np.asarray(image if rgb else image.convert("RGB")), rgb


__all__ = ["decode", "encode"]
