"""``vagent eval alfred`` as a user runs it: a subprocess, files on disk. (Kill and resume,
the settings guard and hostile ids: test_benchmark_runs.py, for every benchmark.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from vagent.benchmarks.run import safe_name
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
    assert "| **all** | 35 | 100.0 | 100.0 | 100.0 | 100.0 |" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 35 and summary["metrics"] == {
        "SR": 100.0, "GC": 100.0, "PLW_SR": 100.0, "PLW_GC": 100.0}
    assert set(summary["groups"]) == {
        "pick_and_place_simple", "pick_two_obj_and_place", "look_at_obj_in_light",
        "pick_clean_then_place_in_recep", "pick_heat_then_place_in_recep",
        "pick_cool_then_place_in_recep", "pick_and_place_with_movable_recep"}
    recs = lines(out / "episodes.jsonl")
    assert len(recs) == 35 and all(r["success"] and r["reason"] == "terminated" for r in recs)
    md = (out / "summary.md").read_text()
    assert "| **all** | 35 | 100.0 | 100.0 | 100.0 | 100.0 |" in md
    ep = out / recs[0]["run"]
    assert recs[0]["run"] == "runs/" + safe_name("trial_V00_0000:0")
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
    assert summary["episodes"] == 7 and summary["settings"]["split"] == "valid_seen"
    recs = lines(out / "episodes.jsonl")
    # random rarely succeeds; every episode ends by ALFRED's rule of 10 failed actions or steps
    assert all(r["failures"] == 10 or r["steps"] == 50 for r in recs)
    # a results folder resumes only its own run
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--data", str(tmp_path / "data"),
                                     "--split", "valid_seen", "--policy", "oracle",
                                     "--out", str(out)],
                       capture_output=True, text=True, timeout=60, env=subprocess_env)
    assert r.returncode == 1 and "other settings (policy.name: 'random' there, 'oracle' now" in r.stderr
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
