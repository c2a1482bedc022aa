"""Function calling: tools from signatures and schemas, tool errors fed back, the benchmark."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from vagent import envs
from vagent.actions import ActionSpace, Terminate, Tool, tool
from vagent.actions.example_tools import EXAMPLE_TOOLS, calculate, convert_units
from vagent.agent import Agent, Trajectory
from vagent.benchmarks.fncall.example import build_example
from vagent.benchmarks.fncall.metrics import exact_match, normalise, type_match
from vagent.benchmarks.fncall.runner import load_items, run
from vagent.actions.context import Decision
from vagent.policies.base import Policy


class Point(BaseModel):
    lat: float
    lon: float


def test_schema_from_signature_defaults_enums_lists_nested() -> None:
    @tool
    def plan(stops: list[str], mode: Literal["car", "train"] = "car", start: Point | None = None,
             days: int = 2) -> str:
        """Plan a trip.

        Args:
            stops: places to visit, in order
            mode: how to travel
        """
        return f"{len(stops)} stops by {mode}"

    (schema,) = ActionSpace("t", [plan]).schemas()
    params = schema["parameters"]
    assert schema["description"] == "Plan a trip."
    assert params["required"] == ["stops"]
    assert params["properties"]["stops"]["type"] == "array"
    assert params["properties"]["stops"]["items"] == {"type": "string"}
    assert params["properties"]["stops"]["description"] == "places to visit, in order"
    assert params["properties"]["mode"]["enum"] == ["car", "train"]
    assert params["properties"]["days"]["default"] == 2
    assert params["$defs"]["Point"]["required"] == ["lat", "lon"]
    assert plan({"stops": ["a", "b"], "start": {"lat": 1, "lon": 2}}) == "2 stops by car"


def test_tool_from_schema_validates_and_is_declared_only() -> None:
    t = Tool.from_schema({"name": "search_web", "description": "Search.",
                          "parameters": {"type": "object", "required": ["q"], "properties": {
                              "q": {"type": "string"}, "n": {"type": "integer"},
                              "lang": {"enum": ["en", "zh"]}}}})
    space = ActionSpace("s", [t])
    assert space.validate({"action": "search_web", "q": "x", "lang": "zh"}).lang == "zh"
    with pytest.raises(Exception, match="field 'lang'"):
        space.validate({"action": "search_web", "q": "x", "lang": "fr"})
    assert "declared but not implemented" in t({"q": "x"})


def test_example_tools_offline() -> None:
    assert "104.61 km/h" in convert_units({"value": 65, "from_unit": "mph", "to_unit": "km/h"})
    assert calculate({"expression": "(12.5 + 7.25) * 2"}) == "39.5"
    assert calculate({"expression": "__import__('os').system('x')"}).startswith("cannot")
    assert calculate({"expression": "9**9**9"}).startswith("cannot")
    assert "Tokyo" in EXAMPLE_TOOLS["get_weather"]({"city": "  tokyo "})


class Scripted(Policy):
    def __init__(self, calls):  # noqa: ANN001
        self.calls = list(calls)
        self.seen: list[list[dict]] = []

    def act(self, context):  # noqa: ANN001
        self.seen.append([r for s in context.steps for r in s.tool_results])
        return Decision(calls=[self.calls.pop(0)] if self.calls else [{"action": "terminate"}])


def test_bad_arguments_raising_and_hanging_tools_become_results(tmp_path: Path) -> None:
    @tool
    def explode() -> str:
        """Always fails."""
        raise ValueError("kaboom")

    @tool(timeout=0.1)
    def hang() -> str:
        """Never returns in time."""
        import time

        time.sleep(1)
        return "late"

    env = envs.make("fncall", tools=[*EXAMPLE_TOOLS.values(), explode, hang])
    pol = Scripted([{"action": "convert_units", "value": "lots"}, {"action": "explode"},
                    {"action": "hang"}])
    traj = Agent(pol, env, out=tmp_path, max_steps=4).run("x")
    results = [s.tool_results for s in Trajectory.load(tmp_path).steps]
    assert "field 'value'" in results[0][0]["result"] and results[0][0]["result"].startswith(
        "error:")
    assert results[1] == [{"name": "explode", "result": "error: tool explode raised "
                                                        "ValueError: kaboom"}]
    assert "did not finish" in results[2][0]["result"]
    assert traj.steps[0].error is None  # a bad tool call is the tool's result, not a parse error
    assert pol.seen[3][-1]["name"] == "hang"  # every result went back to the policy


@pytest.mark.parametrize("value,other,equal", [
    (65, "65.0", True), ("San  Diego", "san diego", True), ({"a": 1, "b": [1, "X"]},
                                                           {"b": [1.0, "x"], "a": "1"}, True),
    ("Tokyo", "Kyoto", False), (1.5, 1.25, False), ("", " ", True), ("北京", "北京 ", True),
])
def test_normalise(value, other, equal) -> None:  # noqa: ANN001
    assert (normalise(value) == normalise(other)) is equal


def test_match_rules() -> None:
    exp = {"name": "get_weather", "arguments": {"city": "Tokyo"}}
    assert exact_match({"action": "get_weather", "city": "TOKYO"}, exp)
    assert exact_match({"action": "get_weather", "city": "tokyo", "unit": "celsius"}, exp,
                       defaults={"unit": "celsius"})
    assert not exact_match({"action": "get_weather", "city": "tokyo", "unit": "fahrenheit"}, exp,
                           defaults={"unit": "celsius"})
    assert type_match({"name": "get_weather", "arguments": {}}, exp)
    assert not type_match(None, exp) and not exact_match({"action": "calculate"}, exp)


def test_benchmark_scores_hand_computed(tmp_path: Path) -> None:
    data = build_example(tmp_path / "data", n=12, seed=3)
    items = load_items(data)
    # right call for items 0-5, right tool with wrong arguments for 6-8, wrong tool for 9-11
    calls = []
    for i, item in enumerate(items):
        exp = item["expected"]
        if i < 6:
            calls.append({"action": exp["name"], **exp["arguments"]})
        elif i < 9:
            calls.append({"action": exp["name"], **{k: "wrong" for k in exp["arguments"]}})
        else:
            calls.append({"action": "calculate", "expression": "1+1"})
    summary = run(items, data.parent, Scripted(calls), tmp_path / "out")
    assert summary["episodes"] == 12
    assert summary["metrics"]["type_match"] == pytest.approx(100 * 9 / 12, abs=0.01)
    assert summary["metrics"]["exact_match"] == pytest.approx(50.0)
    lines = (tmp_path / "out" / "episodes.jsonl").read_text().splitlines()
    assert len(lines) == 12
    assert sum(json.loads(x)["success"] for x in lines) == 6  # success is the exact match
    # resumable: a second run scores nothing again
    again = run(items, data.parent, Scripted([]), tmp_path / "out")
    assert again["ran"] == 0 and again["metrics"] == summary["metrics"]
    assert again["groups"] == summary["groups"]
    assert len((tmp_path / "out" / "episodes.jsonl").read_text().splitlines()) == 12


def test_cli_oracle_and_errors(tmp_path: Path, vagent_cmd, subprocess_env) -> None:  # noqa: ANN001
    r = subprocess.run([*vagent_cmd, "eval", "fncall", "--out", str(tmp_path), "--limit", "8",
                        "--example-size", "8"], capture_output=True, text=True, env=subprocess_env)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["metrics"] == {"type_match": 100.0, "exact_match": 100.0}
    assert "| **all** | 8 |" in (tmp_path / "summary.md").read_text()
    r = subprocess.run([*vagent_cmd, "eval", "fncall", "--data", str(tmp_path / "nope.jsonl")],
                       capture_output=True, text=True, env=subprocess_env)
    assert r.returncode == 1 and r.stderr.startswith("vagent: no dataset")


def test_flight_ticket_to_weather_example(tmp_path: Path) -> None:
    """The README example: read the ticket, call the weather tool, answer from its result."""
    data = build_example(tmp_path / "d", n=1, seed=0)
    item = load_items(data)[0]
    item["expected"] = {"name": "get_weather", "arguments": {"city": "Tokyo"}}
    answers = [{"action": "get_weather", "city": "Tokyo"}]

    class Answerer(Scripted):
        def act(self, context):  # noqa: ANN001
            if context.steps and context.steps[-1].tool_results:
                result = context.steps[-1].tool_results[0]["result"]
                return Decision(calls=[Terminate(answer=result).dump()])
            return super().act(context)

    traj = Agent(Answerer(answers), envs.make("fncall"), out=tmp_path / "run",
                 max_steps=3).run(item["question"], options={"item": item, "root": str(data.parent)})
    assert traj.steps[-1].action["answer"].startswith("Tokyo: clear")
    assert traj.result["reason"] == "terminated"
