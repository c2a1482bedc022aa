"""AITZ runner: ground-truth replay, a centre-tapping policy scored by hand, failures and
retries, scoring predictions made elsewhere, and the command line. (Kill and resume, cut lines,
the settings guard and hostile ids: test_benchmark_runs.py, for every benchmark.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vagent import policies
from vagent.actions import ParseError
from vagent.benchmarks.aitz.loader import load
from vagent.benchmarks.aitz.runner import evaluate, score_predictions
from vagent.actions.context import Context, Decision
from vagent.policies.base import Policy
from fixtures.aitz import CentreTap, SlowOracle

ALL_METRICS = ("type_match", "exact_match", "aitw_match", "aitw_match_dir", "success_rate",
               "goal_progress")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def scored_steps(out: Path) -> list[dict[str, Any]]:
    """Every scored step of OUT/episodes.jsonl, in file order."""
    return [s for ep in lines(out / "episodes.jsonl") for s in ep["step_records"]]


def group(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return summary["overall"] if name == "overall" else summary["subsets"][name]


@pytest.mark.parametrize("workers", [1, 4])
def test_replaying_the_ground_truth_scores_100_on_every_metric(aitz_data, tmp_path, workers):
    summary = evaluate(load(aitz_data), policies.make("oracle"), tmp_path, workers=workers)
    for name in ("overall", "general", "install", "web_shopping"):
        for metric in ALL_METRICS:
            assert group(summary, name)[metric] == 100.0, (name, metric)
    assert summary["metrics"] == {m: 100.0 for m in ALL_METRICS}
    assert summary["groups"]["install"] == {**{m: 100.0 for m in ALL_METRICS}, "n": 2}
    assert summary["overall"]["steps"] == 21 and summary["overall"]["episodes"] == 5
    assert group(summary, "install")["steps"] == 7 and group(summary, "install")["episodes"] == 2
    recs = scored_steps(tmp_path)
    assert len(recs) == 21 and all(r["prediction"] == r["ground_truth"] for r in recs)
    on_disk = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["overall"] == summary["overall"]
    assert "| **overall** | 100.0 | 100.0 |" in (tmp_path / "summary.md").read_text()


def test_the_policy_gets_the_instruction_screenshot_and_ground_truth_history(aitz_data, tmp_path):
    seen: list[Context] = []

    class Recorder(Policy):
        def act(self, context: Context) -> Decision:
            seen.append(context)
            return Decision(raw="", calls=[{"action": "wait"}])

    evaluate(load(aitz_data, subset="web_shopping"), Recorder(), tmp_path, workers=1)
    last = seen[-1]
    assert last.task == "add 2 apples to the cart" and last.step == 5
    assert last.observation["screenshot"].shape == (600, 270, 3)
    assert last.screen == (270, 600) and last.space.name == "mobile"
    assert [v.action["action"] for v in last.steps] == ["click", "scroll", "click", "type",
                                                        "click"]
    assert last.steps[3].action["text"] == "2 🍎"
    assert last.oracle().dump() == {"action": "terminate", "status": "success"}


def test_a_centre_tapping_policy_scores_the_hand_computed_figures(aitz_data, tmp_path):
    # The 21 steps (tests/data/aitz/generate.py), the centre of 270×600 being (135, 300):
    # 7 are taps, so type match is 7/21. Exact (CoAT): the Settings tap is at (135, 300) itself;
    # the Install tap (140, 306) and the Apples tap (81, 282) are in 1.2× boxes that hold the
    # centre; the other four (search bar, empty area, Qty, Add to cart) are not → 3/21.
    # AITW: those three, plus the empty-area tap (0.56, 0.45), only 0.078 from (0.5, 0.5) → 4/21.
    # Episodes: only INSTALL-1 (1 of 4 steps) and WEB_SHOPPING (1 of 6) start with an exact
    # step, so success rate 0 and goal progress (1/4 + 1/6) / 5.
    s = evaluate(load(aitz_data), CentreTap(), tmp_path, workers=3)
    o = s["overall"]
    assert o["type_match"] == round(100 * 7 / 21, 2)
    assert o["exact_match"] == round(100 * 3 / 21, 2)
    assert o["aitw_match"] == o["aitw_match_dir"] == round(100 * 4 / 21, 2)
    assert o["success_rate"] == 0.0
    assert o["goal_progress"] == round(100 * (1 / 4 + 1 / 6) / 5, 2)
    g, i, w = (group(s, n) for n in ("general", "install", "web_shopping"))
    assert (g["type_match"], g["exact_match"], g["aitw_match"]) == (25.0, 12.5, 12.5)
    assert (i["type_match"], i["exact_match"], i["aitw_match"]) == (
        round(200 / 7, 2), round(100 / 7, 2), round(200 / 7, 2))
    assert (w["type_match"], w["exact_match"], w["aitw_match"]) == (
        50.0, round(100 / 6, 2), round(100 / 6, 2))
    assert o["by_type"]["click"] == {"steps": 7, "type_match": 100.0,
                                     "exact_match": round(300 / 7, 2)}


def test_parse_errors_are_scored_wrong_and_other_failures_stop_the_run(aitz_data, tmp_path):
    calls = {"n": 0}

    class Flaky(Policy):
        name = "flaky"

        def act(self, context: Context) -> Decision:
            calls["n"] += 1
            if context.step == 1:
                raise ParseError("no tool call in the answer")
            if context.step == 2 and context.task.startswith("search"):
                raise ConnectionError("server went away")
            return Decision(calls=[context.oracle().dump()])

    eps = load(aitz_data, subset="general")
    with pytest.raises(ConnectionError):
        evaluate(eps, Flaky(), tmp_path, workers=1)
    (ep1,) = lines(tmp_path / "episodes.jsonl")  # the interrupted episode is not recorded
    assert ep1["id"] == "1000000001"  # it runs again, whole, on resume
    step1 = ep1["step_records"][1]
    assert step1["error"] == "no tool call in the answer" and step1["exact_match"] is False
    assert ep1["error"].startswith("1 of 4 steps failed") and ep1["success"] is False

    class Steady(Flaky):
        def act(self, context: Context) -> Decision:
            return Decision(calls=[context.oracle().dump()])

    summary = evaluate(eps, Steady(), tmp_path, workers=1)
    assert summary["overall"]["steps"] == 8 and summary["overall"]["errors"] == 1
    assert summary["overall"]["exact_match"] == 87.5 and summary["ran"] == 1
    assert len(scored_steps(tmp_path)) == 8


def test_failed_requests_count_wrong_until_retried(aitz_data, tmp_path):
    class Down(Policy):
        name = "down"

        def act(self, context: Context) -> Decision:
            if context.step % 2:
                return Decision(error="http://x/v1: server error 500, 3 attempts")
            return Decision(raw="{}", calls=[context.oracle().dump()])

    class Up(Down):
        def act(self, context: Context) -> Decision:
            return Decision(raw="{}", calls=[context.oracle().dump()])

    eps = load(aitz_data)
    first = evaluate(eps, Down(), tmp_path, workers=4)["overall"]
    odd = sum(1 for e in eps for s in e.steps if s.step_id % 2)
    assert first["no_answer"] == first["errors"] == odd == 10
    assert first["exact_match"] == round(100 * 11 / 21, 2)
    again = evaluate(eps, Up(), tmp_path, workers=4)  # a plain resume keeps them (wrong)
    assert again["speed"]["steps_run"] == 0 and again["overall"]["no_answer"] == 10
    fixed = evaluate(eps, Up(), tmp_path, workers=4, retry_failed=True)
    # every episode has an odd step: all five run again, whole
    assert fixed["speed"]["steps_run"] == 21 and fixed["ran"] == 5
    assert fixed["overall"]["exact_match"] == 100.0
    keys = [(r["episode_id"], r["step_id"]) for r in scored_steps(tmp_path)]
    assert len(keys) == len(set(keys)) == 21


def test_a_folder_holds_one_policy(aitz_data, tmp_path):
    evaluate(load(aitz_data, limit=1), policies.make("oracle"), tmp_path, workers=1)
    with pytest.raises(Exception, match=r"other settings \(policy.name: 'oracle' there"):
        evaluate(load(aitz_data, limit=1), CentreTap(), tmp_path, workers=1)


class Batched(SlowOracle):
    """A policy with act_batch: the runner hands it ``batch`` contexts at once."""

    sizes: list[int] = []

    def act_batch(self, contexts: list[Context]) -> list[Decision]:
        Batched.sizes.append(len(contexts))
        return [Decision(calls=[c.oracle().dump()]) for c in contexts]


def test_policies_with_act_batch_get_batches(aitz_data, tmp_path, monkeypatch):
    monkeypatch.setenv("AITZ_SLOW", "0")
    Batched.sizes = []
    summary = evaluate(load(aitz_data), Batched(), tmp_path, workers=8)
    assert Batched.sizes == [8, 8, 5] and summary["overall"]["exact_match"] == 100.0


# -- predictions made elsewhere --------------------------------------------------------------------
def _write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items),
                    encoding="utf-8")
    return path


def test_scoring_predictions_counts_missing_steps_as_wrong_and_lists_them(aitz_data, tmp_path):
    eps = load(aitz_data)
    items = [{"episode_id": s.episode_id, "step_id": s.step_id, "action": s.action}
             for e in eps for s in e.steps]
    dropped = [items.pop(2), items.pop(10)]  # GENERAL-1 step 2 and INSTALL-1 step 3
    items[0]["action"] = {"action": "click", "x": "left"}  # invalid: scored wrong
    items.append({"episode_id": "999", "step_id": 0, "action": {"action": "wait"}})
    preds = _write(tmp_path / "preds.jsonl", items)
    s = score_predictions(eps, preds, tmp_path / "out")
    missing = [f"{d['episode_id']}/{d['step_id']}" for d in dropped]
    assert s["missing_steps"] == missing and s["overall"]["missing"] == 2
    assert s["unknown_predictions"] == ["999/0"]
    assert s["overall"]["exact_match"] == round(100 * 18 / 21, 2)
    # GENERAL-1 misses its first step and INSTALL-1 its last (of 4); the other three are whole
    assert s["overall"]["success_rate"] == 60.0
    assert s["overall"]["goal_progress"] == round(100 * (0 + 1 + 3 / 4 + 1 + 1) / 5, 2)
    recs = scored_steps(tmp_path / "out")
    assert len(recs) == 21 and sum(r["missing"] for r in recs) == 2
    assert "click" in recs[0]["error"]


@pytest.mark.parametrize("body, message", [
    ('{"episode_id": "1", "step_id": 0, "action": {}}\n{oops\n', "preds.jsonl:2: not JSON"),
    ('{"step_id": 0, "action": {}}\n', "needs episode_id"),
    ('{"episode_id": "1", "step_id": 0, "action": {}}\n' * 2, "second prediction"),
])
def test_bad_predictions_files_say_which_line(aitz_data, tmp_path, body, message):
    (tmp_path / "preds.jsonl").write_text(body, encoding="utf-8")
    with pytest.raises(Exception, match=message):
        score_predictions(load(aitz_data), tmp_path / "preds.jsonl", tmp_path / "out")


def test_cli_scores_predictions_and_reports_errors(aitz_data, tmp_path, vagent_cmd,
                                                   subprocess_env):
    eps = load(aitz_data, subset="general")
    items = [{"episode_id": s.episode_id, "step_id": s.step_id, "action": s.action}
             for e in eps for s in e.steps][1:]
    preds = _write(tmp_path / "p.jsonl", items)
    res = subprocess.run([*vagent_cmd, "eval", "aitz", "--data", str(aitz_data), "--subset",
                          "general", "--predictions", str(preds), "--out", str(tmp_path / "o")],
                         env=subprocess_env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "| **overall** | 87.5 | 87.5 |" in res.stdout
    assert "1 steps had no prediction" in res.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["missing_steps"] == ["1000000001/0"]
    assert summary["overall"]["goal_progress"] == 50.0  # GENERAL-1 misses its first step
    res = subprocess.run([*vagent_cmd, "eval", "aitz", "--data", str(tmp_path / "none"),
                          "--policy", "oracle"], env=subprocess_env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 1 and res.stderr.startswith("vagent: no AITZ folder")
