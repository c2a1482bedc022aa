"""Frames on the step's path: the project's PNG writer and reader (``actions.png``), the
simulated phone's screencaps, AndroidEnv's decoded-frame cache, image files that keep their
bytes, and the cheaper copies of ALFRED's metadata and VLN's action models — each giving what
the slow path gave, pixel for pixel."""

from __future__ import annotations

import copy
import math
import io
import zlib

import numpy as np
import pytest
from PIL import Image

from vagent.actions import files, png
from vagent.actions.context import png_bytes
from vagent.actions.cache import LRU
from vagent.envs.android.sim import draw
from vagent.envs.android.sim.commands import Device


def _pil(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert(im.mode))


# -- actions.png ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(7, 5, 3), (1, 1, 3), (40, 33, 4), (9, 17)])
def test_encode_is_a_png_pillow_reads_back_pixel_for_pixel(shape) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    data = png.encode(pixels)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert np.array_equal(_pil(data), pixels)
    if len(shape) == 3 and shape[2] == 3:
        decoded, rgb = png.decode(data)
        assert rgb and np.array_equal(decoded, pixels) and not decoded.flags.writeable


def test_encode_in_many_bands_and_with_either_deflate_gives_the_same_pixels(monkeypatch) -> None:
    pixels = np.random.default_rng(4).integers(0, 256, (37, 11, 3), dtype=np.uint8)
    pixels[5:20] = 200  # flat rows, as on a screen
    monkeypatch.setattr(png, "BAND_BYTES", 100)  # 3 rows a band: 13 bands, the last short
    for deflate in {png.deflate, zlib}:  # ISA-L's (when installed) and the standard library's
        monkeypatch.setattr(png, "deflate", deflate)
        data = png.encode(pixels)
        assert np.array_equal(_pil(data), pixels)
        assert np.array_equal(png.decode(data)[0], pixels)


def test_encode_refuses_what_is_not_uint8_pixels() -> None:
    for bad in (np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8),
                np.zeros(5, np.uint8)):
        with pytest.raises(ValueError, match="uint8 pixels"):
            png.encode(bad)


def test_decode_hands_other_pngs_and_images_to_pillow() -> None:
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)
    for mode, kw in (("RGB", {}), ("RGB", {"compress_level": 9}), ("RGBA", {}), ("L", {}),
                     ("P", {})):
        im = Image.fromarray(rgb).convert(mode)
        buf = io.BytesIO()
        im.save(buf, format="PNG", **kw)  # Pillow filters its rows: not the fast reader's case
        pixels, is_rgb = png.decode(buf.getvalue())
        assert is_rgb == (mode == "RGB")
        assert np.array_equal(pixels, np.asarray(im.convert("RGB")))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG")
    pixels, is_rgb = png.decode(buf.getvalue())
    assert not is_rgb and pixels.shape == (30, 20, 3)


def test_decode_of_a_damaged_png_raises_or_falls_back_never_returns_wrong_pixels() -> None:
    pixels = np.random.default_rng(7).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    data = png.encode(pixels)
    damaged = [data[:cut] for cut in range(0, len(data), 5)]
    damaged += [data[:i] + bytes([data[i] ^ 0x40]) + data[i + 1:] for i in range(8, len(data), 9)]
    outcomes = set()
    for bad in damaged:
        try:
            decoded, _ = png.decode(bad)
        except Exception:  # noqa: BLE001 - Pillow's own errors for a cut or bent file
            outcomes.add("raised")
            continue
        assert np.array_equal(decoded, pixels)  # only a harmless byte (a CRC, IEND) was lost
        outcomes.add("same pixels")
    assert outcomes == {"raised", "same pixels"}
    with pytest.raises(Exception):  # noqa: B017
        png.decode(b"not an image at all")
    # a filtered row in an otherwise unfiltered file: the fast reader leaves it to Pillow
    h, w = pixels.shape[:2]
    rows = np.zeros((h, w * 3 + 1), np.uint8)
    rows[:, 1:] = pixels.reshape(h, -1)
    rows[3, 0] = 1  # Sub filter on row 3: its bytes are now differences
    rows[3, 4:] = (pixels[3].reshape(-1)[3:].astype(int) - pixels[3].reshape(-1)[:-3]) % 256
    head = png.SIGNATURE + png._chunk(b"IHDR", bytes.fromhex("00000010000000100802000000"))
    filtered = head + png._chunk(b"IDAT", zlib.compress(rows.tobytes())) + png._chunk(b"IEND", b"")
    decoded, _ = png.decode(filtered)
    assert np.array_equal(decoded, pixels) and np.array_equal(_pil(filtered), pixels)


# -- the simulated phone's frames -----------------------------------------------------------------
def test_screencap_follows_every_change_pixel_for_pixel() -> None:
    a = Device()
    first = a.run_line("screencap -p")
    assert a.run_line("screencap -p") is first  # the same screen: not encoded again
    assert np.array_equal(_pil(first), np.asarray(draw.render(a.phone)))
    for line in ("input keyevent 3", "input tap 165 570", "input keyevent 4",
                 "input swipe 540 1800 540 600 300", "input tap 540 2030"):
        before = a.run_line("screencap -p")
        a.run_line(line)
        after = a.run_line("screencap -p")
        assert np.array_equal(_pil(after), np.asarray(draw.render(a.phone))), line
        assert np.array_equal(png.decode(after)[0], _pil(after))


def test_screens_are_cached_by_what_they_show_and_redrawn_when_it_changes() -> None:
    from vagent.envs.android.sim.commands import SCREENS

    a, b = Device(), Device()
    home = a.run_line("screencap -p")
    assert b.run_line("screencap -p") is home  # another phone on the same screen: drawn once
    a.run_line("am start -n com.android.settings/.Settings")
    settings = a.run_line("screencap -p")
    a.run_line("input tap 540 400")  # the Wi-Fi toggle
    assert a.phone.state.wifi is False
    off = a.run_line("screencap -p")
    assert off != settings and np.array_equal(_pil(off), np.asarray(draw.render(a.phone)))
    a.run_line("input tap 540 400")  # on again: the same look as before, the same bytes
    assert a.run_line("screencap -p") is settings
    a.run_line("input keyevent 3")
    a.run_line("input tap 540 2030")  # the search widget: Chrome with the keyboard up
    hits = SCREENS.hits
    for text in ("pizza", "pizza%snear"):
        a.run_line(f"input text {text}")
        typed = a.run_line("screencap -p")
        assert np.array_equal(_pil(typed), np.asarray(draw.render(a.phone)))
    assert "pizza near" in _typed(a) and SCREENS.hits == hits  # each new text: a new frame
    raw = a.run_line("screencap")
    assert raw[16:20] == np.asarray(draw.render(a.phone).convert("RGBA"))[0, 0].tobytes()


def _typed(device: Device) -> str:
    return device.phone.state.fields.get("chrome.url", "")


def test_what_no_screen_shows_changes_no_pixel() -> None:
    from vagent.envs.android.sim.phone import UNSEEN, Phone, Place

    phone = Phone()
    phone.launch("com.google.android.gm")
    look, pixels = phone.look(), np.asarray(draw.render(phone))
    s = phone.state
    s.typed.append("hello")
    s.sent.append({"to": "a@b.c", "subject": "s", "body": "b"})
    s.ime, s.adb_keyboard = "other/.Ime", False
    s.back.append(Place(app="x", screen="home"))
    s.resume["com.android.chrome"] = Place(app="com.android.chrome", screen="chrome.results")
    s.events.append("tap 1 2 -> nothing")
    assert set(UNSEEN) == {"typed", "sent", "ime", "adb_keyboard", "back", "resume", "events"}
    assert phone.look() == look and np.array_equal(np.asarray(draw.render(phone)), pixels)
    s.dark_theme = True  # a field the screen shows: another look, other pixels
    assert phone.look() != look and not np.array_equal(np.asarray(draw.render(phone)), pixels)


def test_fonts_keep_their_masks_and_draw_what_pillow_draws() -> None:
    from PIL import ImageDraw, ImageFont

    from vagent.envs.draw import StampFont, font

    kept = font(37)
    if not isinstance(kept, StampFont):
        pytest.skip("no DejaVu font: Pillow's own font is used, nothing is kept")
    plain = ImageFont.truetype(kept.path, 37)
    images = []
    for f in (kept, kept, plain):  # the second draw comes from the kept masks
        im = Image.new("RGB", (300, 120), (20, 30, 40))
        d = ImageDraw.Draw(im)
        d.text((10.5, 20), "Wi-Fi ▮ 87%", fill=(250, 250, 250), font=f)
        d.text((150, 80), "Off", fill=(26, 115, 232), font=f, anchor="mm")
        images.append(np.asarray(im))
    assert kept._masks.hits >= 2
    assert np.array_equal(images[0], images[2]) and np.array_equal(images[1], images[2])
    mask, _ = kept.getmask2("A", "RGBA")  # colour masks are the caller's to change: fresh
    assert kept.getmask2("A", "RGBA")[0] is not mask


def test_frame_cache_keeps_at_most_its_size() -> None:
    cache: LRU[int] = LRU(kept=3)
    made = []
    for key in [1, 2, 3, 1, 4, 2, 1]:
        cache.get(key, lambda k=key: made.append(k) or k * 10)
    assert len(cache) == 3 and made == [1, 2, 3, 4, 2]
    assert (cache.hits, cache.misses) == (2, 5)
    with pytest.raises(ZeroDivisionError):  # a failing make keeps nothing
        cache.get(9, lambda: 1 // 0)
    assert len(cache) == 3 and cache.get(9, lambda: 90) == 90


def test_android_env_decodes_a_frame_once_and_shares_it_read_only(android_env) -> None:
    from vagent.envs.android.env import DECODED

    DECODED.clear()
    obs, _ = android_env.reset(options={"task": "go to the home screen"})
    shot = obs["screenshot"]
    again = android_env.screenshot()
    assert again is shot and DECODED.hits == 1  # same bytes: not decoded again
    assert not shot.flags.writeable
    with pytest.raises(ValueError):
        shot[0, 0] = 0
    assert np.array_equal(_pil(png_bytes(shot)), shot)  # the kept bytes are these pixels
    android_env.step(android_env.oracle_action())
    moved = android_env.screenshot()
    assert moved is not shot and not np.array_equal(moved, shot)


# -- files, ALFRED, VLN ------------------------------------------------------------------------------
def test_open_screenshot_keeps_an_rgb_pngs_bytes(tmp_path) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    Image.fromarray(pixels).convert("RGBA").save(tmp_path / "b.png")
    Image.fromarray(pixels).save(tmp_path / "c.jpg")
    a = files.open_screenshot(tmp_path / "a.png")
    assert np.array_equal(a, pixels) and png_bytes(a) == (tmp_path / "a.png").read_bytes()
    b = files.open_screenshot(tmp_path / "b.png")
    assert np.array_equal(b, pixels) and png_bytes(b) is None  # RGBA bytes are not the RGB obs
    c = files.open_screenshot(tmp_path / "c.jpg")
    assert c.shape == (12, 10, 3) and png_bytes(c) is None
    assert not (a.flags.writeable or b.flags.writeable or c.flags.writeable)
    (tmp_path / "d.png").write_bytes((tmp_path / "a.png").read_bytes()[:40])
    with pytest.raises(files.DataFileError, match="d.png: the image does not decode"):
        files.open_screenshot(tmp_path / "d.png")
    with pytest.raises(files.DataFileError, match="no image"):
        files.open_screenshot(tmp_path / "missing.png")


def test_alfred_metadata_copy_is_a_deep_copy() -> None:
    from vagent.envs.alfred.symbolic import _copy

    state = {"position": {"x": 1.0, "y": [1, {"z": 2}]}, "ids": ["a", "b"], "on": True,
             "n": None, "t": "RoomTemp"}
    out = _copy(state)
    assert out == copy.deepcopy(state)
    out["position"]["y"][1]["z"] = 9
    out["ids"].append("c")
    assert state["position"]["y"][1]["z"] == 2 and state["ids"] == ["a", "b"]


def test_vln_action_models_are_shared_and_still_refuse_other_viewpoints() -> None:
    from vagent.envs.vln.env import Go, Stop, _choice

    go = _choice(Go, "viewpoint", ("vp1", "vp2"), True)
    assert _choice(Go, "viewpoint", ("vp1", "vp2"), True) is go
    assert go.model_validate({"action": "go", "viewpoint": "vp2"}).viewpoint == "vp2"
    with pytest.raises(Exception, match="vp1"):  # noqa: B017 - pydantic's literal error
        go.model_validate({"action": "go", "viewpoint": "vp3"})
    stop = _choice(Stop, "object_id", None, False)
    assert stop.model_validate({"action": "stop"}).object_id is None
    with pytest.raises(Exception):  # noqa: B017
        stop.model_validate({"action": "stop", "object_id": "x"})
    named = _choice(Stop, "object_id", ("o1",), False)
    assert named.model_validate({"action": "stop", "object_id": "o1"}).object_id == "o1"


# -- frames drawn band by band (sim.draw.Frames) ------------------------------------------------
def _same_as_whole(frames: draw.Frames, phone) -> bool:  # noqa: ANN001
    rows = frames.draw(phone)
    return np.array_equal(rows[:, 1:].reshape(draw.H, draw.W, 3), np.asarray(draw.render(phone)))


def _pieces(rows: np.ndarray, band: int) -> list[png.Piece]:
    return [png.piece(rows[y:y + band]) for y in range(0, rows.shape[0], band)]


def _stream(data: bytes) -> bytes:
    """The PNG's IDAT, inflated by the standard library's zlib, which checks the Adler-32."""
    pos, idat = 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(idat)


def test_pieces_joined_are_a_png_of_the_rows_with_either_deflate(monkeypatch) -> None:
    rng = np.random.default_rng(8)
    pixels = rng.integers(0, 256, (203, 90, 3), dtype=np.uint8)
    pixels[30:150] = 250  # flat rows, as on a screen
    rows = png.rows(203, 90)
    rows[:, 1:] = pixels.reshape(203, -1)
    for deflate in {png.deflate, zlib}:  # ISA-L's (when installed) and the standard library's
        monkeypatch.setattr(png, "deflate", deflate)
        for band in (20, 7, 203):  # the last piece short, or one piece for the whole frame
            data = png.encode_pieces(203, 90, _pieces(rows, band))
            assert np.array_equal(_pil(data), pixels)
            assert np.array_equal(png.decode(data)[0], pixels)  # inflated: nothing was kept
            assert _stream(data) == rows.tobytes()
    single = png.encode_pieces(203, 90, [png.piece(rows)])
    assert np.array_equal(_pil(single), pixels) and len(single) < len(rows.tobytes()) // 2


def test_pieces_and_rows_of_another_layout_are_refused() -> None:
    rows = png.rows(40, 30)
    rows[:, 1:] = 9
    with pytest.raises(ValueError, match="not the rows of a 30x41 frame"):
        png.encode_pieces(41, 30, _pieces(rows, 20))  # a row short
    rows[5, 0] = 1  # a filter byte: not the layout png.rows made
    for bad in (rows, rows[:, 1:], np.zeros((4, 11), np.float32), png.rows(4, 3)[::2]):
        with pytest.raises(ValueError, match="png.rows"):
            png.piece(bad)


def test_adler_of_two_strings_joined_is_the_adler_of_both() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=300), st.binary(max_size=300), st.integers(0, 70_000),
           st.integers(0, 255))
    def check(first, second, long, byte) -> None:  # noqa: ANN001
        for a, b in ((first, second), (first, bytes([byte]) * long)):  # past the modulus too
            assert png._adler_join(zlib.adler32(a), zlib.adler32(b), len(b)) == \
                zlib.adler32(a + b)

    check()


@pytest.mark.parametrize("change", ["type", "toggle", "scroll", "pop-up", "toast", "theme",
                                    "wallpaper"])
def test_each_change_redraws_only_what_it_reaches_and_gives_the_whole_frame(change) -> None:
    from vagent.envs.android.sim.phone import Phone

    phone, frames = Phone(), draw.Frames()
    setup = {"type": lambda: phone.launch("com.google.android.gm") and phone.tap(
                 *phone.find("compose").centre),
             "toggle": lambda: phone.launch("com.android.settings"),
             "theme": lambda: phone.launch("com.android.settings"),
             "scroll": lambda: phone.launch("com.google.android.apps.maps") and phone.state
             .fields.update({"maps.search": "pizza"}) or phone.submit("maps.search"),
             "pop-up": lambda: phone.launch("com.google.android.apps.maps")}
    setup.get(change, lambda: None)()
    assert _same_as_whole(frames, phone)
    act = {"type": lambda: phone.deliver_text("hello"),
           "toggle": lambda: phone.tap(*phone.find("toggle:wifi").centre),
           "scroll": lambda: phone.swipe(540, 1800, 540, 700, 300),
           "pop-up": lambda: setattr(phone.state, "dialog", "location"),
           "toast": lambda: setattr(phone.state, "toast", "Saved"),
           "theme": lambda: setattr(phone.state, "dark_theme", True),
           "wallpaper": lambda: setattr(phone.state, "wallpaper", 2)}
    before = frames.draw(phone).copy()
    drawn = draw.BANDS.misses + draw.BANDS.hits
    act[change]()
    assert _same_as_whole(frames, phone), change
    after = frames.rows
    assert not np.array_equal(before, after), f"{change} changed no pixel: the test tests nothing"
    if change in ("type", "toggle", "toast"):  # a few rows: the other bands are left as they were
        assert draw.BANDS.misses + draw.BANDS.hits - drawn < draw.BANDS_PER_FRAME // 2


def test_band_frames_equal_whole_frames_along_random_walks() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from vagent.envs.android.sim.phone import DIALOGS, Phone

    moves = st.one_of(
        st.tuples(st.just("tap"), st.integers(0, 60)),
        st.tuples(st.just("text"),
                  st.sampled_from(["pizza", "a b", "Ünï ✓", "x" * 70, "l\nb"])),
        st.tuples(st.just("key"), st.sampled_from([3, 4, 66, 67, 187])),
        st.tuples(st.just("swipe"), st.sampled_from([(1800, 600), (600, 1800), (1800, 1500),
                                                  (1500, 1800)])),
        st.tuples(st.just("dialog"), st.sampled_from([None, *DIALOGS])),
        st.tuples(st.just("toast"), st.sampled_from(["", "Saved", "Sent to the whole team"])),
        st.tuples(st.just("dark"), st.booleans()))

    @settings(max_examples=12, deadline=None)
    @given(st.lists(moves, min_size=1, max_size=8), st.booleans())
    def walk(path, keep) -> None:  # noqa: ANN001
        phone, frames = Phone(), draw.Frames()
        s = phone.state
        written = []  # frames kept by the encoder: the next ones must be drawn elsewhere
        for kind, arg in path:
            if kind == "tap":
                els = phone.elements()
                phone.tap(*els[arg % len(els)].centre)
            elif kind == "text":
                phone.deliver_text(arg)
            elif kind == "key":
                phone.keyevent(arg)
            elif kind == "swipe":
                phone.swipe(540, arg[0], 540, arg[1], 300)
            else:
                setattr(s, {"dialog": "dialog", "toast": "toast", "dark": "dark_theme"}[kind], arg)
            assert _same_as_whole(frames, phone), (kind, arg, s.screen)
            if keep:
                data = frames.encode(phone)
                assert _stream(data) == frames.rows.tobytes()  # the pieces: the frame's rows
                written.append((data, np.asarray(draw.render(phone))))
        for data, pixels in written:
            assert np.array_equal(png.decode(data)[0], pixels)
            assert np.array_equal(_pil(data), pixels)

    walk()


def test_find_and_put_keep_at_most_the_size_and_count_hits() -> None:
    cache: LRU[str] = LRU(kept=2)
    assert cache.find("a") is None and cache.put("a", "A") == "A"
    cache.put("b", "B")
    assert cache.find("a") == "A"  # a is now the most recent: b goes first
    cache.put("c", "C")
    assert cache.find("b") is None and cache.find("a") == "A" and len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 2)


def test_a_wallpaper_pasted_is_its_rectangles_drawn_on_any_background() -> None:
    from PIL import ImageDraw

    top, bottom = draw.WALLPAPERS[1]
    for background in ((255, 255, 255), (32, 33, 36)):
        img = Image.new("RGB", (draw.W, draw.H), background)
        d = ImageDraw.Draw(img)
        for y in range(0, draw.H, 8):
            t = y / draw.H
            d.rectangle((0, y, draw.W, y + 8),
                        fill=tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3)))
        ops = [("fill", (background,), ()), ("gradient", (top, bottom), ())]
        assert np.array_equal(np.asarray(draw._draw(ops)), np.asarray(img))
        assert np.array_equal(np.asarray(draw._draw(ops, 300, 1000)), np.asarray(img)[1000:1300])


def test_a_png_written_with_keep_is_read_back_as_written_and_no_other() -> None:
    pixels = np.random.default_rng(9).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    rows = png.rows(64, 48)
    rows[:, 1:] = pixels.reshape(64, -1)
    data = png.encode_pieces(64, 48, _pieces(rows, 20), keep=rows)
    assert not rows.flags.writeable  # kept as they are: nobody may change them now
    view = png.rows(65, 48)[1:]
    view[:, 1:] = 7
    png.encode_pieces(64, 48, _pieces(view, 64), keep=view)
    view[:, 1:] = 0  # a view is copied: its base stays the caller's
    with pytest.raises(ValueError, match="rows of a 48x64 frame"):
        png.encode_pieces(64, 48, _pieces(rows, 20), keep=png.rows(65, 48))
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        png.encode_pieces(64, 48, _pieces(rows, 20), channels=2)
    hits = png.WRITTEN.hits
    back, rgb = png.decode(data)
    assert png.WRITTEN.hits == hits + 1 and rgb and not back.flags.writeable
    assert np.array_equal(back, pixels) and np.array_equal(back, _pil(data))
    assert back.shape == png._unfiltered_rgb(data).shape  # what inflating gives, view and all
    other = png.encode(pixels[::-1].copy())  # not kept: inflated
    assert np.array_equal(png.decode(other)[0], pixels[::-1]) and png.WRITTEN.hits == hits + 1
    assert np.array_equal(png.decode(bytearray(data))[0], pixels)  # any bytes-like still reads


@pytest.mark.parametrize("alpha", [0.45, 0.3, 0.77])
def test_a_shade_is_a_blend_with_black_pixel_for_pixel(alpha) -> None:
    pixels = np.random.default_rng(10).integers(0, 256, (40, 70, 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    want = Image.blend(img, Image.new("RGB", img.size, (0, 0, 0)), alpha)
    assert np.array_equal(np.asarray(img.point(draw._shade(alpha))), np.asarray(want))


@pytest.mark.parametrize("size", [(1, 1), (1080, 20), (1080, 244), (37, 1900)])
def test_rgb_rows_are_pillows_pixels_and_leave_its_block_size_as_it_was(size) -> None:
    from PIL import ImageFile

    from vagent.envs.draw import rgb_rows, to_array

    pixels = np.random.default_rng(11).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    block = ImageFile.MAXBLOCK
    rows = rgb_rows(img)
    assert ImageFile.MAXBLOCK == block and not rows.flags.writeable
    assert np.array_equal(rows.reshape(size[1], size[0], 3), pixels)
    grey = to_array(img.convert("L"))  # any mode: converted to RGB first, an array of its own
    assert grey.shape == pixels.shape and grey.flags.writeable
    with pytest.raises(ValueError, match="RGB image"):
        rgb_rows(img.convert("L"))


def test_a_text_measured_once_at_the_origin_is_measured_right_anywhere() -> None:
    """``_measured`` moves a text's box measured at (0, 0) to where the text is drawn: the box
    Pillow measures there, for every text of these screens and at fractional positions."""
    from PIL import ImageDraw

    from vagent.envs.android.sim.phone import Phone

    phone, d = Phone(), ImageDraw.Draw(Image.new("RGB", (1, 1)))
    texts = []
    for app in (None, "com.google.android.gm", "com.android.settings"):
        if app:
            phone.launch(app)
        texts += [op for op in draw.ops(phone) if op[0] in ("text", "multiline_text")]
    texts.append(("multiline_text", ((60, 560.6), "two\nlines Ünï ✓"),
                  (("font", draw.font(40)), ("spacing", 18))))
    assert len(texts) > 20
    for name, args, kwargs in texts:
        kw = dict(kwargs)
        for dy in (0, 0.38, 117.7):
            xy = (args[0][0], args[0][1] + dy)
            if name == "text":
                want = d.textbbox(xy, args[1], font=kw.get("font"), anchor=kw.get("anchor"))
            else:
                want = d.multiline_textbbox(xy, args[1], font=kw.get("font"),
                                            anchor=kw.get("anchor"), spacing=kw.get("spacing", 4))
            got = draw._measured(name, (xy, *args[1:]), kw)
            assert got == pytest.approx((want[1], want[3]), abs=1e-9), (args[1], xy)


def test_the_faster_drawing_is_pillows_call_after_call() -> None:
    """``_draw`` (a shade as one table pass, calls moved up to the run's top) gives every pixel
    ``_plain`` gives: random texts and shapes at fractional positions, from moved tops."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    shapes = st.tuples(st.sampled_from(["rectangle", "rounded_rectangle", None]),
                       st.integers(0, 1000), st.integers(0, 260), st.integers(1, 400),
                       st.integers(1, 200), st.integers(0, 120),
                       st.tuples(*[st.integers(0, 255)] * 3))
    texts = st.tuples(st.sampled_from(["Pizza Palace", "g", "Ünï ✓", "W", "a b c", "…"]),
                      st.sampled_from([(34, False), (44, True), (72, True)]),
                      st.sampled_from(["lm", "mm", "la", None]),
                      st.floats(0, 1080), st.floats(0, 300),
                      st.sampled_from([(26, 115, 232), (32, 33, 36), (255, 255, 255)]))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.one_of(shapes, texts), min_size=1, max_size=6),
           st.sampled_from([(255, 255, 255), (32, 33, 36)]), st.integers(0, 40),
           st.booleans())
    def same(calls, background, top, shade) -> None:  # noqa: ANN001
        ops = [("fill", (background,), ())]
        for call in calls:
            if len(call) == 7:
                name, x, y, w, h, r, fill = call
                if name is not None:
                    kw = (("radius", r), ("fill", fill)) if name == "rounded_rectangle" \
                        else (("fill", fill),)
                    ops.append((name, ((x, y, x + w, y + h),), kw))
            else:
                text, (size, bold), anchor, x, y, fill = call
                kw = [("fill", fill), ("font", draw.font(size, bold))]
                if anchor:
                    kw.append(("anchor", anchor))
                ops.append(("text", ((x, y + top), text), tuple(kw)))
            if shade and len(ops) == 3:
                ops.append(("shade", (0.45,), ()))
        lowest = min([top, *(draw._movable_to(op) for op in ops)])
        top = max(0, math.floor(lowest))
        got, want = draw._draw(ops, 200, top), draw._plain(ops, 200, top)
        assert np.array_equal(np.asarray(got), np.asarray(want)), ops

    same()
