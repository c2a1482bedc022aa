"""Every benchmark through the same checks of the one run shape (``benchmarks.run``).

Each ``vagent eval BENCHMARK`` runs as a user runs it (a subprocess) on small synthetic data:
- a run writes settings.json, episodes.jsonl, summary.json, summary.md in the documented shape;
- a kill -9 mid-run (at an observable point: the gated oracle blocks once a line is flushed),
  then a rerun asks ONLY the unfinished episodes (the steps asked are counted) and counts
  nothing twice;
- a rerun with another policy into the same folder is refused in one line;
- a cut last line and lines that are JSON but not records (``{}``, ``5``) are repaired;
- duplicate episode ids are refused; hostile ids (``../../x``, ``/abs``) write nothing outside
  --out (for the four benchmarks whose ids come from data; cards and phone-sim make their own).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vagent.benchmarks.run import BenchmarkRun, EpisodeRecord, RunError, read_episodes, safe_name
from fixtures.aitz import AITZ_DATA
from fixtures.benchmark_runs import RUN_CLI

# -- the six benchmarks, each with small data and a way to give its episodes chosen ids -----------


def _aitz(tmp: Path, ids: list[str] | None) -> list[str]:
    data = tmp / "aitz"
    if not data.exists():
        shutil.copytree(AITZ_DATA, data, ignore=shutil.ignore_patterns("*.py"))
    if ids is not None:
        files = sorted(data.glob("*/*/*.json"))
        for f, new in zip(files, ids):
            steps = json.loads(f.read_text(encoding="utf-8"))
            for s in steps:
                s["episode_id"] = new
            f.write_text(json.dumps(steps), encoding="utf-8")
    return ["--data", str(data)]


def _alfred(tmp: Path, ids: list[str] | None) -> list[str]:
    if ids is None:
        return ["--per-type", "1"]
    from vagent.envs.alfred.generate import generated_tasks
    from vagent.envs.alfred.tasks import write_split

    write_split(generated_tasks(per_type=1, seed=0)[:len(ids)], tmp / "alfred", "valid_seen")
    for f, new in zip(sorted((tmp / "alfred").rglob("traj_data.json")), ids):
        task = json.loads(f.read_text(encoding="utf-8"))
        task["task_id"] = new
        f.write_text(json.dumps(task), encoding="utf-8")
    return ["--data", str(tmp / "alfred"), "--split", "valid_seen"]


def _vln(tmp: Path, ids: list[str] | None) -> list[str]:
    from vagent.envs.vln.synthetic import generate

    data = generate(tmp / "vln", scans=1, paths_per_scan=3)
    if ids is not None:  # one instruction per path: an episode's id is "<path_id>_0"
        f = data / "R2R_synthetic.json"
        items = json.loads(f.read_text(encoding="utf-8"))[:len(ids)]
        for item, new in zip(items, ids):
            item["path_id"], item["instructions"] = new, item["instructions"][:1]
        f.write_text(json.dumps(items), encoding="utf-8")
    return ["--data", str(data), "--split", "synthetic"]


def _fncall(tmp: Path, ids: list[str] | None) -> list[str]:
    from vagent.benchmarks.fncall.example import build_example

    path = build_example(tmp / "fncall", n=len(ids) if ids else 5, seed=0)
    if ids is not None:
        items = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        for item, new in zip(items, ids):
            item["id"] = new
        path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return ["--data", str(path)]


@dataclass
class Bench:
    name: str
    episodes: int  # in the run the checks make
    data: Callable[[Path, list[str] | None], list[str]]
    args: tuple[str, ...] = ()
    ids_from_data: bool = True
    id_of: Callable[[str], str] = lambda i: i  # the episode id a data id becomes


BENCHES = [
    Bench("aitz", 5, _aitz),
    Bench("alfred", 7, _alfred, id_of=lambda i: f"{i}:0"),
    Bench("cards", 4, lambda tmp, ids: [], ("--game", "numberline", "--episodes", "4"), False),
    Bench("fncall", 5, _fncall),
    Bench("phone-sim", 3, lambda tmp, ids: [], ("--episodes", "3"), False),
    Bench("vln", 4, _vln, ("--episodes", "4"), id_of=lambda i: f"{i}_0"),
]
FROM_DATA = [b for b in BENCHES if b.ids_from_data]


def _command(bench: Bench, tmp: Path, out: Path, policy: str = "gate-oracle",
             ids: list[str] | None = None) -> list[str]:
    return [sys.executable, "-c", RUN_CLI, "eval", bench.name, *bench.data(tmp, ids),
            *bench.args, "--policy", policy, "--out", str(out)]


def _run(cmd: list[str], env: dict[str, str], **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env={**env, **extra}, capture_output=True, text=True,
                          timeout=600)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _check_shape(bench: Bench, out: Path) -> dict[str, Any]:
    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    assert settings["benchmark"] == bench.name and settings["policy"]["name"] == "gate-oracle"
    assert "seed" in settings and "data" in settings
    recs = _lines(out / "episodes.jsonl")
    for r in recs:
        assert isinstance(r["id"], str) and isinstance(r["steps"], int)
        assert r["success"] in (True, False, None) and isinstance(r["metrics"], dict)
        assert r["error"] is None or isinstance(r["error"], str)
        assert "task" in r and "group" in r
        if r["run"] is not None:
            assert r["run"] == f"runs/{safe_name(r['id'])}"
            assert (out / r["run"] / "trajectory.jsonl").exists()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["benchmark"] == bench.name and summary["settings"] == settings
    assert summary["episodes"] == len(recs) == bench.episodes
    assert summary["errors"] == sum(1 for r in recs if r["error"])
    assert summary["metrics"] and all(isinstance(v, float) for v in summary["metrics"].values())
    for g in summary["groups"].values():
        assert g["n"] >= 1
    assert sum(g["n"] for g in summary["groups"].values()) in (0, len(recs))
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# ") and "|---" in md
    return summary


def _one_line_error(res: subprocess.CompletedProcess) -> str:
    assert res.returncode in (1, 2), res.stderr
    assert "Traceback" not in res.stderr and res.stderr.startswith("vagent: "), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    return res.stderr


# -- the checks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 3], ids=["serial", "threaded"])
@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.name)
def test_a_killed_run_resumes_only_its_unfinished_episodes(bench: Bench, workers: int,
                                                            tmp_path: Path,
                                                            subprocess_env: dict[str, str]
                                                            ) -> None:
    """Threaded: episodes in flight when the gate closes block too; the kill loses them and
    the rerun asks them again from their start (aitz: its steps)."""
    out = tmp_path / "out"
    cmd = _command(bench, tmp_path, out) + ["--workers", str(workers)]
    gate = out / "episodes.jsonl"
    proc = subprocess.Popen(cmd, env={**subprocess_env, "VAGENT_TEST_GATE": str(gate)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    blocked = Path(str(gate) + ".blocked")
    deadline = time.monotonic() + 300  # a safety net only: the kill waits for the gate
    while not blocked.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert blocked.exists(), proc.stderr.read().decode() if proc.poll() is not None else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = gate.read_text(encoding="utf-8")
    done = _lines(gate)
    assert 1 <= len(done) < bench.episodes
    assert not (out / "summary.json").exists()

    acts = tmp_path / "acts"
    res = _run(cmd, subprocess_env, VAGENT_TEST_ACTS=str(acts))
    assert res.returncode == 0, res.stderr
    assert gate.read_text(encoding="utf-8").startswith(before)  # nothing recorded is lost
    recs = _lines(gate)
    assert len({r["id"] for r in recs}) == len(recs) == bench.episodes  # each episode once
    summary = _check_shape(bench, out)
    assert summary["ran"] == bench.episodes - len(done)
    # the resumed run asked the policy only for the steps of the episodes it ran
    new = recs[len(done):]
    assert acts.read_bytes().count(b".") == sum(r["steps"] for r in new) > 0

    # another policy into the same folder: refused in one line, nothing touched
    res = _run(_command(bench, tmp_path, out, policy="random"), subprocess_env)
    assert "other settings (policy.name: 'gate-oracle' there, 'random' now" in \
        _one_line_error(res)
    assert len(_lines(gate)) == bench.episodes


@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.name)
def test_cut_and_non_record_lines_are_repaired(bench: Bench, tmp_path: Path,
                                               subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    cmd = _command(bench, tmp_path, out)
    assert _run(cmd, subprocess_env).returncode == 0
    path = out / "episodes.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    keep = bench.episodes - 2
    # a hand-edited file, then a kill in the middle of the next line
    path.write_text("".join(lines[:keep]) + '{}\n5\n{"id": 7, "success": true}\n'
                    + lines[keep][:30], encoding="utf-8")
    res = _run(cmd, subprocess_env)
    assert res.returncode == 0, res.stderr
    recs = _lines(path)
    assert path.read_text(encoding="utf-8").startswith("".join(lines[:keep]))
    assert len({r["id"] for r in recs}) == len(recs) == bench.episodes
    assert _check_shape(bench, out)["ran"] == 2


@pytest.mark.parametrize("bench", FROM_DATA, ids=lambda b: b.name)
def test_duplicate_ids_are_refused(bench: Bench, tmp_path: Path,
                                   subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    res = _run(_command(bench, tmp_path, out, ids=["same", "same", "other"]), subprocess_env)
    assert "holds episode id 'same" in _one_line_error(res)
    assert not (out / "episodes.jsonl").exists() or not _lines(out / "episodes.jsonl")


@pytest.mark.parametrize("bench", FROM_DATA, ids=lambda b: b.name)
def test_hostile_ids_write_nothing_outside_out(bench: Bench, tmp_path: Path,
                                               subprocess_env: dict[str, str]) -> None:
    root = tmp_path / "deep" / "er"
    root.mkdir(parents=True)
    out = root / "out"
    ids = ["../../x", "/abs/y", "a/../../../../z" + "n" * 300]
    data_args = bench.data(root, ids)
    before = {p for p in tmp_path.rglob("*")}
    cmd = [sys.executable, "-c", RUN_CLI, "eval", bench.name, *data_args, "--policy",
           "gate-oracle", "--out", str(out)]
    res = _run(cmd, subprocess_env)
    assert res.returncode == 0, res.stderr
    new = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in new if out not in p.parents and p != out]
    assert outside == []
    assert not Path("/abs").exists()
    recs = _lines(out / "episodes.jsonl")
    assert {bench.id_of(i) for i in ids} <= {r["id"] for r in recs}  # ids kept as given
    for r in recs:
        if r["run"] is not None:
            folder = (out / r["run"]).resolve()
            assert folder.parent == (out / "runs").resolve() and len(folder.name) <= 80


# -- the run object itself ------------------------------------------------------------------------
@pytest.mark.parametrize("episode_id", ["../../x", "/abs/y", "..", ".", "", "a\x00b", "é/ü",
                                        "x" * 500, "ok-1.2_3"])
def test_safe_names_stay_one_plain_file_name(episode_id: str) -> None:
    name = safe_name(episode_id)
    assert 0 < len(name) <= 80 and name not in (".", "..") and not name.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    if episode_id == "ok-1.2_3":
        assert name == episode_id
    assert safe_name("a/b") != safe_name("a_b")  # ids that had to change keep apart


def test_the_run_object_refuses_duplicates_and_reads_back_only_records(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="holds episode id 'a' twice"):
        BenchmarkRun("b", tmp_path, {}, ["a", "b", "a"], progress=False)
    with BenchmarkRun("b", tmp_path, {"k": 1}, ["a", "b"], progress=False) as run:
        run.add(EpisodeRecord(id="a", success=True))
        with pytest.raises(RunError, match="recorded already"):
            run.add(EpisodeRecord(id="a", success=False))
    path = tmp_path / "episodes.jsonl"
    path.write_bytes(path.read_bytes() + b'"x"\n[]\n\xff\xfe\n{"id": "b", "succ')
    assert list(read_episodes(path, repair=True)) == ["a"]
    assert path.read_text(encoding="utf-8").count("\n") == 1
    with pytest.raises(RunError, match=r"other settings \(k: 1 there, 2 now\)"):
        BenchmarkRun("b", tmp_path, {"k": 2}, ["a", "b"], progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunError, match="is a file"):
        BenchmarkRun("b", tmp_path / "file", {}, ["a"], progress=False)
