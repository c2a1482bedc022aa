"""The device commands the simulated phone understands (a SIMULATOR of Android's tools).

``Device.run_line`` runs one line through ``sim.shell`` (POSIX-style parsing), and each simple
command lands in ``Device.command``: screencap, input, wm, pm / cmd package, monkey, am
(start, broadcast for the ADB Keyboard), ime, settings, getprop, dumpsys window, a few POSIX
utilities, and ``vagent-sim`` (state / reset: the simulator's own door for tests and tasks).
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import content as C
from .phone import ADBIME, LATINIME, Phone, PhoneState
from .shell import Shell

from vagent.actions.cache import LRU
from vagent.actions.errors import VagentError

#: PNG screencaps by the look of the screen (``Phone.look``), shared by every simulated phone of
#: the process (~100 kB each): a screen seen again — a step that changed nothing drawn, a start
#: screen another episode had — is neither drawn nor encoded again.
SCREENS: LRU[bytes] = LRU(kept=64)

PROPS = {
    "ro.product.name": "vagent_sim",
    "ro.product.model": "vagent simulated phone",
    "ro.product.device": "vagent_sim",
    "ro.product.manufacturer": "vagent",
    "ro.build.version.release": "14",
    "ro.build.version.sdk": "34",
    "ro.kernel.qemu": "0",
}
KEYCODES = {"HOME": 3, "BACK": 4, "CALL": 5, "ENDCALL": 6, "DPAD_UP": 19, "DPAD_DOWN": 20,
            "DPAD_LEFT": 21, "DPAD_RIGHT": 22, "DPAD_CENTER": 23, "VOLUME_UP": 24,
            "VOLUME_DOWN": 25, "POWER": 26, "TAB": 61, "SPACE": 62, "ENTER": 66, "DEL": 67,
            "MENU": 82, "SEARCH": 84, "ESCAPE": 111, "FORWARD_DEL": 112, "APP_SWITCH": 187,
            **{chr(c): 29 + c - ord("A") for c in range(ord("A"), ord("Z") + 1)},
            **{str(d): 7 + d for d in range(10)}}
Out = tuple[bytes, bytes, int]


def decode_input_text(arg: str) -> str:
    """What Android's ``input text`` types for its argument: each ``%s`` becomes a space (the
    only escape it has; a literal "%s" cannot be sent in one command)."""
    out: list[str] = []
    pending_percent = False
    for ch in arg:
        if pending_percent and ch == "s":
            out[-1] = " "
            pending_percent = False
            continue
        out.append(ch)
        pending_percent = ch == "%"
    return "".join(out)


class PathError(VagentError, OSError):
    """A state file or log the simulated phone cannot write (said at start, not mid-run)."""


def _check_writable(path: Path, what: str) -> None:
    """Fail now, with the reason, rather than on the first command."""
    if path.is_dir():
        raise PathError(f"the {what} {path} is a folder — give a file path")
    if path.exists() and not path.is_file():
        raise PathError(f"the {what} {path} is not a regular file — give a file path")
    if not path.parent.is_dir():
        raise PathError(f"cannot write the {what} {path}: no folder {path.parent}")
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as e:
        raise PathError(f"cannot write the {what} {path} ({e.strerror or e})") from None


class Device:
    """A simulated phone behind a shell: thread-safe; writes the state file and command log."""

    def __init__(self, state: PhoneState | None = None, state_file: str | Path | None = None,
                 log: str | Path | None = None):
        self.phone = Phone(state)
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file else None
        self.log_file = Path(log) if log else None
        for path, what in ((self.state_file, "state file"), (self.log_file, "log")):
            if path is not None:
                _check_writable(path, what)
        self.shell = Shell(self._run_one)
        self._raw: tuple[str, bytes] | None = None  # the last raw screencap, by its look
        self._frames: Any = None  # sim.draw.Frames, where this phone's frames are drawn
        self.save()

    # -- lines ---------------------------------------------------------------------------------
    def run_line(self, line: str, service: str = "shell") -> bytes:
        with self.lock:
            res = self.shell.run(line)
            self._log({"t": round(time.time(), 3), "service": service, "raw": line,
                       "argv": res.commands[0] if res.commands else [],
                       "commands": res.commands, "status": res.status,
                       "output_bytes": len(res.out)})
            self.save()
            return res.out

    def _log(self, record: dict[str, Any]) -> None:
        if self.log_file:
            with self.log_file.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def save(self) -> None:
        if self.state_file:
            tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
            tmp.write_text(json.dumps(self.phone.snapshot(), ensure_ascii=False, indent=1),
                           encoding="utf-8")
            tmp.replace(self.state_file)

    # -- one simple command ----------------------------------------------------------------------
    def _run_one(self, argv: list[str], stdin: bytes) -> Out:
        name, args = argv[0], argv[1:]
        handler = getattr(self, "cmd_" + name.replace("-", "_"), None)
        if name.startswith("/system/bin/"):
            handler = getattr(self, "cmd_" + name[12:], None)
        if handler is None:
            return b"", f"/system/bin/sh: {name}: inaccessible or not found\n".encode(), 127
        try:
            return handler(args, stdin)
        except (ValueError, IndexError) as e:
            return b"", f"{name}: {e}\n".encode(), 1

    def cmd_screencap(self, args: list[str], stdin: bytes) -> Out:
        files = [a for a in args if not a.startswith("-")]
        if files:
            return b"", b"screencap: the simulator has no file system; use exec-out\n", 1
        import numpy as np

        from .draw import Frames

        if self._frames is None:  # Pillow is imported by the first screencap, not at start
            self._frames = Frames()
        look = self.phone.look()
        if "-p" in args:
            # drawn and deflated band by band (sim.draw.Frames); its rows kept: an AndroidEnv
            # of this process reading the PNG back does not inflate it
            return SCREENS.get(look, lambda: self._frames.encode(self.phone)), b"", 0
        if self._raw is None or self._raw[0] != look:
            rows = self._frames.draw(self.phone)
            rgba = np.full((rows.shape[0], (rows.shape[1] - 1) // 3, 4), 255, np.uint8)
            rgba[:, :, :3] = rows[:, 1:].reshape(rgba.shape[0], -1, 3)
            # width, height, format (1 = RGBA_8888), colour space (0 = unknown), pixels
            self._raw = (look, struct.pack("<4I", rgba.shape[1], rgba.shape[0], 1, 0)
                         + rgba.tobytes())
        return self._raw[1], b"", 0

    def cmd_input(self, args: list[str], stdin: bytes) -> Out:
        usage = b"Usage: input [<source>] <command> [<arg>...]\n"
        if args and args[0] in ("touchscreen", "touchpad", "keyboard", "mouse"):
            args = args[1:]
        if not args:
            return b"", usage, 1
        sub, rest = args[0], args[1:]
        p = self.phone
        if sub == "tap" and len(rest) == 2:
            p.tap(float(rest[0]), float(rest[1]))
        elif sub == "swipe" and len(rest) in (4, 5):
            x1, y1, x2, y2 = (float(v) for v in rest[:4])
            ms = int(rest[4]) if len(rest) == 5 else 300
            p.swipe(x1, y1, x2, y2, ms)
        elif sub == "text" and len(rest) == 1:
            p.deliver_text(decode_input_text(rest[0]))
        elif sub in ("keyevent", "press") and (rest or sub == "press"):
            codes = rest or ["23"]
            for c in codes:
                if c == "--longpress":
                    continue
                key = c.upper().removeprefix("KEYCODE_")
                code = int(c) if c.isdigit() else KEYCODES.get(key)
                if code is None:
                    return b"", f"Error: unknown keycode {c}\n".encode(), 1
                p.keyevent(code)
        else:
            return b"", usage + f"input: bad arguments for '{sub}'\n".encode(), 1
        return b"", b"", 0

    def cmd_wm(self, args: list[str], stdin: bytes) -> Out:
        if args[:1] == ["size"]:
            return b"Physical size: 1080x2400\n", b"", 0
        if args[:1] == ["density"]:
            return b"Physical density: 420\n", b"", 0
        return b"", b"wm: only 'size' and 'density' are simulated\n", 1

    def cmd_pm(self, args: list[str], stdin: bytes) -> Out:
        if args[:2] != ["list", "packages"]:
            return b"", b"pm: only 'list packages' is simulated\n", 1
        flt = [a for a in args[2:] if not a.startswith("-")]
        pkgs = self.phone.packages()
        if "-3" in args:
            pkgs = [p for p in pkgs if p in self.phone.state.installed
                    or p == "com.android.adbkeyboard"]
        pkgs = [p for p in pkgs if not flt or flt[0] in p]
        return "".join(f"package:{p}\n" for p in pkgs).encode(), b"", 0

    def cmd_cmd(self, args: list[str], stdin: bytes) -> Out:
        if args[:1] == ["package"]:
            return self.cmd_pm(args[1:], stdin)
        return b"", f"cmd: service {args[0] if args else ''} is not simulated\n".encode(), 1

    def cmd_monkey(self, args: list[str], stdin: bytes) -> Out:
        pkg = args[args.index("-p") + 1] if "-p" in args else None
        if pkg is None or not self.phone.launch(pkg):
            return b"** No activities found to run, monkey aborted.\n", b"", 251
        return b"  bash arg: -p\n  bash arg: " + pkg.encode() + b"\nEvents injected: 1\n", b"", 0

    def cmd_am(self, args: list[str], stdin: bytes) -> Out:
        if not args:
            return b"", b"am: give a command\n", 1
        if args[0] == "start":
            return self._am_start(args[1:])
        if args[0] == "broadcast":
            return self._am_broadcast(args[1:])
        if args[0] == "force-stop" and len(args) > 1:
            s = self.phone.state
            s.resume.pop(args[1], None)
            if s.app == args[1]:
                self.phone.home()
            return b"", b"", 0
        return b"", f"am: '{args[0]}' is not simulated\n".encode(), 1

    def _am_start(self, args: list[str]) -> Out:
        opts = _options(args, {"-n", "-a", "-c", "-d", "--user"})
        if opts.get("-c") == "android.intent.category.HOME" or opts.get("-a") == \
                "android.intent.action.MAIN" and opts.get("-c") == "android.intent.category.HOME":
            self.phone.home()
            return b"Starting: Intent { act=android.intent.action.MAIN "\
                   b"cat=[android.intent.category.HOME] }\n", b"", 0
        if "-n" in opts:
            pkg = opts["-n"].split("/")[0]
            if not self.phone.launch(pkg):
                return (b"Starting: Intent { cmp=" + opts["-n"].encode() + b" }\n"
                        b"Error type 3\nError: Activity class {" + opts["-n"].encode()
                        + b"} does not exist.\n"), b"", 1
            return b"Starting: Intent { cmp=" + opts["-n"].encode() + b" }\n", b"", 0
        if opts.get("-a") == "android.intent.action.VIEW" and "-d" in opts:
            from urllib.parse import parse_qs, urlparse

            url = opts["-d"]
            q = parse_qs(urlparse(url).query).get("q", [url])[0]
            self.phone.launch("com.android.chrome")
            self.phone.state.fields["chrome.url"] = q
            self.phone.submit("chrome.url")
            return b"Starting: Intent { act=android.intent.action.VIEW dat=" + url.encode() \
                + b" }\n", b"", 0
        return b"", b"am start: give -n PACKAGE/ACTIVITY or a HOME / VIEW intent\n", 1

    def _am_broadcast(self, args: list[str]) -> Out:
        opts = _options(args, {"-a", "--es", "--ei", "-n", "-p", "--user"}, keyed={"--es", "--ei"})
        action = opts.get("-a", "")
        head = f"Broadcasting: Intent {{ act={action} flg=0x400000 (has extras) }}\n".encode()
        s = self.phone.state
        active = s.adb_keyboard and s.ime == ADBIME
        if action in ("ADB_INPUT_TEXT", "ADB_INPUT_B64", "ADB_CLEAR_TEXT") and active:
            msg = opts.get("--es", {}).get("msg", "")
            if action == "ADB_INPUT_B64":
                try:
                    msg = base64.b64decode(msg, validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    return head + b"Broadcast completed: result=0\n", b"", 0
            if action == "ADB_CLEAR_TEXT":
                if s.focus:
                    s.fields[s.focus] = ""
            else:
                self.phone.deliver_text(msg)
        # With no receiver the broadcast still "completes": nothing is typed, as on a device.
        return head + b"Broadcast completed: result=0\n", b"", 0

    def cmd_ime(self, args: list[str], stdin: bytes) -> Out:
        s = self.phone.state
        imes = [LATINIME] + ([ADBIME] if s.adb_keyboard else [])
        if args[:1] == ["list"]:
            return "".join(i + "\n" for i in imes).encode(), b"", 0
        if args[:1] in (["enable"], ["set"]) and len(args) == 2:
            if args[1] not in imes:
                return b"", f"Unknown input method {args[1]} cannot be enabled for user #0\n"\
                    .encode(), 1
            if args[0] == "set":
                s.ime = args[1]
                return f"Input method {args[1]} selected for user #0\n".encode(), b"", 0
            return f"Input method {args[1]}: already enabled for user #0\n".encode(), b"", 0
        return b"", b"ime: only list / enable / set are simulated\n", 1

    def cmd_settings(self, args: list[str], stdin: bytes) -> Out:
        if args[:3] == ["get", "secure", "default_input_method"]:
            return (self.phone.state.ime + "\n").encode(), b"", 0
        if args[:2] == ["get", "global"] and args[2:3] == ["wifi_on"]:
            return (b"1\n" if self.phone.state.wifi else b"0\n"), b"", 0
        return b"null\n", b"", 0

    def cmd_getprop(self, args: list[str], stdin: bytes) -> Out:
        if args:
            return (PROPS.get(args[0], "") + "\n").encode(), b"", 0
        return "".join(f"[{k}]: [{v}]\n" for k, v in PROPS.items()).encode(), b"", 0

    def cmd_dumpsys(self, args: list[str], stdin: bytes) -> Out:
        if args[:1] != ["window"]:
            return b"", b"dumpsys: only 'window' is simulated\n", 1
        s = self.phone.state
        act = "com.android.launcher3.uioverrides.QuickstepLauncher" if s.app == C.LAUNCHER \
            else s.app + ".MainActivity"
        line = f"  mCurrentFocus=Window{{5a1e2b u0 {s.app}/{act}}}\n" \
               f"  mFocusedApp=ActivityRecord{{3c9d u0 {s.app}/{act} t12}}\n"
        return line.encode(), b"", 0

    # POSIX utilities that agents' one-liners lean on
    def cmd_echo(self, args: list[str], stdin: bytes) -> Out:
        if args[:1] == ["-n"]:
            return " ".join(args[1:]).encode(), b"", 0
        return (" ".join(args) + "\n").encode(), b"", 0

    def cmd_true(self, args: list[str], stdin: bytes) -> Out:
        return b"", b"", 0

    def cmd_false(self, args: list[str], stdin: bytes) -> Out:
        return b"", b"", 1

    def cmd_cat(self, args: list[str], stdin: bytes) -> Out:
        if args:
            return b"", f"cat: {args[0]}: No such file or directory\n".encode(), 1
        return stdin, b"", 0

    def cmd_grep(self, args: list[str], stdin: bytes) -> Out:
        flags = [a for a in args if a.startswith("-")]
        pats = [a for a in args if not a.startswith("-")]
        if not pats:
            return b"", b"usage: grep [-iqv] PATTERN\n", 2
        pat = pats[0].lower() if "-i" in flags else pats[0]
        lines = [ln for ln in stdin.decode("utf-8", "replace").splitlines(keepends=True)
                 if ((pat in (ln.lower() if "-i" in flags else ln)) != ("-v" in flags))]
        if "-q" in flags:
            return b"", b"", 0 if lines else 1
        return "".join(lines).encode(), b"", 0 if lines else 1

    def cmd_sleep(self, args: list[str], stdin: bytes) -> Out:
        time.sleep(min(float(args[0]) if args else 0.0, 10.0))
        return b"", b"", 0

    def cmd_id(self, args: list[str], stdin: bytes) -> Out:
        return b"uid=2000(shell) gid=2000(shell)\n", b"", 0

    def cmd_vagent_sim(self, args: list[str], stdin: bytes) -> Out:
        """The simulator's own command: ``state`` prints the JSON state, ``reset B64`` loads one."""
        if args[:1] == ["state"]:
            return json.dumps(self.phone.snapshot(), ensure_ascii=False).encode(), b"", 0
        if args[:1] == ["reset"] and len(args) == 2:
            try:
                data = json.loads(base64.b64decode(args[1], validate=True))
                state = PhoneState.model_validate(data)
            except (binascii.Error, ValueError, ValidationError) as e:
                return b"", f"vagent-sim: bad state: {str(e).splitlines()[0]}\n".encode(), 1
            self.phone.state = state
            return b"ok\n", b"", 0
        return b"", b"usage: vagent-sim state | vagent-sim reset BASE64_JSON\n", 1


def _options(args: list[str], takes_value: set[str], keyed: set[str] = frozenset()) -> dict:
    """Options of an am command: '-a X' → {'-a': 'X'}; '--es K V' → {'--es': {'K': 'V'}}."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a in keyed:
            if i + 2 >= len(args):
                raise ValueError(f"{a} needs a key and a value")
            out.setdefault(a, {})[args[i + 1]] = args[i + 2]
            i += 3
        elif a in takes_value:
            out[a] = args[i + 1]
            i += 2
        else:
            i += 1
    return out
