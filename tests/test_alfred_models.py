"""``vagent eval alfred --backend symbolic`` with the model policies: the openai policy against
the scripted OpenAI-compatible server, and the tiny local Qwen2-VL checkpoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from vagent.benchmarks.run import safe_name
from vagent.envs.alfred.generate import generated_tasks


def _script_for_first_task() -> list[str]:
    """The oracle's recorded plan of the first generated task, written as a model would."""
    plan = generated_tasks()[0].plan["high_pddl"]
    out = []
    for h in plan:
        act = h["planner_action"].get("vagent")
        if act:
            args = [v for k, v in act.items() if k != "action"]
            out.append(f"I should {act['action'].lower()}.\nAction: {act['action']}({args[0]})")
    return out + ["The task is done.\nAction: Stop()"]


def test_eval_with_the_openai_policy(openai_server, tmp_path: Path, vagent_cmd,
                                     subprocess_env) -> None:
    script = _script_for_first_task()
    server = openai_server(script)
    out = tmp_path / "run"
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--backend", "symbolic", "--policy",
                                     "openai", "--api-base", server.url, "--model", "scripted",
                                     "--limit", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=120, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["SR"] == 100.0 and summary["episodes"] == 1
    assert summary["settings"]["policy"]["name"] == "openai"
    rec = json.loads((out / "episodes.jsonl").read_text().splitlines()[0])
    assert rec["path_length"] == len(script) - 1 and rec["reason"] == "terminated"
    # The model was asked through ALFRED's protocol: its system text, the image, the state.
    first = server.completions[0]
    assert "household robot" in first.messages[0]["content"]
    parts = first.messages[1]["content"]
    assert any(p["type"] == "image_url" for p in parts)
    text = " ".join(p.get("text", "") for p in parts if p["type"] == "text")
    assert "Task: Put a plate on the shelf." in text and "Places:" in text
    later = " ".join(p.get("text", "") for p in server.completions[2].messages[1]["content"]
                     if p["type"] == "text")
    assert "0: GotoLocation(" in later  # the history of actions


def test_eval_with_the_tiny_local_checkpoint(tiny_qwen2vl, tmp_path: Path, vagent_cmd,
                                             subprocess_env) -> None:
    out = tmp_path / "run"
    r = subprocess.run(vagent_cmd + ["eval", "alfred", "--backend", "symbolic", "--policy",
                                     "qwen-vl", "--model", str(tiny_qwen2vl), "--device", "cpu",
                                     "--max-new-tokens", "8", "--limit", "1", "--max-steps", "2",
                                     "--out", str(out)],
                       capture_output=True, text=True, timeout=300, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 1 and summary["metrics"]["SR"] == 0.0  # random weights
    steps = [json.loads(x) for x in
             (out / "runs" / safe_name("trial_V00_0000:0") / "trajectory.jsonl").read_text().splitlines()]
    assert len(steps) == 2
    # random weights write text the protocol cannot read: recorded as errors, not crashes
    assert all(s["raw"] is not None for s in steps)
    assert all(s["error"] or s["action"] for s in steps)
