"""Episodes per second with 1, 4, 8, 16 workers against a server with a fixed answer latency,
for every benchmark; and the framework's own cost per step with the oracle, per env.

    python -m vagent.perf.scale [--latency 0.2] [--workers 1 4 8 16] [--episodes 32]
                                [--max-steps 3] [--bench phone-sim alfred ...] [--framework]
                                [--warm-up 2]

Speed-up: each benchmark runs as ``vagent eval BENCH --policy openai`` (in this process)
against the project's scripted OpenAI-compatible server (``policies.scripted_server``), which
answers every request after ``--latency`` seconds with the same unparsable text — so every
episode asks the same number of requests whatever the number of workers (the answer is a
parse failure: the loop asks once more, then the step is recorded failed; AITZ scores the step
wrong; the card games play RL4VLM's random fallback, seeded per episode). The table gives
episodes/s and the ratio to one worker, over the time from the first request to the last
answer (the run's setup — generated data, the policy, the first environment — is printed
apart); the ideal ratio is the number of workers as long as the framework's own per-step cost
(CPU) is small against the latency and the machine has the cores.

Framework (``--framework``): ``vagent eval BENCH --policy oracle`` per env, one worker,
trajectory written, after a warm-up run of ``--warm-up`` other episodes (another seed) in the
same process. Two warm-up episodes load the imports and fonts; the simulated phone's caches
and the heap go on growing for ~30 more (2,000 kept bands, ~130 MB, each new page faulted in),
so ``--warm-up 32`` measures what a long evaluation pays a step once they are full.
The CPU time (``time.process_time``: every thread of the process, so the in-process simulated
phone's rendering and encoding count) is summed over the episodes only — each episode's reset,
its steps with the oracle's decisions, its trajectory and its record in ``episodes.jsonl`` —
and divided by the steps. Outside it: imports, loading or generating the data, building the
environment (starting the simulated phone), the summary. The run's total CPU per step is
printed beside it. The machine's load is printed too: on a shared 2-core machine CPU time
also moves with it (caches, frequency).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AITZ = ROOT / "tests" / "data" / "aitz"  # the repository's small AITZ-format set

#: benchmark -> the options that make its episodes (fixed per run: only --workers changes)
BENCHES: dict[str, list[str]] = {
    "phone-sim": ["--episodes", "{episodes}", "--max-steps", "{steps}"],
    "alfred": ["--per-type", "{per_type}", "--max-steps", "{steps}"],
    "vln": ["--scans", "2", "--paths-per-scan", "{paths}", "--max-steps", "{steps}"],
    "fncall": ["--example-size", "{episodes}"],
    "cards": ["--game", "numberline", "--episodes", "{episodes}", "--max-steps", "{steps}"],
    "aitz": ["--data", str(AITZ)],
}


def _args(bench: str, episodes: int, steps: int) -> list[str]:
    values = {"episodes": episodes, "steps": steps, "per_type": max(1, episodes // 7),
              "paths": max(1, episodes // 6)}
    args = [a.format(**values) for a in BENCHES[bench]]
    if bench == "aitz" and episodes > 5:
        args[args.index("--data") + 1] = str(_aitz_set(episodes))
    return args


def _aitz_set(episodes: int) -> Path:
    """At least ``episodes`` AITZ episodes in the real layout (``SUBSET/PREFIX-ID/PREFIX-ID.json``
    with its ``PREFIX-ID_N.png`` screenshots): copies of the repository's 5 test episodes under
    new ids, written once into the temp folder (the set here is too small to keep 8 or 16
    workers busy)."""
    copies = -(-episodes // 5)
    root = Path(tempfile.gettempdir()) / f"vagent-scale-aitz-{copies}"
    if (root / "done").exists():
        return root
    for src in sorted(AITZ.glob("*/*/*.json")):
        prefix, old = src.stem.split("-")
        text = src.read_text(encoding="utf-8")
        for k in range(copies):
            steps = json.loads(text)
            new = str(int(old) + 100_000 * k)
            folder = root / src.parent.parent.name / f"{prefix}-{new}"
            folder.mkdir(parents=True, exist_ok=True)
            for step in steps:
                step["episode_id"] = new
                for key in ("image_path", "image_full_path"):
                    step[key] = step[key].replace(f"{prefix}-{old}", f"{prefix}-{new}")
            (folder / f"{prefix}-{new}.json").write_text(json.dumps(steps, indent=1),
                                                          encoding="utf-8")
            for png in src.parent.glob("*.png"):
                (folder / png.name.replace(old, new)).write_bytes(png.read_bytes())
    (root / "done").write_text("")
    return root


def _eval(args: list[str]) -> None:
    import contextlib
    import io

    from vagent.cli.main import main

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the summary tables: not ours to show
            main(["eval", *args])
    except SystemExit as e:
        if e.code:
            raise RuntimeError(f"vagent eval {' '.join(args)} exited {e.code}") from None


def _count(out: Path) -> tuple[int, int]:
    recs = [json.loads(x) for x in (out / "episodes.jsonl").read_text().splitlines()]
    return len(recs), sum(r["steps"] for r in recs)


def speedups(benches: list[str], workers: list[int], latency: float, episodes: int,
             steps: int) -> list[str]:
    from vagent.policies.scripted_server import Reply, ScriptedServer

    rows = ["| benchmark | episodes | requests | " + " | ".join(f"{w} w eps/s" for w in workers)
            + " | " + " | ".join(f"×{w}" for w in workers[1:]) + " |",
            "|---|---:|---:|" + "---:|" * (2 * len(workers) - 1)]
    reply = Reply(content="I cannot tell.", delay=latency)
    for bench in benches:
        with ScriptedServer(lambda body: Reply(content="warm")) as server, \
                tempfile.TemporaryDirectory(prefix="vagent-scale-") as tmp:
            # warm-up: imports and caches are paid here, not by the one-worker run
            _eval([bench, *_args(bench, 2, 1), "--policy", "openai", "--api-base", server.url,
                   "--model", "scripted-model", "--out", str(Path(tmp) / "warm")])
        rates, n, asked = [], 0, 0
        for w in workers:
            times: list[float] = []

            def answer(body: dict[str, Any]) -> Reply:
                times.append(time.perf_counter())
                return reply

            with ScriptedServer(answer) as server, \
                    tempfile.TemporaryDirectory(prefix="vagent-scale-") as tmp:
                out = Path(tmp) / "out"
                t = time.perf_counter()
                _eval([bench, *_args(bench, episodes, steps), "--policy", "openai",
                       "--api-base", server.url, "--model", "scripted-model",
                       "--workers", str(w), "--out", str(out)])
                total = time.perf_counter() - t
                n, _ = _count(out)
                asked = len(server.completions)
            # the episodes' own time: first request to last answer (the run's setup — data
            # generation, the policy, the envs' first start — is outside it)
            seconds = times[-1] - times[0] + latency
            rates.append(n / seconds)
            print(f"  {bench} workers={w}: {n} episodes, {asked} requests, {seconds:.1f} s "
                  f"asking ({total:.1f} s with the setup)", flush=True)
        rows.append(f"| {bench} | {n} | {asked} | " + " | ".join(f"{r:.2f}" for r in rates)
                    + " | " + " | ".join(f"{r / rates[0]:.1f}" for r in rates[1:]) + " |")
    return rows


def _frame_caches(clear: bool = False) -> str:
    """The phone's frame caches, hits and misses since the last clear: the simulator's screens
    by their look, its bands by their draw calls (a band left as the phone's previous frame had
    it is neither), AndroidEnv's decoded frames by their bytes, and the PNGs handed back as the
    simulator wrote them (the warm-up's frames stay cached: they are other episodes' screens,
    as in a longer run)."""
    from vagent.actions.png import WRITTEN
    from vagent.envs.android.env import DECODED
    from vagent.envs.android.sim.commands import SCREENS
    from vagent.envs.android.sim.draw import BAND, BANDS

    line = (f"screens drawn {SCREENS.misses}, reused {SCREENS.hits} (bands of {BAND} rows "
            f"drawn {BANDS.misses}, copied from the cache {BANDS.hits}); screenshots decoded "
            f"{DECODED.misses} (of which handed back as written {WRITTEN.hits}), reused "
            f"{DECODED.hits}")
    if clear:
        for cache in (SCREENS, DECODED, BANDS, WRITTEN):
            cache.hits = cache.misses = 0
    return line


def framework(benches: list[str], episodes: int, warm_up: int = 2) -> list[str]:
    from vagent.benchmarks import run as run_module

    rows = ["| benchmark (env) | episodes | steps | CPU ms/step (episodes) | "
            "CPU ms/step (whole run) |", "|---|---:|---:|---:|---:|"]
    dispatch = run_module.run_episodes
    spent = [0.0]

    def timed(jobs: Any, one: Any, *, on_done: Any, **kw: Any) -> None:
        def one_timed(env: Any, policy: Any, job: Any) -> Any:
            c = time.process_time()
            try:
                return one(env, policy, job)
            finally:
                spent[0] += time.process_time() - c

        def done_timed(job: Any, rec: Any) -> None:
            c = time.process_time()
            try:
                on_done(job, rec)
            finally:
                spent[0] += time.process_time() - c

        dispatch(jobs, one_timed, on_done=done_timed, **kw)

    run_module.run_episodes = timed  # type: ignore[assignment]
    try:
        for bench in benches:
            with tempfile.TemporaryDirectory(prefix="vagent-scale-") as tmp:
                # warm-up (imports, fonts, first-use caches) on other episodes: another seed
                seed = [] if bench == "aitz" else ["--seed", "7"]
                # AITZ has no other seed: its warm-up episodes are measured ones, so only 2
                warm = min(warm_up, 2) if bench == "aitz" else warm_up
                if warm:
                    _eval([bench, *_args(bench, warm, 15), *seed, "--policy", "oracle",
                           "--workers", "1", "--out", str(Path(tmp) / "warm")])
                out = Path(tmp) / "out"
                _frame_caches(clear=True)
                spent[0] = 0.0
                c = time.process_time()
                _eval([bench, *_args(bench, episodes, 15), "--policy", "oracle",
                       "--workers", "1", "--out", str(out)])
                cpu = time.process_time() - c
                n, steps = _count(out)
            rows.append(f"| {bench} | {n} | {steps} | {1000 * spent[0] / steps:.1f} | "
                        f"{1000 * cpu / steps:.1f} |")
            print(rows[-1], flush=True)
            if bench == "phone-sim":
                print("  " + _frame_caches(), flush=True)
    finally:
        run_module.run_episodes = dispatch  # type: ignore[assignment]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--episodes", type=int, default=32)
    ap.add_argument("--max-steps", type=int, default=3)
    ap.add_argument("--bench", nargs="+", default=list(BENCHES), choices=list(BENCHES))
    ap.add_argument("--framework", action="store_true", help="the oracle's per-step cost only")
    ap.add_argument("--warm-up", type=int, default=2,
                    help="--framework: episodes run first, on another seed, in the same process")
    a = ap.parse_args()
    if a.warm_up < 0:
        ap.error("--warm-up takes 0 or more episodes")
    load = os.getloadavg()[0]
    print(f"# {os.cpu_count()} CPUs, load average {load:.1f}", flush=True)
    if a.framework:
        print(f"warm-up: {a.warm_up} episodes", flush=True)
        print("\n".join(["", *framework(a.bench, a.episodes, a.warm_up)]))
        return
    print(f"latency {a.latency} s per answer, max {a.max_steps} steps per episode", flush=True)
    print("\n".join(["", *speedups(a.bench, a.workers, a.latency, a.episodes, a.max_steps)]))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
