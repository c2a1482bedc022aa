"""Episodes as Ray actors' tasks give the serial run's results; a lost worker's episode runs
once more, then is recorded as an error. The test starts its own local cluster (2 CPUs) and
stops it; without Ray installed (``vagent[ray]``) it is skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

from vagent.agent.pool import run_on_ray  # noqa: E402
from vagent.cli.app import main  # noqa: E402
from test_benchmark_runs import BENCHES  # noqa: E402

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cluster() -> Any:
    # the workers import this module (the episode functions below) and the test helpers
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="error", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield
    ray.shutdown()


def _summary(out: Path) -> dict[str, Any]:
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {k: v for k, v in s.items() if k != "ran"}


@pytest.mark.parametrize("policy", [["--policy", "oracle"],
                                    ["--policy", "random", "--policy-seed", "7"]],
                         ids=["oracle", "random"])
def test_a_ray_run_equals_the_serial_run(cluster: Any, policy: list[str],
                                         tmp_path: Path) -> None:
    bench = next(b for b in BENCHES if b.name == "fncall")
    data = bench.data(tmp_path, None)
    for name, extra in (("serial", []), ("ray", ["--ray", "auto", "--workers", "2"])):
        try:
            main(["eval", "fncall", *data, *policy, "--out", str(tmp_path / name), *extra])
        except SystemExit as e:
            assert not e.code
    assert _summary(tmp_path / "ray") == _summary(tmp_path / "serial")
    assert _summary(tmp_path / "ray")["episodes"] == bench.episodes
    assert sorted(p.name for p in (tmp_path / "ray" / "runs").iterdir()) == \
        sorted(p.name for p in (tmp_path / "serial" / "runs").iterdir())


def _dies(env: Any, policy: Any, job: tuple[str, int]) -> str:
    """Job ``(marker, k)``: k=1 kills its worker the first time, k=2 every time."""
    marker, k = job
    if k == 2 or (k == 1 and not Path(marker).exists()):
        Path(marker).touch()
        os._exit(1)  # the actor's process dies, as on a lost node
    return f"done {k}"


def test_a_lost_worker_retries_once_then_records_an_error(cluster: Any, tmp_path: Path) -> None:
    jobs = [(str(tmp_path / f"m{k}"), k) for k in range(4)]
    done: dict[int, str] = {}
    lost: dict[int, str] = {}
    run_on_ray(jobs, _dies, make_env=None, make_policy=lambda: None, address="auto",
               workers=2, on_done=lambda job, r: done.setdefault(job[1], r),
               on_lost=lambda job, why: lost.setdefault(job[1], why))
    assert done == {0: "done 0", 1: "done 1", 3: "done 3"}  # job 1 ran again and finished
    assert list(lost) == [2] and "died 2 times" in lost[2]
