"""DesktopEnv: a real desktop (or a virtual one under Xvfb) seen with mss, driven with pyautogui.

Coordinates: actions arrive in pixels of the screenshot the agent saw; ``actions.ScreenMap``
maps them to the logical coordinates pyautogui moves in (they differ on HiDPI screens, for a
``region`` of the screen and when screenshots are ``resize``d). A point outside the screenshot
is refused — nothing is ever done outside the screen. A refused action (outside the screen, an
unknown key name) does nothing and says why in ``info["error"]`` and the observation text, so
the model can correct itself; the run goes on.

Safety: ``dry_run`` records actions without doing them; ``confirm`` asks in the terminal before
each one; ``deny`` lists chords never pressed; pyautogui's fail-safe (mouse into a corner stops
the run) stays on unless ``failsafe=False``.

The env never changes the process's environment: ``$DISPLAY``/``$XAUTHORITY`` of its server are
set only while its X clients connect (under the driver's ``X_LOCK``) and given to the programs it
starts. So one process can hold several desktops, each on its own Xvfb (``--workers N``).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vagent.actions import (
    DESKTOP, Action, ActionError, ActionSpace, Click, Drag, Key, Move, ScreenMap, Scroll,
    Terminate, Type, Wait,
)

from ..base import Env, observation_space
from . import clipboard
from .driver import X_LOCK, Driver
from .errors import DesktopError, DesktopOptionError
from .keys import label, normalize, to_pyautogui
from .safety import Confirmer, DenyList, TextDenyList
from .xvfb import Xvfb, die_with_parent, parse_size

# What pyautogui can type key by key on any layout: printable ASCII, tab and newline.
_TYPEABLE = {chr(c) for c in range(0x20, 0x7F)} | {"\t", "\n", "\r"}


class DesktopConfig(BaseModel):
    """The env's options (strings from ``--env-opt KEY=VALUE`` are converted here)."""

    model_config = ConfigDict(extra="forbid")

    xvfb: tuple[int, int] | None = None  # start a virtual X server of this size for the env
    display: str | None = None  # X display to use instead of $DISPLAY
    monitor: int = Field(1, ge=0)  # mss monitor: 1 the first, 0 all together
    region: tuple[int, int, int, int] | None = None  # left, top, width, height (logical)
    resize: tuple[int, int] | None = None  # give the agent screenshots of this size
    dry_run: bool = False
    confirm: bool = False
    deny: str | list[str] | None = None  # None: the default deny list
    deny_text: str | list[str] | None = None  # None: the default typed-text patterns
    failsafe: bool = True
    pause: float = Field(0.05, ge=0, le=5)  # pyautogui's pause after each call
    settle: float = Field(0.15, ge=0, le=30)  # wait after an action before the screenshot
    drag_duration: float = Field(0.25, ge=0, le=30)
    type_interval: float = Field(0.0, ge=0, le=5)
    scroll_amount: int = Field(3, ge=1, le=1000)  # wheel clicks when the action gives none
    launch: str | None = None  # a program to start on the display (stopped at close)
    launch_timeout: float = Field(20.0, gt=0)

    @field_validator("xvfb", mode="before")
    @classmethod
    def _xvfb(cls, v: Any) -> Any:
        if v is None or v is False or (isinstance(v, str) and v.lower() in ("false", "no", "0")):
            return None
        return parse_size(v)

    @field_validator("resize", mode="before")
    @classmethod
    def _resize(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                w, h = (int(p) for p in v.lower().split("x"))
            except ValueError:
                raise ValueError(f"resize takes WxH, e.g. 1280x720, not {v!r}") from None
            v = (w, h)
        if v is not None and not all(0 < side <= 100_000 for side in v):
            raise ValueError(f"resize sides must be 1..100000 pixels, not {v[0]}x{v[1]}")
        return v

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return tuple(int(p) for p in v.replace("x", ",").split(","))
            except ValueError:
                raise ValueError(f"region takes LEFT,TOP,WIDTH,HEIGHT, not {v!r}") from None
        return v


class DesktopEnv(Env):
    """A desktop screen: observations are mss screenshots, actions go through pyautogui."""

    def __init__(self, confirm_input: TextIO | None = None, confirm_output: TextIO | None = None,
                 **options: Any):
        try:
            self.config = cfg = DesktopConfig(**options)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "options"
            raise DesktopOptionError(f"desktop env option {where}: {err['msg']}") from None
        self.deny = DenyList(cfg.deny)
        self.deny_text = TextDenyList(cfg.deny_text)
        self.confirmer = Confirmer(confirm_input, confirm_output)
        self.log: list[dict[str, Any]] = []  # every action and what became of it
        self.task = ""
        self._status = "ready"
        self._xvars: dict[str, str] = {}  # $DISPLAY/$XAUTHORITY of this env's X server
        self._xvfb: Xvfb | None = None
        self._launched: subprocess.Popen | None = None
        self._sct: Any = None
        self._authdir: str | None = None
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    # -- setting up ---------------------------------------------------------------------------
    def _start(self) -> None:
        cfg = self.config
        display = cfg.display
        if cfg.xvfb is not None:
            self._xvfb = Xvfb(cfg.xvfb).start()
            self._xvars = self._xvfb.env()
            display = self._xvfb.display
        elif sys.platform.startswith("linux"):
            display = display or os.environ.get("DISPLAY")
            if not display:
                raise DesktopError("no X display: $DISPLAY is not set — pass --xvfb 1280x800 to "
                                   "run on a virtual screen, or run inside a desktop session")
            self._xvars = {"DISPLAY": display, **self._xauthority()}
        self.display = display
        import mss

        grabber = getattr(mss, "MSS", None) or mss.mss  # mss 10 renamed the class
        with self._x_clients():
            self.driver = Driver(display, failsafe=cfg.failsafe, pause=cfg.pause,
                                 drag_duration=cfg.drag_duration,
                                 type_interval=cfg.type_interval)
            self._sct = grabber(display=display) if display else grabber()
        monitors = self._sct.monitors
        if cfg.monitor >= len(monitors):
            raise DesktopError(f"no monitor {cfg.monitor}: this screen has {len(monitors) - 1}")
        mon = monitors[cfg.monitor]
        screen = (mon["left"], mon["top"], mon["width"], mon["height"])
        area = cfg.region or screen
        sw, sh = self.driver.size()
        left, top, w, h = area
        if w <= 0 or h <= 0 or left < 0 or top < 0 or left + w > sw or top + h > sh:
            raise DesktopError(f"region {left},{top},{w},{h} is not inside the screen {sw}x{sh}")
        self.area = area
        grab = self._grab()
        image = cfg.resize or (grab.shape[1], grab.shape[0])
        self.map = ScreenMap(image=image, area=area)
        self.screen_size = image
        self.action_space: ActionSpace = ActionSpace("desktop", DESKTOP).with_screen(*image)
        self.observation_space = observation_space(*image)
        if cfg.launch:
            self._launch(cfg.launch)

    def _xauthority(self) -> dict[str, str]:
        # python-xlib will not connect without an Xauthority file, even to a server that needs
        # none; give it an empty one when the user has none (as xvfb-run does).
        if os.environ.get("XAUTHORITY") or (Path.home() / ".Xauthority").exists():
            return {}
        self._authdir = tempfile.mkdtemp(prefix="vagent-xauth-")
        auth = Path(self._authdir) / "Xauthority"
        auth.touch()
        return {"XAUTHORITY": str(auth)}

    @contextlib.contextmanager
    def _x_clients(self) -> Iterator[None]:
        """The process's $DISPLAY/$XAUTHORITY pointing at this env's server while X clients
        connect (Xlib and libX11 read them then), put back afterwards."""
        with X_LOCK:
            saved = {k: os.environ.get(k) for k in ("DISPLAY", "XAUTHORITY")}
            os.environ.update(self._xvars)
            try:
                yield
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

    def _windows(self) -> set[int] | None:
        with self._x_clients():
            return _viewable_windows(self.display)

    def _launch(self, command: str) -> None:
        """Start a program on the display and wait until it shows a new window."""
        before = self._windows()
        try:
            self._launched = subprocess.Popen(shlex.split(command),
                                              env={**os.environ, **self._xvars},
                                              stdin=subprocess.DEVNULL,
                                              preexec_fn=die_with_parent)
        except OSError as e:
            raise DesktopError(f"cannot launch {command!r}: {e.strerror}") from None
        deadline = time.monotonic() + self.config.launch_timeout
        while time.monotonic() < deadline:
            if self._launched.poll() is not None:
                raise DesktopError(f"{command!r} exited with code {self._launched.returncode} "
                                   "before it showed a window")
            if before is None:  # not X11: nothing to watch; give the program a moment
                time.sleep(min(2.0, self.config.launch_timeout))
                return
            if self._windows() - before:
                time.sleep(self.config.settle)
                return
            time.sleep(0.05)
        raise DesktopError(f"{command!r} showed no window within "
                           f"{self.config.launch_timeout:g} s")

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.task = (options or {}).get("task", "")
        self._status = "ready"
        obs = self._observe()
        return obs, {"display": self.display, "dry_run": self.config.dry_run,
                     "area": list(self.area), "deny": list(self.deny)}

    def step(self, action: Action | dict[str, Any] | str):
        act = self.coerce(action)
        info: dict[str, Any] = {"executed": False}
        terminated = truncated = False
        entry: dict[str, Any] = {"action": act.dump()}
        if isinstance(act, Terminate):
            terminated = True
            self._status = f"terminated ({act.status})"
            entry["outcome"] = "terminated"
        elif isinstance(act, Wait):
            if not self.config.dry_run:
                time.sleep(act.seconds)
            self._status = f"waited {act.seconds:g} s"
            entry["outcome"] = "waited"
        else:
            try:
                run, what = self._plan(act, entry)
            except ActionError as e:  # outside the screen, an unknown key: refuse, say why
                run, what = None, ""
                entry["error"] = info["error"] = str(e)
            info["logical"] = entry.get("logical")
            denied = entry.get("denied")
            if run is None:
                self._status = f"refused: {entry['error']}"
                entry["outcome"] = "refused"
            elif denied:
                self._status = f"refused: {denied} is on the deny list"
                info["denied"] = denied
                entry["outcome"] = "denied"
            elif self.config.dry_run:
                self._status = f"dry run: would {what}"
                info["dry_run"] = True
                entry["outcome"] = "dry_run"
            else:
                answer = self.confirmer.ask(what) if self.config.confirm else "yes"
                if answer == "yes":
                    run()
                    info["executed"] = True
                    self._status = what
                    entry["outcome"] = "executed"
                    time.sleep(self.config.settle)
                elif answer == "no":
                    self._status = f"declined by the user: {what}"
                    info["declined"] = True
                    entry["outcome"] = "declined"
                else:
                    self._status = "stopped by the user"
                    info["stopped"] = True
                    truncated = True
                    entry["outcome"] = "stopped"
        self.log.append(entry)
        info["status"] = self._status
        return self._observe(), 0.0, terminated, truncated, info

    def close(self) -> None:
        if self._launched is not None:
            if self._launched.poll() is None:
                self._launched.terminate()
                try:
                    self._launched.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._launched.kill()
                    self._launched.wait(timeout=5)
            self._launched = None
        if self._sct is not None:
            self._sct.close()
            self._sct = None
        if self._xvfb is not None:
            self._xvfb.stop()
            self._xvfb = None
        if self._authdir is not None:
            import shutil

            shutil.rmtree(self._authdir, ignore_errors=True)
            self._authdir = None

    # -- acting -------------------------------------------------------------------------------
    def _point(self, act: Action, x: float, y: float) -> tuple[int, int]:
        """Screenshot pixel → logical point, refusing anything outside the screenshot."""
        if not self.map.inside(x, y):
            w, h = self.map.image
            raise ActionError(f"{act.action} at ({x:g}, {y:g}) is outside the screen {w}x{h} — "
                              "nothing was done")
        lx, ly = self.map.to_logical(x, y)
        lx, ly = self.driver.away_from_failsafe(lx, ly)
        if not self.driver.on_screen(lx, ly):  # cannot happen with a checked region; be sure
            raise ActionError(f"{act.action}: ({lx}, {ly}) is off the screen — nothing was done")
        return lx, ly

    def _pointer(self, act: Action) -> tuple[int, int]:
        """Where the mouse pointer is (a click or drag that names no point acts there), refused
        when the pointer is outside the region the agent sees."""
        lx, ly = self.driver.position()
        if not self.map.inside(*self.map.to_image(lx, ly)):
            raise ActionError(f"{act.action} at the pointer: the pointer ({lx}, {ly}) is outside "
                              "the screen the agent sees — give a point")
        return lx, ly

    def _plan(self, act: Action, entry: dict[str, Any]):  # noqa: ANN202
        """(a function doing the action, a description) — checking points and the deny list."""
        d = self.driver
        if isinstance(act, Click):
            x, y = (self._pointer(act) if act.x is None or act.y is None
                    else self._point(act, act.x, act.y))
            entry["logical"] = [x, y]
            times = {1: "", 2: " double", 3: " triple"}[act.clicks]
            return (lambda: d.click(x, y, act.button, act.clicks),
                    f"{act.button}{times} click at ({x}, {y})")
        if isinstance(act, Move):
            x, y = self._point(act, act.x, act.y)
            entry["logical"] = [x, y]
            return lambda: d.move(x, y), f"move the mouse to ({x}, {y})"
        if isinstance(act, Drag):
            x1, y1 = (self._pointer(act) if act.x1 is None or act.y1 is None
                      else self._point(act, act.x1, act.y1))
            x2, y2 = self._point(act, act.x2, act.y2)
            entry["logical"] = [x1, y1, x2, y2]
            return lambda: d.drag(x1, y1, x2, y2), f"drag from ({x1}, {y1}) to ({x2}, {y2})"
        if isinstance(act, Scroll):
            clicks = act.amount or self.config.scroll_amount
            at = ""
            px = py = None
            if act.x is not None and act.y is not None:
                px, py = self._point(act, act.x, act.y)
                entry["logical"] = [px, py]
                at = f" at ({px}, {py})"
            return (lambda: d.scroll(act.direction, clicks, px, py),
                    f"scroll {act.direction} {clicks}{at}")
        if isinstance(act, Type):
            return self._plan_type(act, entry)
        if isinstance(act, Key):
            names = normalize(act.keys)
            entry["keys"] = names
            entry["denied"] = self.deny.match(names)
            return lambda: d.hotkey(to_pyautogui(names)), f"press {label(names)}"
        raise ActionError(f"the desktop env cannot do {act.action!r}")

    def _plan_type(self, act: Type, entry: dict[str, Any]):  # noqa: ANN202
        d = self.driver
        text = act.text
        by_keys = all(c in _TYPEABLE for c in text)
        entry["typed_by"] = "keys" if by_keys else "clipboard"
        pattern = self.deny_text.match(text)
        if pattern is not None:
            entry["denied"] = f"typed text matching {pattern!r}"
        shown = text if len(text) <= 60 else text[:57] + "..."
        what = f"type {shown!r}" + (" and press enter" if act.submit else "")
        if not by_keys:
            clipboard.require()  # say what to install now, before anything is done
        paste = to_pyautogui(normalize(clipboard.paste_chord()))

        def run() -> None:
            if by_keys:
                d.write(text)
            else:
                # One paste for the whole text: pasting runs in turn could race the app's
                # read of the clipboard against the next copy.
                clipboard.copy(text, env={**os.environ, **self._xvars})
                d.hotkey(paste)
            if act.submit:
                d.press("enter")

        return run, what

    # -- observing ----------------------------------------------------------------------------
    def _grab(self) -> np.ndarray:
        left, top, w, h = self.area
        shot = self._sct.grab({"left": left, "top": top, "width": w, "height": h})
        # mss gives BGRA rows; the agent wants H×W×3 RGB. Three channel copies into one array
        # are about 4× faster than a reversed-slice copy (benchmarks/perf/desktop_step.py).
        bgra = np.asarray(shot)
        rgb = np.empty((bgra.shape[0], bgra.shape[1], 3), dtype=np.uint8)
        rgb[..., 0], rgb[..., 1], rgb[..., 2] = bgra[..., 2], bgra[..., 1], bgra[..., 0]
        return rgb

    def screenshot(self) -> np.ndarray:
        """The screen as the agent sees it (resized when ``resize`` is set)."""
        img = self._grab()
        iw, ih = self.map.image
        if (img.shape[1], img.shape[0]) != (iw, ih):
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((iw, ih), Image.BILINEAR))
        return img

    def _observe(self) -> dict[str, Any]:
        iw, ih = self.map.image
        px, py = self.driver.position()
        ix, iy = self.map.to_image(px, py)
        pointer = f"({ix}, {iy})" if self.map.inside(ix, iy) else "outside the screenshot"
        text = (f"desktop {iw}x{ih} on {self.display or 'the screen'}; pointer at {pointer}; "
                f"last: {self._status}" + ("; DRY RUN (nothing is done)"
                                           if self.config.dry_run else ""))
        self._last_obs = {"screenshot": self.screenshot(), "text": text}
        return self._last_obs


def _viewable_windows(display: str | None) -> set[int] | None:
    """Ids of the root's mapped children (X11), or None where there is no X11 to ask."""
    if not display:
        return None
    try:
        from Xlib import X
        from Xlib.display import Display
    except ImportError:
        return None
    dpy = Display(display)
    try:
        out = set()
        for w in dpy.screen().root.query_tree().children:
            try:
                if w.get_attributes().map_state == X.IsViewable:
                    out.add(w.id)
            except Exception:  # a window that vanished meanwhile
                continue
        return out
    finally:
        dpy.close()
