"""``AndroidEnv``: an Android device (phone, emulator, or the simulated phone) as a gymnasium env.

Observations come from ``screencap`` (PNG with ``-p``, or the raw RGBA dump; ``screencap=auto``
measures both once and keeps the faster), the screen size from ``wm size``. Every action of the
mobile space is executed with ``input`` / ``am`` / ``monkey`` commands; after each one the env
waits ``settle`` seconds for the screen to settle. When the device is the project's simulated
phone, the task's success check and oracle run over the simulator's state (``vagent-sim
state``); on any other device ``success`` is None and there is no oracle.
"""

from __future__ import annotations

import json
import re
import struct
import time
from typing import Any

import numpy as np

from vagent.actions import (Action, Button, Click, Key, LongPress, OpenApp, Scroll, Swipe, Terminate,
                     Type, Wait)
from vagent.actions import png
from vagent.actions.cache import LRU
from vagent.actions.context import EncodedImage
from vagent.actions.errors import ActionError, OptionError
from vagent.actions.space import MOBILE, ActionSpace

from ..base import Env, observation_space
from . import tasks as T
from .adb import AdbError, Device
from .text import ADB_KEYBOARD, ADB_KEYBOARD_PACKAGE, KeyboardMissing, broadcast_commands
from .text import input_text_commands, runs

BUTTON_KEYS = {"home": 3, "back": 4, "enter": 66, "menu": 82, "app_switch": 187}
KEY_NAMES = {"home": 3, "back": 4, "enter": 66, "return": 66, "backspace": 67, "delete": 67,
             "del": 67, "tab": 61, "space": 62, "menu": 82, "app_switch": 187, "recents": 187,
             "escape": 111, "esc": 111, "up": 19, "down": 20, "left": 21, "right": 22,
             "volume_up": 24, "volume_down": 25, "power": 26, "search": 84,
             "forward_delete": 112, "ctrl": 113, "control": 113, "shift": 59, "alt": 57,
             "meta": 117, "win": 117, "cmd": 117}


#: Decoded screenshots by their PNG bytes, shared by every AndroidEnv of the process (7.8 MB
#: each at 1080×2400): a screen seen again (an episode's start screen, a step that changed
#: nothing, another worker's phone on the same screen) is not decoded again.
DECODED: LRU[np.ndarray] = LRU(kept=12)


def _decoded(data: bytes) -> np.ndarray:
    """Read-only pixels of a screencap PNG; an RGB PNG keeps its bytes (``EncodedImage``: the
    trajectory writes them as they came, nothing encodes the frame again)."""
    pixels, rgb = png.decode(data)
    image = EncodedImage.of(pixels, data) if rgb else pixels
    image.setflags(write=False)  # shared by every observation that shows this frame
    return image


def _float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise OptionError(f"android: option {name} must be a number, not {value!r}") from None


class AndroidEnv(Env):
    """An Android device over ADB. ``serial`` is HOST:PORT (TCP) or a USB serial."""

    def __init__(self, serial: str = "127.0.0.1:5555", settle: float | str = 0.5,
                 screencap: str = "auto", key: str | None = None, timeout: float | str = 10.0,
                 auth_timeout: float | str = 10.0, task_seed: int | str | None = None,
                 randomize: bool | str = True, render_mode: str | None = "rgb_array",
                 **unknown: Any):
        if unknown:
            raise OptionError(f"android: unknown option(s) {', '.join(unknown)} — it takes "
                              "serial, settle, screencap, key, timeout, auth_timeout, randomize")
        if screencap not in ("auto", "png", "raw"):
            raise OptionError(f"android: screencap must be auto, png or raw, not {screencap!r}")
        self.serial = serial
        self.settle = _float(settle, "settle")
        self.screencap_mode = screencap
        self.randomize = str(randomize).lower() not in ("0", "false", "no")
        self.render_mode = render_mode
        self.device = Device(serial, key=key, timeout=_float(timeout, "timeout"),
                             auth_timeout=_float(auth_timeout, "auth_timeout"))
        self.device.connect()
        self.screen_size = self._screen_size()
        w, h = self.screen_size
        self.action_space = ActionSpace("mobile", MOBILE).with_screen(w, h)
        self.observation_space = observation_space(w, h)
        self.simulated = self.device.shell("getprop ro.product.device").strip() == "vagent_sim"
        self.task: T.TaskInstance | None = None
        self.packages: dict[str, str] | None = None
        self._ime_ready = False
        self._state: dict[str, Any] | None = None
        self._last_obs: dict[str, Any] | None = None

    # -- device facts --------------------------------------------------------------------------------
    def _screen_size(self) -> tuple[int, int]:
        out = self.device.shell("wm size")
        sizes = dict(re.findall(r"(Physical|Override) size:\s*(\d+x\d+)", out))
        size = sizes.get("Override") or sizes.get("Physical")
        if not size:
            raise AdbError(f"{self.serial}: 'wm size' said {out.strip()[:80]!r}, not a size")
        w, h = (int(v) for v in size.split("x"))
        return w, h

    def sim_state(self) -> dict[str, Any] | None:
        """The simulated phone's state (None on a real device)."""
        if not self.simulated:
            return None
        return json.loads(self.device.shell("vagent-sim state"))

    # -- gymnasium API -------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        text = options.get("task", "")
        self.task = T.resolve(text, seed=seed, randomize=self.randomize)
        if self.simulated and self.task is not None:
            self.device.shell("vagent-sim reset " + T.encode_state(self.task.start))
        elif self.task is not None:
            self.device.shell("input keyevent 3")  # a real device starts from its home screen
        self._ime_ready = False
        obs = self._observe()
        return obs, {"task_known": self.task is not None, "simulated": self.simulated,
                     "serial": self.serial}

    def step(self, action: Action | dict[str, Any] | str):
        act = self.coerce(action)
        note = self._execute(act)
        if not isinstance(act, (Terminate, Wait)) and self.settle > 0:
            time.sleep(self.settle)
        obs = self._observe()
        success = self.success()
        terminated = isinstance(act, Terminate)
        reward = 1.0 if terminated and success else 0.0
        info: dict[str, Any] = {"success": success}
        if note:
            info["note"] = note
        if isinstance(act, Terminate) and act.answer:
            info["answer"] = act.answer
        return obs, reward, terminated, False, info

    def close(self) -> None:
        self.device.close()

    # -- tasks -----------------------------------------------------------------------------------------
    def success(self) -> bool | None:
        if self.task is None or self._state is None:
            return None
        return self.task.check(self._state)

    def oracle_action(self) -> Action | None:
        if self.task is None or self._state is None:
            return None
        return self.task.plan(self._state)

    # -- observing ---------------------------------------------------------------------------------------
    def screenshot(self) -> np.ndarray:
        mode = self.screencap_mode
        if mode == "auto":
            mode = self.screencap_mode = self._fastest_screencap()
        return self._grab(mode)

    def _grab(self, mode: str) -> np.ndarray:
        if mode == "png":
            data = self.device.exec_out("screencap -p")
            try:
                return DECODED.get(data, lambda: _decoded(data))
            except Exception:  # noqa: BLE001 — PIL raises several kinds
                raise AdbError(f"{self.serial}: screencap -p returned {len(data)} bytes that "
                               f"are not a PNG ({data[:60]!r})") from None
        data = self.device.exec_out("screencap")
        w, h = self.screen_size
        for header in (16, 12):  # Android 8+ adds a colour-space word
            if len(data) == header + w * h * 4:
                fw, fh, fmt = struct.unpack("<3I", data[:12])
                if fmt != 1:
                    raise AdbError(f"{self.serial}: raw screencap pixel format {fmt} is not "
                                   "RGBA_8888 — use screencap=png")
                px = np.frombuffer(data, np.uint8, offset=header).reshape(fh, fw, 4)
                return px[:, :, :3].copy()
        raise AdbError(f"{self.serial}: raw screencap gave {len(data)} bytes for a {w}x{h} "
                       "screen — use screencap=png")

    def _fastest_screencap(self) -> str:
        """Time one PNG and one raw capture and keep the faster (raw skips PNG encoding on the
        device but moves ~4× more bytes; which wins depends on the link)."""
        times = {}
        for mode in ("png", "raw"):
            t = time.perf_counter()
            try:
                self._grab(mode)
            except AdbError:
                if mode == "png":
                    raise
                continue
            times[mode] = time.perf_counter() - t
        return min(times, key=times.get)

    def _observe(self) -> dict[str, Any]:
        shot = self.screenshot()
        self._state = self.sim_state() if self.task is not None else None
        # The same text on every device: the foreground app, as `dumpsys window` reports it
        # (the simulator's screen names stay out of what a model sees).
        app = self._state["app"] if self._state is not None else self._foreground()
        self._last_obs = {"screenshot": shot, "text": f"foreground app: {app}" if app else ""}
        return self._last_obs

    def _foreground(self) -> str | None:
        out = self.device.shell("dumpsys window")
        m = re.search(r"mCurrentFocus=Window\{\S+ \S+ ([\w.]+)/", out)
        return m.group(1) if m else None

    # -- acting --------------------------------------------------------------------------------------------
    def _point(self, x: float | None, y: float | None) -> tuple[int, int]:
        if x is None or y is None:  # a computer_use click/drag "at the pointer"
            raise ActionError("a touchscreen has no pointer — give the point to touch")
        w, h = self.screen_size
        xi, yi = int(round(x)), int(round(y))
        if not (0 <= xi < w and 0 <= yi < h):
            raise ActionError(f"point ({x:g}, {y:g}) is off the {w}x{h} screen")
        return xi, yi

    def _execute(self, act: Action) -> str | None:
        sh = self.device.shell
        if isinstance(act, Click):
            x, y = self._point(act.x, act.y)
            for _ in range(act.clicks):
                sh(f"input tap {x} {y}")
        elif isinstance(act, LongPress):
            x, y = self._point(act.x, act.y)
            sh(f"input swipe {x} {y} {x} {y} {max(act.duration_ms, 500)}")
        elif isinstance(act, Swipe):
            x1, y1 = self._point(act.x1, act.y1)
            x2, y2 = self._point(act.x2, act.y2)
            sh(f"input swipe {x1} {y1} {x2} {y2} {act.duration_ms}")
        elif isinstance(act, Scroll):
            sh("input swipe {} {} {} {} 300".format(*self._scroll_path(act)))
        elif isinstance(act, Type):
            self.type_text(act.text)
            if act.submit:
                sh("input keyevent 66")
        elif isinstance(act, Key):
            codes = []
            for k in act.keys:
                name = k.lower().removeprefix("keycode_")
                if name in KEY_NAMES:
                    codes.append(str(KEY_NAMES[name]))
                elif k.isascii() and k.isdigit():  # ١٢٣ or ² are digits, not keycodes
                    codes.append(k)
                elif re.fullmatch(r"[a-z0-9]", name):
                    codes.append("KEYCODE_" + name.upper())
                else:
                    raise ActionError(f"android: unknown key {k!r} — use one of "
                                      f"{', '.join(sorted(KEY_NAMES))}, a letter or a keycode")
            if len(codes) > 1:
                return self._chord(codes)
            sh(f"input keyevent {codes[0]}")
        elif isinstance(act, Button):
            sh(f"input keyevent {BUTTON_KEYS[act.name]}")
        elif isinstance(act, OpenApp):
            self.open_app(act.name)
        elif isinstance(act, Wait):
            time.sleep(act.seconds)
        return None

    def _chord(self, codes: list[str]) -> str:
        # `input keyevent A B` presses the keys one after another; Android's shell has no chord
        self.device.shell("input keyevent " + " ".join(codes))
        return "keys were pressed in sequence (adb input has no chords)"

    def _scroll_path(self, act: Scroll) -> tuple[int, int, int, int]:
        """The finger's path for a scroll: ``down`` reveals what is below, so the finger moves
        up (DESIGN.md's convention). ``amount`` is in screen fractions of 1/10 (default 5)."""
        w, h = self.screen_size
        cx = int(act.x) if act.x is not None else w // 2
        cy = int(act.y) if act.y is not None else h // 2
        self._point(cx, cy)
        frac = min((act.amount or 5) / 10, 0.8)
        dx, dy = int(w * frac / 2), int(h * frac / 2)
        clamp = lambda v, hi: min(max(v, 1), hi - 2)  # noqa: E731
        if act.direction in ("down", "up"):
            sign = 1 if act.direction == "down" else -1
            return cx, clamp(cy + sign * dy, h), cx, clamp(cy - sign * dy, h)
        sign = 1 if act.direction == "right" else -1
        return clamp(cx + sign * dx, w), cy, clamp(cx - sign * dx, w), cy

    def type_text(self, text: str) -> None:
        """Type ``text`` exactly: ASCII by ``input text``, the rest by the ADB Keyboard."""
        parts = runs(text)
        if any(kind == "ime" for kind, _ in parts):
            self._ensure_ime()  # before typing anything: never half a text
        for kind, part in parts:
            if kind == "ascii":
                for cmd in input_text_commands(part):
                    self.device.shell(cmd)
            else:
                self._ensure_ime()
                for cmd in broadcast_commands(part):
                    out = self.device.shell(cmd)
                    if "Broadcast completed" not in out:
                        raise AdbError(f"{self.serial}: the ADB Keyboard broadcast failed: "
                                       f"{out.strip()[:120]}")

    def _ensure_ime(self) -> None:
        if self._ime_ready:
            return
        listed = self.device.shell("ime list -a -s")
        if ADB_KEYBOARD not in listed.split():
            raise KeyboardMissing(
                f"typing non-ASCII text needs the ADB Keyboard IME ({ADB_KEYBOARD}, package "
                f"{ADB_KEYBOARD_PACKAGE}), which {self.serial} does not have — install it from "
                "https://github.com/senzhk/ADBKeyBoard and run again")
        self.device.shell(f"ime enable {ADB_KEYBOARD}")
        self.device.shell(f"ime set {ADB_KEYBOARD}")
        self._ime_ready = True

    def open_app(self, name: str) -> None:
        """Open an app by label ("Chrome") or package ("com.android.chrome")."""
        pkgs = self._packages()
        wanted = name.strip()
        pkg = wanted if wanted in pkgs.values() else None
        if pkg is None:
            pkg = T.package_for_label(wanted, list(pkgs.values()))
        if pkg is None:
            raise ActionError(f"open_app: no app called {name!r} on {self.serial} — give its "
                              "label or package name")
        out = self.device.shell(f"monkey -p {pkg} -c android.intent.category.LAUNCHER 1")
        if "Events injected" not in out:
            raise ActionError(f"open_app: {pkg} has no launcher activity ({out.strip()[:80]})")

    def _packages(self) -> dict[str, str]:
        out = self.device.shell("pm list packages")
        return {p: p for p in re.findall(r"^package:(\S+)", out, flags=re.M)}
