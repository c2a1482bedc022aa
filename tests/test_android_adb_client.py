"""The host `adb` client (Debian's adb package) drives the simulated phone: an independent
implementation of the protocol's host side. Skipped only where the adb binary is missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from vagent.envs.android.sim.server import PhoneServer

ADB = shutil.which("adb")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.needs("adb")
def test_host_adb_connect_shell_exec_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # our own adb server port and HOME: never touch a user's adb server or keys
    env = {**os.environ, "HOME": str(home), "ANDROID_ADB_SERVER_PORT": str(_free_port())}
    state, log = tmp_path / "state.json", tmp_path / "log.jsonl"

    def adb(*args: str, binary: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run([ADB, *args], env=env, capture_output=True, timeout=60,
                              text=not binary)

    with PhoneServer(state_file=state, log=log, require_auth=True) as srv:
        try:
            out = adb("connect", srv.serial)
            assert srv.serial in out.stdout, out
            dev = ["-s", srv.serial]
            for _ in range(50):  # adb connects in the background; wait until it is online
                if adb(*dev, "get-state").stdout.strip() == "device":
                    break
            assert adb(*dev, "get-state").stdout.strip() == "device"
            assert adb(*dev, "shell", "wm", "size").stdout.strip() == "Physical size: 1080x2400"
            typed = "a;b $(id) `x` | && 'q' \"d\""
            res = adb(*dev, "shell", "input text " + "'" + typed.replace("'", "'\\''")
                      .replace(" ", "%s") + "'")
            assert res.returncode == 0, res
            png = adb(*dev, "exec-out", "screencap", "-p", binary=True).stdout
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
            pkgs = adb(*dev, "shell", "pm", "list", "packages").stdout
            assert "package:com.android.chrome" in pkgs
        finally:
            adb("kill-server")
        import json

        data = json.loads(state.read_text())
        assert data["typed"] == [typed]
        assert len(srv.keys()) == 1  # adb's own key went through AUTH
        raws = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
        assert ["screencap", "-p"] in raws and ["wm", "size"] in raws
