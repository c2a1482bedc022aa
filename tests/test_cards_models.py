"""``vagent eval cards`` with the model policies: the openai policy against the scripted
OpenAI-compatible server, and the tiny local Qwen2-VL checkpoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from vagent.envs.cards.protocol import prompt_text


def eval_cards(cmd: list[str], env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, "eval", "cards", *args], env=env, capture_output=True,
                          text=True, timeout=600)


def user_text(request: Any) -> str:
    (user,) = [m for m in request.messages if m["role"] == "user"]
    content = user["content"]
    if isinstance(content, str):
        return content
    return "".join(p["text"] for p in content if p.get("type") == "text")


def test_openai_policy_plays_numberline_under_rl4vlm(tmp_path: Path, openai_server: Any,
                                                     vagent_cmd: list[str],
                                                     subprocess_env: dict[str, str]) -> None:
    # Always "+": an episode succeeds exactly when the target lies above the start.
    server = openai_server(lambda body: '{"current number": "?", "target number": "?", '
                                        '"thoughts": "up", "action": "+"}')
    out = tmp_path / "nl"
    proc = eval_cards(vagent_cmd, subprocess_env, "--game", "numberline", "--episodes", "8",
                      "--seed", "1", "--policy", "openai", "--api-base", server.url,
                      "--model", "scripted-model", "--workers", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    # two workers write the records as their episodes finish: any order, each once
    records = sorted((json.loads(line) for line in
                      (out / "episodes.jsonl").read_text().splitlines()),
                     key=lambda r: r["episode"])
    assert [r["episode"] for r in records] == list(range(8))
    assert [r["id"] for r in records] == [f"numberline-{i:04d}" for i in range(8)]
    for r in records:
        assert r["success"] == (r["start"]["target"] > r["start"]["current"]), r
        assert r["projection"] == {"unique": r["steps"], "random": 0, "failure": 0}
    results = json.loads((out / "summary.json").read_text())
    g = results["groups"]["numberline"]
    assert g["projection"]["rule"] == "rl4vlm" and g["projection"]["random"] == 0
    assert results["settings"]["policy"]["name"] == "openai"
    requests = server.completions
    assert len(requests) == sum(r["steps"] for r in records)
    for request in requests:
        assert user_text(request).strip() == prompt_text("numberline")  # verbatim RL4VLM
        assert len(request.images()) == 1


def test_openai_policy_strict_and_lenient_on_ambiguous_answers(
        tmp_path: Path, openai_server: Any, vagent_cmd: list[str],
        subprocess_env: dict[str, str]) -> None:
    server = openai_server(lambda body: '{"action": "hit or stand"}')
    for strict in (False, True):
        out = tmp_path / str(strict)
        args = ["--game", "blackjack", "--episodes", "4", "--policy", "openai", "--api-base",
                server.url, "--model", "scripted-model", "--no-thoughts", "--out", str(out)]
        proc = eval_cards(vagent_cmd, subprocess_env, *args, *(["--strict"] if strict else []))
        assert proc.returncode == 0, proc.stderr
        g = json.loads((out / "summary.json").read_text())["groups"]["blackjack"]
        if strict:
            assert g["projection"] == {"rule": "rl4vlm-strict", "unique": 0, "random": 0,
                                       "failure": 4}
            assert g["success_rate"] == 0.0
        else:
            assert g["projection"]["rule"] == "rl4vlm" and g["projection"]["random"] >= 4
    assert "thoughts" not in user_text(server.completions[-1])


def test_tiny_local_checkpoint_plays_the_card_games(tmp_path: Path, tiny_qwen2vl: Path,
                                                    vagent_cmd: list[str],
                                                    subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "tiny"
    proc = eval_cards(vagent_cmd, subprocess_env, "--game", "all", "--episodes", "1",
                      "--max-steps", "3", "--policy", "qwen-vl", "--model", str(tiny_qwen2vl),
                      "--max-new-tokens", "12", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "summary.json").read_text())
    assert results["settings"]["policy"]["name"] == "qwen-vl"
    records = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    assert len(records) == 4
    for rec in records:
        # every step's action came from the model's text under RL4VLM's rule
        assert sum(rec["projection"].values()) == rec["steps"] >= 1
    for game in results["groups"].values():
        assert game["projection"]["rule"] == "rl4vlm"
