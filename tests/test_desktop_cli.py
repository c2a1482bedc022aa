"""`vagent run --env desktop --xvfb WxH` from a shell with no display: the CLI starts Xvfb,
launches the Tk form on it, replays actions, and stops everything afterwards."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from apps.form_app import centre, screen_point

APP = Path(__file__).resolve().parent / "apps" / "form_app.py"
needs_xvfb = pytest.mark.needs("Xvfb")


def _no_display(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in ("DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY")}


def _run(vagent_cmd: list[str], subprocess_env: dict[str, str], tmp_path: Path,
         actions: list[dict], *extra: str, stdin: str | None = None
         ) -> tuple[subprocess.CompletedProcess, Path]:
    state = tmp_path / "state.json"
    acts = tmp_path / "vagent.actions.jsonl"
    acts.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in actions),
                    encoding="utf-8")
    launch = f"{shlex.quote(sys.executable)} {shlex.quote(str(APP))} --state {state}"
    cmd = [*vagent_cmd, "run", "fill in the form", "--env", "desktop", "--xvfb", "1280x800",
           "--env-opt", f"launch={launch}", "--policy", "replay", "--actions", str(acts),
           "--out", str(tmp_path / "run"), *extra]
    proc = subprocess.run(cmd, env=_no_display(subprocess_env), capture_output=True, text=True,
                          input=stdin, timeout=120)
    return proc, state


@needs_xvfb
@pytest.mark.needs("xclip")  # it types "héllo": non-ASCII goes through the clipboard
def test_run_headless_with_xvfb_and_replay(vagent_cmd: list[str],
                                           subprocess_env: dict[str, str],
                                           tmp_path: Path) -> None:
    (ex, ey), (okx, oky) = centre("entry"), centre("ok")
    (tx, ty), (gx, gy) = screen_point("drag", 50, 50), screen_point("drag", 280, 180)
    actions = [{"action": "click", "x": ex, "y": ey},
               {"action": "type", "text": "héllo <world>", "submit": True},
               {"action": "click", "x": okx, "y": oky},
               {"action": "drag", "x1": tx, "y1": ty, "x2": gx, "y2": gy},
               {"action": "wait", "seconds": 0.5},
               {"action": "terminate", "status": "success"}]
    proc, state = _run(vagent_cmd, subprocess_env, tmp_path, actions)
    assert proc.returncode == 0, proc.stderr
    s = json.loads(state.read_text(encoding="utf-8"))
    assert s["submitted"] == "héllo <world>" and s["ok_clicks"] == 1 and s["dropped"]
    lines = (tmp_path / "run" / "trajectory.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 6 and "desktop 1280x800 on :" in first["observation_text"]
    assert (tmp_path / "run" / "step_000.png").exists()


@needs_xvfb
def test_confirm_reads_the_terminal(vagent_cmd: list[str], subprocess_env: dict[str, str],
                                    tmp_path: Path) -> None:
    okx, oky = centre("ok")
    click = {"action": "click", "x": okx, "y": oky}
    actions = [click, click, click, {"action": "wait", "seconds": 0.5}, {"action": "terminate"}]
    proc, state = _run(vagent_cmd, subprocess_env, tmp_path, actions, "--confirm",
                       stdin="n\ny\nn\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("do it? [y/N/q]") == 3
    assert json.loads(state.read_text())["ok_clicks"] == 1


def test_no_display_without_xvfb_is_one_clear_line(vagent_cmd: list[str],
                                                   subprocess_env: dict[str, str],
                                                   tmp_path: Path) -> None:
    acts = tmp_path / "a.json"
    acts.write_text('[{"action": "terminate"}]')
    proc = subprocess.run([*vagent_cmd, "run", "x", "--env", "desktop", "--policy", "replay",
                           "--actions", str(acts), "--out", str(tmp_path / "run")],
                          env=_no_display(subprocess_env), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("vagent: no X display")
    assert "--xvfb" in proc.stderr and "Traceback" not in proc.stderr
