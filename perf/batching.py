"""Steps per second of one local policy serving 1, 4 or 8 concurrent episodes (batched generate).

    python -m vagent.perf.batching [--workers 1 4 8] [--steps 6] [--model bundled qwen2vl qwen25vl]

Each worker thread plays its own episode (its own task, drawn phone screens, its answers fed
back) against ONE policy, as evaluation workers do; concurrent ``act`` calls meet in one
``generate`` (``policies/batching.py``). Prints steps/s, the mean batch size the policy ran,
and whether every episode's answers equal those it gets with one worker (greedy decoding).
Models: ``bundled`` (the tiny policy), ``qwen2vl`` / ``qwen25vl`` (random-weight tiny
checkpoints, built into .cache/tiny-models on first use).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from vagent.perf.policy_step import phone_screen

ROOT = Path(__file__).resolve().parents[1]
TASKS = ["find restaurants in San Diego", "open the clock app", "turn on wifi",
         "send hello to mum", "search the weather in Paris", "open settings",
         "call the pharmacy", "set an alarm for 7"]


def make(model: str, **opts: Any) -> Any:
    from vagent import policies
    from vagent.policies.tiny import cached_tiny_checkpoint

    if model == "bundled":
        return policies.make("tiny", **opts)
    path = cached_tiny_checkpoint(ROOT / ".cache" / "tiny-models", model)  # type: ignore[arg-type]
    return policies.make("qwen-vl", model=str(path), max_new_tokens=24,
                         min_pixels=4 * 28 * 28, max_pixels=256 * 28 * 28, **opts)


def episode(policy: Any, task: str, steps: int, seed: int) -> list[str]:
    from vagent.actions import get_space
    from vagent.actions.context import Context, StepView

    space = get_space("mobile").with_screen(1080, 2400)
    views: list[StepView] = []
    raws = []
    for step in range(steps):
        shot = phone_screen(seed * 31 + step)
        d = policy.act(Context(task=task, space=space, screen=(1080, 2400), step=step,
                               steps=list(views), observation={"screenshot": shot, "text": ""}))
        raws.append(d.raw)
        views.append(StepView(step=step, raw=d.raw, thought=d.thought, calls=d.calls,
                              error=d.error, screenshot=shot))
    return raws


def run(policy: Any, workers: int, steps: int) -> tuple[float, list[list[str]]]:
    out: list[list[str]] = [[] for _ in range(workers)]

    def work(i: int) -> None:
        out[i] = episode(policy, TASKS[i % len(TASKS)], steps, i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return workers * steps / (time.perf_counter() - t), out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m vagent.perf.batching")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--model", nargs="+", default=["bundled", "qwen2vl", "qwen25vl"])
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="torch's intra-op threads (two contend badly on a loaded 2-core machine)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.torch_threads)
    print("| model | workers | steps/s | × one worker | mean batch | same answers as alone |")
    print("|---|---:|---:|---:|---:|---|")
    for model in args.model:
        policy = make(model)
        episode(policy, "warm up", 1, 99)
        base = None
        alone: dict[int, list[str]] = {}
        for workers in args.workers:
            before = len(policy._batcher.sizes)
            rate, answers = run(policy, workers, args.steps)
            sizes = policy._batcher.sizes[before:]
            if not alone:  # each episode alone, for the comparison
                alone = {i: episode(policy, TASKS[i % len(TASKS)], args.steps, i)
                         for i in range(max(args.workers))}
            same = all(answers[i] == alone[i] for i in range(workers))
            base = base or rate
            print(f"| {model} | {workers} | {rate:.2f} | {rate / base:.2f} | "
                  f"{statistics.mean(sizes):.1f} | {'yes' if same else 'NO'} |", flush=True)
        policy.close()


if __name__ == "__main__":
    main()
