"""``vagent eval alfred`` as a user runs it: a subprocess, files on disk, a killed run resumed."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from vagent.envs.alfred.generate import generated_tasks
from vagent.envs.alfred.tasks import write_split


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_eval_oracle_on_the_generated_set(tmp_path: Path, vagent_cmd, subprocess_env) -> None:
    out = tmp_path / "run"
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--backend", "symbolic", "--policy",
                                     "oracle", "--out", str(out)],
                       capture_output=True, text=True, timeout=240, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    assert "SR 100.0  GC 100.0  PLW-SR 100.0  PLW-GC 100.0  over 35 episodes" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 35 and summary["SR"] == 100.0
    assert set(summary["per_type"]) == {
        "pick_and_place_simple", "pick_two_obj_and_place", "look_at_obj_in_light",
        "pick_clean_then_place_in_recep", "pick_heat_then_place_in_recep",
        "pick_cool_then_place_in_recep", "pick_and_place_with_movable_recep"}
    recs = lines(out / "episodes.jsonl")
    assert len(recs) == 35 and all(r["success"] and r["reason"] == "terminated" for r in recs)
    md = (out / "summary.md").read_text()
    assert "| **all** | 35 | 100.0 | 100.0 | 100.0 | 100.0 |" in md
    ep = out / "episodes" / "trial_V00_0000_0"
    assert (ep / "trajectory.jsonl").exists() and (ep / "step_000.png").exists()


def test_eval_random_on_a_data_folder_and_bad_inputs(tmp_path: Path, vagent_cmd,
                                                    subprocess_env) -> None:
    write_split(generated_tasks(per_type=1, seed=5), tmp_path / "data", "valid_seen")
    out = tmp_path / "run"
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--data", str(tmp_path / "data"),
                                     "--split", "valid_seen", "--policy", "random",
                                     "--policy-seed", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=120, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 7 and summary["split"] == "valid_seen"
    recs = lines(out / "episodes.jsonl")
    # random rarely succeeds; every episode ends by ALFRED's rule of 10 failed actions or steps
    assert all(r["failures"] == 10 or r["steps"] == 50 for r in recs)
    # a results folder resumes only its own run
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--data", str(tmp_path / "data"),
                                     "--split", "valid_seen", "--policy", "oracle",
                                     "--out", str(out)],
                       capture_output=True, text=True, timeout=60, env=subprocess_env)
    assert r.returncode == 1 and "other settings (policy)" in r.stderr
    assert len(lines(out / "episodes.jsonl")) == 7

    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--data", str(tmp_path / "data"),
                                     "--split", "nope", "--out", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=60, env=subprocess_env)
    assert r.returncode == 1 and "vagent: no split 'nope'" in r.stderr
    assert "Traceback" not in r.stderr
    # ALFRED's own tasks (no symbolic scene) need THOR
    f = next((tmp_path / "data").rglob("traj_data.json"))
    data = json.loads(f.read_text())
    data.pop("vagent_scene")
    f.write_text(json.dumps(data))
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--data", str(tmp_path / "data"),
                                     "--split", "valid_seen", "--out", str(tmp_path / "y")],
                       capture_output=True, text=True, timeout=60, env=subprocess_env)
    assert r.returncode == 1 and "--backend thor" in r.stderr
    # the generated set has no THOR scenes
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--backend", "thor", "--out", str(out)],
                       capture_output=True, text=True, timeout=60, env=subprocess_env)
    assert r.returncode == 1 and "--backend symbolic" in r.stderr


def test_a_killed_run_resumes_without_scoring_twice(tmp_path: Path, vagent_cmd,
                                                   subprocess_env) -> None:
    out = tmp_path / "run"
    # A long-running random policy (no failure limit) so the kill lands inside episode 2.
    cmd = vagent_cmd + ["eval", "alfred", "--policy", "random", "--policy-seed", "0",
                        "--limit", "2", "--max-steps", "150", "--max-fails", "1000",
                        "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=subprocess_env)
    results = out / "episodes.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if results.exists() and results.read_text().count("\n") >= 1:
            break
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = lines(results)
    assert len(first) == 1, "the kill should land in the second episode"
    traj2 = out / "episodes" / "trial_V00_0001_0" / "trajectory.jsonl"
    assert traj2.exists()  # episode 2 had started
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    recs = lines(results)
    assert [x["episode"] for x in recs] == ["trial_V00_0000:0", "trial_V00_0001:0"]
    assert recs[0] == first[0]  # episode 1 was not run again
    assert recs[1]["steps"] == 150
    assert json.loads((out / "summary.json").read_text())["episodes"] == 2
