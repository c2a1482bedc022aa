"""Start and stop a virtual X server (Xvfb) on a free display.

Xvfb picks the display itself (``-displayfd``), so two runs never race for a number. python-xlib
(under pyautogui) refuses to connect when no Xauthority file exists, so each server gets an
empty one in its own temporary folder, as xvfb-run does.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

from .errors import DesktopError, DesktopOptionError

DEFAULT_SIZE = (1280, 800)


def die_with_parent() -> None:
    """``preexec_fn`` of the env's children (Xvfb, launched apps): on Linux the kernel stops
    them when vagent dies, even by ``kill -9``, which no handler sees (SIGTERM, SIGHUP and Ctrl-C
    close the env normally)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # best effort: close() and the finalizer still stop them


def parse_size(value: str | tuple[int, int] | bool | None) -> tuple[int, int]:
    """'1280x800' → (1280, 800); True, '', 'true', '1' and 'default' mean the default size."""
    if value is None or value is True or (isinstance(value, str) and value.strip().lower() in
                                          ("", "true", "1", "yes", "default")):
        return DEFAULT_SIZE
    if isinstance(value, tuple):
        w, h = value
    else:
        try:
            w, h = (int(v) for v in str(value).lower().split("x"))
        except ValueError:
            raise DesktopOptionError(f"--xvfb takes WxH, e.g. 1280x800, not {value!r}") from None
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise DesktopOptionError(f"--xvfb size {w}x{h} is out of range (16..16384 per side)")
    return int(w), int(h)


def _write_cookie(path: Path, cookie: bytes, display: int | None = None) -> None:
    """An Xauthority file with one cookie valid for any display number.

    Entries: FamilyWild (what libXau clients such as Tk, xclip and xdotool match) and
    FamilyLocal for this host (what python-xlib matches). The python3-xlib 0.15 that pyautogui
    pulls in matches only an entry with the exact display number, so once the number is known
    the file is written again with that entry too. The server loads the cookie itself.
    """

    def field(b: bytes) -> bytes:
        return struct.pack(">H", len(b)) + b

    host = socket.gethostname().encode()
    rows = [(0xFFFF, b"", b""), (256, host, b"")]
    if display is not None:
        rows.append((256, host, str(display).encode()))
    entries = b""
    for family, addr, number in rows:
        entries += (struct.pack(">H", family) + field(addr) + field(number)
                    + field(b"MIT-MAGIC-COOKIE-1") + field(cookie))
    path.write_bytes(entries)
    path.chmod(0o600)


def _stop(proc: subprocess.Popen, tmpdir: str) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    shutil.rmtree(tmpdir, ignore_errors=True)


class Xvfb:
    """A virtual X server: ``with Xvfb((1280, 800)) as x: ... x.display ...``."""

    def __init__(self, size: tuple[int, int] | str = DEFAULT_SIZE, depth: int = 24,
                 timeout: float = 20.0):
        self.size = parse_size(size)
        self.depth = depth
        self.timeout = timeout
        self.display: str | None = None
        self.xauthority: str | None = None
        self._proc: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("Xvfb") is not None

    def start(self) -> Xvfb:
        binary = shutil.which("Xvfb")
        if binary is None:
            raise DesktopError("Xvfb is not installed — apt-get install xvfb, or run on a "
                               "desktop with $DISPLAY set")
        tmpdir = tempfile.mkdtemp(prefix="vagent-xvfb-")
        auth = Path(tmpdir) / "Xauthority"
        cookie = os.urandom(16)
        _write_cookie(auth, cookie)
        read_fd, write_fd = os.pipe()
        w, h = self.size
        cmd = [binary, "-displayfd", str(write_fd), "-screen", "0", f"{w}x{h}x{self.depth}",
               "-nolisten", "tcp", "-auth", str(auth)]
        try:
            proc = subprocess.Popen(cmd, pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    preexec_fn=die_with_parent)
        finally:
            os.close(write_fd)
        # Stop the server even if the caller forgets close() (or the interpreter exits).
        self._finalizer = weakref.finalize(self, _stop, proc, tmpdir)
        self._proc = proc
        number = b""
        deadline = time.monotonic() + self.timeout
        try:
            while not number.endswith(b"\n"):
                left = deadline - time.monotonic()
                ready, _, _ = select.select([read_fd], [], [], max(left, 0))
                if not ready:
                    raise DesktopError(f"Xvfb did not start within {self.timeout:g} s")
                chunk = os.read(read_fd, 16)
                if not chunk:  # the server exited before it was ready
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    last = (err.strip().splitlines() or ["no message"])[-1]
                    raise DesktopError(f"Xvfb failed to start: {last}")
                number += chunk
        except BaseException:
            self.stop()
            raise
        finally:
            os.close(read_fd)
        if proc.stderr:  # nothing reads it from now on; do not let a full pipe block Xvfb
            proc.stderr.close()
        self.display = f":{int(number.strip())}"
        _write_cookie(auth, cookie, int(number.strip()))
        self.xauthority = str(auth)
        return self

    def env(self) -> dict[str, str]:
        """The variables a client of this server needs (for subprocesses)."""
        if self.display is None:
            raise DesktopError("Xvfb is not running — call start() first")
        return {"DISPLAY": self.display, "XAUTHORITY": str(self.xauthority)}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _stop once
        self._proc = None
        self.display = None

    def __enter__(self) -> Xvfb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        w, h = self.size
        return f"Xvfb({w}x{h}, display={self.display})"
