"""PNG encoding and decoding at the speed a step needs.

``encode(pixels)`` writes every row unfiltered and deflates at level 1. Pillow's encoder tries
the five PNG filters on every row and keeps the best (adaptive filtering): a few per cent
smaller files, but about twice the time — 55 ms against 26 ms for a 1080×2400 phone frame
here. Screens are mostly flat colour, which deflate compresses well without a filter (the
unfiltered file was the smaller one on the simulated phone's screens). The deflate is ISA-L's
(the ``isal`` package) where it is installed: the same format as zlib's, the same size at
level 1 on the phone's frames, 7× faster (2.7 ms against 20 ms a frame here) and its inflate
2.5× faster (3 ms against 7.5); without it, ``zlib``. The rows go to the compressor in bands
through one small buffer, so no frame-sized copy is made.

``decode(data)`` reads such a file (8-bit RGB, not interlaced, every row unfiltered) with
the inflate alone: the pixels are a read-only view into the inflated rows (each row's filter
byte stays between them, so the array is not C-contiguous), where Pillow's decode and its
conversion to an array copy the pixels twice more. Any other PNG goes to Pillow. Both give the
same pixels, read-only; the tests check them against Pillow's.

``rows(h, w)`` lays a frame out as the file holds it (a zero filter byte before each row).
A frame made of bands that recur (the simulated phone's, ``sim.draw.Frames``) is deflated band
by band: ``piece(rows)`` deflates some rows on their own — blocks that end on a byte boundary,
are not the stream's last and refer to nothing before them (a full flush) — and
``encode_pieces`` joins the pieces of a frame's bands, in order, into one zlib stream (its
Adler-32 combined from theirs), so a band seen before is not deflated again. With ``keep`` the
frame's rows are kept (``WRITTEN``) and ``decode`` of those bytes in this process hands them
back instead of inflating them again.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

from .cache import LRU

try:  # ISA-L's deflate: zlib's format, several times its speed (a declared dependency)
    from isal import isal_zlib as deflate
except ImportError:  # a platform without an isal wheel: the standard library's
    deflate = zlib  # type: ignore[assignment]

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: rows handed to the compressor at a time (~0.8 MB: 256 rows of a 1080-wide RGB frame)
BAND_BYTES = 1 << 20
#: the rows of the RGB PNGs written lately with ``encode_pieces(keep=...)``, by the PNG's bytes
#: (7.8 MB each for a phone frame): a PNG this process wrote and reads back — the in-process
#: simulated phone's screencaps, which its AndroidEnv decodes — is not inflated again
WRITTEN: LRU[np.ndarray] = LRU(kept=8)
#: channels -> PNG colour type (grey, RGB, RGBA)
COLOUR_TYPES = {1: 0, 3: 2, 4: 6}
#: Adler-32's modulus (RFC 1950)
ADLER_BASE = 65521
#: a zlib stream's first two bytes: deflate, 32 kB window, fastest level; a multiple of 31
ZLIB_HEADER = b"\x78\x01"
#: an empty last block (fixed Huffman codes): ends a stream of pieces
LAST_BLOCK = b"\x03\x00"


class Piece(NamedTuple):
    """Rows deflated on their own (``piece``): raw deflate blocks that end on a byte boundary,
    are not the last of a stream and refer to nothing before them, so pieces join in any
    order; the Adler-32 and length of the rows they hold."""

    data: bytes
    adler: int
    size: int


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", deflate.crc32(data, deflate.crc32(kind))))


def rows(height: int, width: int, channels: int = 3) -> np.ndarray:
    """A frame laid out as an unfiltered PNG holds it: ``height`` rows of a zero filter byte
    and ``width`` × ``channels`` values. Write the pixels into ``out[:, 1:]`` (as
    ``.reshape(height, width, channels)``); ``piece`` deflates runs of them as they are."""
    out = np.empty((height, width * channels + 1), np.uint8)
    out[:, 0] = 0  # filter type None on every row
    return out


def _check_rows(raw: np.ndarray, channels: int | None = None) -> None:
    """Refuse what is not rows laid out by ``rows`` (with ``channels`` values a pixel, when
    given): uint8, C-contiguous, a zero filter byte first in each row."""
    if raw.dtype != np.uint8 or raw.ndim != 2 or not raw.flags.c_contiguous \
            or (channels is not None and (raw.shape[1] - 1) % channels) \
            or np.count_nonzero(raw[:, 0]):
        layout = f"png.rows(height, width{f', {channels}' if channels else ''})"
        raise ValueError(f"takes rows laid out by {layout}, not {raw.shape} {raw.dtype}")


def piece(raw: np.ndarray, level: int = 1) -> Piece:
    """Rows laid out by ``rows`` (a run of a frame's rows) deflated on their own."""
    _check_rows(raw)
    packer = deflate.compressobj(level, zlib.DEFLATED, -15)  # raw deflate: no header of its own
    data = packer.compress(raw) + packer.flush(zlib.Z_FULL_FLUSH)
    return Piece(data, deflate.adler32(raw), raw.nbytes)


def _adler_join(first: int, second: int, size: int) -> int:
    """The Adler-32 of two byte strings one after the other, from theirs and the second's
    length: the second's sums restart at 1, and each of its running sums lacks the first's."""
    a = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % ADLER_BASE
    b = ((first >> 16) + (second >> 16) + size * ((first & 0xFFFF) - 1)) % ADLER_BASE
    return b << 16 | a


def encode_pieces(height: int, width: int, pieces: Sequence[Piece], channels: int = 3,
                  keep: np.ndarray | None = None) -> bytes:
    """The PNG of a frame from the ``piece``s of its rows, top to bottom. ``keep``: the frame's
    rows (``rows``); ``decode`` of these bytes in this process returns them instead of
    inflating (``WRITTEN``). An array that owns its rows is kept itself and made read-only (the
    caller writes its next frame elsewhere), a view is copied."""
    if channels not in COLOUR_TYPES:
        raise ValueError(f"a PNG of 1, 3 or 4 channels, not {channels}")
    if sum(p.size for p in pieces) != height * (width * channels + 1):
        raise ValueError(f"pieces of {sum(p.size for p in pieces)} bytes are not the rows of "
                         f"a {width}x{height} frame of {channels} channels")
    adler = 1
    for p in pieces:
        adler = _adler_join(adler, p.adler, p.size)
    stream = b"".join([ZLIB_HEADER, *(p.data for p in pieces), LAST_BLOCK,
                       struct.pack(">I", adler)])
    data = _file(height, width, channels, stream)
    if keep is not None and channels == 3:
        _check_rows(keep, channels)
        if keep.shape != (height, width * channels + 1):
            raise ValueError(f"keep: the rows of a {width}x{height} frame, not {keep.shape}")
        kept = keep if keep.base is None else keep.copy()  # rows of its own: kept as they are
        kept.setflags(write=False)
        WRITTEN.put(data, kept)
    return data


def _bands(height: int, row_bytes: int) -> list[tuple[int, int]]:
    """(first row, rows) of each band handed to the compressor at a time."""
    band = max(1, BAND_BYTES // row_bytes)
    return [(y, min(band, height - y)) for y in range(0, height, band)]


def _png(h: int, w: int, channels: int, level: int, bands: Iterable[np.ndarray]) -> bytes:
    packer = deflate.compressobj(level)
    idat = [packer.compress(band) for band in bands]
    idat.append(packer.flush())
    return _file(h, w, channels, b"".join(idat))


def _file(h: int, w: int, channels: int, stream: bytes) -> bytes:
    """The PNG file around a zlib stream of its rows."""
    header = struct.pack(">IIBBBBB", w, h, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def encode(pixels: np.ndarray, level: int = 1) -> bytes:
    """A PNG of H×W×3 (RGB), H×W×4 (RGBA) or H×W (grey) uint8 pixels, rows unfiltered."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"encode takes H×W, H×W×3 or H×W×4 uint8 pixels, not {a.shape} "
                         f"{a.dtype}")
    h, w = a.shape[:2]
    channels = 1 if a.ndim == 2 else a.shape[2]
    flat = a.reshape(h, w * channels)
    bands = _bands(h, w * channels + 1)
    buffer = rows(bands[0][1], w, channels)  # one band's rows, reused

    def filled() -> Iterator[np.ndarray]:
        for y, n in bands:
            buffer[:n, 1:] = flat[y:y + n]
            yield buffer[:n]

    return _png(h, w, channels, level, filled())


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
        raw = deflate.decompress(b"".join(idat))
    except (zlib.error, deflate.error):
        return None
    if len(raw) != h * (w * 3 + 1):
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(h, w * 3 + 1)
    if rows[:, 0].any():  # a row with a filter: Pillow undoes it
        return None
    return rows[:, 1:].reshape(h, w, 3)  # a view: frames are read-only wherever they go


def decode(data: bytes) -> tuple[np.ndarray, bool]:
    """``(pixels, rgb)``: the PNG's pixels as read-only H×W×3 uint8 RGB, and whether the file itself was
    8-bit RGB (so its bytes stand for exactly these pixels). Raises what Pillow raises for data
    that is not an image."""
    written = WRITTEN.find(data) if len(WRITTEN) and isinstance(data, bytes) else None
    if written is not None:  # the rows this file was written from, as inflating would give
        return written[:, 1:].reshape(written.shape[0], -1, 3), True
    pixels = _unfiltered_rgb(data)
    if pixels is not None:
        return pixels, True
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        rgb = image.format == "PNG" and image.mode == "RGB"
        return np.asarray(image if rgb else image.convert("RGB")), rgb


__all__ = ["Piece", "decode", "encode", "encode_pieces", "piece", "rows"]
