"""AITZ with the model policies: the openai policy over real HTTP against the scripted server
(its answers scored by hand), and the tiny local checkpoint through the command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from vagent import policies
from vagent.benchmarks.aitz.loader import load
from vagent.benchmarks.aitz.runner import evaluate

# qwen25vl answers in pixels of the resized screenshot: 270×600 → 280×588, whose centre
# (140, 294) is the screen's centre (135, 300).
CENTRE = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
          '"coordinate": [140, 294]}}\n</tool_call>')


def test_openai_policy_answering_the_centre_scores_the_hand_computed_figures(
        aitz_data: Path, tmp_path: Path, openai_server) -> None:  # noqa: ANN001
    server = openai_server(default=CENTRE)
    policy = policies.make("openai", api_base=server.url, model="Qwen/Qwen2.5-VL-7B-Instruct",
                           format="qwen25vl", backoff=0)
    summary = evaluate(load(aitz_data), policy, tmp_path, workers=4)
    o = summary["overall"]  # the same figures as the centre tapper (test_aitz_runner.py)
    assert o["type_match"] == round(100 * 7 / 21, 2)
    assert o["exact_match"] == round(100 * 3 / 21, 2)
    assert o["aitw_match"] == round(100 * 4 / 21, 2)
    assert o["goal_progress"] == round(100 * (1 / 4 + 1 / 6) / 5, 2)
    assert len(server.completions) == 21 and o["errors"] == 0
    recs = [s for x in (tmp_path / "episodes.jsonl").read_text().splitlines()
            for s in json.loads(x)["step_records"]]
    assert {tuple(r["prediction"][k] for k in ("x", "y")) for r in recs} == {(135, 300)}
    # every request carries the instruction and the screenshot; the history is the ground truth
    bodies = [json.dumps(r.messages, ensure_ascii=False) for r in server.completions]
    assert all(len(r.images()) >= 1 for r in server.completions)
    assert sum("add 2 apples to the cart" in b for b in bodies) == 6
    assert any("2 🍎" in b for b in bodies)  # the typed text of WEB_SHOPPING step 3


def test_tiny_checkpoint_through_the_cli(aitz_data: Path, tmp_path: Path, tiny_qwen2vl: Path,
                                         vagent_cmd, subprocess_env) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    cmd = [*vagent_cmd, "eval", "aitz", "--data", str(aitz_data), "--limit", "1", "--policy",
           "qwen-vl", "--model", str(tiny_qwen2vl), "--max-new-tokens", "8", "--max-pixels",
           str(64 * 28 * 28), "--workers", "2", "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["steps"] == 14 and summary["overall"]["episodes"] == 3
    assert summary["settings"]["policy"]["name"] == "qwen-vl"
    recs = [s for x in (out / "episodes.jsonl").read_text().splitlines()
            for s in json.loads(x)["step_records"]]
    assert len(recs) == 14 and all("raw" in x for x in recs)  # random weights: recorded as is
    # a second run resumes a finished folder: nothing is asked again
    r = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 3
    assert json.loads((out / "summary.json").read_text())["speed"]["steps_run"] == 0
