"""Episodes at once, shards and Ray give the serial run's results (issue 19).

For every benchmark, the oracle and a seeded random policy run (in process, as ``vagent eval``)
serially, with 3 workers, and as two shards (2 workers each) merged by ``vagent eval merge``:
the four summaries are the same (but ``ran``, this invocation's own count, and AITZ's timing),
and so are the episodes' records. Merging refuses shards of other settings, the same shard
twice and folders that are not shards. One Ray test starts a 2-CPU local cluster itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from vagent.cli.main import main
from fixtures.benchmark_runs import recorded_actions
from test_benchmark_runs import BENCHES, Bench

VOLATILE = {"ran", "speed"}  # this invocation's count; AITZ's wall-clock figures


def _eval(bench: Bench, tmp: Path, out: Path, policy: list[str], *extra: str) -> int:
    args = ["eval", bench.name, *bench.data(tmp, None), *bench.args, *policy, "--out", str(out),
            *extra]
    try:
        main(args)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def _merge(*args: str) -> int:
    try:
        main(["eval", "merge", *args])
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def _summary(out: Path) -> dict[str, Any]:
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in s.items() if k not in VOLATILE}


def _records(out: Path) -> dict[str, dict[str, Any]]:
    recs = [json.loads(x) for x in (out / "episodes.jsonl").read_text(encoding="utf-8")
            .splitlines()]
    # an error message may name the simulated phone's port: compare that it failed, not how;
    # AITZ's scored steps hold their own wall-clock seconds
    return {r["id"]: {**r, "error": bool(r["error"]),
                      "step_records": [{k: v for k, v in s.items() if k != "seconds"}
                                       for s in r.get("step_records") or []]} for r in recs}


POLICIES = {"oracle": ["--policy", "oracle"],
            "random": ["--policy", "random", "--policy-seed", "7"]}


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.name)
def test_serial_threaded_and_sharded_runs_agree(bench: Bench, policy: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    args = POLICIES[policy]
    runs = {name: tmp_path / name for name in ("serial", "threaded", "s0", "s1", "merged")}
    assert _eval(bench, tmp_path, runs["serial"], args, "--workers", "1") == 0
    assert _eval(bench, tmp_path, runs["threaded"], args, "--workers", "3") == 0
    assert _eval(bench, tmp_path, runs["s0"], args, "--workers", "2", "--shard", "0/2") == 0
    assert _eval(bench, tmp_path, runs["s1"], args, "--workers", "2", "--shard", "1/2") == 0
    capsys.readouterr()
    assert _merge(str(runs["s0"]), str(runs["s1"]), "--out", str(runs["merged"])) == 0
    assert "page:" in capsys.readouterr().out

    serial = _summary(runs["serial"])
    assert serial["episodes"] == bench.episodes and serial["unfinished"] == 0
    shards = [_records(runs["s0"]), _records(runs["s1"])]
    assert shards[0] and shards[1] and not set(shards[0]) & set(shards[1])  # a true split
    for name in ("threaded", "merged"):
        assert _summary(runs[name]) == serial, name
        assert _records(runs[name]) == _records(runs["serial"]), name
    if bench.name != "aitz" and bench.name != "cards":  # their runs write no trajectories
        assert sorted(p.name for p in (runs["merged"] / "runs").iterdir()) == \
            sorted(p.name for p in (runs["serial"] / "runs").iterdir())


def test_merge_refuses_what_is_not_one_split(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bench = next(b for b in BENCHES if b.name == "fncall")
    oracle, random_ = POLICIES["oracle"], POLICIES["random"]
    assert _eval(bench, tmp_path, tmp_path / "a0", oracle, "--shard", "0/2") == 0
    assert _eval(bench, tmp_path, tmp_path / "a1", oracle, "--shard", "1/2") == 0
    assert _eval(bench, tmp_path, tmp_path / "b1", random_, "--shard", "1/2") == 0
    assert _eval(bench, tmp_path, tmp_path / "c1", oracle, "--shard", "1/3") == 0
    assert _eval(bench, tmp_path, tmp_path / "full", oracle) == 0
    capsys.readouterr()
    cases = {("a0", "b1"): "other settings (policy.name: 'oracle' in",
             ("a0", "a0"): "are both shard 0/2",
             ("a0", "c1"): "the others are of /2",
             ("a0", "full"): "holds no --shard run",
             ("a0", "nothing"): "is not a results folder of vagent eval"}
    for (x, y), message in cases.items():
        assert _merge(str(tmp_path / x), str(tmp_path / y), "--out",
                      str(tmp_path / f"m-{x}-{y}")) == 1
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    # one shard alone: merged, the other's episodes counted as unfinished (never run)
    assert _merge(str(tmp_path / "a0"), "--out", str(tmp_path / "half")) == 0
    half = _summary(tmp_path / "half")
    assert half["unfinished"] == bench.episodes - half["episodes"] > 0
    assert "are not merged" in capsys.readouterr().err


@pytest.mark.parametrize("shard", ["2/2", "1", "a/b", "-1/2", "1/0"])
def test_a_bad_shard_is_a_usage_error(shard: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bench = next(b for b in BENCHES if b.name == "cards")
    assert _eval(bench, tmp_path, tmp_path / "x", [], "--shard", shard) == 2
    assert "--shard takes i/n" in capsys.readouterr().err
    assert not (tmp_path / "x" / "episodes.jsonl").exists()


def test_data_generate_writes_the_same_runs_with_workers(tmp_path: Path) -> None:
    from vagent.training.datagen import generate

    counts = {w: generate("numberline", tmp_path / f"w{w}", 6, seed=3, max_steps=8,
                          progress=False, workers=w) for w in (1, 3)}
    assert counts[1] == counts[3] and counts[1]["episodes"] == 6

    assert recorded_actions(tmp_path / "w1") == recorded_actions(tmp_path / "w3")
    assert len(recorded_actions(tmp_path / "w1")) == 6


def test_a_shard_summary_counts_only_its_own_episodes(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for bench in (b for b in BENCHES if b.name in ("aitz", "fncall")):
        out = tmp_path / bench.name
        assert _eval(bench, tmp_path, out, POLICIES["oracle"], "--shard", "1/2") == 0
        summary = _summary(out)
        assert summary["episodes"] == bench.episodes // 2 and summary["unfinished"] == 0
        assert summary["settings"]["shard"] == "1/2"
        assert all(v == 100.0 for k, v in summary["metrics"].items() if "match" in k), summary


def test_a_killed_threaded_run_resumes_with_nothing_lost_or_counted_twice(
        tmp_path: Path, vagent_cmd: list[str], subprocess_env: dict[str, str]) -> None:
    """``kill -9`` of ``vagent eval cards --workers 4`` while episodes are in flight (the model
    answers after 0.1 s), then the same command again: every episode once, and the summary of a
    run that was never killed."""
    import signal
    import subprocess
    import time

    from vagent.policies.scripted_server import Reply, ScriptedServer

    # an unparsable answer: the card games play their seeded random fallback, so the results
    # are the same whatever the order or the interruption
    with ScriptedServer(lambda body: Reply(content="I cannot tell.", delay=0.1)) as server:
        def command(out: Path, workers: int) -> list[str]:
            return [*vagent_cmd, "eval", "cards", "--game", "numberline", "--episodes", "24",
                    "--max-steps", "3", "--policy", "openai", "--api-base", server.url,
                    "--model", "scripted-model", "--workers", str(workers), "--out", str(out)]

        killed = tmp_path / "killed"
        proc = subprocess.Popen(command(killed, 4), env=subprocess_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        records = killed / "episodes.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if records.exists() and len(records.read_text(encoding="utf-8").splitlines()) >= 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        whole = []  # a line cut by the kill is dropped when the run reopens
        for line in records.read_text(encoding="utf-8").splitlines():
            try:
                whole.append(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                pass
        before = len(set(whole))
        assert 4 <= before < 24 and not (killed / "summary.json").exists()

        subprocess.run(command(killed, 4), env=subprocess_env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        clean = tmp_path / "clean"
        subprocess.run(command(clean, 1), env=subprocess_env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)

    ids = [json.loads(x)["id"] for x in records.read_text(encoding="utf-8").splitlines()
           if x.strip()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 24  # nothing lost, nothing twice
    assert _summary(killed) == _summary(clean)
    assert json.loads((killed / "summary.json").read_text())["ran"] == 24 - before


@pytest.mark.parametrize("bench", BENCHES, ids=[b.name for b in BENCHES])
def test_an_episode_lost_on_ray_is_recorded_and_left_out_of_the_figures(
        bench: Bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's side of a lost Ray worker (``run_on_ray`` itself is tested on a real cluster
    in ``test_scale_ray.py``): the first episode's worker 'dies twice', the others run here.
    Every benchmark records it once with the error, summarises the rest as a run without it,
    and a rerun does not run it again."""
    import vagent.agent.pool as pool

    def lose_the_first(jobs: list[Any], one: Any, *, make_env: Any, make_policy: Any,
                       address: str, workers: int, on_done: Any, on_lost: Any) -> None:
        env = None
        for n, job in enumerate(jobs):
            if n == 0:
                on_lost(job, "its Ray worker died 2 times (test)")
                continue
            if env is None and make_env is not None:
                env = pool.per_worker(make_env, 1)[0]()  # type: ignore[index]
            on_done(job, one(env, make_policy(), job))
        if env is not None:
            env.close()

    monkeypatch.setattr(pool, "run_on_ray", lose_the_first)
    policy = POLICIES["oracle"]
    assert _eval(bench, tmp_path, tmp_path / "ray", policy, "--ray", "auto") == 0
    summary = json.loads((tmp_path / "ray" / "summary.json").read_text(encoding="utf-8"))
    recs = _records(tmp_path / "ray")
    lost = [r for r in recs.values() if r.get("lost")]
    if bench.name == "aitz":  # AITZ's jobs are steps: a lost step is an unanswered one
        assert not lost and summary["episodes"] == bench.episodes
        return
    assert len(lost) == 1 and lost[0]["error"] and len(recs) == bench.episodes
    assert summary["lost"] == 1 and summary["episodes"] == bench.episodes - 1
    assert summary["errors"] >= 1 and summary["unfinished"] == 0
    assert "1 episode(s) lost" in (tmp_path / "ray" / "summary.md").read_text(encoding="utf-8")
    # a rerun keeps it lost (recorded), runs nothing, and gives the same summary
    assert _eval(bench, tmp_path, tmp_path / "ray", policy) == 0
    again = json.loads((tmp_path / "ray" / "summary.json").read_text(encoding="utf-8"))
    assert again["ran"] == 0 and _summary(tmp_path / "ray") == {
        k: v for k, v in summary.items() if k not in VOLATILE}
