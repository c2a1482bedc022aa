"""The function-calling benchmark and tool feedback with the model policies: the openai policy
against the scripted server (each text format, scores checked by hand) and the tiny checkpoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vagent import envs
from vagent import policies
from vagent.agent import Agent, Trajectory
from vagent.benchmarks.fncall.example import build_example
from vagent.benchmarks.fncall.runner import load_items, run


def _render(fmt: str, name: str, args: dict[str, Any]) -> str:
    """A tool call as a model of each format writes it."""
    if fmt == "qwen2vl":
        return f"Let me check.\n✿FUNCTION✿: {name}\n✿ARGS✿: {json.dumps(args)}"
    if fmt == "qwen25vl":
        return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"
    return "Thought: call the tool.\nAction: " + name + "(" + ", ".join(
        f"{k}='{v}'" for k, v in args.items()) + ")"


def _policy(server, fmt: str) -> policies.Policy:  # noqa: ANN001
    return policies.make("openai", api_base=server.url, model="Qwen/Qwen2-VL-7B-Instruct",
                         format=fmt, backoff=0)


@pytest.mark.parametrize("fmt,marker", [("qwen2vl", "✿RESULT✿: "),
                                        ("qwen25vl", "<tool_response>\n")])
def test_tool_result_goes_back_in_the_format(fmt: str, marker: str, openai_server,  # noqa: ANN001
                                             tmp_path: Path) -> None:
    answer = {"qwen2vl": "✿RETURN✿: It is clear in Tokyo.",
              "qwen25vl": "<tool_call>\n" + json.dumps({"name": "terminate", "arguments": {
                  "status": "success", "answer": "clear"}}) + "\n</tool_call>"}[fmt]
    server = openai_server([_render(fmt, "get_weather", {"city": "Tokyo"}), answer, answer])
    env = envs.make("fncall", tools=["get_weather"])
    Agent(_policy(server, fmt), env, out=tmp_path, max_steps=2).run("Weather in Tokyo?")
    steps = Trajectory.load(tmp_path).steps
    result = steps[0].tool_results[0]["result"]
    assert result.startswith("Tokyo: clear")
    second = json.dumps(server.completions[1].messages, ensure_ascii=False)
    assert json.dumps(marker + result, ensure_ascii=False)[1:-1] in second


def test_eval_fncall_with_openai_scores_hand_computed(openai_server, tmp_path: Path) -> None:  # noqa: ANN001
    """Scripted answers per item: right call, right tool with wrong arguments, or unparsable."""
    data = build_example(tmp_path / "data", n=9, seed=5)
    items = load_items(data)
    plan = {}
    for i, item in enumerate(items):
        exp = item["expected"]
        if i % 3 == 0:
            plan[item["id"]] = _render("qwen2vl", exp["name"], exp["arguments"])
        elif i % 3 == 1:
            plan[item["id"]] = _render("qwen2vl", exp["name"],
                                       {k: "nonsense" for k in exp["arguments"]})
        else:
            plan[item["id"]] = "I am not sure what to do {{{"
    order = [item["id"] for item in items]
    answers = []
    for item_id in order:  # the script in request order
        answers.append(plan[item_id])
        if plan[item_id].startswith("I am not sure"):
            answers.append(plan[item_id])  # the retry after the parse error
    server = openai_server(answers)
    summary = run(items, data.parent, _policy(server, "qwen2vl"), tmp_path / "out")
    # 3 right, 3 right tool / wrong arguments, 3 unparsable
    assert summary["metrics"]["type_match"] == pytest.approx(100 * 6 / 9, abs=0.01)
    assert summary["metrics"]["exact_match"] == pytest.approx(100 * 3 / 9, abs=0.01)
    assert summary["parse_errors"] == 3
    assert len(server.completions) == 12


def test_eval_fncall_cli_with_tiny_checkpoint(tiny_qwen2vl: Path, tmp_path: Path,  # noqa: ANN001
                                             vagent_cmd, subprocess_env) -> None:
    r = subprocess.run([*vagent_cmd, "eval", "fncall", "--policy", "qwen-vl", "--model",
                        str(tiny_qwen2vl), "--example-size", "3", "--max-new-tokens", "8",
                        "--max-pixels", str(64 * 28 * 28), "--out", str(tmp_path)],
                       capture_output=True, text=True, env=subprocess_env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["episodes"] == 3 and summary["settings"]["policy"]["name"] == "qwen-vl"
    lines = [json.loads(x) for x in (tmp_path / "episodes.jsonl").read_text().splitlines()]
    assert all("raw" in x for x in lines)  # random weights: whatever it wrote is recorded
