"""`vagent eval vln` with the model policies: the tiny local checkpoint and the openai policy
against the scripted OpenAI-compatible server, both through the env's MapGPT protocol."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from vagent.policies.scripted_server import Reply


def _text_of(body: dict[str, Any]) -> str:
    out = []
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        else:
            out += [p.get("text", "") for p in content or [] if p.get("type") == "text"]
    return "\n".join(out)


def test_eval_vln_with_the_openai_policy(vln_data: Path, tmp_path: Path, openai_server: Any,
                                         vagent_cmd: list[str],
                                         subprocess_env: dict[str, str]) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        text = _text_of(body)
        # First step of an episode: take option B (the first candidate); then stop (A).
        if "History: the navigation has just begun." in text:
            return Reply.text("Thought: the first way looks right.\nAction: B")
        return Reply.text("Thought: this is the place.\n**Action:** A")

    server = openai_server(answer)
    out = tmp_path / "out"
    res = subprocess.run(
        vagent_cmd + ["eval", "vln", "--data", str(vln_data), "--split", "synthetic",
                      "--limit", "3", "--policy", "openai", "--api-base", server.url,
                      "--model", "scripted-model", "--out", str(out)],
        capture_output=True, text=True, env=subprocess_env, timeout=180)
    assert res.returncode == 0, res.stderr
    recs = [json.loads(x) for x in (out / "episodes.jsonl").read_text().splitlines()]
    assert len(recs) == 3
    for rec in recs:
        assert rec["stopped"] and len(rec["walk"]) == 2 and rec["failed_decisions"] == 0
        assert rec["metrics"]["TL"] > 0
    first = server.requests[0]
    assert first.messages[0]["role"] == "system" and "Action: A" in _text_of(first.body)
    cands = _text_of(first.body).count(", shown in Image ")
    assert cands >= 1 and len(first.images()) == 1 + cands  # current view + one per candidate
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 3 and summary["settings"]["policy"]["name"] == "openai"


def test_eval_vln_with_the_tiny_local_checkpoint(vln_data: Path, tmp_path: Path,
                                                 tiny_qwen2vl: Path, vagent_cmd: list[str],
                                                 subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    res = subprocess.run(
        vagent_cmd + ["eval", "vln", "--dataset", "reverie", "--data", str(vln_data),
                      "--split", "synthetic", "--limit", "1", "--max-steps", "2",
                      "--policy", "qwen-vl", "--model", str(tiny_qwen2vl),
                      "--max-new-tokens", "6", "--min-pixels", str(4 * 28 * 28),
                      "--max-pixels", str(64 * 28 * 28),
                      "--out", str(out)],
        capture_output=True, text=True, env=subprocess_env, timeout=300)
    assert res.returncode == 0, res.stderr
    (rec,) = [json.loads(x) for x in (out / "episodes.jsonl").read_text().splitlines()]
    # Random weights write nonsense: each decision is a parse error fed back, or a legal option.
    steps = [json.loads(x) for x in next((out / "runs").iterdir()).joinpath(
        "trajectory.jsonl").read_text().splitlines()]
    assert 1 <= len(steps) <= 2 and rec["decisions"] == len(steps)
    for s in steps:
        assert s["raw"] or s["error"]
        assert s["error"] is None or "Action" in s["error"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 1 and "RGS" in summary["metrics"]
    assert summary["settings"]["policy"]["name"] == "qwen-vl"
