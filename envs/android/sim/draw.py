"""Drawing the simulated phone's screens with Pillow (1080×2400), from ``Phone.elements()``.

A screen is first written down as its list of draw calls (``ops``: Pillow's ``ImageDraw`` calls
and their arguments, recorded by ``Canvas``), then drawn. ``render`` draws them all on a new
image: the reference. ``Frames.draw`` gives the same pixels band by band: the screen is cut into
bands of ``BAND`` rows, and a band's pixels depend only on the calls that reach its rows (a
call's rows: ``_rows``, from its box, its line width or its text's bounding box, with a margin),
in their order. So a band is keyed by its place and those calls: a band whose key is the one
the phone's previous frame had there is left alone, another comes from the bands kept by every
phone of the process (``BANDS``: the status bar, the navigation bar, the keyboard, a list's
rows), and only the rest is drawn — each run of adjacent missing bands on an image of its own
height, with only the calls that reach it, moved up (``_movable_to`` says which calls move
exactly). The frame is assembled in the rows a PNG holds (``png.rows``), and each band is
deflated on its own when drawn (``png.piece``), so a frame's PNG is its bands' pieces joined
(``Frames.encode``). The tests compare ``Frames.draw`` with ``render`` along random walks.
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from vagent.actions import png
from vagent.actions.cache import LRU
from vagent.envs.draw import font, rgb_rows

from . import content as C
from .phone import DIALOG_BOX, DIALOGS, H, KB_TOP, NAV_TOP, STATUS_H, W, Element, Phone

#: One draw call: (``ImageDraw`` method, or "fill" / "shade" / "gradient"; its arguments; its
#: keywords).
Op = tuple[str, tuple, tuple]
#: rows per band: 20 divides the status bar (80), the keyboard's top (1500), the navigation
#: bar's (2280) and the screen (2400), so those edges are band edges.
BAND = 20
BANDS_PER_FRAME = H // BAND
#: kept bands by the calls that reach them — their rows and deflated piece — shared by every
#: simulated phone of the process (64.8 kB and ~1 kB each: 2000 bands ≈ 130 MB, 17 frames'
#: worth; fewer redrew a quarter more bands)
BANDS: LRU[tuple[np.ndarray, png.Piece]] = LRU(kept=2000)
#: each call seen: its number and the bands it reaches (a plain dict: read on every call of
#: every frame; emptied when full)
KNOWN: dict[Op, tuple[int, int, int, float]] = {}
KNOWN_MAX = 20_000
_numbers = itertools.count()
#: slack around a call's box: anti-aliased edges, a text's bounding box rounded
MARGIN = 4

_measure = threading.local()  # an ImageDraw per thread to measure texts with


def _recorder(name: str) -> Any:
    """A ``Canvas`` method recording the ``ImageDraw`` call ``name``."""

    def record(self: "Canvas", *args: Any, **kwargs: Any) -> None:
        # keywords in the caller's order: the same call site always gives the same key
        self.ops.append((name, args, tuple(kwargs.items())))

    record.__name__ = name
    return record


class Canvas:
    """Records ``ImageDraw`` calls (the ones the screens use) instead of drawing them. The first
    call fills the screen with the background; ``shade`` darkens everything drawn so far (the
    dim behind a pop-up); ``gradient`` paints a wallpaper over all of it."""

    text = _recorder("text")
    multiline_text = _recorder("multiline_text")
    rectangle = _recorder("rectangle")
    rounded_rectangle = _recorder("rounded_rectangle")
    ellipse = _recorder("ellipse")
    line = _recorder("line")

    def __init__(self, background: tuple[int, int, int]):
        self.ops: list[Op] = [("fill", (background,), ())]

    def shade(self, alpha: float) -> None:
        self.ops.append(("shade", (alpha,), ()))

    def gradient(self, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> None:
        """The whole screen from colour ``top`` down to ``bottom`` (a wallpaper)."""
        self.ops.append(("gradient", (top, bottom), ()))


def _draw(ops: Sequence[Op], height: int = H, top: int = 0) -> Image.Image:
    """The calls drawn in order on a new W×``height`` image showing the screen's rows from
    ``top`` (what falls outside is clipped, as at the screen's edge), as ``_plain`` draws them,
    faster: a wallpaper run starts from the wallpaper's rows and a shade is one table pass.
    The calls must move up by ``top`` rows exactly (``_movable_to``)."""
    first = 1
    if len(ops) > 1 and ops[1][0] == "gradient":  # a wallpaper hides the fill: start from it
        img, first = _gradient(*ops[1][1]).crop((0, top, W, top + height)), 2
    else:
        img = Image.new("RGB", (W, height), ops[0][1][0])
    d = ImageDraw.Draw(img)
    for name, args, kwargs in ops[first:]:
        if name == "shade":
            img = img.point(_shade(args[0]))
            d = ImageDraw.Draw(img)
        elif name == "gradient":  # it covers the whole screen: its rows replace what is there
            img.paste(_gradient(*args).crop((0, top, W, top + height)), (0, 0))
        else:
            getattr(d, name)(*_moved(args, top), **dict(kwargs))
    return img


def _plain(ops: Sequence[Op], height: int = H, top: int = 0) -> Image.Image:
    """The calls drawn one after the other with Pillow as they were recorded: the reference."""
    img = Image.new("RGB", (W, height), ops[0][1][0])
    d = ImageDraw.Draw(img)
    for name, args, kwargs in ops[1:]:
        if name == "shade":
            img.paste(Image.blend(img, Image.new("RGB", img.size, (0, 0, 0)), args[0]), (0, 0))
        elif name == "gradient":
            img.paste(_gradient(*args).crop((0, top, W, top + height)), (0, 0))
        else:
            getattr(d, name)(*_moved(args, top), **dict(kwargs))
    return img


def _moved(args: tuple, top: int) -> tuple:
    """A call's arguments with its position ``top`` rows higher."""
    if not top:
        return args
    xy = args[0]
    return ((xy[0], xy[1] - top) if len(xy) == 2 else
            tuple(v - top if i % 2 else v for i, v in enumerate(xy)), *args[1:])


@functools.lru_cache(maxsize=8)
def _shade(alpha: float) -> list[int]:
    """``shade``'s table of each channel value to its darkened one: what ``Image.blend`` with
    black gives (read from it, so its rounding is kept), applied as one ``point`` pass."""
    ramp = Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(1, 256, 3))
    dark = Image.blend(ramp, Image.new("RGB", ramp.size, (0, 0, 0)), alpha)
    return np.asarray(dark)[0, :, 0].tolist() * 3


@functools.lru_cache(maxsize=8)
def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """The wallpaper's vertical gradient over the whole screen, in bands of 8 rows (drawn once
    per wallpaper, pasted whole: the rectangles cover every pixel)."""
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    for y in range(0, H, 8):
        t = y / H
        d.rectangle((0, y, W, y + 8), fill=tuple(int(top[i] * (1 - t) + bottom[i] * t)
                                                  for i in range(3)))
    return img


def _movable_to(op: Op) -> float:
    """The lowest screen row the call can be drawn from: it draws the same pixels ``top`` rows
    higher on an image whose first row is the screen's row ``top`` for any ``top`` up to this.
    Whole coordinates move exactly; Pillow truncates a text's position toward zero, so a
    fractional one must stay at or below the image's top; a slanted wide line is a polygon in
    floating point (its edges might round otherwise): never moved (0)."""
    name, args, _ = op
    if name in ("fill", "shade", "gradient"):
        return H
    xy = args[0] if args else None
    if not isinstance(xy, tuple) or not all(isinstance(v, (int, float)) for v in xy):
        return 0
    if name in ("text", "multiline_text"):
        return H if len(xy) == 2 and xy[1] == int(xy[1]) else xy[1] if len(xy) == 2 else 0
    if name == "line" and (len(xy) != 4 or (xy[0] != xy[2] and xy[1] != xy[3])):
        return 0
    return H if len(xy) == 4 and all(v == int(v) for v in xy) else 0


def _measured(name: str, args: tuple, kw: dict[str, Any]) -> tuple[float, float]:
    """A text call's top and bottom: its bounding box moves with its position, so the box at
    the origin is measured once per text, font, anchor and spacing (a label drawn elsewhere, a
    list scrolled, is not laid out again)."""
    top, bottom = _measured_at_origin(name, args[1], kw.get("font"), kw.get("anchor"),
                                      kw.get("spacing", 4))
    return args[0][1] + top, args[0][1] + bottom


@functools.lru_cache(maxsize=8192)
def _measured_at_origin(name: str, text: str, font: Any, anchor: str | None,
                        spacing: float) -> tuple[float, float]:
    d = getattr(_measure, "draw", None)
    if d is None:
        d = _measure.draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    if name == "text":
        box = d.textbbox((0, 0), text, font=font, anchor=anchor)
    else:
        box = d.multiline_textbbox((0, 0), text, font=font, anchor=anchor, spacing=spacing)
    return box[1], box[3]


def _rows(op: Op) -> tuple[int, int]:
    """The rows [top, bottom) a call may change: more than it draws, never less."""
    name, args, kwargs = op
    if name in ("fill", "shade", "gradient"):
        return 0, H
    kw = dict(kwargs)
    if name in ("text", "multiline_text"):
        top, bottom = _measured(name, args, kw)
    else:
        xy = args[0] if args else kw["xy"]
        ys = [float(v) for v in (xy[1::2] if not isinstance(xy[0], Sequence) else
                                 [p[1] for p in xy])]
        width = kw.get("width", 1) or 1
        top, bottom = min(ys) - width, max(ys) + width
    return max(0, math.floor(top) - MARGIN), min(H, math.ceil(bottom) + 1 + MARGIN)


def render(phone: Phone) -> Image.Image:
    """The phone's screen drawn whole, call after call with Pillow (``_plain``): what
    ``Frames.draw`` must equal."""
    return _plain(ops(phone))


def _known(op: Op) -> tuple[int, int, int, float]:
    """A call's number (never given to another call), the first and last band it reaches, the
    lowest row it can be drawn from (``_movable_to``)."""
    top, bottom = _rows(op)
    if len(KNOWN) >= KNOWN_MAX:  # forgotten calls get new numbers: kept bands stay right
        KNOWN.clear()
    known = KNOWN[op] = (next(_numbers), top // BAND, (bottom - 1) // BAND, _movable_to(op))
    return known


class Frames:
    """One phone's frames, each assembled in the rows a PNG holds (``png.rows``: H × (1 + 3W),
    each row's filter byte first) beside each band's deflated ``png.Piece``: a band whose calls
    are those of the band already there is not touched; the others come from ``BANDS`` (pixels
    and piece), or are drawn and deflated. ``encode`` joins the pieces, so only the bands
    drawn for a frame are deflated. Rows kept by ``encode`` (read-only from then on) are left
    as they are: the next frame is assembled in new rows, its unchanged bands copied over."""

    def __init__(self) -> None:
        self.rows = png.rows(H, W)
        self._keys: list[tuple[int, ...] | None] = [None] * BANDS_PER_FRAME
        self._pieces: list[png.Piece] = []

    def draw(self, phone: Phone) -> np.ndarray:
        """The phone's screen in ``rows`` (valid until the next call: not thread-safe)."""
        calls = ops(phone)
        spans = [KNOWN.get(op) or _known(op) for op in calls]
        reach: list[list[int]] = [[b] for b in range(BANDS_PER_FRAME)]  # where, then what
        for number, first, last, _ in spans:
            for b in range(first, last + 1):
                reach[b].append(number)
        keys = [tuple(numbers) for numbers in reach]
        changed = [b for b in range(BANDS_PER_FRAME) if keys[b] != self._keys[b]]
        if not self.rows.flags.writeable:  # kept by encode: this frame goes elsewhere
            last = self.rows
            self.rows = png.rows(H, W)
            for run in _runs([b for b in range(BANDS_PER_FRAME) if keys[b] == self._keys[b]]):
                rows = slice(run[0] * BAND, (run[-1] + 1) * BAND)
                self.rows[rows] = last[rows]
        pieces = list(self._pieces) or [png.Piece(b"", 0, 0)] * BANDS_PER_FRAME
        self._keys = [None] * BANDS_PER_FRAME  # until the frame is whole: a failed draw redraws
        missing = []
        for b in changed:
            kept = BANDS.find(keys[b])
            if kept is None:
                missing.append(b)
            else:
                self.rows[b * BAND:(b + 1) * BAND], pieces[b] = kept
        for run in _runs(missing):  # adjacent bands drawn on one image, with the calls they need
            top, bottom = run[0] * BAND, (run[-1] + 1) * BAND
            needed = [(op, lowest) for op, (_, first, last, lowest) in zip(calls, spans)
                      if first <= run[-1] and last >= run[0]]
            # drawn from the lowest row every call can move to, clipped above the run
            top = max(0, min([top, *(math.floor(lowest) for _, lowest in needed)]))
            img = _draw([op for op, _ in needed], bottom - top, top)
            if top != run[0] * BAND:
                img = img.crop((0, run[0] * BAND - top, W, bottom - top))
            self.rows[run[0] * BAND:bottom, 1:] = rgb_rows(img)
            for b in run:
                # each band kept in a block of its own: a run's block is freed at once, and
                # the cache's blocks, all of one size, are reused as it drops bands
                rows = self.rows[b * BAND:(b + 1) * BAND].copy()
                rows.setflags(write=False)
                pieces[b] = png.piece(rows)
                BANDS.put(keys[b], (rows, pieces[b]))
        self._keys, self._pieces = keys, pieces
        return self.rows

    def encode(self, phone: Phone) -> bytes:
        """The phone's screen as a PNG, joined from its bands' pieces; its rows are kept
        (``png.WRITTEN``): an AndroidEnv of this process reading the PNG gets them back."""
        rows = self.draw(phone)
        return png.encode_pieces(H, W, self._pieces, keep=rows)


def _runs(bands: list[int]) -> list[list[int]]:
    """Sorted band numbers in runs of adjacent ones: [1, 2, 5] → [[1, 2], [5]]."""
    runs: list[list[int]] = []
    for b in bands:
        if runs and runs[-1][-1] == b - 1:
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


WALLPAPERS = [((32, 58, 96), (92, 140, 190)), ((60, 30, 80), (190, 110, 140)),
              ((20, 70, 60), (110, 180, 150)), ((70, 50, 30), (200, 160, 110))]
BLUE = (26, 115, 232)


@functools.lru_cache(maxsize=4096)  # the same labels every frame: laid out once
def _fit(text: str, size: int, width: int, bold: bool = False) -> str:
    """``text`` cut to ``width`` pixels (ending in "…") in ``font(size, bold)``."""
    f = font(size, bold)
    if f.getlength(text) <= width:
        return text
    while text and f.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def ops(phone: Phone) -> list[Op]:
    """The draw calls of the phone's screen, in order (bottom first), as ``Canvas`` records them."""
    s = phone.state
    dark = s.dark_theme
    bg = (32, 33, 36) if dark else (255, 255, 255)
    fg = (232, 234, 237) if dark else (32, 33, 36)
    dim = (154, 160, 166) if dark else (95, 99, 104)
    d = Canvas(bg)
    els = phone.elements(modal=False)
    screen = s.screen

    if screen in ("home", "drawer", "recents"):
        d.gradient(*WALLPAPERS[s.wallpaper % len(WALLPAPERS)])
        fg, dim = (255, 255, 255), (225, 230, 240)
        if screen == "home":
            d.text((W // 2, 200), "9:41", fill=fg, font=font(120), anchor="mm")
            d.text((W // 2, 300), "Sunday, November 22", fill=dim, font=font(40), anchor="mm")
            d.text((W // 2, 1880), "swipe up for all apps", fill=dim, font=font(30), anchor="mm")
        elif screen == "drawer":
            d.rounded_rectangle((40, 130, 1040, 250), radius=60, fill=(255, 255, 255))
            d.text((110, 190), "Search apps", fill=(95, 99, 104), font=font(40), anchor="lm")
    else:
        _app_chrome(d, phone, fg, dim, bg)

    d.rectangle((0, NAV_TOP, W, H), fill=(0, 0, 0) if screen in ("home", "drawer", "recents")
                else ((20, 20, 22) if dark else (240, 240, 240)))
    for el in els:
        _element(d, el, phone, fg, dim, bg)
    if s.dialog in DIALOGS:
        _dialog(d, phone)

    if s.toast:
        tw = font(36).getlength(s.toast) + 80
        box = ((W - tw) // 2, 2100, (W + tw) // 2, 2190)
        d.rounded_rectangle(box, radius=45, fill=(60, 64, 67))
        d.text((W // 2, 2145), s.toast, fill=(255, 255, 255), font=font(36), anchor="mm")
    # status bar and navigation bar
    bar_fg = (255, 255, 255) if screen in ("home", "drawer", "recents") or dark else (32, 33, 36)
    d.text((50, STATUS_H // 2), "9:41", fill=bar_fg, font=font(34, True), anchor="lm")
    icons = ("▲ " if s.wifi else "") + ("✈ " if s.airplane else "") + ("B " if s.bluetooth
                                                                        else "") + "▮ 87%"
    d.text((W - 40, STATUS_H // 2), icons, fill=bar_fg, font=font(32), anchor="rm")
    return d.ops


def _dialog(d: Canvas, phone: Phone) -> None:
    title, text, _ = DIALOGS[phone.state.dialog]
    d.shade(0.45)
    x0, y0, x1, y1 = DIALOG_BOX
    d.rounded_rectangle(DIALOG_BOX, radius=48, fill=(255, 255, 255))
    words, line, lines = title.split(), "", []
    for w in words:
        if font(48, True).getlength(line + " " + w) > x1 - x0 - 120:
            lines.append(line)
            line = w
        else:
            line = (line + " " + w).strip()
    lines.append(line)
    d.multiline_text((x0 + 60, y0 + 70), "\n".join(lines), fill=(32, 33, 36),
                     font=font(48, True), spacing=14)
    d.text((x0 + 60, y0 + 110 + 62 * len(lines)), _fit(text, 36, x1 - x0 - 120),
           fill=(95, 99, 104), font=font(36))
    for el in phone.elements():
        if el.kind == "dialog":
            d.text(el.centre, el.label, fill=BLUE, font=font(42, True), anchor="mm")


def _app_chrome(d: Canvas, phone: Phone, fg, dim, bg) -> None:  # noqa: ANN001
    """What each app screen draws besides its elements: title bars, pages, the map."""
    s = phone.state
    screen = s.screen
    title = {"gmail.inbox": "Inbox", "gmail.compose": "Compose", "settings.main": "Settings",
             "clock.main": "Clock", "store.start": "Google Play", "store.results": "Google Play",
             "settings.sub": "Settings"}.get(screen)
    if title:
        d.text((60, 200), title, fill=fg, font=font(56, True), anchor="lm")
    if screen == "chrome.start":
        d.text((W // 2, 700), "Google", fill=BLUE, font=font(140, True), anchor="mm")
        d.text((W // 2, 860), "Tap the address bar to search the web", fill=dim, font=font(36),
               anchor="mm")
    elif screen == "chrome.results":
        d.text((60, 270), f"Results for “{_fit(s.chrome_query, 34, 700)}” (simulated)",
               fill=dim, font=font(30), anchor="lm")
    elif screen == "chrome.page":
        rows = C.results(s.chrome_query)
        if s.detail is not None and s.detail < len(rows):
            t, sub = rows[s.detail]
            d.text((60, 360), _fit(t, 56, 960, True), fill=fg, font=font(56, True), anchor="lm")
            d.text((60, 450), _fit(sub, 38, 960), fill=dim, font=font(38), anchor="lm")
            d.multiline_text((60, 560), "A simulated web page.\nOpening hours, reviews and\n"
                             "directions would be here.", fill=fg, font=font(40), spacing=18)
    elif screen.startswith("maps."):
        top = 260
        bottom = 1250 if screen == "maps.results" else NAV_TOP
        d.rectangle((0, top, W, bottom), fill=(232, 234, 237) if bg != (32, 33, 36)
                    else (50, 55, 60))
        for k in range(0, W, 180):
            d.line((k, top, k + 120, bottom), fill=(255, 255, 255), width=14)
        for k in range(top, bottom, 240):
            d.line((0, k, W, k + 60), fill=(255, 255, 255), width=18)
        d.line((0, top + 420, W, top + 300), fill=(250, 210, 90), width=26)
        if screen == "maps.results":
            for i in range(min(5, len(C.results(s.maps_query)))):
                x, y = 180 + (i * 197) % 760, top + 140 + (i * 151) % 700
                d.ellipse((x - 28, y - 28, x + 28, y + 28), fill=(234, 67, 53))
                d.text((x, y), str(i + 1), fill=(255, 255, 255), font=font(30, True),
                       anchor="mm")
        if screen == "maps.place":
            rows = C.results(s.maps_query)
            if s.detail is not None and s.detail < len(rows):
                d.rectangle((0, 1500, W, NAV_TOP), fill=bg)
                d.text((60, 1600), _fit(rows[s.detail][0], 56, 960, True), fill=fg,
                       font=font(56, True), anchor="lm")
                d.text((60, 1690), _fit(rows[s.detail][1], 38, 960), fill=dim, font=font(38),
                       anchor="lm")
                d.rounded_rectangle((60, 1800, 460, 1920), radius=60, fill=BLUE)
                d.text((260, 1860), "Directions", fill=(255, 255, 255), font=font(40, True),
                       anchor="mm")
    elif screen == "gmail.email" and s.detail is not None:
        m = C.EMAILS[s.detail]
        d.text((60, 330), _fit(m["subject"], 56, 960, True), fill=fg, font=font(56, True),
               anchor="lm")
        d.ellipse((60, 420, 180, 540), fill=(234, 67, 53))
        d.text((120, 480), m["sender"][0], fill=(255, 255, 255), font=font(56, True),
               anchor="mm")
        d.text((210, 455), m["sender"], fill=fg, font=font(40, True), anchor="lm")
        d.text((210, 510), "to me", fill=dim, font=font(32), anchor="lm")
        words, line, lines = m["body"].split(), "", []
        for w in words:
            if font(42).getlength(line + " " + w) > 960:
                lines.append(line)
                line = w
            else:
                line = (line + " " + w).strip()
        lines.append(line)
        d.multiline_text((60, 620), "\n".join(lines), fill=fg, font=font(42), spacing=20)
    elif screen == "settings.sub" and s.detail is not None:
        from .phone import SETTINGS_ROWS

        d.text((60, 330), SETTINGS_ROWS[s.detail][1], fill=fg, font=font(56, True), anchor="lm")
        d.text((60, 430), "Nothing to change here in the simulator.", fill=dim, font=font(38),
               anchor="lm")
    elif screen == "clock.main":
        big = {"alarm": "7:30 AM  ●", "clock": "9:41", "timer": "00:05:00",
               "stopwatch": "00:00.00"}[s.clock_tab]
        d.text((W // 2, 800), big, fill=fg, font=font(150), anchor="mm")
        d.text((W // 2, 1000), s.clock_tab.capitalize(), fill=dim, font=font(50), anchor="mm")
    elif screen == "store.start":
        d.text((W // 2, 800), "Search for apps & games above", fill=dim, font=font(40),
               anchor="mm")
    elif screen == "app.generic":
        colour, glyph = C.app_style(s.app)
        d.rounded_rectangle((390, 700, 690, 1000), radius=70, fill=colour)
        d.text((540, 850), glyph, fill=(255, 255, 255), font=font(150, True), anchor="mm")
        d.text((W // 2, 1150), C.label_of(s.app), fill=fg, font=font(64, True), anchor="mm")
        d.text((W // 2, 1250), "(a placeholder app in the simulator)", fill=dim, font=font(36),
               anchor="mm")
    if screen == "store.results" and not any(e.kind == "row" for e in phone.elements()):
        d.text((W // 2, 700), f"No apps match “{s.store_query}”", fill=dim, font=font(40),
               anchor="mm")


def _element(d: Canvas, el: Element, phone: Phone, fg, dim, bg) -> None:  # noqa: ANN001
    x0, y0, x1, y1 = el.box
    cx, cy = el.centre
    dark = phone.state.dark_theme
    if el.kind == "icon":
        colour, glyph = C.app_style(el.id.partition(":")[2])
        d.rounded_rectangle((cx - 80, y0 + 20, cx + 80, y0 + 180), radius=40, fill=colour)
        d.text((cx, y0 + 100), glyph, fill=(255, 255, 255), font=font(72, True), anchor="mm")
        d.text((cx, y0 + 225), _fit(el.label, 34, 240), fill=(255, 255, 255), font=font(34),
               anchor="mm")
    elif el.kind == "field":
        if el.id == "search_widget":
            d.rounded_rectangle(el.box, radius=70, fill=(255, 255, 255))
            d.text((x0 + 70, cy), "G", fill=BLUE, font=font(56, True), anchor="lm")
            d.text((x0 + 150, cy), "Search", fill=(95, 99, 104), font=font(42), anchor="lm")
            return
        fill = (48, 49, 52) if dark else (241, 243, 244)
        d.rounded_rectangle((x0, y0, el.box[2] if not el.label else 1040, y1), radius=40,
                            fill=fill, outline=BLUE if el.on else None, width=4)
        text = el.label.replace("\n", "⏎").replace("\t", "⇥")
        shown = text if text else el.sub
        colour = fg if text else dim
        f = font(40)
        while text and f.getlength(shown) > x1 - x0 - 80:
            shown = shown[1:]  # keep the end of long text in view, as a field scrolls
        d.text((x0 + 40, y0 + min(60, (y1 - y0) // 2)), shown + ("|" if el.on else ""),
               fill=colour, font=f, anchor="lm")
    elif el.kind == "clear":
        d.text((cx, cy), "✕", fill=dim, font=font(44), anchor="mm")
    elif el.kind == "row":
        d.line((40, y1 - 1, W - 40, y1 - 1), fill=(60, 64, 67) if dark else (218, 220, 224),
               width=2)
        d.text((60, y0 + (y1 - y0) * 0.38), _fit(el.label, 44, 700 if el.id.startswith("app:")
                                                 else 960, True),
               fill=BLUE if el.id.startswith("result:") else fg, font=font(44, True), anchor="lm")
        d.text((60, y0 + (y1 - y0) * 0.70), _fit(el.sub, 34, 960), fill=dim, font=font(34),
               anchor="lm")
    elif el.kind == "toggle":
        d.line((40, y1 - 1, W - 40, y1 - 1), fill=(218, 220, 224), width=2)
        d.text((60, cy), el.label, fill=fg, font=font(46), anchor="lm")
        d.text((60, cy + 55), "On" if el.on else "Off", fill=dim, font=font(32), anchor="lm")
        track = (W - 220, cy - 35, W - 60, cy + 35)
        d.rounded_rectangle(track, radius=35, fill=BLUE if el.on else (154, 160, 166))
        kx = W - 95 if el.on else W - 185
        d.ellipse((kx - 30, cy - 30, kx + 30, cy + 30), fill=(255, 255, 255))
    elif el.kind == "button":
        d.rounded_rectangle(el.box, radius=(y1 - y0) // 2, fill=BLUE if el.id != "compose"
                            else (194, 231, 255))
        d.text((cx, cy), el.label, fill=(255, 255, 255) if el.id != "compose" else (0, 29, 53),
               font=font(40, True), anchor="mm")
    elif el.kind == "tab":
        d.text((cx, cy), el.label, fill=BLUE if el.on else dim, font=font(38, el.on),
               anchor="mm")
        if el.on:
            d.rectangle((x0 + 40, y1 - 10, x1 - 40, y1), fill=BLUE)
    elif el.kind == "card":
        d.rounded_rectangle(el.box, radius=40, fill=(255, 255, 255))
        colour, glyph = C.app_style(el.id.partition(":")[2])
        d.rounded_rectangle((x0 + 40, y0 + 40, x0 + 160, y0 + 160), radius=30, fill=colour)
        d.text((x0 + 100, y0 + 100), glyph, fill=(255, 255, 255), font=font(60, True),
               anchor="mm")
        d.text((x0 + 200, y0 + 100), el.label, fill=(32, 33, 36), font=font(48, True),
               anchor="lm")
    elif el.kind == "key":
        if el.id == "key:q":  # draw the keyboard's background once, under the first key
            d.rectangle((0, KB_TOP, W, NAV_TOP), fill=(40, 42, 46) if dark else (232, 234, 237))
        d.rounded_rectangle((x0 + 6, y0 + 6, x1 - 6, y1 - 6), radius=16,
                            fill=(70, 72, 76) if dark else (255, 255, 255))
        d.text((cx, cy), el.label, fill=fg, font=font(48 if len(el.label) == 1 else 36),
               anchor="mm")
    elif el.kind == "nav":
        d.text((cx, cy), el.label, fill=(200, 200, 200), font=font(50), anchor="mm")
